#include "optim/LrSchedule.h"

#include <algorithm>
#include <cmath>

namespace swav {

LrSchedule::LrSchedule(const OptimConfig& config, int64_t iterationsPerEpoch)
    : m_start(config.startWarmup)
    , m_base(config.baseLr)
    , m_final(config.finalLr)
    , m_total(std::max<int64_t>(1, iterationsPerEpoch * config.epochs)) {
    m_warmup = std::min<int64_t>(
        m_total, static_cast<int64_t>(std::llround(config.warmupEpochs * iterationsPerEpoch)));
}

double LrSchedule::at(int64_t iteration) const {
    iteration = std::clamp<int64_t>(iteration, 0, m_total - 1);
    if (iteration < m_warmup) {
        if (m_warmup == 1)
            return m_base;
        return m_start + (m_base - m_start) * static_cast<double>(iteration) / (m_warmup - 1);
    }
    const double t = static_cast<double>(iteration - m_warmup);
    const double span = static_cast<double>(m_total - m_warmup);
    return m_final + 0.5 * (m_base - m_final) * (1 + std::cos(M_PI * t / span));
}

} // namespace swav
