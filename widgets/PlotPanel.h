#pragma once
// A QCustomPlot with what every plot of the workbench offers: drag to pan, wheel to zoom,
// double-click to fit, a hover read-out of the nearest point, and a context menu with a log
// scale toggle and PNG / CSV export. Redraws are coalesced on a ~30 ms timer so live data
// never floods the event loop.

#include <QImage>
#include <QPair>
#include <QString>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;
class QTimer;
class QVBoxLayout;

namespace swav {

class PlotPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlotPanel(QWidget* parent = nullptr);

    QCustomPlot* plot() const { return m_plot; }
    /// Asks for a redraw within ~30 ms (many calls, one redraw).
    void scheduleRedraw();
    /// Rescales the axes to the data when the user has not zoomed or panned.
    void setAutoFit(bool enabled) { m_autoFit = enabled; }
    void setLogScale(bool logarithmic);
    bool logScale() const { return m_logScale; }

    /// Writes every graph's points as "graph,x,y" lines; throws nothing, returns false on error.
    bool exportCsv(const QString& file) const;
    bool exportPng(const QString& file, int width = 1200, int height = 700) const;
    /// The text of the hover read-out for a position in widget coordinates ("" = none).
    QString readoutAt(const QPointF& position) const;
    /// Where plot coordinates (x, y) are drawn, in the plot widget's pixels (laid out first).
    QPointF pixelOf(double x, double y) const;
    /// The axes' ranges as drawn: (lower, upper).
    QPair<double, double> xRange() const;
    QPair<double, double> yRange() const;
    /// The plot as drawn on screen.
    QImage image() const;
    /// What an empty plot says it waits for, shown over it until a plottable has data.
    void setEmptyText(const QString& text);
    QString emptyText() const;
    /// Whether the plot shows its empty text now (after the next redraw).
    bool showsEmptyText() const;
    /// Whether any plottable has data.
    bool hasData() const;
    /// Whether the legend lies over the plotted data.
    bool legendCoversData() const;

Q_SIGNALS:
    /// Emitted by redraw timers and by tests waiting for the plot to have drawn.
    void redrawn();

protected:
    void changeEvent(QEvent* event) override;
    /// Called before each coalesced redraw; subclasses update derived items here.
    virtual void beforeRedraw() {}
    /// Called after the axes were fitted to the data; subclasses widen them for guides.
    virtual void afterFit() {}
    /// Puts the legend in a column right of the data, so that it never covers a point.
    void placeLegendBeside();

private:
    void redraw();
    void followPalette();
    void showContextMenu(const QPoint& position);
    void showReadout(QMouseEvent* event);
    /// Shows the empty text in place of the axes, or the axes.
    void showEmptyState(bool empty);
    /// Graphs of one point get a marker (a line of one point draws nothing).
    void markLonePoints();
    /// A fitted axis never spans nothing, and never runs below 0 for data that does not.
    void tidyFittedRanges();

    QCustomPlot* m_plot = nullptr;
    QTimer* m_redrawTimer = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QVBoxLayout* m_emptyOverlay = nullptr;
    bool m_legendBeside = false;
    bool m_autoFit = true;
    bool m_logScale = false;
};

} // namespace swav
