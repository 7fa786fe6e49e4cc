#include "train/EpochStatistics.h"

#include "dist/Collective.h"
#include "swav/PrototypeCosines.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

EpochStatistics::EpochStatistics(int numPrototypes, int embeddingDim, at::Device device)
    : m_numPrototypes(numPrototypes)
    , m_embeddingDim(embeddingDim) {
    const auto options = at::TensorOptions().device(device);
    m_lossSum = at::zeros({}, options.dtype(at::kDouble));
    m_usage = at::zeros({numPrototypes}, options.dtype(at::kLong));
    m_entropySum = at::zeros({}, options.dtype(at::kDouble));
    m_stdSum = at::zeros({}, options.dtype(at::kDouble));
}

void EpochStatistics::add(const std::vector<at::Tensor>& codes, const at::Tensor& embeddings,
                          const at::Tensor& loss) {
    torch::NoGradGuard noGrad;
    m_lossSum += loss.detach().to(at::kDouble);
    for (const auto& q : codes) {
        // index_add_ instead of bincount: bincount reads the maximum back (a device sync).
        auto assigned = q.argmax(1);
        m_usage.index_add_(0, assigned, at::ones_like(assigned));
        m_entropySum += -(q * at::log(q.clamp_min(1e-12))).sum().to(at::kDouble);
        m_rows += q.size(0);
    }
    m_stdSum += embeddings.detach().to(at::kFloat).std(0).mean().to(at::kDouble);
    ++m_steps;
}

void EpochStatistics::finish(const at::Tensor& prototypes, EpochMetrics& out) const {
    torch::NoGradGuard noGrad;
    const double logK = std::log(static_cast<double>(m_numPrototypes));
    const double steps = std::max<int64_t>(1, m_steps);
    out.meanLoss = m_lossSum.item<double>() / steps;
    auto usage = m_usage.to(at::kCPU);
    out.prototypeUsage.assign(usage.data_ptr<int64_t>(), usage.data_ptr<int64_t>() + usage.numel());
    out.emptyPrototypes = static_cast<int>((usage == 0).sum().item<int64_t>());
    out.codeEntropy = m_rows > 0 ? m_entropySum.item<double>() / m_rows / logK : 0;
    const double total = usage.sum().item<double>();
    if (total > 0) {
        auto p = usage.to(at::kDouble) / total;
        out.usageEntropy = -(p * at::log(p.clamp_min(1e-300))).sum().item<double>() / logK;
    }
    const PrototypeCosines cosines = prototypeCosines(prototypes, 0.99);
    out.maxPrototypeCosine = cosines.max;
    out.nearDuplicatePrototypes = static_cast<int>(cosines.nearDuplicatePairs);
    out.embeddingStd = m_stdSum.item<double>() / steps;
    out.embeddingStdReference = 1.0 / std::sqrt(static_cast<double>(m_embeddingDim));
}

EpochStatistics EpochStatistics::summedOver(Collective& collective) const {
    EpochStatistics total = *this;
    auto sums = at::stack(
        {m_lossSum.to(at::kDouble), m_entropySum.to(at::kDouble), m_stdSum.to(at::kDouble),
         at::scalar_tensor(static_cast<double>(m_rows), m_lossSum.options().dtype(at::kDouble)),
         at::scalar_tensor(static_cast<double>(m_steps), m_lossSum.options().dtype(at::kDouble))});
    auto usage = m_usage.clone();
    collective.allReduceSum(sums);
    collective.allReduceSum(usage);
    total.m_lossSum = sums[0].clone();
    total.m_entropySum = sums[1].clone();
    total.m_stdSum = sums[2].clone();
    total.m_rows = static_cast<int64_t>(sums[3].item<double>());
    total.m_steps = static_cast<int64_t>(sums[4].item<double>());
    total.m_usage = usage;
    return total;
}

std::map<std::string, at::Tensor> EpochStatistics::state() const {
    return {{"loss_sum", m_lossSum},
            {"usage", m_usage},
            {"entropy_sum", m_entropySum},
            {"std_sum", m_stdSum},
            {"rows", at::tensor(m_rows, at::kLong)},
            {"steps", at::tensor(m_steps, at::kLong)}};
}

void EpochStatistics::restore(const std::map<std::string, at::Tensor>& state) {
    if (state.empty())
        return;
    const auto device = m_usage.device();
    m_lossSum = state.at("loss_sum").to(device);
    m_usage = state.at("usage").to(device);
    m_entropySum = state.at("entropy_sum").to(device);
    m_stdSum = state.at("std_sum").to(device);
    m_rows = state.at("rows").item<int64_t>();
    m_steps = state.at("steps").item<int64_t>();
}

} // namespace swav
