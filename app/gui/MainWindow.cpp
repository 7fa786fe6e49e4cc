#include "MainWindow.h"
#include "SwavVersion.h"

#include "AppIcon.h"
#include "ClustersPanel.h"
#include "ConfigForm.h"
#include "CropsPanel.h"
#include "DashboardPanel.h"
#include "DatabaseWatch.h"
#include "DatasetCache.h"
#include "DeviceInfo.h"
#include "DevicePicker.h"
#include "EvaluationPanel.h"
#include "ExperimentPanel.h"
#include "LabPanel.h"
#include "LossPlot.h"
#include "RunsPanel.h"
#include "StoredRunFollower.h"
#include "Theme.h"
#include "config/ConfigJson.h"
#include "runtime/HeldModel.h"
#include "store/CheckpointDigests.h"
#include "store/RunStore.h"
#include "train/RunHealth.h"
#include "util/Strings.h"
#include "workflow/ImportRun.h"
#include "workflow/TrainingRun.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <filesystem>

namespace swav {

namespace {

QDockWidget* makeDock(QMainWindow* window, const QString& title, const QString& name,
                      QWidget* content, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, window);
    dock->setObjectName(name); // the key of the saved layout
    // A narrow column scrolls its panel instead of widening the window past the screen.
    auto* scroll = new QScrollArea(dock);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    dock->setWidget(scroll);
    window->addDockWidget(area, dock);
    return dock;
}

} // namespace

MainWindow::MainWindow(const QString& database, QWidget* parent)
    : QMainWindow(parent)
    , m_database(database.isEmpty() ? QString::fromStdString(store::defaultDatabasePath())
                                    : database) {
    setWindowTitle(tr("SwAV Workbench"));
    setWindowIcon(applicationIcon());
    registerTrainingMetaTypes();
    auto opened = store::RunStore::open(m_database.toStdString());
    if (opened)
        m_store = std::move(*opened);

    m_datasets = new DatasetCache(this);
    auto* central = new QWidget(this);
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    m_messageBar = new QLabel(central);
    m_messageBar->setWordWrap(true);
    m_messageBar->setStyleSheet(QStringLiteral("QLabel { background: #fdecea; color: #8a1c1c; "
                                               "border: 1px solid #d62728; padding: 6px; }"));
    m_messageBar->setToolTip(tr("Click to dismiss"));
    m_messageBar->setVisible(false);
    m_messageBar->installEventFilter(this);
    centralLayout->addWidget(m_messageBar);
    // The dashboard and the teaching lab share the large central area.
    m_centralViews = new QTabWidget(central);
    m_centralViews->setDocumentMode(true);
    m_dashboard = new DashboardPanel(m_centralViews);
    // The lab's three matrices side by side need more width than a 1280-pixel screen leaves
    // the centre: it scrolls there instead of squeezing the docks to slivers.
    auto* labScroll = new QScrollArea(m_centralViews);
    labScroll->setWidgetResizable(true);
    labScroll->setFrameShape(QFrame::NoFrame);
    m_lab = new LabPanel(labScroll);
    labScroll->setWidget(m_lab);
    m_centralViews->addTab(m_dashboard, tr("Dashboard"));
    m_centralViews->addTab(labScroll, tr("Lab"));
    m_centralViews->setTabToolTip(1, tr("SwAV's mechanics on a real batch: Sinkhorn codes and "
                                        "the swapped prediction"));
    centralLayout->addWidget(m_centralViews, 1);
    setCentralWidget(central);

    buildActions();
    buildDocks();

    m_deviceLabel = new QLabel(defaultDeviceDescription(), this);
    m_deviceLabel->setToolTip(tr("Where runs train with device 'auto'"));
    m_runLabel = new QLabel(tr("no run"), this);
    m_progressLabel = new QLabel(this);
    statusBar()->addWidget(m_deviceLabel);
    statusBar()->addWidget(m_runLabel);
    m_memoryLabel = new QLabel(this);
    m_memoryLabel->setToolTip(tr("Memory of the training device: tensors held on the GPU, or "
                                 "this process's resident memory when training on the CPU"));
    statusBar()->addWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_progressLabel, 1);

    // The runs table follows the database: new runs, status changes, checkpoints, evaluations,
    // whoever wrote them.
    m_databaseWatch = new DatabaseWatch(m_store.get(), 1000, this);
    connect(m_databaseWatch, &DatabaseWatch::changed, m_runsPanel, &RunsPanel::followChanges);
    connect(m_databaseWatch, &DatabaseWatch::repaired, this, &MainWindow::showProblem);
    m_liveness = new QTimer(this);
    m_liveness->setInterval(5000);
    connect(m_liveness, &QTimer::timeout, this, &MainWindow::checkRunLiveness);
    m_liveness->start();
    m_follower = new StoredRunFollower(m_store.get(), m_dashboard, 1000, this);
    connect(m_follower, &StoredRunFollower::problem, this, &MainWindow::showProblem);
    connect(m_follower, &StoredRunFollower::updated, this,
            [this](qint64, const QString& summary) { m_runLabel->setText(summary); });
    connect(m_follower, &StoredRunFollower::ended, m_runsPanel, &RunsPanel::refresh);

    if (!opened)
        showProblem(
            tr("Runs are not recorded: %1").arg(QString::fromStdString(opened.error().message)));

    resize(1280, 800);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    // A first run shows results within about two minutes on a CPU.
    m_experiment->selectPreset(QStringLiteral("fashion-mnist-quick"));
    updateActions();
}

