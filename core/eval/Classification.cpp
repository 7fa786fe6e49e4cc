#include "eval/Classification.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace swav {

ClassificationReport classificationReport(const at::Tensor& predictions, const at::Tensor& labels,
                                          int classes) {
    ClassificationReport r;
    r.count = labels.numel();
    auto truth = labels.to(at::kCPU, at::kLong).contiguous();
    auto predicted = predictions.to(at::kCPU, at::kLong).contiguous();
    auto flat = at::zeros({int64_t(classes) * classes}, at::kLong);
    flat.index_add_(0, truth * classes + predicted, at::ones_like(truth));
    auto matrix = flat.view({classes, classes});
    r.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(classes));
    for (int t = 0; t < classes; ++t)
        for (int p = 0; p < classes; ++p)
            r.confusion[t][p] = matrix[t][p].item<int64_t>();
    int64_t correct = 0;
    for (int c = 0; c < classes; ++c) {
        int64_t total = 0;
        for (int p = 0; p < classes; ++p)
            total += r.confusion[c][p];
        correct += r.confusion[c][c];
        r.perClassAccuracy.push_back(total > 0 ? double(r.confusion[c][c]) / total : std::nan(""));
    }
    r.top1 = r.count > 0 ? double(correct) / r.count : 0;
    return r;
}

nlohmann::json toJson(const ClassificationReport& report,
                      const std::vector<std::string>& classNames) {
    nlohmann::json perClass = nlohmann::json::object();
    for (size_t c = 0; c < report.perClassAccuracy.size(); ++c) {
        const std::string name = c < classNames.size() ? classNames[c] : std::to_string(c);
        const double value = report.perClassAccuracy[c];
        perClass[name] = std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
    }
    return {{"top1", report.top1},
            {"count", report.count},
            {"per_class", perClass},
            {"confusion", report.confusion}};
}

} // namespace swav
