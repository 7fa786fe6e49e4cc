#include "DistributionComparison.h"

#include <QPainter>

#include <algorithm>
#include <numeric>

namespace swav {

namespace {

const QColor kColourA(31, 119, 180);
const QColor kColourB(255, 127, 14);

} // namespace

DistributionComparison::DistributionComparison(QWidget* parent)
    : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void DistributionComparison::setDistributions(const QString& nameA, const QVector<double>& a,
                                              const QString& nameB, const QVector<double>& b,
                                              int shown) {
    m_nameA = nameA;
    m_nameB = nameB;
    m_a = a;
    m_b = b;
    const int count = int(std::min(a.size(), b.size()));
    QVector<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    auto weight = [&](int k) { return std::max(a[k], b[k]); };
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return weight(x) > weight(y); });
    m_shown = order.mid(0, std::min(shown, count));
    update();
}

void DistributionComparison::clear() {
    m_a.clear();
    m_b.clear();
    m_shown.clear();
    update();
}

void DistributionComparison::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    const QFontMetrics fm(font());
    const QColor text = palette().color(QPalette::WindowText);
    painter.setPen(text);
    if (m_shown.isEmpty()) {
        painter.drawText(rect(), Qt::AlignCenter, tr("Click a cell of the table"));
        return;
    }
    // Legend.
    int x = 4;
    for (const auto& [name, colour] :
         {std::pair{m_nameA, kColourA}, std::pair{m_nameB, kColourB}}) {
        painter.fillRect(QRect(x, 4, fm.height() - 4, fm.height() - 4), colour);
        x += fm.height();
        painter.drawText(QPoint(x, fm.ascent() + 2), name);
        x += fm.horizontalAdvance(name) + 2 * fm.height();
    }
    double top = 0;
    for (int k : m_shown)
        top = std::max({top, m_a[k], m_b[k]});
    top = top > 0 ? top * 1.1 : 1;
    const int axis = fm.horizontalAdvance(QStringLiteral("0.00")) + 8;
    const QRect plot(axis, fm.height() + 10, width() - axis - 8, height() - 2 * fm.height() - 18);
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    painter.drawLine(plot.bottomLeft(), plot.topLeft());
    for (double tick : {0.0, top / 1.1 / 2, top / 1.1}) {
        const int y = plot.bottom() - int(plot.height() * tick / top);
        painter.drawText(QRect(0, y - fm.height() / 2, axis - 4, fm.height()),
                         Qt::AlignRight | Qt::AlignVCenter, QString::number(tick, 'f', 2));
    }
    const double slot = double(plot.width()) / m_shown.size();
    const int bar = std::max(2, int(slot * 0.38));
    for (int i = 0; i < m_shown.size(); ++i) {
        const int k = m_shown[i];
        const int left = plot.left() + int(i * slot + slot * 0.1);
        for (int side = 0; side < 2; ++side) {
            const double value = side == 0 ? m_a[k] : m_b[k];
            const int h = int(plot.height() * value / top);
            painter.fillRect(QRect(left + side * bar, plot.bottom() - h, bar, h),
                             side == 0 ? kColourA : kColourB);
        }
        painter.drawText(
            QRect(plot.left() + int(i * slot), plot.bottom() + 2, int(slot), fm.height()),
            Qt::AlignHCenter, QString::number(k));
    }
    painter.drawText(QRect(plot.left(), plot.bottom() + fm.height() + 2, plot.width(), fm.height()),
                     Qt::AlignHCenter, tr("prototype"));
}

} // namespace swav
