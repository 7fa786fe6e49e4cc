#include "eval/ClusterMetrics.h"

#include <ATen/ATen.h>

namespace swav {

at::Tensor contingencyTable(const at::Tensor& a, const at::Tensor& b) {
    auto x = a.to(at::kCPU, at::kLong), y = b.to(at::kCPU, at::kLong);
    const int64_t rows = x.numel() ? x.max().item<int64_t>() + 1 : 0;
    const int64_t cols = y.numel() ? y.max().item<int64_t>() + 1 : 0;
    auto flat = at::zeros({rows * cols}, at::kDouble);
    flat.index_add_(0, x * cols + y, at::ones({x.numel()}, at::kDouble));
    return flat.view({rows, cols});
}

namespace {

double entropy(const at::Tensor& counts, double total) {
    auto p = counts / total;
    p = p.masked_select(p > 0);
    return -(p * p.log()).sum().item<double>();
}

double pairs(const at::Tensor& counts) {
    return (counts * (counts - 1) / 2).sum().item<double>();
}

} // namespace

double normalizedMutualInformation(const at::Tensor& a, const at::Tensor& b) {
    const auto table = contingencyTable(a, b);
    const double n = table.sum().item<double>();
    if (n == 0)
        return 0;
    const auto rows = table.sum(1), cols = table.sum(0);
    const double ha = entropy(rows, n), hb = entropy(cols, n);
    if (ha == 0 && hb == 0)
        return 1; // both single clusters: identical
    const auto outer = at::outer(rows, cols);
    const auto mask = table > 0;
    const auto nij = table.masked_select(mask);
    const double mi = (nij / n * (nij * n / outer.masked_select(mask)).log()).sum().item<double>();
    const double denominator = 0.5 * (ha + hb);
    return denominator > 0 ? std::max(0.0, mi / denominator) : 0;
}

double adjustedRandIndex(const at::Tensor& a, const at::Tensor& b) {
    const auto table = contingencyTable(a, b);
    const double n = table.sum().item<double>();
    const double index = pairs(table);
    const double rowPairs = pairs(table.sum(1)), colPairs = pairs(table.sum(0));
    const double totalPairs = n * (n - 1) / 2;
    if (totalPairs == 0)
        return 1;
    const double expected = rowPairs * colPairs / totalPairs;
    const double maximum = 0.5 * (rowPairs + colPairs);
    if (maximum == expected)
        return 1; // degenerate: both partitions trivial
    return (index - expected) / (maximum - expected);
}

} // namespace swav
