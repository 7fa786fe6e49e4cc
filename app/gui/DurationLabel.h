#pragma once
// "Expected duration: about 1 min 50 s" under the preset: a few real training steps of the form's
// configuration, timed in the background once the form has been still for a moment and the
// label is on screen, then extrapolated over the schedule. Changing only the epochs needs no new
// measurement.

#include "config/ExperimentConfig.h"
#include "train/DurationEstimate.h"

#include <QFutureWatcher>
#include <QLabel>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

class QTimer;

namespace swav {

class DurationLabel : public QLabel {
    Q_OBJECT
public:
    explicit DurationLabel(QWidget* parent = nullptr);
    ~DurationLabel() override;

    /// The configuration Start would train (none while the form is invalid).
    void setConfig(const std::optional<ExperimentConfig>& config);
    /// Off while a run trains: a measurement would slow it and be slowed by it.
    void setActive(bool active);
    /// Measurements started so far (tests).
    int measurements() const { return m_measurements; }
    /// The expected seconds of training shown now; < 0 while unknown.
    double expectedSeconds() const { return m_expected; }

Q_SIGNALS:
    void estimated(double seconds);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void measureIfNeeded();
    void onMeasured();
    void show(const ExperimentConfig& config, const StepTiming& timing);

    QTimer* m_delay;
    QFutureWatcher<Expected<StepTiming>> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::optional<ExperimentConfig> m_config;
    std::string m_measuringKey; // what the running measurement times
    std::string m_timedKey;     // what m_timing timed
    std::optional<StepTiming> m_timing;
    bool m_active = true;
    int m_measurements = 0;
    double m_expected = -1;
};

} // namespace swav
