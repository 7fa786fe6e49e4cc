#include "MatrixHeatMap.h"

#include "ExportActions.h"
#include "util/Strings.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

constexpr int kSumBand = 56; // pixels for the bars of the sums

double shownValue(double value, bool logColours) {
    return logColours ? std::log10(std::max(value, 1e-300)) : value;
}

/// The value a full-length bar stands for: the largest sum or target, with headroom.
double barScale(const QVector<double>& sums, double target) {
    double top = std::max(target, 0.0);
    for (double s : sums)
        top = std::max(top, s);
    return top > 0 ? top * 1.1 : 1;
}

QString number(double value) {
    return QString::number(value, 'g', 4);
}

} // namespace

bool HeatMatrix::hasFixedColours() const {
    return std::isfinite(colourLow) && std::isfinite(colourHigh) && colourHigh > colourLow;
}

QColor heatColour(double t) {
    // Anchors of a viridis-like scale.
    static const QColor stops[] = {QColor(68, 1, 84), QColor(59, 82, 139), QColor(33, 145, 140),
                                   QColor(94, 201, 98), QColor(253, 231, 37)};
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
    const int i = std::min(3, int(t));
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(float(a.redF() + f * (b.redF() - a.redF())),
                            float(a.greenF() + f * (b.greenF() - a.greenF())),
                            float(a.blueF() + f * (b.blueF() - a.blueF())));
}

MatrixHeatMap::MatrixHeatMap(QWidget* parent)
    : QWidget(parent) {
    setMouseTracking(false);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void MatrixHeatMap::setMatrix(HeatMatrix matrix) {
    m_matrix = std::move(matrix);
    if (m_selectedRow >= m_matrix.rows || m_selectedCol >= m_matrix.cols)
        m_selectedRow = m_selectedCol = -1;
    renderCells();
    update();
}

double MatrixHeatMap::valueAt(int row, int col) const {
    if (row < 0 || col < 0 || row >= m_matrix.rows || col >= m_matrix.cols)
        return std::nan("");
    return m_matrix.values[row * m_matrix.cols + col];
}

void MatrixHeatMap::setSelectedCell(int row, int col) {
    m_selectedRow = row;
    m_selectedCol = col;
    update();
}

double MatrixHeatMap::colourPosition(int row, int col) const {
    const double range = m_high > m_low ? m_high - m_low : 1;
    return std::clamp((shownValue(valueAt(row, col), m_matrix.logColours) - m_low) / range, 0.0,
                      1.0);
}

double MatrixHeatMap::colourLow() const {
    return m_matrix.logColours ? std::pow(10.0, m_low) : m_low;
}

double MatrixHeatMap::colourHigh() const {
    return m_matrix.logColours ? std::pow(10.0, m_high) : m_high;
}

void MatrixHeatMap::fitColourRange() {
    const HeatMatrix& m = m_matrix;
    if (m.hasFixedColours()) {
        m_low = shownValue(m.colourLow, m.logColours);
        m_high = shownValue(m.colourHigh, m.logColours);
        return;
    }
    m_low = INFINITY;
    m_high = -INFINITY;
    for (double v : m.values) {
        const double s = shownValue(v, m.logColours);
        if (std::isfinite(s)) {
            m_low = std::min(m_low, s);
            m_high = std::max(m_high, s);
        }
    }
    if (!std::isfinite(m_low))
        m_low = m_high = 0;
}

void MatrixHeatMap::renderCells() {
    const HeatMatrix& m = m_matrix;
    if (m.rows <= 0 || m.cols <= 0 || m.values.size() != m.rows * m.cols) {
        m_cells = QImage();
        return;
    }
    fitColourRange();
    m_cells = QImage(m.cols, m.rows, QImage::Format_RGB32);
    for (int r = 0; r < m.rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(m_cells.scanLine(r));
        for (int c = 0; c < m.cols; ++c)
            line[c] = heatColour(colourPosition(r, c)).rgb();
    }
}

QString MatrixHeatMap::csvText() const {
    const HeatMatrix& m = m_matrix;
    const auto field = [](const QString& text) {
        return QString::fromStdString(csvField(text.toStdString()));
    };
    QString text = field(m.rowName + QLatin1Char('\\') + m.colName);
    for (int c = 0; c < m.cols; ++c)
        text += QLatin1Char(',') + QString::number(c < m.colIds.size() ? m.colIds[c] : c);
    text += QLatin1Char('\n');
    for (int r = 0; r < m.rows; ++r) {
        text += field(r < m.rowLabels.size() ? m.rowLabels[r] : QString::number(r));
        for (int c = 0; c < m.cols; ++c)
            text += QLatin1Char(',') + QString::number(valueAt(r, c), 'g', 12);
        text += QLatin1Char('\n');
    }
    return text;
}

bool MatrixHeatMap::exportCsv(const QString& file) const {
    return writeFileWhole(file, csvText().toUtf8());
}

bool MatrixHeatMap::exportPng(const QString& file) {
    return grab().save(file, "PNG");
}

void MatrixHeatMap::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    addExportAction(menu, this, tr("Export PNG..."), tr("Export heat map as PNG"),
                    QStringLiteral("heatmap.png"), tr("PNG images (*.png)"),
                    [this](const QString& file) { return exportPng(file); });
    QAction* csv =
        addExportAction(menu, this, tr("Export CSV..."), tr("Export heat map values as CSV"),
                        QStringLiteral("heatmap.csv"), tr("CSV (*.csv)"),
                        [this](const QString& file) { return exportCsv(file); });
    csv->setEnabled(m_matrix.rows > 0 && m_matrix.cols > 0);
    menu.exec(event->globalPos());
}