MainWindow::~MainWindow() {
    stopAndWait();
}

void MainWindow::buildActions() {
    QStyle* s = style();
    m_new = new QAction(s->standardIcon(QStyle::SP_FileIcon), tr("&New run"), this);
    m_new->setToolTip(tr("Start over: the selected preset in the form (asks before discarding "
                         "edits) and an empty dashboard"));
    m_start = new QAction(s->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this);
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_start->setToolTip(tr("Train the configured experiment (Ctrl+R)"));
    m_pause = new QAction(s->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Pause after the current step; press again to resume"));
    m_stop = new QAction(s->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this);
    m_stop->setToolTip(tr("Stop after the current step and write a checkpoint"));
    m_step = new QAction(s->standardIcon(QStyle::SP_MediaSeekForward), tr("Ste&p"), this);
    m_step->setToolTip(tr("Paused: train the number of iterations beside this button, show "
                          "them, and pause again"));
    m_stepCount = new QSpinBox(this);
    m_stepCount->setRange(1, 1000);
    m_stepCount->setSuffix(tr(" step(s)"));
    m_stepCount->setToolTip(tr("Iterations that Step trains before pausing again"));
    m_evaluate = new QAction(s->standardIcon(QStyle::SP_DialogApplyButton), tr("&Evaluate"), this);
    m_evaluate->setToolTip(tr("kNN / linear probe of the current or selected run's checkpoint"));

    auto* toolbar = addToolBar(tr("Run"));
    toolbar->setObjectName(QStringLiteral("runToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (QAction* action : {m_new, m_start, m_pause, m_step})
        toolbar->addAction(action);
    toolbar->addWidget(m_stepCount);
    for (QAction* action : {m_stop, m_evaluate})
        toolbar->addAction(action);

    m_import = new QAction(tr("&Import weights…"), this);
    m_import->setToolTip(tr("Make a run of released weights (SwAV release, torchvision ResNet, "
                            "an export) to evaluate, analyse and open in the Lab"));
    auto* runMenu = menuBar()->addMenu(tr("&Run"));
    for (QAction* action : {m_new, m_start, m_pause, m_step, m_stop, m_evaluate, m_import})
        runMenu->addAction(action);
    runMenu->addSeparator();
    runMenu->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    connect(m_new, &QAction::triggered, this, &MainWindow::newRun);
    connect(m_start, &QAction::triggered, this, &MainWindow::startFromForm);
    connect(m_pause, &QAction::toggled, this, &MainWindow::setPaused);
    connect(m_stop, &QAction::triggered, this, &MainWindow::stopRun);
    connect(m_step, &QAction::triggered, this, &MainWindow::stepRun);
    connect(m_evaluate, &QAction::triggered, this, &MainWindow::evaluateCurrent);
    connect(m_import, &QAction::triggered, this, [this] {
        ImportWeightsDialog dialog(this);
        if (dialog.exec() == QDialog::Accepted)
            importWeights(dialog.choice());
    });
}

void MainWindow::buildDocks() {
    m_experiment = new ExperimentPanel(m_datasets, this);
    m_crops = new CropsPanel(m_datasets, this);
    m_clusters = new ClustersPanel(m_store.get(), this);
    m_runsPanel = new RunsPanel(m_store.get(), this);
    m_evaluation = new EvaluationPanel(m_store.get(), this);
    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setPlaceholderText(tr("Run events, epoch summaries and problems appear here."));

    auto* experimentDock = makeDock(this, tr("Experiment"), QStringLiteral("experimentDock"),
                                    m_experiment, Qt::LeftDockWidgetArea);
    auto* cropsDock =
        makeDock(this, tr("Crops"), QStringLiteral("cropsDock"), m_crops, Qt::RightDockWidgetArea);
    auto* clustersDock = makeDock(this, tr("Clusters"), QStringLiteral("clustersDock"), m_clusters,
                                  Qt::RightDockWidgetArea);
    auto* evaluationDock = makeDock(this, tr("Evaluation"), QStringLiteral("evaluationDock"),
                                    m_evaluation, Qt::RightDockWidgetArea);
    auto* runsDock = makeDock(this, tr("Runs"), QStringLiteral("runsDock"), m_runsPanel,
                              Qt::RightDockWidgetArea);
    auto* logDock =
        makeDock(this, tr("Log"), QStringLiteral("logDock"), m_log, Qt::RightDockWidgetArea);
    // The dashboard keeps the full height; the other views share one tabbed column.
    tabifyDockWidget(cropsDock, clustersDock);
    tabifyDockWidget(clustersDock, evaluationDock);
    tabifyDockWidget(evaluationDock, runsDock);
    tabifyDockWidget(runsDock, logDock);
    cropsDock->raise();
    resizeDocks({experimentDock, cropsDock}, {360, 400}, Qt::Horizontal);

    buildMenus({experimentDock, cropsDock, clustersDock, evaluationDock, runsDock, logDock});
    connectPanels(evaluationDock, clustersDock);
}

void MainWindow::buildMenus(const QList<QDockWidget*>& docks) {
    auto* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : docks)
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    auto* themes = view->addMenu(tr("Theme"));
    auto* themeGroup = new QActionGroup(this);
    const int savedTheme = QSettings().value(QStringLiteral("window/theme"), 0).toInt();
    for (ThemeChoice choice : {ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark}) {
        QAction* action = themes->addAction(themeName(choice));
        action->setCheckable(true);
        action->setChecked(int(choice) == savedTheme);
        themeGroup->addAction(action);
        connect(action, &QAction::triggered, this, [choice] {
            applyTheme(choice);
            QSettings().setValue(QStringLiteral("window/theme"), int(choice));
        });
    }
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About SwAV Workbench"),
                           tr("<b>SwAV Workbench %1</b><p>SwAV self-supervised training "
                              "(Caron et al., 2020) with live diagnostics, cluster views and "
                              "local evaluation.</p><p>Run database: %2</p>")
                               .arg(QStringLiteral(SWAV_VERSION), m_database.toHtmlEscaped()));
    });
}

