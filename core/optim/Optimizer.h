#pragma once
// Optimisers written against plain tensors so their state is explicit and checkpointable by
// name, identical across LibTorch versions. Parameters whose gradient is undefined are skipped
// (that is how frozen prototypes stay put).

#include "config/ExperimentConfig.h"

#include <ATen/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace swav {

struct NamedParameter {
    std::string name;
    at::Tensor tensor;
    bool biasOrNorm = false; // 1-D parameter: a bias or a normalisation scale/shift
};

class Optimizer {
public:
    explicit Optimizer(std::vector<NamedParameter> parameters);
    virtual ~Optimizer() = default;

    /// One update with learning rate `lr`. Thread: the training thread.
    virtual void step(double lr) = 0;
    /// Drops every gradient (sets it undefined).
    void zeroGrad();

    /// Per-parameter buffers keyed "parameter/buffer", plus "step".
    std::map<std::string, at::Tensor> state() const;
    /// Restores state(); throws UserError on a missing or mis-shaped buffer.
    void loadState(const std::map<std::string, at::Tensor>& state);

    const std::vector<NamedParameter>& parameters() const { return m_parameters; }

protected:
    at::Tensor& buffer(const NamedParameter& p, const std::string& name);
    /// Heavy-ball momentum (dampening 0): buf = momentum * buf + update; w -= lr * buf.
    void momentumStep(const NamedParameter& p, const at::Tensor& update, double momentum,
                      double lr);

    std::vector<NamedParameter> m_parameters;
    std::map<std::string, at::Tensor> m_buffers;
    int64_t m_steps = 0;
};

/// SGD with momentum 0.9 wrapped in LARS (as apex LARC): per parameter,
/// rate = trust * |w| / (|g| + wd |w| + eps), optionally clipped at 1 relative to lr;
/// g <- (g + wd w) * rate; then momentum SGD. Biases/norms can be excluded from both.
class LarsOptimizer : public Optimizer {
public:
    LarsOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config);
    void step(double lr) override;

private:
    OptimConfig m_config;
};

class SgdOptimizer : public Optimizer {
public:
    SgdOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config);
    void step(double lr) override;

private:
    OptimConfig m_config;
};

/// Adam (L2 decay added to the gradient) or AdamW (decoupled decay).
class AdamOptimizer : public Optimizer {
public:
    AdamOptimizer(std::vector<NamedParameter> parameters, const OptimConfig& config,
                  bool decoupled);
    void step(double lr) override;

private:
    OptimConfig m_config;
    bool m_decoupled;
};

std::unique_ptr<Optimizer> makeOptimizer(const OptimConfig& config,
                                         std::vector<NamedParameter> parameters);

} // namespace swav
