#pragma once
// A run trained by several processes: the window starts `swav train --nproc-per-node N` (the
// launcher of dist/WorkerLauncher.h), follows the run in the run database that rank 0 records
// into, and reaches every rank through the launcher: SIGTERM stops (rank 0 checkpoints), SIGUSR1
// pauses and SIGUSR2 resumes.

#include "RunWorker.h"
#include "TrainingWorker.h"

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <set>

class QTimer;

namespace swav {

namespace store {
class RunReplay;
class RunStore;
} // namespace store

struct LaunchJob {
    WorkerJob job;     // configuration, database, run to resume (no folder: the launcher makes it)
    int processes = 2; // ranks on this host
    QString device;    // "cpu" or "cuda"
    QString visibleGpus; // CUDA_VISIBLE_DEVICES of the ranks ("0,2"); "" = unchanged
};

class LaunchedRunWorker : public RunWorker {
    Q_OBJECT
public:
    explicit LaunchedRunWorker(LaunchJob job, QObject* parent = nullptr);
    ~LaunchedRunWorker() override;

    /// Starts the launcher. Thread: the GUI thread (the worker lives there).
    void start();
    void requestStop() override;
    void setPaused(bool paused) override;
    bool paused() const override { return m_paused; }
    /// The `swav` program that launches (SWAV_CLI, else beside this program, else on PATH).
    static QString launcherProgram();

private:
    QStringList arguments() const;
    void readOutput();
    void poll();
    void emitNewMetrics();
    void emitNewCheckpoints();
    void onExited(int exitCode, QProcess::ExitStatus status);
    void signalLauncher(int signal);

    LaunchJob m_job;
    QProcess* m_process = nullptr;
    QTimer* m_poll = nullptr;
    QTemporaryDir m_configDir;
    std::unique_ptr<store::RunStore> m_store;
    qint64 m_runId = 0;
    bool m_startedSent = false;
    RunStarted m_startInfo;
    std::unique_ptr<store::RunReplay> m_replay; // the run's metrics as the store receives them
    std::set<std::string> m_checkpoints;
    QStringList m_outputTail; // the last lines, for a failure without a record
    QByteArray m_partialLine;
    bool m_paused = false;
    bool m_finished = false;
};

} // namespace swav