int MatrixHeatMap::titleHeight() const {
    // A long title wraps in a narrow map rather than being cut.
    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics fm(bold);
    const QRect bounds = fm.boundingRect(QRect(0, 0, std::max(1, width()), 10000),
                                         Qt::AlignLeft | Qt::TextWordWrap, m_matrix.title);
    return std::max(fm.height(), bounds.height()) + 2;
}

QRect MatrixHeatMap::matrixRect() const {
    const QFontMetrics fm(font());
    const int top = titleHeight() + fm.height() + 4; // title, legend
    // Room for the row labels, up to a sixth of the width.
    int labels = fm.horizontalAdvance(QStringLiteral("0000"));
    for (const QString& label : m_matrix.rowLabels)
        labels = std::max(labels, fm.horizontalAdvance(label));
    const int left = std::min(labels, width() / 6) + 6;
    const int right =
        m_matrix.rowSums.isEmpty() ? 8 : kSumBand + fm.horizontalAdvance(QStringLiteral("1/B")) + 8;
    const int bottom = (m_matrix.colSums.isEmpty() ? 0 : kSumBand) + fm.height() + 6;
    return QRect(left, top, std::max(10, width() - left - right),
                 std::max(10, height() - top - bottom));
}

QRect MatrixHeatMap::cellRect(int row, int col) const {
    if (row < 0 || col < 0 || row >= m_matrix.rows || col >= m_matrix.cols)
        return {};
    const QRect area = matrixRect();
    const double w = double(area.width()) / m_matrix.cols;
    const double h = double(area.height()) / m_matrix.rows;
    const int x0 = area.left() + int(std::floor(col * w));
    const int y0 = area.top() + int(std::floor(row * h));
    const int x1 = area.left() + int(std::floor((col + 1) * w));
    const int y1 = area.top() + int(std::floor((row + 1) * h));
    return QRect(x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0));
}

QPoint MatrixHeatMap::cellAt(const QPoint& pos) const {
    const QRect area = matrixRect();
    if (m_matrix.rows <= 0 || m_matrix.cols <= 0 || !area.contains(pos))
        return {-1, -1};
    const int col = std::min(m_matrix.cols - 1,
                             int((pos.x() - area.left()) * double(m_matrix.cols) / area.width()));
    const int row = std::min(m_matrix.rows - 1,
                             int((pos.y() - area.top()) * double(m_matrix.rows) / area.height()));
    return {col, row};
}

