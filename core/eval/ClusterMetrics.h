#pragma once
// Agreement between two labelings (prototype assignments vs classes).

#include <ATen/Tensor.h>

namespace swav {

/// Normalised mutual information, arithmetic-mean normalisation (as scikit-learn's default);
/// a, b: int64 [N] non-negative. 1 for identical partitions (up to renaming), ~0 if independent.
double normalizedMutualInformation(const at::Tensor& a, const at::Tensor& b);

/// Adjusted Rand index: 1 for identical partitions, ~0 for random ones (can be negative).
double adjustedRandIndex(const at::Tensor& a, const at::Tensor& b);

/// Contingency table [max(a)+1, max(b)+1] of counts (double).
at::Tensor contingencyTable(const at::Tensor& a, const at::Tensor& b);

} // namespace swav
