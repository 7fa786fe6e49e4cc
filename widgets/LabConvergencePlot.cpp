#include "LabConvergencePlot.h"

#include <qcustomplot.h>

#include <algorithm>

namespace swav {

namespace {

// float32 marginals stop improving near here; a log axis needs a floor above 0.
constexpr double kFloor = 1e-7;

QCPItemStraightLine* guide(QCustomPlot* plot, const QPen& pen) {
    auto* line = new QCPItemStraightLine(plot);
    line->setPen(pen);
    line->setVisible(false);
    return line;
}

void placeVertical(QCPItemStraightLine* line, double x) {
    line->point1->setCoords(x, 1);
    line->point2->setCoords(x, 2);
    line->setVisible(true);
}

QVector<double> floored(const QVector<double>& values) {
    QVector<double> out;
    for (double v : values)
        out << std::max(v, kFloor);
    return out;
}

} // namespace

LabConvergencePlot::LabConvergencePlot(QWidget* parent)
    : MetricPlot(tr("iteration"), tr("deviation / target"), parent) {
    setLogScale(true);
    QCustomPlot* p = plot();
    m_toleranceLine = guide(p, QPen(QColor(127, 127, 127), 1, Qt::DashLine));
    m_runLine = guide(p, QPen(QColor(214, 39, 40), 1, Qt::DashLine));
    m_currentLine = guide(p, QPen(QColor(44, 160, 44), 1.5));
    // The legend in a row under the axes: in a small plot it would cover the curves.
    auto* legendRow = new QCPLayoutGrid;
    p->plotLayout()->addElement(1, 0, legendRow);
    p->axisRect()->insetLayout()->take(p->legend);
    legendRow->addElement(0, 0, p->legend);
    legendRow->setMargins(QMargins(0, 0, 0, 0));
    p->legend->setFillOrder(QCPLegend::foColumnsFirst);
    p->legend->setBorderPen(Qt::NoPen);
    p->plotLayout()->setRowStretchFactor(1, 0.001);
    setToolTip(tr("Per iteration: the largest distance of a column sum from 1/K and of a row sum "
                  "from 1/B, as a fraction of 1/K and 1/B. Grey dashes: the tolerance the text "
                  "calls close; red dashes: the run's own iterations; green: the iteration on "
                  "show"));
}

QString LabConvergencePlot::columnSeriesName() {
    return tr("columns vs 1/K");
}

QString LabConvergencePlot::rowSeriesName() {
    return tr("rows vs 1/B");
}

void LabConvergencePlot::setConvergence(const QVector<double>& columns, const QVector<double>& rows,
                                        int runIterations, double tolerance) {
    m_columns = floored(columns);
    m_rows = floored(rows);
    m_tolerance = tolerance;
    QVector<double> x;
    for (int i = 1; i <= m_columns.size(); ++i)
        x << i;
    setSeries(columnSeriesName(), x, m_columns);
    setSeries(rowSeriesName(), x, m_rows);
    m_toleranceLine->point1->setCoords(0, tolerance);
    m_toleranceLine->point2->setCoords(1, tolerance);
    m_toleranceLine->setVisible(true);
    placeVertical(m_runLine, runIterations);
    setAutoFit(true);
    scheduleRedraw();
}

void LabConvergencePlot::setCurrentIteration(int iteration) {
    if (iteration > 0)
        placeVertical(m_currentLine, iteration);
    else
        m_currentLine->setVisible(false);
    scheduleRedraw();
}

void LabConvergencePlot::afterFit() {
    // Every iteration and the tolerance line in view, whatever the data.
    plot()->xAxis->setRange(0.5, std::max<int>(1, int(m_columns.size())) + 0.5);
    const QCPRange range = plot()->yAxis->range();
    if (m_tolerance > 0)
        plot()->yAxis->setRange(std::min(range.lower, m_tolerance / 2),
                                std::max(range.upper, m_tolerance * 2));
}

} // namespace swav
