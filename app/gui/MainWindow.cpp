#include "MainWindow.h"

#include "LossPlot.h"
#include "TrainingWorker.h"
#include "config/Presets.h"
#include "util/Strings.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QThread>
#include <QVBoxLayout>

#include <cmath>

namespace swav {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent) {
    setWindowTitle(tr("SwAV Workbench"));
    registerTrainingMetaTypes();

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    auto* controls = new QHBoxLayout;
    m_presets = new QComboBox(central);
    for (const auto& preset : allPresets())
        m_presets->addItem(QString::fromStdString(preset.name));
    m_presets->setCurrentText(QStringLiteral("fashion-mnist-quick"));
    m_start = new QPushButton(tr("Start"), central);
    m_stop = new QPushButton(tr("Stop"), central);
    m_stop->setToolTip(tr("Stops after the current step and writes a checkpoint"));
    controls->addWidget(new QLabel(tr("Preset:"), central));
    controls->addWidget(m_presets, 1);
    controls->addWidget(m_start);
    controls->addWidget(m_stop);
    layout->addLayout(controls);
    m_description = new QLabel(central);
    m_description->setWordWrap(true);
    layout->addWidget(m_description);

    auto* splitter = new QSplitter(Qt::Vertical, central);
    m_lossPlot = new LossPlot(splitter);
    m_log = new QPlainTextEdit(splitter);
    m_log->setReadOnly(true);
    m_log->setPlaceholderText(tr("Epoch summaries appear here: loss against ln K, empty "
                                 "prototypes, code and usage entropy, prototype similarity."));
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    m_status = new QLabel(tr("idle"), this);
    statusBar()->addPermanentWidget(m_status, 1);

    connect(m_presets, &QComboBox::currentTextChanged, this, &MainWindow::showPresetDescription);
    connect(m_start, &QPushButton::clicked, this, &MainWindow::startFromPreset);
    connect(m_stop, &QPushButton::clicked, this, &MainWindow::stopRun);
    showPresetDescription();
    updateButtons();
    resize(960, 680);
}

MainWindow::~MainWindow() {
    stopAndWait();
}

void MainWindow::stopAndWait() {
    if (!m_thread)
        return;
    // The window goes away: nobody listens to the worker any more.
    m_worker->disconnect(this);
    m_worker->requestStop();
    m_thread->quit();
    m_thread->wait();
    m_thread = nullptr;
    m_worker = nullptr;
}

void MainWindow::showPresetDescription() {
    const auto preset = findPreset(m_presets->currentText().toStdString());
    m_description->setText(preset ? QString::fromStdString(preset->description) : QString());
}

void MainWindow::startFromPreset() {
    ValidationReport warnings;
    auto config = loadPreset(m_presets->currentText().toStdString(), {}, &warnings);
    if (!config) {
        QMessageBox::warning(this, tr("Invalid configuration"),
                             QString::fromStdString(config.error().message));
        return;
    }
    const QString root = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
                         QStringLiteral("/swav-workbench/runs/");
    const QString name = QString::fromStdString(config->name) + QLatin1Char('-') +
                         QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    for (const auto& warning : warnings.warnings)
        m_log->appendPlainText(tr("warning: %1: %2")
                                   .arg(QString::fromStdString(warning.path),
                                        QString::fromStdString(warning.message)));
    startRun(*config, root + name);
}

void MainWindow::startRun(const ExperimentConfig& config, const QString& runDir) {
    if (m_thread)
        return;
    m_lossPlot->clear();
    m_lossPlot->setPrototypeCount(config.model.numPrototypes);
    m_prototypes = config.model.numPrototypes;
    m_thread = new QThread(this);
    m_worker = new TrainingWorker(config, runDir);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::started, m_worker, &TrainingWorker::run);
    connect(m_worker, &TrainingWorker::started, this, &MainWindow::onStarted);
    connect(m_worker, &TrainingWorker::step, this, &MainWindow::onStep);
    connect(m_worker, &TrainingWorker::epoch, this, &MainWindow::onEpoch);
    connect(m_worker, &TrainingWorker::checkpoint, this, [this](const CheckpointSaved& saved) {
        m_log->appendPlainText(tr("checkpoint %1").arg(QString::fromStdString(saved.path)));
    });
    connect(m_worker, &TrainingWorker::finished, this, &MainWindow::onFinished);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_log->appendPlainText(
        tr("starting %1 in %2").arg(QString::fromStdString(config.name), runDir));
    m_status->setText(tr("loading data..."));
    m_thread->start();
    updateButtons();
}

