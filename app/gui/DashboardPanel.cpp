#include "DashboardPanel.h"

#include "LossPlot.h"
#include "MatrixHeatMap.h"
#include "MetricPlot.h"
#include "PrototypeUsageChart.h"
#include "train/RunHealth.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace swav {

namespace {

/// Rows = epochs, columns = prototypes by decreasing use over the run; each cell the prototype's
/// share of its epoch's assignments (epochs of different lengths compare).
HeatMatrix usageOverEpochs(const std::vector<std::vector<int64_t>>& perEpoch) {
    HeatMatrix m;
    size_t prototypes = 0;
    for (const auto& counts : perEpoch)
        prototypes = std::max(prototypes, counts.size());
    if (perEpoch.empty() || prototypes == 0)
        return m;
    std::vector<int64_t> total(prototypes, 0);
    for (const auto& counts : perEpoch)
        for (size_t k = 0; k < counts.size(); ++k)
            total[k] += counts[k];
    std::vector<int> order(prototypes);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return total[a] > total[b]; });
    m.rows = int(perEpoch.size());
    m.cols = int(prototypes);
    m.values.resize(m.rows * m.cols);
    for (int e = 0; e < m.rows; ++e) {
        const auto& counts = perEpoch[e];
        const double sum = double(std::accumulate(counts.begin(), counts.end(), int64_t(0)));
        for (int c = 0; c < m.cols; ++c) {
            const size_t k = size_t(order[c]);
            m.values[e * m.cols + c] = sum > 0 && k < counts.size() ? counts[k] / sum : 0.0;
        }
        m.rowLabels << QString::number(e + 1);
    }
    m.colIds = QVector<int>(order.begin(), order.end());
    m.rowName = QStringLiteral("epoch");
    m.colName = QStringLiteral("prototype");
    m.title = QObject::tr("Share of each epoch's assignments (prototypes by use over the run)");
    return m;
}

} // namespace

DashboardPanel::DashboardPanel(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->hide();
    layout->addWidget(m_title);
    auto* vertical = new QSplitter(Qt::Vertical, this);

    auto* lossBox = new QWidget(vertical);
    auto* lossLayout = new QVBoxLayout(lossBox);
    lossLayout->setContentsMargins(0, 0, 0, 0);
    auto* lossControls = new QHBoxLayout;
    auto* title = new QLabel(tr("<b>Loss</b> (swapped prediction)"), lossBox);
    m_lossNow = new QLabel(lossBox);
    m_lossNow->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_smoothing = new QSpinBox(lossBox);
    m_smoothing->setRange(0, 5000);
    m_smoothing->setValue(20);
    m_smoothing->setSuffix(tr(" steps"));
    m_smoothing->setSpecialValueText(tr("off"));
    m_smoothing->setToolTip(tr("Time constant of the smoothed loss, in steps: a report d steps "
                               "older weighs exp(-d / steps) as much (as TensorBoard smooths, "
                               "but by steps rather than reports)."));
    lossControls->addWidget(title);
    lossControls->addWidget(m_lossNow);
    lossControls->addStretch(1);
    lossControls->addWidget(new QLabel(tr("Smoothing:"), lossBox));
    lossControls->addWidget(m_smoothing);
    lossLayout->addLayout(lossControls);
    m_loss = new LossPlot(lossBox);
    m_loss->setSmoothingSteps(m_smoothing->value());
    lossLayout->addWidget(m_loss, 1);

    auto* row = new QSplitter(Qt::Horizontal, vertical);
    m_lr = new MetricPlot(tr("step"), tr("learning rate"), row);
    m_speed = new MetricPlot(tr("step"), tr("images/s"), row);
    // A short axis label: the row is low, a longer one is cut.
    m_knn = new MetricPlot(tr("epoch"), tr("kNN top-1 (%)"), row);
    m_knn->setToolTip(tr("Online kNN top-1 of the held-out images during training "
                         "(eval.knn_every_epochs)"));
    m_knn->setMarkers(true);
    m_knn->setIntegerX();

    auto* usageRow = new QSplitter(Qt::Horizontal, vertical);
    m_usage = new PrototypeUsageChart(usageRow);
    m_history = new MatrixHeatMap(usageRow);
    m_history->setToolTip(tr("Prototype usage of every epoch: a healthy run spreads over many "
                             "columns; a collapse shows as one bright column."));
    usageRow->setStretchFactor(0, 1);
    usageRow->setStretchFactor(1, 1);
    usageRow->setSizes({500, 500}); // half each, whatever their size hints
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setStretchFactor(2, 2);
    layout->addWidget(vertical);

    connect(m_smoothing, qOverload<int>(&QSpinBox::valueChanged), this, [this](int steps) {
        m_loss->setSmoothingSteps(steps);
        showLastLoss();
    });
    setWaitingTexts();
}