QSize MatrixHeatMap::sizeHint() const {
    return {420, 300};
}

QSize MatrixHeatMap::minimumSizeHint() const {
    const QFontMetrics fm(font());
    return {fm.horizontalAdvance(QStringLiteral("0000")) + kSumBand + 120,
            fm.height() * 3 + kSumBand + 80};
}

void MatrixHeatMap::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    const QFontMetrics fm(font());
    const QColor text = palette().color(QPalette::WindowText);
    painter.setPen(text);
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRect(0, 0, width(), titleHeight()),
                     Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, m_matrix.title);
    painter.setFont(font());
    if (m_cells.isNull()) {
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                         m_emptyText.isEmpty() ? tr("no values") : m_emptyText);
        return;
    }
    const QRect area = matrixRect();
    painter.drawImage(area, m_cells); // nearest-neighbour: cells stay crisp
    drawLegend(painter, QRect(0, titleHeight(), width(), fm.height() + 2));

    // Row labels (class names or indices), as many as fit.
    const int rowStep =
        std::max(1, int(std::ceil(fm.height() / (double(area.height()) / m_matrix.rows))));
    for (int r = 0; r < m_matrix.rows; r += rowStep) {
        const QRect cell = cellRect(r, 0);
        const QString label =
            r < m_matrix.rowLabels.size() ? m_matrix.rowLabels[r] : QString::number(r);
        painter.drawText(
            QRect(0, cell.top(), area.left() - 4, std::max(cell.height(), fm.height())),
            Qt::AlignRight | Qt::AlignTop, fm.elidedText(label, Qt::ElideRight, area.left() - 4));
    }
    if (m_selectedRow >= 0 && m_selectedCol >= 0) {
        painter.setPen(QPen(Qt::red, 2));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(cellRect(m_selectedRow, m_selectedCol).adjusted(-1, -1, 1, 1));
        painter.setPen(text);
    }
    if (!m_matrix.rowSums.isEmpty())
        drawRowSums(painter, QRect(area.right() + 4, area.top(), kSumBand, area.height()));
    if (!m_matrix.colSums.isEmpty())
        drawColSums(painter, QRect(area.left(), area.bottom() + 4, area.width(), kSumBand - 6));
    const int axisY = area.bottom() + 4 + (m_matrix.colSums.isEmpty() ? 0 : kSumBand);
    painter.drawText(QRect(area.left(), axisY, area.width(), fm.height()), Qt::AlignHCenter,
                     tr("%1s (%2) →").arg(m_matrix.colName).arg(m_matrix.cols));
}

void MatrixHeatMap::drawLegend(QPainter& painter, const QRect& area) const {
    const QFontMetrics fm(font());
    const QString low = number(colourLow());
    const QString high = number(colourHigh());
    const int barWidth = std::min(140, area.width() / 4);
    const int textWidth = fm.horizontalAdvance(high) + 4;
    QRect bar(area.right() - textWidth - barWidth, area.top() + 3, barWidth, area.height() - 6);
    const QString lowText = m_matrix.logColours ? tr("%1 (log)").arg(low) : low;
    const int lowWidth = fm.horizontalAdvance(lowText) + 4;
    // The rows' name where it fits beside the colour scale.
    const QString rows = tr("%1s (%2) ↓").arg(m_matrix.rowName).arg(m_matrix.rows);
    if (fm.horizontalAdvance(rows) + 8 < bar.left() - lowWidth)
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter, rows);
    for (int x = 0; x < bar.width(); ++x) {
        painter.setPen(heatColour(double(x) / std::max(1, bar.width() - 1)));
        painter.drawLine(bar.left() + x, bar.top(), bar.left() + x, bar.bottom());
    }
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(bar.right() + 4, area.top(), textWidth, area.height()),
                     Qt::AlignLeft | Qt::AlignVCenter, high);
    painter.drawText(QRect(bar.left() - lowWidth, area.top(), lowWidth, area.height()),
                     Qt::AlignRight | Qt::AlignVCenter, lowText);
}

