#pragma once
// Per-iteration learning rate: linear warm-up from start_warmup to base_lr (endpoints
// included, as numpy.linspace), then cosine from base_lr to final_lr.

#include "config/ExperimentConfig.h"

#include <cstdint>

namespace swav {

class LrSchedule {
public:
    LrSchedule(const OptimConfig& config, int64_t iterationsPerEpoch);
    double at(int64_t iteration) const;
    int64_t totalIterations() const { return m_total; }
    int64_t warmupIterations() const { return m_warmup; }

private:
    double m_start, m_base, m_final;
    int64_t m_warmup, m_total;
};

} // namespace swav
