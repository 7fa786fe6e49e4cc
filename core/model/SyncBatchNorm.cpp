#include "model/SyncBatchNorm.h"

#include "dist/Collective.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdint>
#include <vector>

namespace swav {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Shape that broadcasts a per-channel vector [C] against x [N, C, ...].
std::vector<int64_t> channelShape(const at::Tensor& x) {
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
    shape[1] = x.size(1);
    return shape;
}

/// Every dimension but the channels.
std::vector<int64_t> reducedDims(const at::Tensor& x) {
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); ++d)
        dims.push_back(d);
    return dims;
}

Collective* collectiveFrom(AutogradContext* ctx) {
    return reinterpret_cast<Collective*>(ctx->saved_data["collective"].toInt());
}

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                              const at::Tensor& weight, const at::Tensor& bias,
                              at::Tensor runningMean, at::Tensor runningVar, double momentum,
                              double eps, Collective* collective) {
        const auto x = input.to(at::kFloat);
        const auto dims = reducedDims(x);
        const int64_t channels = x.size(1);
        // One all-reduce carries the sums, the sums of squares and the element count.
        auto packed =
            at::cat({x.sum(dims), (x * x).sum(dims),
                     at::full({1}, static_cast<double>(x.numel() / channels), x.options())});
        collective->allReduceSum(packed);
        // The count stays on the device: reading it would make the host wait for the GPU.
        const auto count = packed.slice(0, 2 * channels, 2 * channels + 1);
        const auto mean = packed.slice(0, 0, channels) / count;
        const auto variance =
            (packed.slice(0, channels, 2 * channels) / count - mean * mean).clamp_min(0.0);
        const auto invStd = (variance + eps).rsqrt();
        {
            at::NoGradGuard noGrad;
            const auto unbiased =
                at::where(count > 1, count / (count - 1).clamp_min(1.0), at::ones_like(count));
            runningMean.mul_(1 - momentum).add_(mean.to(runningMean.scalar_type()), momentum);
            runningVar.mul_(1 - momentum)
                .add_((variance * unbiased).to(runningVar.scalar_type()), momentum);
        }
        const auto shape = channelShape(x);
        const auto normalised = (x - mean.view(shape)) * invStd.view(shape);
        ctx->save_for_backward({x, weight, mean, invStd, count});
        ctx->saved_data["collective"] =
            static_cast<int64_t>(reinterpret_cast<intptr_t>(collective));
        auto y = normalised;
        if (weight.defined())
            y = y * weight.to(at::kFloat).view(shape) + bias.to(at::kFloat).view(shape);
        return y.to(input.scalar_type());
    }

    static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& weight = saved[1];
        const auto& mean = saved[2];
        const auto& invStd = saved[3];
        const auto& count = saved[4];
        const auto dy = gradOutputs[0].to(at::kFloat);
        const auto dims = reducedDims(x);
        const auto shape = channelShape(x);
        const int64_t channels = x.size(1);

        const auto centred = x - mean.view(shape);
        const auto localSumDy = dy.sum(dims);
        const auto localSumDyCentred = (dy * centred).sum(dims);
        // The input gradient needs both sums over the global batch.
        auto packed = at::cat({localSumDy, localSumDyCentred});
        collectiveFrom(ctx)->allReduceSum(packed);
        const auto meanDy = packed.slice(0, 0, channels) / count;
        const auto meanDyCentred = packed.slice(0, channels, 2 * channels) / count;

        const auto scale = weight.defined() ? invStd * weight.to(at::kFloat) : invStd;
        const auto gradInput =
            (dy - meanDy.view(shape) - centred * (invStd * invStd * meanDyCentred).view(shape)) *
            scale.view(shape);
        // Parameter gradients stay local: the data-parallel gradient average combines them.
        at::Tensor gradWeight, gradBias;
        if (weight.defined()) {
            gradWeight = (localSumDyCentred * invStd).to(weight.scalar_type());
            gradBias = localSumDy.to(weight.scalar_type());
        }
        return {gradInput.to(gradOutputs[0].scalar_type()),
                gradWeight,
                gradBias,
                at::Tensor(),
                at::Tensor(),
                at::Tensor(),
                at::Tensor(),
                at::Tensor()};
    }
};

} // namespace

at::Tensor syncBatchNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                         at::Tensor& runningMean, at::Tensor& runningVar, double momentum,
                         double eps, Collective& collective) {
    return SyncBatchNormFunction::apply(x, weight, bias, runningMean, runningVar, momentum, eps,
                                        &collective);
}

SyncBatchNormImpl::SyncBatchNormImpl(int64_t features, double eps, double momentum)
    : m_features(features)
    , m_eps(eps)
    , m_momentum(momentum) {
    reset();
}

void SyncBatchNormImpl::reset() {
    weight = register_parameter("weight", at::ones({m_features}));
    bias = register_parameter("bias", at::zeros({m_features}));
    running_mean = register_buffer("running_mean", at::zeros({m_features}));
    running_var = register_buffer("running_var", at::ones({m_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", at::zeros({}, at::kLong));
}

at::Tensor SyncBatchNormImpl::forward(const at::Tensor& x) {
    if (!is_training())
        return at::batch_norm(x, weight, bias, running_mean, running_var, false, m_momentum, m_eps,
                              true);
    {
        at::NoGradGuard noGrad;
        num_batches_tracked += 1;
    }
    if (m_collective)
        return syncBatchNorm(x, weight, bias, running_mean, running_var, m_momentum, m_eps,
                             *m_collective);
    return at::batch_norm(x, weight, bias, running_mean, running_var, true, m_momentum, m_eps,
                          true);
}

void setBatchNormCollective(torch::nn::Module& module, Collective* collective) {
    for (const auto& child : module.modules(/*include_self=*/true))
        if (auto* layer = child->as<SyncBatchNorm>())
            layer->setCollective(collective);
}

} // namespace swav
