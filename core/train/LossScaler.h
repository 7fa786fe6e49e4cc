#pragma once
// Dynamic loss scaling for fp16 training (bf16 and fp32 need none): the loss is multiplied
// before the backward pass so that small gradients survive fp16, the gradients are divided back
// before the optimiser, and a step whose gradients overflowed is skipped with the scale halved.
// After 2000 good steps in a row the scale doubles again (PyTorch's GradScaler defaults).

#include <ATen/core/Tensor.h>

#include <vector>

namespace swav {

class LossScaler {
public:
    static constexpr double kInitialScale = 65536.0;
    static constexpr int kGrowthInterval = 2000;

    explicit LossScaler(double scale = kInitialScale)
        : m_scale(scale) {}

    /// The scaled loss to call backward() on.
    at::Tensor scaled(const at::Tensor& loss) const { return loss * m_scale; }

    /// Divides every defined gradient of `parameters` by the scale and says whether they are all
    /// finite (the step may be taken); updates the scale for the next step either way.
    bool unscaleAndUpdate(const std::vector<at::Tensor>& parameters);

    double scale() const { return m_scale; }
    /// Restores a checkpoint's scale (its good-step count starts again).
    void restore(double scale) { m_scale = scale, m_goodSteps = 0; }

private:
    double m_scale;
    int m_goodSteps = 0;
};

} // namespace swav