void DashboardPanel::setWaitingTexts() {
    // Until the first report the length of an epoch is unknown.
    const QString epochEnd = m_stepsPerEpoch > 0
                                 ? tr("at the end of epoch 1 (step %L1)").arg(m_stepsPerEpoch)
                                 : tr("at the end of the first epoch");
    m_loss->setEmptyText(tr("The loss appears with the first report (every "
                            "runtime.metrics_every steps)."));
    m_lr->setEmptyText(tr("The learning rate appears with the first report."));
    m_speed->setEmptyText(tr("The speed appears with the first report."));
    m_knn->setEmptyText(tr("Online kNN appears after each epoch that runs it "
                           "(eval.knn_every_epochs; 0 = off)."));
    m_usage->setEmptyText(tr("Prototype usage appears %1.").arg(epochEnd));
    m_history->setEmptyText(tr("The usage of every epoch appears here as a heat map, the first "
                               "row %1.")
                                .arg(epochEnd));
}

void DashboardPanel::showLastLoss() {
    const double smoothed = m_loss->lastSmoothed();
    m_lossNow->setText(std::isnan(smoothed) ? QString()
                                            : tr("step %L1: %2 (raw %3)")
                                                  .arg(m_lastStep)
                                                  .arg(smoothed, 0, 'f', 3)
                                                  .arg(m_lastLoss, 0, 'f', 3));
}

double DashboardPanel::epochsDone(const EpochMetrics& m) const {
    // Reports made within an epoch sit between its whole numbers; an epoch's end is at one.
    if (m_stepsPerEpoch > 0 && m.step >= 0)
        return double(m.step + 1) / double(m_stepsPerEpoch);
    return m.epoch + 1;
}

void DashboardPanel::startRun(int prototypes, const QString& title) {
    setTitle(title);
    m_prototypes = prototypes;
    m_epochUsage.clear();
    m_history->setMatrix({});
    m_loss->clear();
    m_loss->setPrototypeCount(prototypes);
    m_lr->clear();
    m_speed->clear();
    m_knn->clear();
    m_usage->clear();
    m_stepsPerEpoch = 0;
    m_lastStep = -1;
    setWaitingTexts();
    showLastLoss();
}

QString DashboardPanel::lastLossText() const {
    return m_lossNow->text();
}

void DashboardPanel::setTitle(const QString& title) {
    m_title->setText(title);
    m_title->setVisible(!title.isEmpty());
}

QString DashboardPanel::title() const {
    return m_title->text();
}

void DashboardPanel::addStep(const StepMetrics& m) {
    const double step = double(m.step);
    m_loss->appendLoss(step, m.loss, m.prototypesFrozen, m.queueActive);
    m_lr->append(tr("learning rate"), step, m.lr);
    m_speed->append(tr("images/s"), step, m.imagesPerSecond);
    m_lastStep = m.step;
    m_lastLoss = m.loss;
    showLastLoss();
    if (m.stepsPerEpoch > 0 && m.stepsPerEpoch != m_stepsPerEpoch) {
        m_stepsPerEpoch = m.stepsPerEpoch;
        setWaitingTexts();
    }
}

void DashboardPanel::addEpoch(const EpochMetrics& m) {
    if (m.knnAccuracy >= 0)
        m_knn->append(tr("online kNN"), epochsDone(m), 100.0 * m.knnAccuracy);
    // A replayed interim report whose histogram the epoch's later report replaced carries no
    // counts: the usage shown stays until that report arrives.
    if (m.interim && m.prototypeUsage.empty())
        return;
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
    if (m.epoch >= 0) {
        // A resumed run reports its epochs again from the checkpoint on.
        m_epochUsage.resize(size_t(m.epoch) + 1);
        m_epochUsage[size_t(m.epoch)] = m.prototypeUsage;
        updateUsageHistory();
    }
}

void DashboardPanel::updateUsageHistory() {
    m_history->setMatrix(usageOverEpochs(m_epochUsage));
}

} // namespace swav
