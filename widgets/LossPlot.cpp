#include "LossPlot.h"

#include <qcustomplot.h>

#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace swav {

LossPlot::LossPlot(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_redrawTimer(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    m_raw = m_plot->addGraph();
    m_raw->setName(tr("loss"));
    m_raw->setPen(QPen(QColor(31, 119, 180, 70)));
    m_average = m_plot->addGraph();
    m_average->setName(tr("moving average"));
    m_average->setPen(QPen(QColor(31, 119, 180), 2));
    m_guideLine = new QCPItemStraightLine(m_plot);
    m_guideLine->setPen(QPen(QColor(214, 39, 40), 1, Qt::DashLine));
    m_guideLine->setVisible(false);

    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("loss"));
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_redrawTimer->setSingleShot(true);
    m_redrawTimer->setInterval(30);
    connect(m_redrawTimer, &QTimer::timeout, this, &LossPlot::redraw);
}

void LossPlot::clear() {
    m_steps.clear();
    m_losses.clear();
    m_smoothed.clear();
    m_raw->data()->clear();
    m_average->data()->clear();
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
    for (int i = 0; i < m_losses.size(); ++i) {
        const int first = std::max(0, i - m_window + 1);
        double sum = 0;
        for (int j = first; j <= i; ++j)
            sum += m_losses[j];
        m_smoothed.append(sum / (i - first + 1));
        m_average->addData(m_steps[i], m_smoothed.last());
    }
    scheduleRedraw();
}

void LossPlot::appendLoss(double step, double loss) {
    m_steps.append(step);
    m_losses.append(loss);
    const int first = std::max(0, int(m_losses.size()) - m_window);
    double sum = 0;
    for (int j = first; j < m_losses.size(); ++j)
        sum += m_losses[j];
    m_smoothed.append(sum / (m_losses.size() - first));
    m_raw->addData(step, loss);
    m_average->addData(step, m_smoothed.last());
    scheduleRedraw();
}

void LossPlot::scheduleRedraw() {
    if (!m_redrawTimer->isActive())
        m_redrawTimer->start();
}

void LossPlot::redraw() {
    m_plot->rescaleAxes();
    if (m_guide > 0) {
        const auto range = m_plot->yAxis->range();
        m_plot->yAxis->setRange(std::min(range.lower, m_guide * 0.95),
                                std::max(range.upper, m_guide * 1.05));
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace swav
