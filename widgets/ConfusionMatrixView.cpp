#include "ConfusionMatrixView.h"

#include <qcustomplot.h>

namespace swav {

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent)
    : PlotPanel(parent) {
    QCustomPlot* p = plot();
    p->legend->setVisible(false);
    p->setInteractions({});
    m_map = new QCPColorMap(p->xAxis, p->yAxis);
    m_map->setGradient(QCPColorGradient::gpThermal);
    m_map->setInterpolate(false);
    m_map->setDataRange(QCPRange(0, 1));
    p->xAxis->setLabel(tr("predicted class"));
    p->yAxis->setLabel(tr("true class"));
    p->yAxis->setRangeReversed(true);
    setAutoFit(false);
}

void ConfusionMatrixView::paintOn(QPaintDevice* device) const {
    QCPPainter painter(device);
    plot()->toPainter(&painter, plot()->width(), plot()->height());
}

void ConfusionMatrixView::clear() {
    m_classes = 0;
    m_map->data()->clear();
    plot()->clearItems();
    scheduleRedraw();
}

void ConfusionMatrixView::setMatrix(const std::vector<std::vector<long long>>& counts,
                                    const QStringList& classes) {
    QCustomPlot* p = plot();
    p->clearItems();
    m_classes = int(counts.size());
    const int n = m_classes;
    m_map->data()->setSize(n, n);
    m_map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int t = 0; t < n; ++t) {
        long long rowTotal = 0;
        for (long long c : counts[size_t(t)])
            rowTotal += c;
        ticker->addTick(t, t < classes.size() ? classes[t] : QString::number(t));
        for (int q = 0; q < n; ++q) {
            const long long count = counts[size_t(t)][size_t(q)];
            const double share = rowTotal > 0 ? double(count) / double(rowTotal) : 0.0;
            m_map->data()->setCell(q, t, share);
            if (n <= 20) {
                auto* label = new QCPItemText(p);
                label->position->setCoords(q, t);
                label->setText(QString::number(count));
                label->setColor(share > 0.5 ? Qt::black : Qt::white);
                label->setFont(QFont(font().family(), n > 12 ? 6 : 8));
            }
        }
    }
    p->xAxis->setTicker(ticker);
    p->yAxis->setTicker(ticker);
    // Slanted labels end at their tick: started there, the last one ran past the right edge
    // and QCustomPlot dropped it.
    p->xAxis->setTickLabelRotation(n > 5 ? -45 : 0);
    p->xAxis->setRange(-0.5, n - 0.5);
    p->yAxis->setRange(-0.5, n - 0.5);
    scheduleRedraw();
}

} // namespace swav
