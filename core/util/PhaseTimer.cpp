#include "util/PhaseTimer.h"

#include <torch/cuda.h>

namespace swav {

const char* phaseName(Phase phase) {
    switch (phase) {
    case Phase::Data:
        return "data";
    case Phase::Augment:
        return "augment";
    case Phase::Forward:
        return "forward";
    case Phase::Sinkhorn:
        return "sinkhorn";
    case Phase::Loss:
        return "loss";
    case Phase::Backward:
        return "backward";
    case Phase::Optimizer:
        return "optimizer";
    case Phase::Count:
        break;
    }
    return "?";
}

PhaseTimer::PhaseTimer(at::Device device, bool synchronize)
    : m_device(device)
    , m_synchronize(synchronize && device.is_cuda())
    , m_last(std::chrono::steady_clock::now()) {}

void PhaseTimer::start() {
    if (m_synchronize)
        torch::cuda::synchronize(m_device.index());
    m_last = std::chrono::steady_clock::now();
}

void PhaseTimer::mark(Phase phase) {
    if (m_synchronize)
        torch::cuda::synchronize(m_device.index());
    const auto now = std::chrono::steady_clock::now();
    m_ms[static_cast<int>(phase)] +=
        std::chrono::duration<double, std::milli>(now - m_last).count();
    m_last = now;
}

double PhaseTimer::totalMilliseconds() const {
    double total = 0;
    for (double ms : m_ms)
        total += ms;
    return total;
}

void PhaseTimer::reset() {
    m_ms.fill(0.0);
}

} // namespace swav