void MainWindow::stopRun() {
    if (m_worker) {
        m_worker->requestStop();
        m_status->setText(tr("stopping after this step..."));
    }
}

void MainWindow::onStarted(const RunStarted& info) {
    m_epochs = info.epochs;
    m_log->appendPlainText(tr("training on %1: %2 images, %3 steps per epoch")
                               .arg(QString::fromStdString(info.device))
                               .arg(info.datasetSize)
                               .arg(info.stepsPerEpoch));
}

void MainWindow::onStep(const StepMetrics& m) {
    m_lossPlot->appendLoss(static_cast<double>(m.step), m.loss);
    m_status->setText(tr("epoch %1/%2  step %3/%4  loss %5  %6 img/s  ETA %7%8")
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
    QString line = tr("epoch %1: loss %2 (ln K %3), empty prototypes %4/%5, code entropy %6, "
                      "usage entropy %7, max prototype cosine %8")
                       .arg(m.epoch + 1)
                       .arg(m.meanLoss, 0, 'f', 4)
                       .arg(std::log(double(std::max(2, m_prototypes))), 0, 'f', 3)
                       .arg(m.emptyPrototypes)
                       .arg(m_prototypes)
                       .arg(m.codeEntropy, 0, 'f', 3)
                       .arg(m.usageEntropy, 0, 'f', 3)
                       .arg(m.maxPrototypeCosine, 0, 'f', 3);
    // The failure modes of design notes, in plain words.
    if (std::abs(m.meanLoss - std::log(double(std::max(2, m_prototypes)))) < 0.01)
        line += tr("\n  the loss sits at ln K: codes are uniform (collapse). Try a lower "
                   "epsilon or freezing the prototypes longer.");
    if (m.emptyPrototypes > m_prototypes / 4)
        line += tr("\n  many prototypes are empty: batch (plus queue) may be too small for K.");
    if (m.nearDuplicatePrototypes > 0)
        line +=
            tr("\n  %1 pairs of prototypes are near duplicates.").arg(m.nearDuplicatePrototypes);
    m_log->appendPlainText(line);
}

void MainWindow::onFinished(const RunOutcome& outcome) {
    const QString message = QString::fromStdString(outcome.message);
    switch (outcome.status) {
    case RunStatus::Finished:
        m_log->appendPlainText(tr("finished: %1").arg(message));
        break;
    case RunStatus::Stopped:
        m_log->appendPlainText(tr("stopped: %1").arg(message));
        break;
    case RunStatus::Failed:
        m_log->appendPlainText(tr("failed: %1").arg(message));
        break;
    }
    m_status->setText(tr("idle"));
    m_thread->quit();
    m_thread->wait();
    m_thread->deleteLater();
    m_thread = nullptr;
    m_worker = nullptr;
    updateButtons();
    Q_EMIT runFinished(outcome);
}

void MainWindow::updateButtons() {
    m_start->setEnabled(!m_thread);
    m_presets->setEnabled(!m_thread);
    m_stop->setEnabled(m_thread != nullptr);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!m_thread) {
        event->accept();
        return;
    }
    const auto answer = QMessageBox::question(
        this, tr("Training is running"),
        tr("Stop the run? A checkpoint is written first so it can be resumed."));
    if (answer != QMessageBox::Yes) {
        event->ignore();
        return;
    }
    stopAndWait();
    event->accept();
}

} // namespace swav
