#pragma once
// The workbench window: the experiment form, live dashboard, crops viewer, clusters, runs and
// evaluation as dockable panels (layout saved between sessions), a toolbar to start, pause,
// resume and stop runs, and a status bar with the device, the run, its step, speed and ETA.

#include "ImportWeightsDialog.h"
#include "LaunchedRunWorker.h"
#include "TrainingWorker.h" // the metatype declarations the signals below need
#include "config/ExperimentConfig.h"
#include "train/TrainingObserver.h"

#include <QMainWindow>

#include <memory>

class QAction;
class QDockWidget;
class QSpinBox;
class QLabel;
class QSystemTrayIcon;
class QTabWidget;
class QPlainTextEdit;
class QThread;
class QTimer;

namespace swav {

class ClustersPanel;
class CropsPanel;
class DashboardPanel;
class DatabaseWatch;
class DatasetCache;
class EvaluationPanel;
class ExperimentPanel;
class LabPanel;
class LossPlot;
class RunsPanel;
class StoredRunFollower;
namespace store {
class RunStore;
}

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `database`: the run database ("" = the default one under $XDG_DATA_HOME).
    explicit MainWindow(const QString& database = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Starts a run of the experiment form (Start on the toolbar). False when it cannot start.
    bool startFromForm();
    /// New run: the selected preset in the form again (asking before edits are discarded) and
    /// an empty dashboard. False when a run is in progress or the user keeps the edits.
    bool newRun();
    /// Continues a stopped or interrupted run of the database as the same run.
    bool resumeRun(qint64 runId);
    void stopRun();
    void setPaused(bool paused);
    /// Paused runs in this process: train stepCount() iterations, then pause again.
    void stepRun();
    bool isRunning() const { return m_worker != nullptr; }
    bool isPaused() const;
    qint64 currentRunId() const { return m_runId; }

    ExperimentPanel* experiment() const { return m_experiment; }
    DashboardPanel* dashboard() const { return m_dashboard; }
    LossPlot* lossPlot() const;
    /// Whether the run of the database on the dashboard is still polled for what it writes.
    bool followingStoredRun() const;
    CropsPanel* crops() const { return m_crops; }
    ClustersPanel* clusters() const { return m_clusters; }
    RunsPanel* runs() const { return m_runsPanel; }
    EvaluationPanel* evaluation() const { return m_evaluation; }
    LabPanel* lab() const { return m_lab; }
    /// Imports released weights as a new run in the background (Run > Import weights...);
    /// weightsImported() or a problem follows.
    void importWeights(const ImportChoice& choice);
    /// Marks runs whose process died (here or elsewhere) as interrupted; the window does this
    /// every few seconds. Returns how many it found.
    int checkRunLiveness();
    /// Fills the experiment form with a stored run's configuration.
    void newRunFrom(qint64 runId);
    /// Shows a run of the database on the dashboard, followed live while another process
    /// trains it. Refused (false, a problem shown) while this window trains a run.
    bool showStoredRun(qint64 runId);
    /// The run the dashboard follows from the database (0 = none).
    qint64 shownStoredRun() const;
    /// Brings the dashboard (0) or the lab (1) to the front of the central area.
    void showCentralView(int view);
    store::RunStore* runStore() const { return m_store.get(); }
    DatabaseWatch* databaseWatch() const { return m_databaseWatch; }
    QAction* startAction() const { return m_start; }
    QAction* pauseAction() const { return m_pause; }
    QAction* stopAction() const { return m_stop; }
    QAction* stepAction() const { return m_step; }
    QSpinBox* stepCount() const { return m_stepCount; }
    /// The last desktop notification (a run ended while the window was in the background).
    QString lastNotification() const { return m_lastNotification; }
    /// "GPU memory 3.1 GiB, peak 4.0 GiB" (or the process's memory on the CPU) during a run.
    QString memoryText() const;
    /// The last problem shown in the message bar ("" when none).
    QString lastProblem() const { return m_lastProblem; }

Q_SIGNALS:
    void runStarted(qint64 runId);
    void runFinished(const swav::RunOutcome& outcome);
    /// A run of this process holds, paused, before `step`.
    void runHeld(qint64 step);
    void weightsImported(qint64 runId);

protected:
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildActions();
    void buildDocks();
    /// View (the docks, the theme) and Help.
    void buildMenus(const QList<QDockWidget*>& docks);
    void connectPanels(QDockWidget* evaluationDock, QDockWidget* clustersDock);
    void startJob(WorkerJob job);
    void startLaunched(LaunchJob job);
    /// Connects a worker's signals and updates the window for a starting run.
    void watchWorker(const WorkerJob& job);
    void onStarted(const RunStarted& info);
    void onStep(const StepMetrics& m);
    void onEpoch(const EpochMetrics& m);
    void onFinished(const RunOutcome& outcome);
    void evaluateCurrent();
    void updateActions();
    /// Non-blocking: the message bar, the log and the status bar.
    void showProblem(const QString& message);
    /// The SHA-256 the run database recorded for a checkpoint of `run`, or "".
    QString recordedDigest(qint64 run, const QString& checkpoint) const;
    void log(const QString& line);
    /// Stops the run (checkpoint first) and blocks until its thread has ended.
    void stopAndWait();
    void saveLayout();
    /// A desktop notification (tray message where a tray exists, taskbar alert) when a run
    /// ends while the window is not the active one.
    void notifyIfAway(const RunOutcome& outcome);
    /// Presenter mode: the lab alone, every dock and the toolbar hidden meanwhile.
    void setPresenting(bool on);

    std::unique_ptr<store::RunStore> m_store;
    QString m_database;
    DatasetCache* m_datasets = nullptr;
    ExperimentPanel* m_experiment = nullptr;
    DashboardPanel* m_dashboard = nullptr;
    CropsPanel* m_crops = nullptr;
    ClustersPanel* m_clusters = nullptr;
    RunsPanel* m_runsPanel = nullptr;
    EvaluationPanel* m_evaluation = nullptr;
    LabPanel* m_lab = nullptr;
    QTabWidget* m_centralViews = nullptr;
    QByteArray m_stateBeforePresenting; // docks and toolbars, restored after presenter mode
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_messageBar = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_runLabel = nullptr;
    QLabel* m_progressLabel = nullptr;
    QLabel* m_memoryLabel = nullptr; // the training device's memory in use and its peak
    bool m_onGpu = false;            // the run trains on a CUDA device
    QAction* m_new = nullptr;
    QAction* m_start = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_stop = nullptr;
    QAction* m_step = nullptr;       // paused runs in this process: N iterations, then pause
    QSpinBox* m_stepCount = nullptr; // N
    QAction* m_evaluate = nullptr;
    QAction* m_import = nullptr;
    DatabaseWatch* m_databaseWatch = nullptr; // hold and changes of the run database
    QTimer* m_liveness = nullptr; // finds runs whose process died while the window is open
    StoredRunFollower* m_follower = nullptr; // a run of the database on the dashboard
    QThread* m_thread = nullptr;
    RunWorker* m_worker = nullptr; // the run in progress (in this process or launched)
    qint64 m_runId = 0;
    QString m_runName;
    QString m_runDir;
    QString m_lastCheckpoint;
    QString m_lastProblem;
    QString m_lastNotification;
    QSystemTrayIcon* m_tray = nullptr;
    int m_epochs = 0;
    int m_prototypes = 0;
};

} // namespace swav
