#pragma once
// Runs one training run on its own thread and turns the trainer's observer callbacks into Qt
// signals carrying small value structs (never tensors). Stop and pause are plain methods that
// set atomic flags: the worker's event loop is busy inside the training loop.

#include "config/ExperimentConfig.h"
#include "train/TrainingObserver.h"

#include <QMetaType>
#include <QObject>
#include <QString>

namespace swav {

class TrainingWorker : public QObject, private TrainingObserver {
    Q_OBJECT
public:
    TrainingWorker(ExperimentConfig config, QString runDir);

    /// Thread: any.
    void requestStop() { m_control.requestStop(); }
    void setPaused(bool paused) { m_control.setPaused(paused); }

public Q_SLOTS:
    /// Opens the dataset and trains; emits finished() at the end. Thread: the worker thread.
    void run();

Q_SIGNALS:
    void started(const swav::RunStarted& info);
    void step(const swav::StepMetrics& metrics);
    void epoch(const swav::EpochMetrics& metrics);
    void checkpoint(const swav::CheckpointSaved& saved);
    void finished(const swav::RunOutcome& outcome);

private:
    void onStarted(const RunStarted& info) override { Q_EMIT started(info); }
    void onStep(const StepMetrics& m) override { Q_EMIT step(m); }
    void onEpoch(const EpochMetrics& m) override { Q_EMIT epoch(m); }
    void onCheckpoint(const CheckpointSaved& s) override { Q_EMIT checkpoint(s); }
    void onFinished(const RunOutcome&) override {} // emitted by run() once everything is done

    ExperimentConfig m_config;
    QString m_runDir;
    TrainingControl m_control;
};

/// Registers the value types above for queued connections.
void registerTrainingMetaTypes();

} // namespace swav

Q_DECLARE_METATYPE(swav::RunStarted)
Q_DECLARE_METATYPE(swav::StepMetrics)
Q_DECLARE_METATYPE(swav::EpochMetrics)
Q_DECLARE_METATYPE(swav::CheckpointSaved)
Q_DECLARE_METATYPE(swav::RunOutcome)
