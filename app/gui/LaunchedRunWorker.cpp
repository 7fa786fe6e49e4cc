#include "LaunchedRunWorker.h"

#include "config/ConfigJson.h"
#include "store/RunReplay.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTimer>

#include <csignal>
#include <map>

namespace swav {

namespace {

constexpr int kPollMilliseconds = 500;

} // namespace

LaunchedRunWorker::LaunchedRunWorker(LaunchJob job, QObject* parent)
    : RunWorker(parent)
    , m_job(std::move(job))
    , m_process(new QProcess(this))
    , m_poll(new QTimer(this)) {
    m_poll->setInterval(kPollMilliseconds);
    connect(m_poll, &QTimer::timeout, this, &LaunchedRunWorker::poll);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &LaunchedRunWorker::readOutput);
    connect(m_process, &QProcess::finished, this, &LaunchedRunWorker::onExited);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            onExited(127, QProcess::CrashExit);
    });
}

LaunchedRunWorker::~LaunchedRunWorker() {
    if (m_process->state() != QProcess::NotRunning) {
        // The window goes away: every rank stops with a checkpoint.
        m_process->disconnect(this);
        signalLauncher(SIGTERM);
        m_process->waitForFinished(60000);
    }
}

QString LaunchedRunWorker::launcherProgram() {
    const QString fromEnvironment = qEnvironmentVariable("SWAV_CLI");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/swav");
    return QFileInfo(beside).isExecutable() ? beside : QStringLiteral("swav");
}

QStringList LaunchedRunWorker::arguments() const {
    QStringList args{QStringLiteral("train"), QStringLiteral("--nproc-per-node"),
                     QString::number(m_job.processes)};
    if (!m_job.job.database.isEmpty())
        args << QStringLiteral("--db") << m_job.job.database;
    else
        args << QStringLiteral("--no-store");
    if (m_job.job.runId > 0)
        return args << QStringLiteral("--resume") << QString::number(m_job.job.runId);
    return args << QStringLiteral("--config")
                << m_configDir.filePath(QStringLiteral("config.json"));
}

void LaunchedRunWorker::start() {
    if (m_job.job.runId == 0) {
        ExperimentConfig config = m_job.job.config;
        config.runtime.device = m_job.device.toStdString();
        QFile file(m_configDir.filePath(QStringLiteral("config.json")));
        if (!m_configDir.isValid() || !file.open(QIODevice::WriteOnly)) {
            Q_EMIT problem(tr("Cannot write the run's configuration for the launcher"));
            onExited(2, QProcess::NormalExit);
            return;
        }
        file.write(QByteArray::fromStdString(toJson(config).dump(2)));
    }
    auto environment = QProcessEnvironment::systemEnvironment();
    if (!m_job.visibleGpus.isEmpty())
        environment.insert(QStringLiteral("CUDA_VISIBLE_DEVICES"), m_job.visibleGpus);
    m_process->setProcessEnvironment(environment);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(launcherProgram(), arguments());
    if (!m_job.job.database.isEmpty()) {
        auto opened = store::RunStore::open(m_job.job.database.toStdString());
        if (opened)
            m_store = std::move(*opened);
        else
            Q_EMIT problem(QString::fromStdString(opened.error().message));
    }
    m_poll->start();
}

void LaunchedRunWorker::signalLauncher(int signal) {
    const qint64 pid = m_process->processId();
    if (pid > 0)
        ::kill(static_cast<pid_t>(pid), signal);
}

void LaunchedRunWorker::requestStop() {
    if (m_paused)
        setPaused(false);
    signalLauncher(SIGTERM);
}

void LaunchedRunWorker::setPaused(bool paused) {
    m_paused = paused;
    signalLauncher(paused ? SIGUSR1 : SIGUSR2);
    if (m_store && m_runId > 0) {
        try {
            m_store->setPausedIfActive(m_runId, paused);
        } catch (const std::exception& e) {
            Q_EMIT problem(QString::fromUtf8(e.what()));
        }
    }
}

