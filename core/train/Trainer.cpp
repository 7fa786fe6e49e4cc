#include "train/Trainer.h"

#include "train/TrainingSession.h"
#include "util/ErrorText.h"

namespace swav {

struct Trainer::State {
    ExperimentConfig config;
    std::shared_ptr<Dataset> dataset;
    TrainerOptions options;
    std::vector<TrainingObserver*> observers;
    PhaseTimer timer{at::kCPU, false};
};

Trainer::Trainer(ExperimentConfig config, std::shared_ptr<Dataset> dataset, TrainerOptions options)
    : m_state(std::make_unique<State>()) {
    m_state->config = std::move(config);
    m_state->dataset = std::move(dataset);
    m_state->options = std::move(options);
}

Trainer::~Trainer() = default;

void Trainer::addObserver(TrainingObserver* observer) {
    m_state->observers.push_back(observer);
}

const PhaseTimer& Trainer::phaseTimes() const {
    return m_state->timer;
}

RunOutcome Trainer::run(TrainingControl& control) {
    auto& st = *m_state;
    TrainingSession session(st.config, st.dataset, st.options, st.observers, st.timer);
    RunOutcome outcome;
    try {
        outcome = session.run(control);
    } catch (const std::exception& e) {
        // Set-up (data, memory, checkpoint, allocations) and every step fail the same way: the
        // run ends as failed, with a readable reason and the steps done so far.
        outcome = session.outcome();
        outcome.status = RunStatus::Failed;
        outcome.message = describeException(e);
    } catch (...) {
        outcome = session.outcome();
        outcome.status = RunStatus::Failed;
        outcome.message = "unexpected error (not a std::exception)";
    }
    for (auto* observer : st.observers)
        observer->onFinished(outcome);
    return outcome;
}

} // namespace swav
