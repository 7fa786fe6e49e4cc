#pragma once

#include <ATen/Tensor.h>

namespace swav {

class Collective;

/// Sinkhorn-Knopp codes of SwAV (equal-partition soft assignment), without gradient.
/// scores: [B, K] prototype scores (any float dtype, any device; computed in fp32).
/// Returns float32 [B, K] whose rows sum to 1 and whose columns sum to about B/K.
/// With a collective, the total and the per-prototype sums are all-reduced and B counts every
/// process's rows, as in the multi-process reference implementation.
at::Tensor sinkhornCodes(const at::Tensor& scores, double epsilon, int iterations,
                         Collective* collective = nullptr);

} // namespace swav
