#pragma once
// The live dashboard: loss (raw, smoothed, ln K, frozen/queue spans), learning rate, images/s,
// online kNN accuracy, the latest epoch's prototype usage with its health line, and the usage of
// every epoch as a heat map (epoch x prototype). Fed by a run of this window or by a stored run
// read back from the database (RunReplay).

#include "train/TrainingObserver.h"

#include <QWidget>

#include <cstdint>
#include <vector>

class QLabel;
class QSpinBox;

namespace swav {

class LossPlot;
class MatrixHeatMap;
class MetricPlot;
class PrototypeUsageChart;

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    explicit DashboardPanel(QWidget* parent = nullptr);

    /// Empties every chart for a run with `prototypes` prototypes; `title` names the run.
    void startRun(int prototypes, const QString& title = {});
    void setTitle(const QString& title);
    QString title() const;
    void addStep(const StepMetrics& m);
    void addEpoch(const EpochMetrics& m);

    LossPlot* lossPlot() const { return m_loss; }
    MetricPlot* lrPlot() const { return m_lr; }
    MetricPlot* speedPlot() const { return m_speed; }
    MetricPlot* knnPlot() const { return m_knn; }
    PrototypeUsageChart* usageChart() const { return m_usage; }
    /// Epoch x prototype: each epoch's share of the assignments, prototypes sorted by their use
    /// over the whole run.
    MatrixHeatMap* usageHistory() const { return m_history; }

    /// The smoothed and the raw loss of the last report, as shown above the loss plot.
    QString lastLossText() const;

private:
    void updateUsageHistory();
    /// What each empty chart says it waits for (the epoch's end step, once known).
    void setWaitingTexts();
    void showLastLoss();
    /// Where an epoch report sits on the epoch axis: its epochs completed, fractional for a
    /// report made within an epoch.
    double epochsDone(const EpochMetrics& m) const;

    QLabel* m_title = nullptr;
    LossPlot* m_loss = nullptr;
    QSpinBox* m_smoothing = nullptr;
    MetricPlot* m_lr = nullptr;
    MetricPlot* m_speed = nullptr;
    MetricPlot* m_knn = nullptr;
    PrototypeUsageChart* m_usage = nullptr;
    MatrixHeatMap* m_history = nullptr;
    std::vector<std::vector<int64_t>> m_epochUsage; // [epoch][prototype]
    int m_prototypes = 0;
    QLabel* m_lossNow = nullptr;
    int64_t m_stepsPerEpoch = 0; // from the reports; 0 until the first
    int64_t m_lastStep = -1;
    double m_lastLoss = 0;
};

} // namespace swav
