#include "eval/LinearProbe.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

LinearProbeResult trainLinearProbe(const FeatureSet& train, const FeatureSet& test, int classes,
                                   const LinearProbeOptions& options,
                                   const ProgressCallback& progress) {
    if (!train.labels.defined() || !test.labels.defined())
        throw UserError("the linear probe needs labelled train and test images");
    // Standardise with the training statistics so one learning rate suits every feature scale.
    const auto mean = train.features.mean(0, true);
    const auto std = train.features.std(0, true, true).clamp_min(1e-6);
    const auto x = (train.features - mean) / std;
    const auto y = train.labels.to(at::kLong);
    const auto xTest = (test.features - mean) / std;

    // Own generator: evaluating must not disturb anyone else's random stream.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    const int64_t n = x.size(0), dim = x.size(1);
    auto weight = (at::randn({classes, dim}, generator) * 0.01).requires_grad_(true);
    auto bias = at::zeros({classes}).requires_grad_(true);
    auto weightMomentum = at::zeros_like(weight), biasMomentum = at::zeros_like(bias);
    const double lr = options.lr * options.batchSize / 256.0;
    const int64_t stepsPerEpoch = std::max<int64_t>(1, n / options.batchSize);
    const int64_t totalSteps = stepsPerEpoch * options.epochs;

    LinearProbeResult result;
    int64_t step = 0;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const auto order = at::randperm(n, generator, at::kLong);
        for (int64_t s = 0; s < stepsPerEpoch; ++s, ++step) {
            const auto index =
                order.slice(0, s * options.batchSize, std::min(n, (s + 1) * options.batchSize));
            const auto logits = at::addmm(bias, x.index_select(0, index), weight.t());
            const auto loss = at::cross_entropy_loss(logits, y.index_select(0, index));
            weight.mutable_grad() = at::Tensor();
            bias.mutable_grad() = at::Tensor();
            loss.backward();
            torch::NoGradGuard noGrad;
            const double stepLr = 0.5 * lr * (1 + std::cos(M_PI * step / totalSteps));
            weightMomentum.mul_(options.momentum)
                .add_(weight.grad() + options.weightDecay * weight);
            biasMomentum.mul_(options.momentum).add_(bias.grad());
            weight.sub_(weightMomentum * stepLr);
            bias.sub_(biasMomentum * stepLr);
        }
        torch::NoGradGuard noGrad;
        const auto predictions = at::addmm(bias, xTest, weight.t()).argmax(1);
        const double top1 =
            predictions.eq(test.labels.to(at::kLong)).to(at::kDouble).mean().item<double>();
        result.top1PerEpoch.push_back(top1);
        if (top1 > result.bestTop1 || epoch == 0) {
            result.bestTop1 = top1;
            result.bestEpoch = epoch + 1;
        }
        if (epoch + 1 == options.epochs)
            result.final = classificationReport(predictions, test.labels, classes);
        if (progress && !progress(epoch + 1, options.epochs))
            throw Cancelled();
    }
    return result;
}

} // namespace swav
