#include "TrainingWorker.h"

#include "store/RunRecorder.h"
#include "workflow/TrainingRun.h"

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
    Q_EMIT finished(outcome);
}

RunPlan TrainingWorker::plan() const {
    RunPlan plan;
    plan.config = m_job.config;
    plan.runDir = m_job.runDir.toStdString();
    plan.claimed = m_job.newFolder;
    plan.resumeFrom = m_job.resumeFrom.toStdString();
    plan.preset = m_job.preset.toStdString();
    plan.runId = m_job.runId;
    return plan;
}

void TrainingWorker::run() {
    auto prepared = prepareRun(plan(), m_job.database.toStdString());
    if (!prepared) {
        fail(prepared.error().message);
        return;
    }
    m_prepared = std::make_unique<PreparedRun>(std::move(*prepared));
    m_liveRecorder = m_prepared->recorder.get();
    if (m_prepared->recorder)
        Q_EMIT recorded(m_prepared->plan.runId);
    for (const auto& notice : m_prepared->notices)
        Q_EMIT problem(QString::fromStdString(notice));
    std::string recordError;
    const RunOutcome outcome = trainPrepared(*m_prepared, m_control, {this}, &recordError);
    if (!recordError.empty())
        Q_EMIT problem(tr("Some records did not reach the run database: %1")
                           .arg(QString::fromStdString(recordError)));
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
