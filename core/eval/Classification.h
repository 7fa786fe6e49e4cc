#pragma once
// Accuracy report shared by kNN and the linear probe.

#include <ATen/Tensor.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace swav {

struct ClassificationReport {
    double top1 = 0;                             // fraction correct
    std::vector<double> perClassAccuracy;        // [C]; NaN for classes absent from the test set
    std::vector<std::vector<int64_t>> confusion; // [true][predicted]
    int64_t count = 0;                           // test images
};

/// predictions, labels: int64 [N] with labels in [0, classes).
ClassificationReport classificationReport(const at::Tensor& predictions, const at::Tensor& labels,
                                          int classes);

nlohmann::json toJson(const ClassificationReport& report,
                      const std::vector<std::string>& classNames);

} // namespace swav