/// What one panel asks of another goes through the window.
void MainWindow::connectPanels(QDockWidget* evaluationDock, QDockWidget* clustersDock) {
    connect(m_experiment, &ExperimentPanel::validityChanged, this, [this] {
        updateActions();
        if (const auto config = m_experiment->validConfig()) {
            m_crops->setConfig(*config);
            m_lab->setFormConfig(*config);
        }
    });
    connect(m_crops, &CropsPanel::applyRequested, this,
            [this](const std::vector<CropGroupConfig>& groups) {
                for (size_t g = 0; g < groups.size(); ++g) {
                    const QString prefix = QStringLiteral("multicrop.crops[%1].").arg(g);
                    m_experiment->form()->setValue(prefix + QStringLiteral("min_scale"),
                                                   groups[g].minScale);
                    m_experiment->form()->setValue(prefix + QStringLiteral("max_scale"),
                                                   groups[g].maxScale);
                    m_experiment->form()->setValue(prefix + QStringLiteral("jitter_strength"),
                                                   groups[g].jitterStrength);
                }
                m_experiment->validateNow();
            });
    connect(m_runsPanel, &RunsPanel::resumeRequested, this, &MainWindow::resumeRun);
    connect(m_runsPanel, &RunsPanel::importRequested, m_import, &QAction::trigger);
    connect(m_runsPanel, &RunsPanel::newRunRequested, this, &MainWindow::newRunFrom);
    connect(m_runsPanel, &RunsPanel::showRequested, this, &MainWindow::showStoredRun);
    connect(m_experiment, &ExperimentPanel::problem, this, &MainWindow::showProblem);
    connect(m_runsPanel, &RunsPanel::evaluateRequested, this,
            [this, evaluationDock](qint64 run, const QString& checkpoint) {
                m_evaluation->setCheckpoint(run, checkpoint);
                evaluationDock->raise();
            });
    connect(m_runsPanel, &RunsPanel::analyzeRequested, this,
            [this, clustersDock](qint64 run, const QString& checkpoint) {
                clustersDock->raise();
                m_clusters->setCheckpoint(checkpoint, true, recordedDigest(run, checkpoint));
                m_lab->setCheckpoint(checkpoint, recordedDigest(run, checkpoint));
            });
    // The Lab's "selected run's checkpoint", and the one Clusters computes on request, is the
    // one the Runs panel offers.
    connect(m_runsPanel, &RunsPanel::checkpointSelected, this,
            [this](qint64 run, const QString& checkpoint) {
                if (checkpoint.isEmpty())
                    return;
                const QString digest = recordedDigest(run, checkpoint);
                m_lab->setCheckpoint(checkpoint, digest);
                if (!m_clusters->computing())
                    m_clusters->setCheckpoint(checkpoint, false, digest);
            });
    connect(m_lab, &LabPanel::problem, this, &MainWindow::showProblem);
    connect(m_lab, &LabPanel::presenterModeChanged, this, &MainWindow::setPresenting);
    connect(m_runsPanel, &RunsPanel::problem, this, &MainWindow::showProblem);
    connect(m_evaluation, &EvaluationPanel::problem, this, &MainWindow::showProblem);
    connect(m_clusters, &ClustersPanel::problem, this, &MainWindow::showProblem);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_messageBar && event->type() == QEvent::MouseButtonPress)
        m_messageBar->setVisible(false);
    return QMainWindow::eventFilter(watched, event);
}

