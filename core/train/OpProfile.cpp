#include "train/OpProfile.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <map>

namespace swav {

const char* const kOptimiserScope = "swav::optimiser";

namespace prof = torch::autograd::profiler;

OpProfile::OpProfile() {
    prof::enableProfilerLegacy(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
}

OpProfile::~OpProfile() {
    if (m_active)
        prof::disableProfilerLegacy();
}

namespace {

bool contains(const std::string& text, const char* part) {
    return text.find(part) != std::string::npos;
}

} // namespace

std::string operatorKind(const std::string& name, bool inOptimiser) {
    if (inOptimiser)
        return "optimiser";
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (contains(lower, "conv"))
        return "convolution";
    if (contains(lower, "batch_norm") || contains(lower, "batchnorm"))
        return "batch norm";
    if (contains(lower, "addmm") || contains(lower, "::mm") || contains(lower, "mmbackward") ||
        contains(lower, "linear") || contains(lower, "matmul"))
        return "linear";
    if (contains(lower, "softmax") || contains(lower, "exp") || contains(lower, "log"))
        return "loss and Sinkhorn";
    if (contains(lower, "pool") || contains(lower, "mean"))
        return "pooling";
    return "elementwise and copies";
}

std::vector<KindTime> OpProfile::finish() {
    m_active = false;
    const prof::thread_event_lists threads = prof::disableProfilerLegacy();
    std::map<std::string, KindTime> kinds;
    std::map<std::string, KindTime> operators;
    for (const auto& events : threads) {
        // Each push has its pop on the same thread, nested: a stack gives self times.
        struct Open {
            const prof::LegacyEvent* event;
            double childrenUs;
            bool inOptimiser;
        };
        std::vector<Open> stack;
        for (const auto& e : events) {
            if (e.kind() == prof::EventKind::PushRange) {
                const bool optimiser = (!stack.empty() && stack.back().inOptimiser) ||
                                       std::string(e.name()) == kOptimiserScope;
                stack.push_back({&e, 0.0, optimiser});
            } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
                const Open open = stack.back();
                stack.pop_back();
                const double totalUs = open.event->cpuElapsedUs(e);
                if (!stack.empty())
                    stack.back().childrenUs += totalUs;
                const std::string name = open.event->name();
                if (name == kOptimiserScope)
                    continue; // its operators carry the time
                const std::string kind = operatorKind(name, open.inOptimiser);
                const double selfMs = std::max(0.0, totalUs - open.childrenUs) / 1000.0;
                // The same operator counts apart in the optimiser and in the network.
                for (KindTime* k : {&kinds[kind], &operators[name + " (" + kind + ")"]}) {
                    k->milliseconds += selfMs;
                    ++k->calls;
                }
            }
        }
    }
    const auto byTime = [](const KindTime& a, const KindTime& b) {
        return a.milliseconds > b.milliseconds;
    };
    m_operators.clear();
    for (auto& [name, time] : operators) {
        time.kind = name;
        m_operators.push_back(time);
    }
    std::sort(m_operators.begin(), m_operators.end(), byTime);
    std::vector<KindTime> out;
    for (auto& [name, time] : kinds) {
        time.kind = name;
        out.push_back(time);
    }
    std::sort(out.begin(), out.end(), byTime);
    return out;
}

} // namespace swav
