#include "TrainingWorker.h"

#include "data/Dataset.h"
#include "train/Trainer.h"

namespace swav {

void registerTrainingMetaTypes() {
    qRegisterMetaType<RunStarted>();
    qRegisterMetaType<StepMetrics>();
    qRegisterMetaType<EpochMetrics>();
    qRegisterMetaType<CheckpointSaved>();
    qRegisterMetaType<RunOutcome>();
}

TrainingWorker::TrainingWorker(ExperimentConfig config, QString runDir)
    : m_config(std::move(config))
    , m_runDir(std::move(runDir)) {}

void TrainingWorker::run() {
    auto split = openDataset(m_config.dataset);
    if (!split) {
        RunOutcome outcome;
        outcome.status = RunStatus::Failed;
        outcome.message = split.error().message;
        Q_EMIT finished(outcome);
        return;
    }
    TrainerOptions options;
    options.runDir = m_runDir.toStdString();
    Trainer trainer(m_config, split->train, options);
    trainer.addObserver(this);
    Q_EMIT finished(trainer.run(m_control));
}

} // namespace swav