LossPlot* MainWindow::lossPlot() const {
    return m_dashboard->lossPlot();
}

bool MainWindow::isPaused() const {
    return m_worker && m_worker->paused();
}

void MainWindow::showProblem(const QString& message) {
    m_lastProblem = message;
    m_messageBar->setText(message);
    m_messageBar->setVisible(true);
    log(tr("problem: %1").arg(message));
    statusBar()->showMessage(message, 10000);
}

void MainWindow::log(const QString& line) {
    m_log->appendPlainText(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss  ")) +
                           line);
}

bool MainWindow::startFromForm() {
    m_experiment->validateNow();
    const auto config = m_experiment->validConfig();
    if (!config) {
        showProblem(tr("The configuration has errors:\n%1").arg(m_experiment->problemsText()));
        return false;
    }
    if (m_worker)
        return false;
    const DevicePlan devices = m_experiment->devicePicker()->plan();
    if (devices.multiProcess()) {
        // The launcher makes the run's folder and records the run; the window follows it.
        LaunchJob launch;
        launch.job.config = *config;
        launch.job.preset = m_experiment->presetName();
        launch.processes = devices.processes;
        launch.device = devices.device;
        launch.visibleGpus = devices.visibleGpus;
        startLaunched(launch);
        return true;
    }
    // A folder of its own, never shared: made here, before the run starts.
    auto plan =
        planNewRun(*config, m_experiment->presetName().toStdString(), m_database.toStdString());
    if (!plan) {
        showProblem(QString::fromStdString(plan.error().message));
        return false;
    }
    WorkerJob job;
    job.config = plan->config;
    job.config.runtime.device = devices.device.toStdString();
    job.runDir = QString::fromStdString(plan->runDir);
    job.newFolder = plan->claimed;
    job.preset = m_experiment->presetName();
    startJob(job);
    return true;
}

bool MainWindow::resumeRun(qint64 runId) {
    if (m_worker || !m_store)
        return false;
    std::optional<store::RunRecord> record;
    try {
        record = m_store->run(runId);
    } catch (const std::exception& e) { // a damaged or vanished database
        showProblem(QString::fromStdString(e.what()));
        return false;
    }
    if (!record) {
        showProblem(tr("No run %1 in the database").arg(runId));
        return false;
    }
    auto plan = planContinuation(*record);
    if (!plan) {
        showProblem(QString::fromStdString(plan.error().message));
        return false;
    }
    WorkerJob job;
    job.config = plan->config;
    job.runDir = QString::fromStdString(plan->runDir);
    job.resumeFrom = QString::fromStdString(plan->resumeFrom);
    job.runId = runId;
    const DevicePlan devices = m_experiment->devicePicker()->plan();
    if (devices.multiProcess()) {
        LaunchJob launch;
        launch.job = job;
        launch.processes = devices.processes;
        launch.device = devices.device;
        launch.visibleGpus = devices.visibleGpus;
        startLaunched(launch);
        return true;
    }
    startJob(job);
    return true;
}

void MainWindow::startJob(WorkerJob job) {
    if (m_worker)
        return;
    if (m_store)
        job.database = m_database;
    m_thread = new QThread(this);
    auto* worker = new TrainingWorker(job);
    worker->moveToThread(m_thread);
    connect(m_thread, &QThread::started, worker, &TrainingWorker::run);
    connect(m_thread, &QThread::finished, worker, &QObject::deleteLater);
    m_worker = worker;
    watchWorker(job);
    m_thread->start();
}

