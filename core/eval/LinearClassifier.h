#pragma once
// The linear layer of the linear probe and how it is trained: multinomial logistic regression by
// SGD with momentum on a cosine learning rate, either the fast cached variant or as the authors'
// eval_linear.py (torch.optim.SGD with weight decay, CosineAnnealingLR stepped per epoch).

#include "eval/LinearProbe.h"

#include <ATen/Tensor.h>

#include <cstdint>

namespace swav {

struct ProbeSchedule {
    bool authors = false;

    /// Learning rate at batch 256, scaled linearly with the batch; the authors' as given.
    double baseLr(const LinearProbeOptions& options) const;
    /// Steps of an epoch over n images: the authors keep the last partial batch.
    int64_t stepsPerEpoch(int64_t n, int batch) const;
};

class LinearClassifier {
public:
    /// Weight ~ N(0, 0.01) from the options' seed (its own generator), bias 0.
    LinearClassifier(int classes, int64_t dim, const LinearProbeOptions& options,
                     const ProbeSchedule& schedule, int64_t stepsPerEpoch);

    /// One SGD step on features x [N, dim] and labels y [N] (int64).
    void step(const at::Tensor& x, const at::Tensor& y);
    at::Tensor predict(const at::Tensor& x) const;
    /// The learning rate of the next step: a cosine from the base rate to 0 over the probe, per
    /// step, or per epoch as the authors'.
    double learningRate() const;

    const at::Tensor& weight() const { return m_weight; }
    const at::Tensor& bias() const { return m_bias; }

private:
    LinearProbeOptions m_options;
    ProbeSchedule m_schedule;
    int64_t m_stepsPerEpoch;
    int64_t m_step = 0;
    double m_lr = 0;
    at::Tensor m_weight, m_bias, m_weightMomentum, m_biasMomentum;
};

} // namespace swav
