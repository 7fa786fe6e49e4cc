#pragma once
// How far Sinkhorn-Knopp's marginals are from their targets, iteration by iteration: the
// largest deviation of the column sums from 1/K and of the row sums from 1/B, each as a fraction
// of its target on a log scale, with the tolerance the lab calls "close", the run's own
// iteration count and the iteration on show drawn as guide lines.

#include "MetricPlot.h"

class QCPItemStraightLine;

namespace swav {

class LabConvergencePlot : public MetricPlot {
    Q_OBJECT
public:
    explicit LabConvergencePlot(QWidget* parent = nullptr);

    /// Per iteration i (index i - 1): deviation / target of the columns and of the rows.
    void setConvergence(const QVector<double>& columns, const QVector<double>& rows,
                        int runIterations, double tolerance);
    /// The iteration on show (0 = the start: no line).
    void setCurrentIteration(int iteration);

    const QVector<double>& columnDeviation() const { return m_columns; }
    const QVector<double>& rowDeviation() const { return m_rows; }
    static QString columnSeriesName();
    static QString rowSeriesName();

protected:
    void afterFit() override;

private:
    QVector<double> m_columns, m_rows;
    double m_tolerance = 0;
    QCPItemStraightLine* m_toleranceLine = nullptr;
    QCPItemStraightLine* m_runLine = nullptr;
    QCPItemStraightLine* m_currentLine = nullptr;
};

} // namespace swav