void MainWindow::startLaunched(LaunchJob launch) {
    if (m_worker)
        return;
    if (m_store)
        launch.job.database = m_database;
    auto* worker = new LaunchedRunWorker(launch, this);
    m_worker = worker;
    watchWorker(launch.job);
    log(tr("%1 processes: %2 --nproc-per-node %1")
            .arg(launch.processes)
            .arg(LaunchedRunWorker::launcherProgram()));
    worker->start();
}

void MainWindow::watchWorker(const WorkerJob& job) {
    m_follower->stop();
    m_dashboard->startRun(job.config.model.numPrototypes);
    m_prototypes = job.config.model.numPrototypes;
    m_epochs = job.config.optim.epochs;
    m_runName = QString::fromStdString(job.config.name);
    m_runDir = job.runDir;
    m_runId = job.runId;
    m_lastCheckpoint.clear();
    m_messageBar->setVisible(false);
    connect(m_worker, &RunWorker::recorded, this, [this](qint64 id) {
        m_runId = id;
        m_runsPanel->setActiveRun(id);
        m_runsPanel->refresh();
        m_runLabel->setText(tr("run %1: %2").arg(id).arg(m_runName));
        Q_EMIT runStarted(id);
    });
    connect(m_worker, &RunWorker::started, this, &MainWindow::onStarted);
    connect(m_worker, &RunWorker::step, this, &MainWindow::onStep);
    connect(m_worker, &RunWorker::epoch, this, &MainWindow::onEpoch);
    connect(m_worker, &RunWorker::held, this, [this](qint64 step) {
        m_progressLabel->setText(tr("paused before step %1").arg(shownStepNumber(step)));
        if (auto* local = qobject_cast<TrainingWorker*>(m_worker))
            if (auto model = local->heldModel())
                m_lab->setHeldModel(std::move(model));
        Q_EMIT runHeld(step);
    });
    connect(m_worker, &RunWorker::checkpoint, this, [this](const CheckpointSaved& saved) {
        m_lastCheckpoint = QString::fromStdString(saved.path);
        log(tr("checkpoint %1 (%2)")
                .arg(m_lastCheckpoint, QString::fromStdString(formatBytes(double(saved.bytes)))));
        m_clusters->onNewCheckpoint(m_lastCheckpoint);
    });
    connect(m_worker, &RunWorker::problem, this, &MainWindow::showProblem);
    connect(m_worker, &RunWorker::finished, this, &MainWindow::onFinished);
    log(job.runDir.isEmpty() ? tr("starting %1").arg(m_runName)
                             : tr("starting %1 in %2").arg(m_runName, job.runDir));
    m_runLabel->setText(tr("run: %1").arg(m_runName));
    m_progressLabel->setText(tr("opening the dataset..."));
    m_experiment->setEditable(false);
    updateActions();
}

void MainWindow::importWeights(const ImportChoice& choice) {
    if (choice.file.isEmpty()) {
        showProblem(tr("Import: choose a weights file"));
        return;
    }
    std::vector<std::string> overrides;
    for (const QString& assignment : choice.overrides)
        overrides.push_back(assignment.toStdString());
    ImportRequest request;
    request.file = choice.file.toStdString();
    request.preset = choice.preset.toStdString();
    auto config = importConfig(request.preset, overrides, choice.name.toStdString(), request.file);
    if (!config) {
        showProblem(tr("Import: %1").arg(QString::fromStdString(config.error().message)));
        return;
    }
    request.config = *config;
    struct Outcome {
        qint64 runId = 0;
        QString text; // summary, or the error
    };
    // Loading and writing a ResNet-50 takes seconds: its own thread and database connection.
    const std::string database = m_database.toStdString();
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher] {
        const Outcome outcome = watcher->result();
        watcher->deleteLater();
        if (outcome.runId == 0) {
            showProblem(tr("Import failed: %1").arg(outcome.text));
            return;
        }
        log(tr("imported run %1: %2").arg(outcome.runId).arg(outcome.text));
        statusBar()->showMessage(tr("Imported run %1").arg(outcome.runId), 10000);
        m_runsPanel->refresh();
        m_runsPanel->selectRuns({outcome.runId});
        Q_EMIT weightsImported(outcome.runId);
    });
    log(tr("importing %1").arg(choice.file));
    watcher->setFuture(QtConcurrent::run([database, request] {
        Outcome outcome;
        auto runs = store::RunStore::open(database);
        if (!runs) {
            outcome.text = QString::fromStdString(runs.error().message);
            return outcome;
        }
        const auto imported = importRun(**runs, database, request);
        if (!imported)
            outcome.text = QString::fromStdString(imported.error().message);
        else {
            outcome.runId = imported->runId;
            outcome.text = QString::fromStdString(imported->report.summary());
        }
        return outcome;
    }));
}

