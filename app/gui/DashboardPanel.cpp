#include "DashboardPanel.h"

#include "LossPlot.h"
#include "MetricPlot.h"
#include "PrototypeUsageChart.h"
#include "train/RunHealth.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

namespace swav {

DashboardPanel::DashboardPanel(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* vertical = new QSplitter(Qt::Vertical, this);

    auto* lossBox = new QWidget(vertical);
    auto* lossLayout = new QVBoxLayout(lossBox);
    lossLayout->setContentsMargins(0, 0, 0, 0);
    auto* lossControls = new QHBoxLayout;
    auto* title = new QLabel(tr("<b>Loss</b> (swapped prediction, per report)"), lossBox);
    m_smoothing = new QSpinBox(lossBox);
    m_smoothing->setRange(1, 500);
    m_smoothing->setValue(20);
    m_smoothing->setSuffix(tr(" points"));
    m_smoothing->setToolTip(tr("Window of the moving average drawn over the raw loss."));
    lossControls->addWidget(title);
    lossControls->addStretch(1);
    lossControls->addWidget(new QLabel(tr("Smoothing:"), lossBox));
    lossControls->addWidget(m_smoothing);
    lossLayout->addLayout(lossControls);
    m_loss = new LossPlot(lossBox);
    lossLayout->addWidget(m_loss, 1);

    auto* row = new QSplitter(Qt::Horizontal, vertical);
    m_lr = new MetricPlot(tr("step"), tr("learning rate"), row);
    m_speed = new MetricPlot(tr("step"), tr("images/s"), row);
    m_knn = new MetricPlot(tr("epoch"), tr("online kNN top-1 (%)"), row);
    m_knn->setMarkers(true);
    m_knn->setIntegerX();

    m_usage = new PrototypeUsageChart(vertical);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setStretchFactor(2, 2);
    layout->addWidget(vertical);

    connect(m_smoothing, qOverload<int>(&QSpinBox::valueChanged), m_loss,
            &LossPlot::setSmoothingWindow);
}

void DashboardPanel::startRun(int prototypes) {
    m_prototypes = prototypes;
    m_loss->clear();
    m_loss->setPrototypeCount(prototypes);
    m_lr->clear();
    m_speed->clear();
    m_knn->clear();
    m_usage->clear();
}

void DashboardPanel::addStep(const StepMetrics& m) {
    const double step = double(m.step);
    m_loss->appendLoss(step, m.loss, m.prototypesFrozen, m.queueActive);
    m_lr->append(tr("learning rate"), step, m.lr);
    m_speed->append(tr("images/s"), step, m.imagesPerSecond);
}

void DashboardPanel::addEpoch(const EpochMetrics& m) {
    if (m.knnAccuracy >= 0)
        m_knn->append(tr("online kNN"), m.epoch + 1, 100.0 * m.knnAccuracy);
    UsageSummary summary;
    summary.usage.assign(m.prototypeUsage.begin(), m.prototypeUsage.end());
    summary.emptyPrototypes = m.emptyPrototypes;
    summary.codeEntropy = m.codeEntropy;
    summary.usageEntropy = m.usageEntropy;
    summary.maxPrototypeCosine = m.maxPrototypeCosine;
    summary.spread = m.embeddingStdReference > 0 ? m.embeddingStd / m.embeddingStdReference : 1.0;
    const HealthAssessment health = assessEpoch(m, m_prototypes);
    summary.healthLevel = int(health.level);
    for (const auto& hint : health.hints)
        summary.hints << QString::fromStdString(hint);
    m_usage->setSummary(summary);
}

} // namespace swav
