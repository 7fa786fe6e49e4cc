#include "DurationLabel.h"

#include "config/ConfigJson.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace swav {

namespace {

constexpr int kMeasuredSteps = 3;

/// Everything that changes the time of a step: the configuration without its name, seed and
/// number of epochs.
std::string timingKey(const ExperimentConfig& config) {
    nlohmann::json json = toJson(config);
    json.erase("name");
    json["optim"].erase("epochs");
    json["runtime"].erase("seed");
    return json.dump();
}

} // namespace

DurationLabel::DurationLabel(QWidget* parent)
    : QLabel(parent)
    , m_delay(new QTimer(this)) {
    setWordWrap(true);
    setToolTip(tr("Measured on this machine: a few training steps of this configuration, timed "
                  "after a warm-up step and extrapolated over the epochs (one process; online "
                  "kNN and checkpoints add a little)."));
    // Typing settles first: a measurement costs a few seconds of both cores.
    m_delay->setSingleShot(true);
    m_delay->setInterval(800);
    connect(m_delay, &QTimer::timeout, this, &DurationLabel::measureIfNeeded);
    connect(&m_watcher, &QFutureWatcher<Expected<StepTiming>>::finished, this,
            &DurationLabel::onMeasured);
}

DurationLabel::~DurationLabel() {
    if (m_cancel)
        m_cancel->store(true);
    m_watcher.waitForFinished();
}

void DurationLabel::setConfig(const std::optional<ExperimentConfig>& config) {
    m_config = config;
    if (!config) {
        m_expected = -1;
        setText(tr("Expected duration: fix the form first"));
        return;
    }
    if (m_timing && m_timedKey == timingKey(*config)) {
        show(*config, *m_timing); // only the epochs (or name, seed) changed
        return;
    }
    m_expected = -1;
    setText(tr("Expected duration: measuring on this machine..."));
    m_delay->start();
}

void DurationLabel::setActive(bool active) {
    m_active = active;
    if (!active) {
        m_delay->stop();
        if (m_cancel)
            m_cancel->store(true);
        if (m_expected < 0) // nothing measures while a run trains: say so
            setText(tr("Expected duration: measured once no run trains"));
    } else if (m_config) {
        setConfig(m_config);
    }
}

void DurationLabel::measureIfNeeded() {
    if (!m_active || !m_config)
        return;
    if (!isVisible())
        return; // showEvent() measures once the label is on screen

    const std::string key = timingKey(*m_config);
    if (m_watcher.isRunning()) {
        // Measuring something older: stop it; onMeasured() starts this one.
        if (key != m_measuringKey && m_cancel)
            m_cancel->store(true);
        return;
    }
    m_measuringKey = key;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    ++m_measurements;
    m_watcher.setFuture(QtConcurrent::run([config = *m_config, cancel = m_cancel] {
        return measureStepTime(config, kMeasuredSteps, [cancel] { return cancel->load(); });
    }));
}

void DurationLabel::showEvent(QShowEvent* event) {
    QLabel::showEvent(event);
    if (m_active && m_config && m_expected < 0)
        m_delay->start();
}

void DurationLabel::onMeasured() {
    const Expected<StepTiming> timing = m_watcher.result();
    const bool current = m_config && timingKey(*m_config) == m_measuringKey;
    if (timing && current) {
        m_timing = timing.value();
        m_timedKey = m_measuringKey;
        show(*m_config, *m_timing);
        return;
    }
    if (!current || !m_active) {
        if (m_active && m_config)
            m_delay->start(); // the form changed meanwhile: measure what it holds now
        return;
    }
    m_expected = -1;
    setText(
        tr("Expected duration: unknown (%1)").arg(QString::fromStdString(timing.error().message)));
}

void DurationLabel::show(const ExperimentConfig& config, const StepTiming& timing) {
    m_expected = expectedTrainingSeconds(config, timing);
    const int64_t steps = timing.stepsPerEpoch * config.optim.epochs;
    setText(tr("Expected duration: about %1 (%2 steps at %3 s, measured on %4)")
                .arg(QString::fromStdString(formatDuration(m_expected)))
                .arg(steps)
                .arg(timing.secondsPerStep, 0, 'f', timing.secondsPerStep < 0.1 ? 3 : 2)
                .arg(QString::fromStdString(timing.device)));
    Q_EMIT estimated(m_expected);
}

} // namespace swav
