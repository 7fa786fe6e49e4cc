#include "LossPlot.h"

#include "Theme.h"

#include <qcustomplot.h>

#include <QEvent>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

const QColor kLossColour(31, 119, 180);

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
    m_smoothedGraph = p->addGraph();
    m_smoothedGraph->setName(tr("smoothed"));
    recolour();
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
    placeLegendBeside();
}

void LossPlot::changeEvent(QEvent* event) {
    PlotPanel::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        recolour();
}

void LossPlot::recolour() {
    // The raw line is drawn opaque in a lighter shade: a translucent one vanished on dark themes.
    const QColor background = palette().color(QPalette::Base);
    const QColor curve = readableOn(kLossColour, background);
    m_raw->setPen(QPen(rawSeriesColour(kLossColour, background), 1.2));
    m_smoothedGraph->setPen(QPen(curve, 2));
    scheduleRedraw();
}

void LossPlot::clear() {
    m_steps.clear();
    m_losses.clear();
    m_smoothed.clear();
    m_average = 0;
    m_weightSum = 0;
    m_raw->data()->clear();
    m_smoothedGraph->data()->clear();
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

void LossPlot::setSmoothingSteps(double steps) {
    m_smoothingSteps = std::max(0.0, steps);
    // Smooth the points already shown again.
    m_smoothed.clear();
    m_smoothedGraph->data()->clear();
    m_average = 0;
    m_weightSum = 0;
    for (int i = 0; i < m_losses.size(); ++i)
        smoothNewestOf(i);
    scheduleRedraw();
}

void LossPlot::smoothNewestOf(int index) {
    // Steps between this report and the previous one; a repeated step counts as one.
    const double distance = index > 0 ? std::max(1.0, m_steps[index] - m_steps[index - 1]) : 1.0;
    const double keep = m_smoothingSteps > 0 ? std::exp(-distance / m_smoothingSteps) : 0.0;
    m_average = keep * m_average + (1 - keep) * m_losses[index];
    m_weightSum = keep * m_weightSum + (1 - keep);
    m_smoothed.append(m_average / m_weightSum);
    m_smoothedGraph->addData(m_steps[index], m_smoothed.last());
}

double LossPlot::lastSmoothed() const {
    return m_smoothed.isEmpty() ? std::nan("") : m_smoothed.last();
}

void LossPlot::appendLoss(double step, double loss, bool frozen, bool queue) {
    m_steps.append(step);
    m_losses.append(loss);
    m_raw->addData(step, loss);
    smoothNewestOf(int(m_losses.size()) - 1);
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

QColor LossPlot::rawColour() const {
    return m_raw->pen().color();
}

QColor LossPlot::smoothedColour() const {
    return m_smoothedGraph->pen().color();
}

} // namespace swav