void MatrixHeatMap::drawRowSums(QPainter& painter, const QRect& area) const {
    const auto& sums = m_matrix.rowSums;
    const double top = barScale(sums, m_matrix.rowTarget);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(31, 119, 180));
    for (int r = 0; r < sums.size() && r < m_matrix.rows; ++r) {
        const QRect cell = cellRect(r, 0);
        const int length = int(area.width() * std::clamp(sums[r] / top, 0.0, 1.0));
        painter.drawRect(QRect(area.left(), cell.top(), length, std::max(1, cell.height() - 1)));
    }
    if (m_matrix.rowTarget >= 0) {
        const int x = area.left() + int(area.width() * m_matrix.rowTarget / top);
        painter.setPen(QPen(QColor(214, 39, 40), 1.5, Qt::DashLine));
        painter.drawLine(x, area.top(), x, area.bottom());
        painter.drawText(QPoint(x + 2, area.bottom() + QFontMetrics(font()).ascent() + 2),
                         m_matrix.rowTargetName);
    }
    painter.setPen(palette().color(QPalette::WindowText));
}

void MatrixHeatMap::drawColSums(QPainter& painter, const QRect& area) const {
    const auto& sums = m_matrix.colSums;
    const double top = barScale(sums, m_matrix.colTarget);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(31, 119, 180));
    for (int c = 0; c < sums.size() && c < m_matrix.cols; ++c) {
        const QRect cell = cellRect(0, c);
        const int length = int(area.height() * std::clamp(sums[c] / top, 0.0, 1.0));
        painter.drawRect(
            QRect(cell.left(), area.bottom() - length, std::max(1, cell.width() - 1), length));
    }
    if (m_matrix.colTarget >= 0) {
        const int y = area.bottom() - int(area.height() * m_matrix.colTarget / top);
        painter.setPen(QPen(QColor(214, 39, 40), 1.5, Qt::DashLine));
        painter.drawLine(area.left(), y, area.right(), y);
        // Left of the bars: right of them lie the row sums' band and its label.
        const QFontMetrics fm(font());
        painter.drawText(QPoint(area.left() - fm.horizontalAdvance(m_matrix.colTargetName) - 4,
                                y + fm.ascent() / 2),
                         m_matrix.colTargetName);
    }
    painter.setPen(palette().color(QPalette::WindowText));
}

void MatrixHeatMap::mousePressEvent(QMouseEvent* event) {
    const QPoint cell = cellAt(event->position().toPoint());
    if (cell.x() < 0)
        return QWidget::mousePressEvent(event);
    setSelectedCell(cell.y(), cell.x());
    Q_EMIT cellClicked(cell.y(), cell.x());
}

bool MatrixHeatMap::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip)
        return QWidget::event(event);
    auto* help = static_cast<QHelpEvent*>(event);
    const QPoint cell = cellAt(help->pos());
    if (cell.x() < 0) {
        QToolTip::hideText();
        return true;
    }
    const int r = cell.y(), c = cell.x();
    const int prototype = c < m_matrix.colIds.size() ? m_matrix.colIds[c] : c;
    QString tip =
        tr("%1 %2%3, %4 %5: %6")
            .arg(m_matrix.rowName)
            .arg(r)
            .arg(r < m_matrix.rowLabels.size() ? QStringLiteral(" (%1)").arg(m_matrix.rowLabels[r])
                                               : QString())
            .arg(m_matrix.colName)
            .arg(prototype)
            .arg(number(valueAt(r, c)));
    if (r < m_matrix.rowSums.size())
        tip += tr("\nrow sum %1").arg(number(m_matrix.rowSums[r]));
    if (c < m_matrix.colSums.size())
        tip += tr("\ncolumn sum %1").arg(number(m_matrix.colSums[c]));
    QToolTip::showText(help->globalPos(), tip, this);
    return true;
}

} // namespace swav
