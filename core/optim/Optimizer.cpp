#include "optim/Optimizer.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

Optimizer::Optimizer(std::vector<NamedParameter> parameters)
    : m_parameters(std::move(parameters)) {}

void Optimizer::zeroGrad() {
    for (auto& p : m_parameters)
        if (p.tensor.grad().defined())
            p.tensor.mutable_grad() = at::Tensor();
}

at::Tensor& Optimizer::buffer(const NamedParameter& p, const std::string& name) {
    auto& slot = m_buffers[p.name + "/" + name];
    if (!slot.defined())
        slot = at::zeros_like(p.tensor, at::MemoryFormat::Preserve);
    return slot;
}

void Optimizer::momentumStep(const NamedParameter& p, const at::Tensor& update, double momentum,
                             double lr) {
    // A fresh buffer is zero, so the first step moves by the update itself (as torch's SGD).
    auto& buf = buffer(p, "momentum");
    buf.mul_(momentum).add_(update);
    p.tensor.sub_(buf * lr);
}

std::map<std::string, at::Tensor> Optimizer::state() const {
    auto state = m_buffers;
    state["step"] = at::tensor(m_steps, at::kLong);
    return state;
}

void Optimizer::loadState(const std::map<std::string, at::Tensor>& state) {
    m_buffers.clear();
    for (const auto& [key, value] : state) {
        if (key == "step") {
            m_steps = value.item<int64_t>();
            continue;
        }
        const auto slash = key.rfind('/');
        const std::string owner = key.substr(0, slash);
        const NamedParameter* match = nullptr;
        for (const auto& p : m_parameters)
            if (p.name == owner)
                match = &p;
        if (!match)
            throw UserError("optimiser state names parameter '" + owner +
                            "', which the model does not have");
        if (!value.sizes().equals(match->tensor.sizes()))
            throw UserError("optimiser state '" + key + "' has the wrong shape");
        m_buffers[key] = value.to(match->tensor.device(), match->tensor.scalar_type());
    }
}

LarsOptimizer::LarsOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config)
    : Optimizer(std::move(parameters))
    , m_config(config) {}

void LarsOptimizer::step(double lr) {
    torch::NoGradGuard noGrad;
    constexpr double eps = 1e-8;
    for (auto& p : m_parameters) {
        const auto& grad = p.tensor.grad();
        if (!grad.defined())
            continue;
        at::Tensor g = grad;
        if (!(m_config.excludeBiasAndNorm && p.biasOrNorm)) {
            const double wd = m_config.weightDecay;
            auto paramNorm = p.tensor.norm();
            auto gradNorm = grad.norm();
            auto rate = m_config.larsTrust * paramNorm / (gradNorm + paramNorm * wd + eps);
            if (m_config.larsClip)
                rate = at::clamp_max(rate / lr, 1.0);
            // Zero norms leave the gradient as it is (no decay, no scaling), as in LARC.
            auto usable = (paramNorm > 0) & (gradNorm > 0);
            rate = at::where(usable, rate, at::ones_like(rate));
            auto decay = at::where(usable, at::full_like(paramNorm, wd), at::zeros_like(paramNorm));
            g = (grad + decay * p.tensor) * rate;
        }
        momentumStep(p, g, m_config.momentum, lr);
    }
    ++m_steps;
}

SgdOptimizer::SgdOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config)
    : Optimizer(std::move(parameters))
    , m_config(config) {}

void SgdOptimizer::step(double lr) {
    torch::NoGradGuard noGrad;
    for (auto& p : m_parameters) {
        const auto& grad = p.tensor.grad();
        if (!grad.defined())
            continue;
        const bool decay = !(m_config.excludeBiasAndNorm && p.biasOrNorm);
        auto g = decay ? grad + m_config.weightDecay * p.tensor : grad;
        momentumStep(p, g, m_config.momentum, lr);
    }
    ++m_steps;
}

AdamOptimizer::AdamOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config,
                             bool decoupled)
    : Optimizer(std::move(parameters))
    , m_config(config)
    , m_decoupled(decoupled) {}

void AdamOptimizer::step(double lr) {
    torch::NoGradGuard noGrad;
    const double b1 = m_config.adamBeta1, b2 = m_config.adamBeta2;
    const double t = static_cast<double>(m_steps + 1);
    const double correction1 = 1 - std::pow(b1, t), correction2 = 1 - std::pow(b2, t);
    for (auto& p : m_parameters) {
        const auto& grad = p.tensor.grad();
        if (!grad.defined())
            continue;
        const bool decay =
            !(m_config.excludeBiasAndNorm && p.biasOrNorm) && m_config.weightDecay > 0;
        at::Tensor g = grad;
        if (decay && m_decoupled)
            p.tensor.mul_(1 - lr * m_config.weightDecay);
        else if (decay)
            g = grad + m_config.weightDecay * p.tensor;
        auto& m = buffer(p, "exp_avg");
        auto& v = buffer(p, "exp_avg_sq");
        m.mul_(b1).add_(g, 1 - b1);
        v.mul_(b2).addcmul_(g, g, 1 - b2);
        auto denom = (v / correction2).sqrt_().add_(m_config.adamEps);
        p.tensor.addcdiv_(m, denom, -lr / correction1);
    }
    ++m_steps;
}

std::unique_ptr<Optimizer> makeOptimizer(const OptimConfig& config,
                                         std::vector<NamedParameter> parameters) {
    if (config.optimizer == "lars")
        return std::make_unique<LarsOptimizer>(std::move(parameters), config);
    if (config.optimizer == "sgd")
        return std::make_unique<SgdOptimizer>(std::move(parameters), config);
    if (config.optimizer == "adam")
        return std::make_unique<AdamOptimizer>(std::move(parameters), config, false);
    if (config.optimizer == "adamw")
        return std::make_unique<AdamOptimizer>(std::move(parameters), config, true);
    throw UserError("optim.optimizer: unknown optimiser '" + config.optimizer + "'");
}

} // namespace swav
