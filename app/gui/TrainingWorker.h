#pragma once
// Runs one training run on its own thread and turns the trainer's observer callbacks into Qt
// signals carrying small value structs (never tensors). Stop and pause are plain methods that
// set atomic flags: the worker's event loop is busy inside the training loop. The run is
// recorded in the run database through a recorder with its own connection.

#include "RunWorker.h"
#include "config/ExperimentConfig.h"
#include "store/RunFolders.h"

#include <atomic>
#include <memory>
#include <mutex>

namespace swav {

namespace store {
class RunRecorder;
}
struct RunPlan;     // workflow/TrainingRun.h
struct PreparedRun; // workflow/TrainingRun.h

struct WorkerJob {
    ExperimentConfig config;
    QString runDir;
    QString resumeFrom;             // run folder or checkpoint; "" = fresh
    QString database;               // run database; "" = not recorded
    qint64 runId = 0;               // existing record (resume); 0 = create one
    QString preset;                 // recorded with a new run
    store::ClaimedFolder newFolder; // made for a new run (runDir); empty when resuming
};

class TrainingWorker : public RunWorker, private TrainingObserver {
    Q_OBJECT
public:
    explicit TrainingWorker(WorkerJob job);
    ~TrainingWorker() override;

    /// Thread: any.
    void requestStop() override { m_control.requestStop(); }
    void setPaused(bool paused) override;
    bool paused() const override { return m_control.paused(); }
    /// Trains `steps` more iterations, reports them, and pauses again. Thread: any.
    void stepThenPause(int steps) { m_control.stepThenPause(steps); }
    /// The model as the trainer held it at its latest pause (null before any). Thread: any;
    /// a copy, so it stays valid after training goes on.
    std::shared_ptr<const HeldModel> heldModel() const;

public Q_SLOTS:
    /// Opens the dataset and trains; emits finished() at the end. Thread: the worker thread.
    void run();

private:
    void onStarted(const RunStarted& info) override { Q_EMIT started(info); }
    void onStep(const StepMetrics& m) override { Q_EMIT step(m); }
    void onEpoch(const EpochMetrics& m) override { Q_EMIT epoch(m); }
    void onCheckpoint(const CheckpointSaved& s) override { Q_EMIT checkpoint(s); }
    void onPaused(int64_t step) override { Q_EMIT held(step); }
    bool wantsHeldModel() const override { return true; }
    void onModelHeld(const std::shared_ptr<const HeldModel>& model) override;
    void onFinished(const RunOutcome&) override {} // emitted by run() once everything is done
    void fail(const std::string& message);
    RunPlan plan() const;

    WorkerJob m_job;
    TrainingControl m_control;
    std::unique_ptr<PreparedRun> m_prepared; // kept while the worker lives: see m_liveRecorder
    std::atomic<store::RunRecorder*> m_liveRecorder{nullptr}; // for setPaused from the GUI
    mutable std::mutex m_heldMutex;
    std::shared_ptr<const HeldModel> m_held; // guarded by m_heldMutex
};

} // namespace swav
