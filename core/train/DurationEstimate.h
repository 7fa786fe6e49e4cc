#pragma once
// How long a configuration will train on this machine, measured rather than guessed: a few real
// training steps of the configuration on its own data, timed after a warm-up step, then
// extrapolated over the schedule.

#include "config/ExperimentConfig.h"
#include "util/Expected.h"

#include <cstdint>
#include <functional>
#include <string>

namespace swav {

struct StepTiming {
    double secondsPerStep = 0; // mean of the measured steps
    int64_t stepsPerEpoch = 0;
    int measuredSteps = 0;
    std::string device; // where it was measured ("cpu, 2 threads")
};

/// Trains `steps` + 1 steps of `config` in one process (no checkpoint, no record, no online kNN)
/// and times the last `steps`. `cancelled` is polled between steps. Fails with the reason the
/// run itself would fail with (missing data, too large for the memory, ...).
Expected<StepTiming> measureStepTime(const ExperimentConfig& config, int steps,
                                     const std::function<bool()>& cancelled = {});

/// Seconds of training steps for the whole schedule of `config` (its epochs) at `timing`; online
/// kNN evaluations and checkpoints come on top.
double expectedTrainingSeconds(const ExperimentConfig& config, const StepTiming& timing);

} // namespace swav
