#pragma once
// A matrix drawn as a heat map (rows = images, columns = prototypes), with each row's and each
// column's sum drawn beside it as bars and the value the sums should reach as a dashed line:
// how the teaching lab shows Sinkhorn's marginals converging. Clicking a cell reports it.

#include <QImage>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <limits>

namespace swav {

struct HeatMatrix {
    int rows = 0;
    int cols = 0;
    QVector<double> values;  // row-major, rows * cols
    QVector<double> rowSums; // bars right of the matrix; empty = none
    QVector<double> colSums; // bars under the matrix; empty = none
    double rowTarget = -1;   // every row sum should reach this (dashed line); < 0 = none
    double colTarget = -1;
    QString rowTargetName; // "1/B"
    QString colTargetName; // "1/K"
    QString title;
    QString rowName = QStringLiteral("image");
    QString colName = QStringLiteral("prototype");
    QStringList rowLabels;   // shown on the left and in tooltips (e.g. the image's class)
    QVector<int> colIds;     // the prototype each column shows (columns may be sorted)
    bool logColours = false; // colour by log10(value): exp(score / epsilon) spans decades
    /// A fixed colour scale (values outside are clamped), so that maps side by side and one map
    /// at different settings compare by colour; NaN = the map's own smallest and largest value.
    double colourLow = std::numeric_limits<double>::quiet_NaN();
    double colourHigh = std::numeric_limits<double>::quiet_NaN();

    bool hasFixedColours() const;
};

class MatrixHeatMap : public QWidget {
    Q_OBJECT
public:
    explicit MatrixHeatMap(QWidget* parent = nullptr);

    void setMatrix(HeatMatrix matrix);
    const HeatMatrix& matrix() const { return m_matrix; }
    double valueAt(int row, int col) const;
    /// Where the cell's colour lies on the colour scale: 0 (darkest) to 1 (brightest).
    double colourPosition(int row, int col) const;
    /// The values at the two ends of the colour scale (fixed, or the map's own range).
    double colourLow() const;
    double colourHigh() const;
    /// The cell's rectangle in widget coordinates (empty outside the matrix).
    QRect cellRect(int row, int col) const;
    /// The values as CSV: a header naming the columns (prototype ids when set), then one line per
    /// row, its label first.
    QString csvText() const;
    /// Writes csvText() or the picture; false when the file cannot be written.
    bool exportCsv(const QString& file) const;
    bool exportPng(const QString& file);
    /// What an empty map says instead of "no values".
    void setEmptyText(const QString& text) { m_emptyText = text; }
    /// Outlines one cell (row, col); (-1, -1) clears.
    void setSelectedCell(int row, int col);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void cellClicked(int row, int col);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool event(QEvent* event) override;

private:
    QRect matrixRect() const;
    /// The title's height, wrapped to the map's width.
    int titleHeight() const;
    QPoint cellAt(const QPoint& pos) const;
    void fitColourRange();
    void renderCells();
    void drawRowSums(QPainter& painter, const QRect& area) const;
    void drawColSums(QPainter& painter, const QRect& area) const;
    void drawLegend(QPainter& painter, const QRect& area) const;

    HeatMatrix m_matrix;
    QString m_emptyText;
    QImage m_cells; // one pixel per cell, scaled when painted
    double m_low = 0, m_high = 1;
    int m_selectedRow = -1, m_selectedCol = -1;
};

/// The colour of t in [0, 1] on a perceptually ordered scale (dark blue to yellow).
QColor heatColour(double t);

} // namespace swav
