#pragma once
// Wall-clock time per phase of a training step. With `synchronize`, the device is synchronised
// at every mark so that asynchronous CUDA work is charged to the right phase (benchmarks only:
// it slows training).

#include <ATen/Device.h>

#include <array>
#include <chrono>

namespace swav {

enum class Phase { Data, Augment, Forward, Sinkhorn, Loss, Backward, Optimizer, Count };
const char* phaseName(Phase phase);

class PhaseTimer {
public:
    PhaseTimer(at::Device device, bool synchronize);
    /// Starts timing from now (call at the beginning of a step).
    void start();
    /// Charges the time since the last mark to `phase`.
    void mark(Phase phase);
    double milliseconds(Phase phase) const { return m_ms[static_cast<int>(phase)]; }
    double totalMilliseconds() const;
    void reset();

private:
    at::Device m_device;
    bool m_synchronize;
    std::chrono::steady_clock::time_point m_last;
    std::array<double, static_cast<int>(Phase::Count)> m_ms{};
};

} // namespace swav
