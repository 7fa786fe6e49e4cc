#pragma once
// The live dashboard: loss (raw, smoothed, ln K, frozen/queue spans), learning rate, images/s,
// online kNN accuracy, and the prototype usage chart with its health line.

#include "train/TrainingObserver.h"

#include <QWidget>

class QSpinBox;

namespace swav {

class LossPlot;
class MetricPlot;
class PrototypeUsageChart;

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    explicit DashboardPanel(QWidget* parent = nullptr);

    void startRun(int prototypes);
    void addStep(const StepMetrics& m);
    void addEpoch(const EpochMetrics& m);

    LossPlot* lossPlot() const { return m_loss; }
    MetricPlot* lrPlot() const { return m_lr; }
    MetricPlot* speedPlot() const { return m_speed; }
    MetricPlot* knnPlot() const { return m_knn; }
    PrototypeUsageChart* usageChart() const { return m_usage; }

private:
    LossPlot* m_loss = nullptr;
    QSpinBox* m_smoothing = nullptr;
    MetricPlot* m_lr = nullptr;
    MetricPlot* m_speed = nullptr;
    MetricPlot* m_knn = nullptr;
    PrototypeUsageChart* m_usage = nullptr;
    int m_prototypes = 0;
};

} // namespace swav
