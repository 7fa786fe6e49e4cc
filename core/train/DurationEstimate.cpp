#include "train/DurationEstimate.h"

#include "data/Dataset.h"
#include "train/Trainer.h"
#include "train/TrainingObserver.h"

#include <chrono>
#include <vector>

namespace swav {

namespace {

/// The time each step was reported, and whether to stop.
class StepClock : public TrainingObserver {
public:
    StepClock(TrainingControl& control, std::function<bool()> cancelled)
        : m_control(control)
        , m_cancelled(std::move(cancelled)) {}

    void onStarted(const RunStarted& started) override { m_device = started.device; }
    void onStep(const StepMetrics& m) override {
        m_times.push_back(std::chrono::steady_clock::now());
        m_stepsPerEpoch = m.stepsPerEpoch;
        if (m_cancelled && m_cancelled())
            m_control.requestStop();
    }

    std::vector<std::chrono::steady_clock::time_point> m_times;
    int64_t m_stepsPerEpoch = 0;
    std::string m_device;

private:
    TrainingControl& m_control;
    std::function<bool()> m_cancelled;
};

} // namespace

Expected<StepTiming> measureStepTime(const ExperimentConfig& config, int steps,
                                     const std::function<bool()>& cancelled) {
    if (steps < 1)
        return Error{"measureStepTime: at least one step to time"};
    ExperimentConfig measured = config;
    measured.runtime.metricsEvery = 1; // every step reported, so that every step is timed
    measured.eval.knnEveryEpochs = 0;
    auto split = openDataset(measured.dataset);
    if (!split)
        return Error{split.error().message};
    TrainerOptions options;
    options.maxSteps = steps + 1;
    Trainer trainer(measured, split->train, options);
    TrainingControl control;
    StepClock clock(control, cancelled);
    trainer.addObserver(&clock);
    const RunOutcome outcome = trainer.run(control);
    if (cancelled && cancelled())
        return Error{"cancelled"};
    if (outcome.status == RunStatus::Failed)
        return Error{outcome.message};
    if (clock.m_times.size() < 2)
        return Error{"too few steps to time: the dataset holds less than two batches"};
    StepTiming timing;
    // From the end of the warm-up step to the end of the last one.
    timing.measuredSteps = int(clock.m_times.size()) - 1;
    timing.secondsPerStep =
        std::chrono::duration<double>(clock.m_times.back() - clock.m_times.front()).count() /
        timing.measuredSteps;
    timing.stepsPerEpoch = clock.m_stepsPerEpoch;
    timing.device = clock.m_device;
    return timing;
}

double expectedTrainingSeconds(const ExperimentConfig& config, const StepTiming& timing) {
    return timing.secondsPerStep * double(timing.stepsPerEpoch) * config.optim.epochs;
}

} // namespace swav