int MainWindow::checkRunLiveness() {
    if (!m_store)
        return 0;
    try {
        const int dead = m_store->markInterruptedRuns();
        if (dead > 0) {
            log(tr("%n run(s) found interrupted: their process is gone", nullptr, dead));
            m_runsPanel->refresh();
        }
        return dead;
    } catch (const std::exception& e) {
        showProblem(QString::fromStdString(e.what()));
        return 0;
    }
}

void MainWindow::newRunFrom(qint64 runId) {
    try {
        const auto record = m_store ? m_store->run(runId) : std::nullopt;
        if (!record) {
            showProblem(tr("No run %1 in the database").arg(runId));
            return;
        }
        m_experiment->loadConfigJson(QString::fromStdString(record->configJson),
                                     tr("run %1").arg(runId));
        if (auto* dock = findChild<QDockWidget*>(QStringLiteral("experimentDock")))
            dock->raise();
        log(tr("the form holds run %1's configuration").arg(runId));
    } catch (const std::exception& e) { // the database may fail under us
        showProblem(QString::fromStdString(e.what()));
    }
}

void MainWindow::notifyIfAway(const RunOutcome& outcome) {
    if (isActiveWindow())
        return; // the user is looking
    const QString title = outcome.status == RunStatus::Finished  ? tr("Run finished")
                          : outcome.status == RunStatus::Stopped ? tr("Run stopped")
                                                                 : tr("Run failed");
    const QString text = tr("%1: %2").arg(m_runName, QString::fromStdString(outcome.message));
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        if (!m_tray) {
            m_tray = new QSystemTrayIcon(windowIcon(), this);
            m_tray->setToolTip(windowTitle());
        }
        m_tray->show();
        m_tray->showMessage(title, text,
                            outcome.status == RunStatus::Failed ? QSystemTrayIcon::Critical
                                                                : QSystemTrayIcon::Information,
                            15000);
    }
    QApplication::alert(this); // the taskbar entry asks for attention
    m_lastNotification = title + QStringLiteral(" — ") + text;
}

bool MainWindow::newRun() {
    if (m_worker)
        return false;
    if (!m_experiment->confirmDiscardEdits(
            tr("New run puts preset %1 back into the form.").arg(m_experiment->presetName())))
        return false;
    m_experiment->selectPreset(m_experiment->presetName());
    // The previous run's curves leave the dashboard; it stays in Runs.
    m_follower->stop();
    const auto config = m_experiment->validConfig();
    m_dashboard->startRun(config ? config->model.numPrototypes : 0);
    m_runLabel->setText(tr("no run"));
    m_messageBar->setVisible(false);
    m_lastCheckpoint.clear();
    m_runId = 0;
    return true;
}

QString MainWindow::memoryText() const {
    return m_memoryLabel->text();
}

bool MainWindow::showStoredRun(qint64 runId) {
    if (m_worker) {
        showProblem(tr("The dashboard shows this window's run while it trains; run %1 stays in "
                       "Runs until then.")
                        .arg(runId));
        return false;
    }
    QString error;
    if (!m_follower->follow(runId, &error)) {
        showProblem(error);
        return false;
    }
    // The window's own last run leaves the dashboard: Evaluate takes the run selected in Runs.
    m_runId = 0;
    m_lastCheckpoint.clear();
    m_memoryLabel->clear(); // the memory of this window's last run says nothing about this one
    showCentralView(0);
    return true;
}

qint64 MainWindow::shownStoredRun() const {
    return m_follower->runId();
}

bool MainWindow::followingStoredRun() const {
    return m_follower->following();
}

void MainWindow::showCentralView(int view) {
    m_centralViews->setCurrentIndex(view);
}

void MainWindow::setPresenting(bool on) {
    if (on) {
        m_stateBeforePresenting = saveState();
        for (auto* dock : findChildren<QDockWidget*>())
            dock->hide();
        // The run toolbar stays: Pause, Step and its count drive the lesson.
        for (auto* toolbar : findChildren<QToolBar*>())
            toolbar->setVisible(toolbar->objectName() == QStringLiteral("runToolbar"));
        showCentralView(1);
    } else if (!m_stateBeforePresenting.isEmpty()) {
        restoreState(m_stateBeforePresenting);
        m_stateBeforePresenting.clear();
    }
}

