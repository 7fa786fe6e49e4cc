#pragma once
// What the window drives during a run, whether it trains in this process (TrainingWorker, on its
// own thread) or in processes started by the launcher (LaunchedRunWorker): the same signals, the
// same stop and pause.

#include "train/TrainingObserver.h"

#include <QMetaType>
#include <QObject>
#include <QString>

namespace swav {

class RunWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    /// Stop after the current step, with a checkpoint. Thread: any.
    virtual void requestStop() = 0;
    virtual void setPaused(bool paused) = 0;
    virtual bool paused() const = 0;

Q_SIGNALS:
    void recorded(qint64 runId); // the run's id in the database
    void started(const swav::RunStarted& info);
    void step(const swav::StepMetrics& metrics);
    void epoch(const swav::EpochMetrics& metrics);
    void checkpoint(const swav::CheckpointSaved& saved);
    /// The trainer holds, paused, before this global step (runs in this process only).
    void held(qint64 step);
    /// A non-fatal problem (the database could not be written, ...).
    void problem(const QString& message);
    void finished(const swav::RunOutcome& outcome);
};

/// Registers the value types above for queued connections.
void registerTrainingMetaTypes();

} // namespace swav

Q_DECLARE_METATYPE(swav::RunStarted)
Q_DECLARE_METATYPE(swav::StepMetrics)
Q_DECLARE_METATYPE(swav::EpochMetrics)
Q_DECLARE_METATYPE(swav::CheckpointSaved)
Q_DECLARE_METATYPE(swav::RunOutcome)
