#include "LossPlot.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

QCPItemRect* makeSpan(QCustomPlot* plot, const QColor& colour, const QString& tooltip) {
    auto* rect = new QCPItemRect(plot);
    rect->setPen(Qt::NoPen);
    rect->setBrush(colour);
    rect->setLayer(QStringLiteral("background"));
    rect->setVisible(false);
    rect->setSelectable(false);
    rect->setObjectName(tooltip);
    // x in plot coordinates, y across the whole axis rect.
    rect->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
    rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
    rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    return rect;
}

} // namespace

LossPlot::LossPlot(QWidget* parent)
    : PlotPanel(parent) {
    QCustomPlot* p = plot();
    m_raw = p->addGraph();
    m_raw->setName(tr("loss (each report)"));
    m_raw->setPen(QPen(QColor(31, 119, 180, 70)));
    m_average = p->addGraph();
    m_average->setName(tr("moving average"));
    m_average->setPen(QPen(QColor(31, 119, 180), 2));
    m_guideLine = new QCPItemStraightLine(p);
    m_guideLine->setPen(QPen(QColor(214, 39, 40), 1, Qt::DashLine));
    m_guideLine->setVisible(false);
    m_frozenRect = makeSpan(p, QColor(148, 103, 189, 40), tr("prototypes frozen"));
    m_queueRect = makeSpan(p, QColor(44, 160, 44, 30), tr("queue in use"));
    // Legend entries for the guide and the spans.
    auto addLegendGraph = [&](const QString& name, const QPen& pen, const QBrush& brush) {
        QCPGraph* g = p->addGraph();
        g->setName(name);
        g->setPen(pen);
        g->setBrush(brush);
    };
    addLegendGraph(tr("ln K (uniform codes)"), QPen(QColor(214, 39, 40), 1, Qt::DashLine),
                   Qt::NoBrush);
    addLegendGraph(tr("prototypes frozen"), Qt::NoPen, QColor(148, 103, 189, 80));
    addLegendGraph(tr("queue in use"), Qt::NoPen, QColor(44, 160, 44, 70));
    p->xAxis->setLabel(tr("step"));
    p->yAxis->setLabel(tr("loss (nats)"));
    // The legend in a column beside the data: wherever the curve goes, it is never covered.
    auto* legendColumn = new QCPLayoutGrid;
    p->plotLayout()->addElement(0, 1, legendColumn);
    p->axisRect()->insetLayout()->take(p->legend);
    legendColumn->addElement(0, 0, p->legend);
    legendColumn->addElement(1, 0, new QCPLayoutElement(p)); // pushes the legend up
    legendColumn->setRowStretchFactor(1, 10);
    legendColumn->setMargins(QMargins(0, 0, 6, 0)); // the legend's frame stays inside the widget
    p->plotLayout()->setColumnStretchFactor(1, 0.001);
}

void LossPlot::clear() {
    m_steps.clear();
    m_losses.clear();
    m_smoothed.clear();
    m_raw->data()->clear();
    m_average->data()->clear();
    m_frozenFirst = 1;
    m_frozenLast = 0;
    m_queueStart = -1;
    setAutoFit(true);
    scheduleRedraw();
}

void LossPlot::setPrototypeCount(int prototypes) {
    m_guide = prototypes > 1 ? std::log(static_cast<double>(prototypes)) : 0;
    m_guideLine->point1->setCoords(0, m_guide);
    m_guideLine->point2->setCoords(1, m_guide);
    m_guideLine->setVisible(prototypes > 1);
    scheduleRedraw();
}

void LossPlot::setSmoothingWindow(int window) {
    m_window = std::max(1, window);
    // Recompute the average for the points already shown.
    m_smoothed.clear();
    m_average->data()->clear();
    double sum = 0;
    for (int i = 0; i < m_losses.size(); ++i) {
        sum += m_losses[i];
        if (i >= m_window)
            sum -= m_losses[i - m_window];
        m_smoothed.append(sum / std::min(i + 1, m_window));
        m_average->addData(m_steps[i], m_smoothed.last());
    }
    scheduleRedraw();
}

void LossPlot::appendLoss(double step, double loss, bool frozen, bool queue) {
    m_steps.append(step);
    m_losses.append(loss);
    const int first = std::max(0, int(m_losses.size()) - m_window);
    double sum = 0;
    for (int j = first; j < m_losses.size(); ++j)
        sum += m_losses[j];
    m_smoothed.append(sum / (m_losses.size() - first));
    m_raw->addData(step, loss);
    m_average->addData(step, m_smoothed.last());
    if (frozen) {
        if (m_frozenFirst > m_frozenLast)
            m_frozenFirst = step;
        m_frozenLast = step;
    }
    if (queue && m_queueStart < 0)
        m_queueStart = step;
    scheduleRedraw();
}

void LossPlot::beforeRedraw() {
    m_frozenRect->setVisible(m_frozenFirst <= m_frozenLast);
    m_frozenRect->topLeft->setCoords(m_frozenFirst, 0);
    m_frozenRect->bottomRight->setCoords(m_frozenLast, 1);
    const double lastStep = m_steps.isEmpty() ? 0 : m_steps.last();
    m_queueRect->setVisible(m_queueStart >= 0);
    m_queueRect->topLeft->setCoords(m_queueStart, 0);
    m_queueRect->bottomRight->setCoords(lastStep, 1);
}

void LossPlot::afterFit() {
    if (m_guide <= 0)
        return;
    const auto range = plot()->yAxis->range();
    plot()->yAxis->setRange(std::min(range.lower, m_guide * 0.95),
                            std::max(range.upper, m_guide * 1.05));
}

bool LossPlot::legendCoversData() const {
    const QCustomPlot* p = plot();
    p->legend->parentPlot()->replot(QCustomPlot::rpImmediateRefresh);
    return p->legend->visible() && p->axisRect()->rect().intersects(p->legend->outerRect());
}

} // namespace swav
