#include "eval/Knn.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

at::Tensor knnPredict(const at::Tensor& bank, const at::Tensor& bankLabels,
                      const at::Tensor& queries, int classes, const KnnOptions& options) {
    torch::NoGradGuard noGrad;
    if (bank.size(0) != bankLabels.size(0))
        throw UserError("kNN: " + std::to_string(bank.size(0)) + " bank features but " +
                        std::to_string(bankLabels.size(0)) + " labels");
    auto normalise = [](const at::Tensor& x) {
        auto f = x.to(at::kFloat);
        return f / f.norm(2, 1, true).clamp_min(1e-12);
    };
    const auto keys = normalise(bank);
    const auto labels = bankLabels.to(at::kLong);
    const int64_t k = std::min<int64_t>(options.k, keys.size(0));
    std::vector<at::Tensor> predictions;
    for (int64_t begin = 0; begin < queries.size(0); begin += options.chunk) {
        const int64_t end = std::min(queries.size(0), begin + options.chunk);
        const auto block = normalise(queries.slice(0, begin, end));
        const auto similarities = at::mm(block, keys.t()); // [chunk, N]
        const auto [topSimilarity, topIndex] = similarities.topk(k, 1);
        const auto weights = (topSimilarity / options.temperature).exp();
        auto votes = at::zeros({end - begin, classes}, weights.options());
        votes.scatter_add_(1, labels.index_select(0, topIndex.flatten()).view_as(topIndex),
                           weights);
        predictions.push_back(votes.argmax(1));
    }
    return predictions.empty() ? at::empty({0}, at::kLong) : at::cat(predictions, 0);
}

} // namespace swav
