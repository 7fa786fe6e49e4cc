#pragma once
// Weighted k-nearest-neighbour classification on L2-normalised features (cosine similarity,
// votes weighted by exp(s / T)), as used to monitor self-supervised features.

#include <ATen/Tensor.h>

namespace swav {

struct KnnOptions {
    int k = 20;
    double temperature = 0.07;
    int64_t chunk = 512; // test rows per similarity block: memory is chunk x N, never N x M
};

/// bank: float [N, D] with labels int64 [N] in [0, classes); queries float [M, D].
/// Returns int64 [M] predictions. Ties go to the lower class index.
at::Tensor knnPredict(const at::Tensor& bank, const at::Tensor& bankLabels,
                      const at::Tensor& queries, int classes, const KnnOptions& options);

} // namespace swav
