#pragma once
// Batch norm whose training statistics can span every process of a data-parallel run, as
// PyTorch's SyncBatchNorm: the forward pass normalises with the mean and variance of the global
// batch, the backward pass reduces the two gradient sums it needs across processes, and the
// running statistics follow the global batch. Without a collective (or in eval mode) it is
// LibTorch's batch norm, with its parameter names (the checkpoint format).

#include <ATen/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace swav {

class Collective;

/// Normalises x [N, C, ...] in training mode with statistics over every process's batch and
/// updates the running statistics in place. Differentiable in x, weight and bias.
at::Tensor syncBatchNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                         at::Tensor& runningMean, at::Tensor& runningVar, double momentum,
                         double eps, Collective& collective);

/// Batch norm over the channels of [N, C] or [N, C, H, W] inputs with LibTorch's parameter
/// and buffer names (weight, bias, running_mean, running_var, num_batches_tracked).
class SyncBatchNormImpl : public torch::nn::Cloneable<SyncBatchNormImpl> {
public:
    explicit SyncBatchNormImpl(int64_t features, double eps = 1e-5, double momentum = 0.1);
    void reset() override;
    at::Tensor forward(const at::Tensor& x);
    /// Non-null: training-mode statistics span every process of `collective`.
    void setCollective(Collective* collective) { m_collective = collective; }

    at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
    int64_t m_features;
    double m_eps;
    double m_momentum;
    Collective* m_collective = nullptr;
};
TORCH_MODULE(SyncBatchNorm);

/// Points every synchronisable batch norm under `module` at `collective` (null: local again).
void setBatchNormCollective(torch::nn::Module& module, Collective* collective);

} // namespace swav
