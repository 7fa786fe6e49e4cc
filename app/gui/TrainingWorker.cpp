#include "TrainingWorker.h"

#include "data/Dataset.h"
#include "store/CheckpointDigests.h"
#include "store/RunRecorder.h"
#include "train/Trainer.h"
#include "util/ErrorText.h"

namespace swav {

void registerTrainingMetaTypes() {
    qRegisterMetaType<RunStarted>();
    qRegisterMetaType<StepMetrics>();
    qRegisterMetaType<EpochMetrics>();
    qRegisterMetaType<CheckpointSaved>();
    qRegisterMetaType<RunOutcome>();
}

TrainingWorker::TrainingWorker(WorkerJob job)
    : m_job(std::move(job)) {}

TrainingWorker::~TrainingWorker() = default;

void TrainingWorker::setPaused(bool paused) {
    m_control.setPaused(paused);
    if (store::RunRecorder* recorder = m_liveRecorder.load())
        recorder->setPaused(paused);
}

void TrainingWorker::fail(const std::string& message) {
    RunOutcome outcome;
    outcome.status = RunStatus::Failed;
    outcome.message = message;
    if (m_recorder)
        m_recorder->onFinished(outcome);
    Q_EMIT finished(outcome);
}

void TrainingWorker::run() {
    const std::string database = m_job.database.toStdString();
    if (!database.empty()) {
        try {
            qint64 id = m_job.runId;
            if (id == 0) {
                auto runs = store::RunStore::open(database);
                if (!runs)
                    throw UserError(runs.error().message);
                id = (*runs)->createRun(
                    store::newRunFor(m_job.config, m_job.preset.toStdString(), m_job.newFolder));
            }
            m_recorder = std::make_unique<store::RunRecorder>(database, id);
            m_liveRecorder = m_recorder.get();
            Q_EMIT recorded(id);
        } catch (const UserError& e) {
            Q_EMIT problem(tr("The run is not recorded: %1").arg(QString::fromStdString(e.what())));
        }
    }
    RunOutcome outcome;
    try {
        auto split = openDataset(m_job.config.dataset);
        if (!split) {
            fail(split.error().message);
            return;
        }
        TrainerOptions options;
        options.runDir = m_job.runDir.toStdString();
        options.resumeFrom = m_job.resumeFrom.toStdString();
        if (!database.empty() && m_job.runId > 0 && !options.resumeFrom.empty())
            if (auto runs = store::RunStore::open(database))
                options.checkpointDigests = store::checkpointDigests(**runs, m_job.runId);
        if (m_job.config.eval.knnEveryEpochs > 0) {
            std::string why;
            options.monitor = knnMonitorSet(m_job.config.dataset, *split, &why);
            if (!options.monitor)
                Q_EMIT problem(tr("Online kNN is off: %1").arg(QString::fromStdString(why)));
        }
        Trainer trainer(m_job.config, split->train, options);
        trainer.addObserver(this);
        if (m_recorder)
            trainer.addObserver(m_recorder.get());
        outcome = trainer.run(m_control); // never throws
    } catch (const std::exception& e) {
        // Opening the data can run out of memory; the run must still end as failed.
        fail(describeException(e));
        return;
    }
    if (m_recorder) {
        m_recorder->flush();
        if (const std::string error = m_recorder->firstError(); !error.empty())
            Q_EMIT problem(tr("Some records did not reach the run database: %1")
                               .arg(QString::fromStdString(error)));
    }
    Q_EMIT finished(outcome);
}

std::shared_ptr<const HeldModel> TrainingWorker::heldModel() const {
    std::lock_guard<std::mutex> lock(m_heldMutex);
    return m_held;
}

void TrainingWorker::onModelHeld(const std::shared_ptr<const HeldModel>& model) {
    std::lock_guard<std::mutex> lock(m_heldMutex);
    m_held = model;
}

} // namespace swav
