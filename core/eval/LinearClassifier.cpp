#include "eval/LinearClassifier.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

namespace swav {

double ProbeSchedule::baseLr(const LinearProbeOptions& options) const {
    return authors ? options.lr : options.lr * options.batchSize / 256.0;
}

int64_t ProbeSchedule::stepsPerEpoch(int64_t n, int batch) const {
    return authors ? std::max<int64_t>(1, (n + batch - 1) / batch)
                   : std::max<int64_t>(1, n / batch);
}

LinearClassifier::LinearClassifier(int classes, int64_t dim, const LinearProbeOptions& options,
                                   const ProbeSchedule& schedule, int64_t stepsPerEpoch)
    : m_options(options)
    , m_schedule(schedule)
    , m_stepsPerEpoch(std::max<int64_t>(1, stepsPerEpoch))
    , m_lr(schedule.baseLr(options)) {
    // Own generator: evaluating must not disturb anyone else's random stream.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    m_weight = (at::randn({classes, dim}, generator) * 0.01).requires_grad_(true);
    m_bias = at::zeros({classes}).requires_grad_(true);
    m_weightMomentum = at::zeros_like(m_weight);
    m_biasMomentum = at::zeros_like(m_bias);
}

void LinearClassifier::step(const at::Tensor& x, const at::Tensor& y) {
    const auto loss = at::cross_entropy_loss(at::addmm(m_bias, x, m_weight.t()), y);
    m_weight.mutable_grad() = at::Tensor();
    m_bias.mutable_grad() = at::Tensor();
    loss.backward();
    torch::NoGradGuard noGrad;
    const double lr = learningRate();
    // The cached variant leaves the bias undecayed; torch.optim.SGD decays every parameter.
    const double biasDecay = m_schedule.authors ? m_options.weightDecay : 0.0;
    m_weightMomentum.mul_(m_options.momentum)
        .add_(m_weight.grad() + m_options.weightDecay * m_weight);
    m_biasMomentum.mul_(m_options.momentum).add_(m_bias.grad() + biasDecay * m_bias);
    m_weight.sub_(m_weightMomentum * lr);
    m_bias.sub_(m_biasMomentum * lr);
    ++m_step;
}

at::Tensor LinearClassifier::predict(const at::Tensor& x) const {
    torch::NoGradGuard noGrad;
    return at::addmm(m_bias, x, m_weight.t()).argmax(1);
}

double LinearClassifier::learningRate() const {
    const double total = double(m_stepsPerEpoch) * m_options.epochs;
    const double done =
        m_schedule.authors ? double(m_step / m_stepsPerEpoch) * m_stepsPerEpoch : double(m_step);
    return 0.5 * m_lr * (1 + std::cos(M_PI * done / std::max(1.0, total)));
}

} // namespace swav