void MainWindow::stopRun() {
    if (!m_worker)
        return;
    m_worker->requestStop();
    m_progressLabel->setText(tr("stopping after this step (checkpoint first)..."));
}

void MainWindow::setPaused(bool paused) {
    if (!m_worker)
        return;
    m_worker->setPaused(paused);
    {
        const QSignalBlocker block(m_pause);
        m_pause->setChecked(paused);
    }
    m_pause->setText(paused ? tr("&Resume") : tr("&Pause"));
    m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_progressLabel->setText(paused ? tr("paused") : tr("resuming..."));
    log(paused ? tr("paused") : tr("resumed"));
    updateActions();
}

void MainWindow::stepRun() {
    auto* local = qobject_cast<TrainingWorker*>(m_worker);
    if (!local || !local->paused())
        return;
    const int steps = m_stepCount->value();
    local->stepThenPause(steps);
    m_progressLabel->setText(tr("stepping %n iteration(s), then pausing", nullptr, steps));
    log(tr("stepping %n iteration(s)", nullptr, steps));
}

QString MainWindow::recordedDigest(qint64 run, const QString& checkpoint) const {
    if (!m_store)
        return {};
    try {
        return QString::fromStdString(
            store::recordedDigest(*m_store, run, checkpoint.toStdString()));
    } catch (const std::exception&) {
        return {}; // the file is then read without the recorded digest to compare
    }
}

void MainWindow::onStarted(const RunStarted& info) {
    m_epochs = info.epochs;
    m_deviceLabel->setText(QString::fromStdString(info.device));
    m_onGpu = info.device.rfind("cuda", 0) == 0;
    m_memoryLabel->clear();
    log(tr("training on %1: %L2 images, %3 steps per epoch, %4%5")
            .arg(QString::fromStdString(info.device))
            .arg(info.datasetSize)
            .arg(info.stepsPerEpoch)
            .arg(QString::fromStdString(info.precision))
            .arg(info.startStep > 0 ? tr(", resumed at step %1").arg(info.startStep) : QString()));
    for (const auto& note : info.notes)
        showProblem(QString::fromStdString(note));
}

void MainWindow::onStep(const StepMetrics& m) {
    m_dashboard->addStep(m);
    updateActions(); // a stepped run may have paused again
    if (m.memoryBytes >= 0)
        m_memoryLabel->setText(tr("%1 %2, peak %3")
                                   .arg(m_onGpu ? tr("GPU memory") : tr("memory"),
                                        QString::fromStdString(formatBytes(double(m.memoryBytes))),
                                        QString::fromStdString(formatBytes(
                                            double(std::max(m.memoryPeakBytes, m.memoryBytes))))));
    if (m_worker && m_worker->paused())
        return;
    m_progressLabel->setText(
        tr("epoch %1/%2  step %3/%4  loss %5  %6 images/s  ETA %7%8")
            .arg(m.epoch + 1)
            .arg(m_epochs)
            .arg(m.stepInEpoch + 1)
            .arg(m.stepsPerEpoch)
            .arg(m.loss, 0, 'f', 4)
            .arg(m.imagesPerSecond, 0, 'f', 0)
            .arg(QString::fromStdString(formatDuration(m.etaSeconds)))
            .arg(m.prototypesFrozen ? tr("  (prototypes frozen)") : QString()));
}

void MainWindow::onEpoch(const EpochMetrics& m) {
    m_dashboard->addEpoch(m);
    if (m.interim) { // the epoch so far (runtime.statistics_every): a short line
        log(tr("epoch %1 so far (run step %2): usage entropy %3, empty prototypes %4/%5%6")
                .arg(m.epoch + 1)
                .arg(m.step + 1)
                .arg(m.usageEntropy, 0, 'f', 3)
                .arg(m.emptyPrototypes)
                .arg(m_prototypes)
                .arg(m.knnAccuracy >= 0 ? tr(", kNN %1 %").arg(100 * m.knnAccuracy, 0, 'f', 2)
                                        : QString()));
        return;
    }
    QString line =
        tr("epoch %1: loss %2 (ln K %3), empty prototypes %4/%5, code entropy %6, "
           "usage entropy %7, max prototype cosine %8%9")
            .arg(m.epoch + 1)
            .arg(m.meanLoss, 0, 'f', 4)
            .arg(std::log(double(std::max(2, m_prototypes))), 0, 'f', 3)
            .arg(m.emptyPrototypes)
            .arg(m_prototypes)
            .arg(m.codeEntropy, 0, 'f', 3)
            .arg(m.usageEntropy, 0, 'f', 3)
            .arg(m.maxPrototypeCosine, 0, 'f', 3)
            .arg(m.knnAccuracy >= 0 ? tr(", kNN %1 %").arg(100 * m.knnAccuracy, 0, 'f', 2)
                                    : QString());
    for (const auto& hint : assessEpoch(m, m_prototypes).hints)
        line += QStringLiteral("\n    ") + QString::fromStdString(hint);
    log(line);
}

