#include "MetricPlot.h"

#include <cmath>

#include <qcustomplot.h>

namespace swav {

MetricPlot::MetricPlot(const QString& xLabel, const QString& yLabel, QWidget* parent)
    : PlotPanel(parent) {
    plot()->xAxis->setLabel(xLabel);
    plot()->yAxis->setLabel(yLabel);
    plot()->legend->setVisible(false);
    // Small plots: few ticks, so that the labels never run into each other.
    plot()->xAxis->ticker()->setTickCount(2);
    plot()->yAxis->ticker()->setTickCount(4);
}

void MetricPlot::setIntegerX() {
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot()->xAxis->setTicker(ticker);
}

QColor MetricPlot::paletteColour(int index) {
    // Tableau 10: distinct for the first ten series, also for most colour-blind readers.
    static const QColor colours[] = {
        {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    if (index >= 0 && index < 10)
        return colours[index];
    // Beyond ten (prototypes of a map): hues a golden angle apart, in three brightness bands,
    // so that neighbouring indices never share a colour.
    const int hue = int(std::fmod(std::abs(index) * 137.50776405, 360.0));
    const int band = (std::abs(index) / 7) % 3;
    return QColor::fromHsv(hue, 200 - 40 * band, 230 - 50 * band);
}

QCPGraph* MetricPlot::graphFor(const QString& series) {
    if (auto* graph = m_graphs.value(series))
        return graph;
    QCPGraph* graph = plot()->addGraph();
    graph->setName(series);
    graph->setPen(QPen(paletteColour(int(m_graphs.size())), 1.6));
    if (m_markers)
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    m_graphs.insert(series, graph);
    // A single series is named by the axis; a legend only helps when there are several.
    plot()->legend->setVisible(m_graphs.size() > 1);
    return graph;
}

void MetricPlot::setAxisLabels(const QString& x, const QString& y) {
    plot()->xAxis->setLabel(x);
    plot()->yAxis->setLabel(y);
}

void MetricPlot::clear() {
    plot()->clearGraphs();
    m_graphs.clear();
    m_bands.clear();
    setAutoFit(true);
    scheduleRedraw();
}

void MetricPlot::append(const QString& series, double x, double y) {
    graphFor(series)->addData(x, y);
    scheduleRedraw();
}

void MetricPlot::setSeries(const QString& series, const QVector<double>& x,
                           const QVector<double>& y, const QVector<double>& low,
                           const QVector<double>& high) {
    QCPGraph* graph = graphFor(series);
    graph->setData(x, y, true);
    if (low.size() == x.size() && high.size() == x.size() && !x.isEmpty()) {
        auto band = m_bands.value(series);
        if (!band.first) {
            QColor fill = graph->pen().color();
            fill.setAlpha(45);
            band.first = plot()->addGraph();
            band.second = plot()->addGraph();
            for (QCPGraph* edge : {band.first, band.second}) {
                edge->setPen(Qt::NoPen);
                edge->removeFromLegend();
            }
            // The band is filled between its two edges: spikes stay visible when zoomed out.
            band.second->setBrush(fill);
            band.second->setChannelFillGraph(band.first);
            m_bands.insert(series, band);
        }
        band.first->setData(x, low, true);
        band.second->setData(x, high, true);
    }
    scheduleRedraw();
}

int MetricPlot::pointCount(const QString& series) const {
    const QCPGraph* graph = m_graphs.value(series);
    return graph ? graph->dataCount() : 0;
}

QPointF MetricPlot::seriesPoint(const QString& series, int index) const {
    const QCPGraph* graph = m_graphs.value(series);
    if (!graph || index < 0 || index >= graph->dataCount())
        return {std::nan(""), std::nan("")};
    const auto it = graph->data()->at(index);
    return {it->key, it->value};
}

} // namespace swav
