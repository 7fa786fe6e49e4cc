#include "train/LossScaler.h"

#include <ATen/ATen.h>

namespace swav {

bool LossScaler::unscaleAndUpdate(const std::vector<at::Tensor>& parameters) {
    std::vector<at::Tensor> finite;
    for (const auto& p : parameters)
        if (p.grad().defined()) {
            p.mutable_grad().div_(m_scale);
            finite.push_back(at::isfinite(p.grad()).all());
        }
    // One read-back for all parameters: each .item() would wait for the device.
    const bool allFinite = finite.empty() || at::stack(finite).all().item<bool>();
    if (!allFinite) {
        m_scale /= 2;
        m_goodSteps = 0;
    } else if (++m_goodSteps >= kGrowthInterval) {
        m_scale *= 2;
        m_goodSteps = 0;
    }
    return allFinite;
}

} // namespace swav
