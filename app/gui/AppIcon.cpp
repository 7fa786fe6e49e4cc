#include "AppIcon.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace swav {

namespace {

/// Two crops of one image swapping their cluster assignments, on a 64-unit canvas.
QPixmap paintIcon(int side) {
    QPixmap pixmap(side, side);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.scale(side / 64.0, side / 64.0);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(0x1f, 0x3b, 0x57));
    painter.drawRoundedRect(QRectF(4, 4, 56, 56), 10, 10);
    painter.setBrush(QColor(0x6f, 0xb3, 0xe0));
    painter.drawRoundedRect(QRectF(10, 12, 20, 20), 3, 3);
    painter.setBrush(QColor(0xf2, 0xa6, 0x5a));
    painter.drawRoundedRect(QRectF(34, 32, 20, 20), 3, 3);
    painter.setPen(QPen(Qt::white, 3));
    painter.setBrush(Qt::NoBrush);
    QPainterPath toSecond(QPointF(31, 20));
    toSecond.cubicTo(44, 20, 46, 24, 46, 30);
    QPainterPath toFirst(QPointF(33, 44));
    toFirst.cubicTo(20, 44, 18, 40, 18, 34);
    painter.drawPath(toSecond);
    painter.drawPath(toFirst);
    painter.drawPolyline(QPolygonF({{42, 27}, {46, 32}, {50, 27}}));
    painter.drawPolyline(QPolygonF({{14, 37}, {18, 32}, {22, 37}}));
    return pixmap;
}

} // namespace

QIcon applicationIcon() {
    QIcon icon;
    for (int side : {16, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(paintIcon(side));
    return icon;
}

} // namespace swav