void MainWindow::onFinished(const RunOutcome& outcome) {
    const QString message = QString::fromStdString(outcome.message);
    switch (outcome.status) {
    case RunStatus::Finished:
        log(tr("finished: %1").arg(message));
        break;
    case RunStatus::Stopped:
        log(tr("stopped: %1 (resume it from Runs)").arg(message));
        break;
    case RunStatus::Failed:
        showProblem(tr("The run failed: %1").arg(message));
        break;
    }
    m_progressLabel->setText(tr("idle"));
    notifyIfAway(outcome);
    if (m_thread) { // the in-process worker goes with its thread
        m_thread->quit();
        m_thread->wait();
        m_thread->deleteLater();
        m_thread = nullptr;
    } else {
        m_worker->deleteLater();
    }
    m_worker = nullptr;
    m_lab->setHeldModel(nullptr); // nothing holds any more
    m_runsPanel->setActiveRun(0);
    m_runsPanel->refresh();
    m_experiment->setEditable(true);
    {
        const QSignalBlocker block(m_pause);
        m_pause->setChecked(false);
    }
    m_pause->setText(tr("&Pause"));
    m_pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    if (!outcome.lastCheckpoint.empty()) {
        m_lastCheckpoint = QString::fromStdString(outcome.lastCheckpoint);
        m_evaluation->setCheckpoint(m_runId, m_lastCheckpoint);
        m_clusters->setCheckpoint(m_lastCheckpoint, false,
                                  recordedDigest(m_runId, m_lastCheckpoint));
        m_lab->setCheckpoint(m_lastCheckpoint, recordedDigest(m_runId, m_lastCheckpoint));
    }
    updateActions();
    Q_EMIT runFinished(outcome);
}

void MainWindow::evaluateCurrent() {
    QString checkpoint = m_lastCheckpoint;
    qint64 run = m_runId;
    if (checkpoint.isEmpty() && m_store) {
        const auto selected = m_runsPanel->selectedRuns();
        if (!selected.isEmpty()) {
            run = selected.last();
            try {
                for (const auto& c : m_store->checkpoints(run))
                    if (c.exists)
                        checkpoint = QString::fromStdString(c.path);
            } catch (const std::exception& e) {
                showProblem(QString::fromStdString(e.what()));
                return;
            }
        }
    }
    if (checkpoint.isEmpty()) {
        showProblem(tr("Nothing to evaluate yet: train a run, or select one with a checkpoint "
                       "in Runs."));
        return;
    }
    if (auto* dock = findChild<QDockWidget*>(QStringLiteral("evaluationDock")))
        dock->raise();
    m_evaluation->setCheckpoint(run, checkpoint);
    m_evaluation->start();
}

void MainWindow::updateActions() {
    const bool running = m_worker != nullptr;
    m_start->setEnabled(!running && m_experiment->isValid());
    m_start->setToolTip(
        m_experiment->isValid()
            ? tr("Train the configured experiment (Ctrl+R)")
            : tr("Fix the configuration first:\n%1").arg(m_experiment->problemsText()));
    m_new->setEnabled(!running);
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
    // Stepping drives the trainer of this process; launched processes only pause and resume.
    const bool canStep = running && m_worker->paused() && qobject_cast<TrainingWorker*>(m_worker);
    m_step->setEnabled(canStep);
    m_stepCount->setEnabled(canStep);
}

void MainWindow::stopAndWait() {
    if (!m_worker)
        return;
    // The window goes away: nobody listens to the worker any more.
    m_worker->disconnect(this);
    m_worker->setPaused(false);
    m_worker->requestStop();
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        m_thread = nullptr;
    } else {
        delete m_worker; // waits for the launched processes to checkpoint and end
    }
    m_worker = nullptr;
}

void MainWindow::saveLayout() {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    // Presenter mode's hidden docks are not the layout to come back to.
    settings.setValue(QStringLiteral("window/state"),
                      m_stateBeforePresenting.isEmpty() ? saveState() : m_stateBeforePresenting);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_worker) {
        const auto answer = QMessageBox::question(
            this, tr("Training is running"),
            tr("Stop the run? A checkpoint is written first so it can be resumed."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        stopAndWait();
    }
    saveLayout();
    event->accept();
}

} // namespace swav