void LaunchedRunWorker::readOutput() {
    static const QRegularExpression recordedLine(QStringLiteral("^run (\\d+) recorded in "));
    static const QRegularExpression trainingOn(
        QStringLiteral("^training on .*: (\\d+) images, (\\d+) steps per epoch, (\\d+) epochs"));
    m_partialLine += m_process->readAllStandardOutput();
    int end = 0;
    while ((end = m_partialLine.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_partialLine.left(end)).trimmed();
        m_partialLine.remove(0, end + 1);
        if (line.isEmpty())
            continue;
        m_outputTail << line;
        while (m_outputTail.size() > 20)
            m_outputTail.removeFirst();
        if (const auto match = recordedLine.match(line); match.hasMatch() && m_runId == 0) {
            m_runId = match.captured(1).toLongLong();
            Q_EMIT recorded(m_runId);
        } else if (const auto on = trainingOn.match(line); on.hasMatch()) {
            m_startInfo.datasetSize = on.captured(1).toLongLong();
            m_startInfo.stepsPerEpoch = on.captured(2).toLongLong();
            m_startInfo.epochs = on.captured(3).toInt();
            m_startInfo.totalSteps = m_startInfo.stepsPerEpoch * m_startInfo.epochs;
            m_startInfo.numPrototypes = m_job.job.config.model.numPrototypes;
            m_startInfo.worldSize = m_job.processes;
        }
    }
}

void LaunchedRunWorker::poll() {
    if (!m_store || m_runId == 0)
        return;
    try {
        const auto record = m_store->run(m_runId);
        if (!record)
            return;
        if (!m_startedSent && record->startedAt > 0 && m_startInfo.stepsPerEpoch > 0) {
            m_startInfo.runDir = record->runDir;
            m_startInfo.device = record->device;
            m_startedSent = true;
            Q_EMIT started(m_startInfo);
        }
        if (m_startedSent) {
            emitNewMetrics();
            emitNewCheckpoints();
        }
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromUtf8(e.what()));
    }
}

void LaunchedRunWorker::emitNewMetrics() {
    if (!m_replay)
        m_replay = std::make_unique<store::RunReplay>(m_runId, m_job.job.config);
    store::StoredProgress progress = m_replay->readNew(*m_store);
    const double globalBatch =
        double(m_job.job.config.optim.batchSize) * double(std::max(1, m_job.processes));
    for (StepMetrics& m : progress.steps) {
        // What the store does not hold: the position in the epoch and the time left.
        m.stepsPerEpoch = m_startInfo.stepsPerEpoch;
        m.stepInEpoch = m.step - int64_t(m.epoch) * m_startInfo.stepsPerEpoch;
        m.etaSeconds = m.imagesPerSecond > 0 ? double(m_startInfo.totalSteps - m.step - 1) *
                                                   globalBatch / m.imagesPerSecond
                                             : 0;
        Q_EMIT step(m);
    }
    for (const EpochMetrics& m : progress.epochs)
        Q_EMIT epoch(m);
}

void LaunchedRunWorker::emitNewCheckpoints() {
    for (const auto& c : m_store->checkpoints(m_runId)) {
        if (!m_checkpoints.insert(c.path).second)
            continue;
        CheckpointSaved saved;
        saved.path = c.path;
        saved.epoch = c.epoch;
        saved.step = c.step;
        saved.bytes = c.bytes;
        Q_EMIT checkpoint(saved);
    }
}

void LaunchedRunWorker::onExited(int exitCode, QProcess::ExitStatus status) {
    if (m_finished)
        return;
    m_finished = true;
    readOutput();
    poll();
    m_poll->stop();
    RunOutcome outcome;
    outcome.status =
        exitCode == 0 && status == QProcess::NormalExit ? RunStatus::Finished : RunStatus::Failed;
    outcome.message = m_outputTail.isEmpty() ? std::string() : m_outputTail.last().toStdString();
    if (m_store && m_runId > 0) {
        if (const auto record = m_store->run(m_runId)) {
            if (record->status == store::RunState::Stopped)
                outcome.status = RunStatus::Stopped;
            else if (record->status == store::RunState::Failed ||
                     record->status == store::RunState::Interrupted)
                outcome.status = RunStatus::Failed;
            if (!record->message.empty())
                outcome.message = record->message;
        }
        for (const auto& c : m_store->checkpoints(m_runId))
            if (c.exists)
                outcome.lastCheckpoint = c.path;
    }
    if (outcome.status == RunStatus::Failed && m_runId == 0)
        outcome.message = m_outputTail.join(QLatin1Char('\n')).toStdString();
    Q_EMIT finished(outcome);
}

} // namespace swav
