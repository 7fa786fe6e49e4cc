#pragma once
// Named line series over steps (learning rate, images/s, kNN accuracy, runs overlaid): one
// colour per series from a fixed palette, append-only or replaced whole.

#include "PlotPanel.h"

#include <QColor>
#include <QHash>
#include <QPointF>
#include <QVector>

class QCPGraph;

namespace swav {

class MetricPlot : public PlotPanel {
    Q_OBJECT
public:
    MetricPlot(const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    void clear();
    void setAxisLabels(const QString& x, const QString& y);
    void append(const QString& series, double x, double y);
    /// Replaces a series; `low`/`high` (same length, or empty) draw a min/max band.
    void setSeries(const QString& series, const QVector<double>& x, const QVector<double>& y,
                   const QVector<double>& low = {}, const QVector<double>& high = {});
    /// Points drawn with markers (sparse series such as one value per epoch).
    void setMarkers(bool markers) { m_markers = markers; }
    /// Ticks on whole numbers only (epochs).
    void setIntegerX();

    int seriesCount() const { return m_graphs.size(); }
    int pointCount(const QString& series) const;
    /// Point `index` of a series, (x, y); (NaN, NaN) when there is none.
    QPointF seriesPoint(const QString& series, int index) const;

    /// Tableau 10 for the first ten series, then distinct generated hues.
    static QColor paletteColour(int index);

private:
    QCPGraph* graphFor(const QString& series);

    QHash<QString, QCPGraph*> m_graphs;
    QHash<QString, QPair<QCPGraph*, QCPGraph*>> m_bands;
    bool m_markers = false;
};

} // namespace swav
