#include "LaunchedRunWorker.h"

#include "config/ConfigJson.h"
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

EpochMetrics epochFrom(const std::map<std::string, double>& values, int epoch, int64_t step) {
    EpochMetrics m;
    m.epoch = epoch;
    m.step = step;
    auto value = [&](const char* key, double fallback) {
        const auto it = values.find(key);
        return it == values.end() ? fallback : it->second;
    };
    m.meanLoss = value("epoch/loss", 0);
    m.emptyPrototypes = static_cast<int>(value("epoch/empty_prototypes", 0));
    m.codeEntropy = value("epoch/code_entropy", 0);
    m.usageEntropy = value("epoch/usage_entropy", 0);
    m.maxPrototypeCosine = value("epoch/max_prototype_cosine", 0);
    m.nearDuplicatePrototypes = static_cast<int>(value("epoch/near_duplicate_prototypes", 0));
    m.embeddingStd = value("epoch/embedding_std", 0);
    m.seconds = value("epoch/seconds", 0);
    m.knnAccuracy = value("epoch/knn_accuracy", -1);
    return m;
}

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
    // Steps and epochs committed since the last poll, read from the last epoch's step on (its
    // epoch rows may be committed after the step rows of the same step).
    std::map<int64_t, StepMetrics> steps;
    std::map<int64_t, std::pair<int, std::map<std::string, double>>> epochs;
    m_store->forEachMetric(
        m_runId,
        [&](const store::MetricPoint& p) {
            if (p.key.rfind("epoch/", 0) == 0) {
                if (p.epoch > m_lastEpoch) {
                    epochs[p.step].first = p.epoch;
                    epochs[p.step].second[p.key] = p.value;
                }
                return;
            }
            if (p.step <= m_lastStep)
                return;
            auto& m = steps[p.step];
            m.step = p.step, m.epoch = p.epoch;
            m.stepsPerEpoch = m_startInfo.stepsPerEpoch;
            m.stepInEpoch = p.step - int64_t(p.epoch) * m_startInfo.stepsPerEpoch;
            if (p.key == "loss")
                m.loss = p.value;
            else if (p.key == "lr")
                m.lr = p.value;
            else if (p.key == "images_per_second")
                m.imagesPerSecond = p.value;
            else if (p.key == "data_ms")
                m.dataMs = p.value;
            else if (p.key == "compute_ms")
                m.computeMs = p.value;
        },
        std::max<int64_t>(0, m_epochStep));
    const double globalBatch =
        double(m_job.job.config.optim.batchSize) * double(std::max(1, m_job.processes));
    for (auto& [step, m] : steps) {
        m.etaSeconds = m.imagesPerSecond > 0 ? double(m_startInfo.totalSteps - step - 1) *
                                                   globalBatch / m.imagesPerSecond
                                             : 0;
        m_lastStep = step;
        Q_EMIT this->step(m);
    }
    for (auto& [step, entry] : epochs) {
        EpochMetrics m = epochFrom(entry.second, entry.first, step);
        m.prototypeUsage = m_store->histogram(m_runId, "prototype_usage", entry.first);
        if (m.prototypeUsage.empty())
            break; // written just after the values: the next poll
        m_lastEpoch = entry.first;
        m_epochStep = step;
        Q_EMIT epoch(m);
    }
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
