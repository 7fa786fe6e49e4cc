#include "CropsView.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

#include <algorithm>

namespace swav {

CropsView::CropsView(QWidget* parent)
    : QWidget(parent) {
    // Side by side when wide, stacked when the panel is narrow: a grid that wraps by width
    // would move tiles around under the mouse, so the source goes on top instead.
    auto* layout = new QVBoxLayout(this);
    auto* left = new QVBoxLayout;
    m_originalLabel = new QLabel(this);
    m_originalLabel->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    left->addWidget(new QLabel(tr("<b>Source image</b> with the box of every crop"), this));
    left->addWidget(m_originalLabel, 1);
    left->addWidget(m_message);
    layout->addLayout(left);
    m_groups = new QWidget(this);
    m_groupsLayout = new QVBoxLayout(m_groups);
    m_groupsLayout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_groups, 1);
}

QColor CropsView::boxColour(int index) {
    static const QColor colours[] = {
        {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colours[index % 10];
}

void CropsView::showMessage(const QString& message) {
    m_message->setText(message);
}

void CropsView::setPreview(const QImage& original, const QVector<CropTile>& crops,
                           const QStringList& groupNames) {
    m_original = original;
    m_crops = crops;
    // The source, enlarged so that small images (28 px) are visible, with the boxes on top.
    const int side = 224;
    const double scale = double(side) / std::max(1, std::max(original.width(), original.height()));
    QImage canvas = original.convertToFormat(QImage::Format_RGB32)
                        .scaled(int(original.width() * scale), int(original.height() * scale),
                                Qt::KeepAspectRatio, Qt::FastTransformation);
    {
        QPainter painter(&canvas);
        painter.setRenderHint(QPainter::Antialiasing);
        for (int i = 0; i < crops.size(); ++i) {
            const QRectF& b = crops[i].box;
            painter.setPen(QPen(boxColour(i), 2));
            painter.drawRect(
                QRectF(b.x() * scale, b.y() * scale, b.width() * scale, b.height() * scale));
            painter.drawText(QPointF(b.x() * scale + 3, b.y() * scale + 12),
                             QString::number(i + 1));
        }
    }
    m_originalLabel->setPixmap(QPixmap::fromImage(canvas));

    while (QLayoutItem* item = m_groupsLayout->takeAt(0)) {
        delete item->widget();
        delete item->layout();
        delete item;
    }
    int group = -1;
    QHBoxLayout* row = nullptr;
    for (int i = 0; i < crops.size(); ++i) {
        if (crops[i].group != group) {
            group = crops[i].group;
            auto* box = new QGroupBox(group < groupNames.size() ? groupNames[group]
                                                                : tr("group %1").arg(group + 1),
                                      m_groups);
            row = new QHBoxLayout(box);
            row->setAlignment(Qt::AlignLeft);
            m_groupsLayout->addWidget(box);
        }
        // Large crops shown at 128 px, small ones in proportion to their pixel size.
        const int shown = std::clamp(crops[i].image.width() * 4, 48, 128);
        auto* tile = new QLabel(m_groups);
        tile->setPixmap(QPixmap::fromImage(
            crops[i].image.scaled(shown, shown, Qt::KeepAspectRatio, Qt::FastTransformation)));
        tile->setStyleSheet(QStringLiteral("border: 3px solid %1;").arg(boxColour(i).name()));
        tile->setToolTip(tr("crop %1\n%2").arg(i + 1).arg(crops[i].details));
        row->addWidget(tile);
    }
    m_groupsLayout->addStretch(1);
}

} // namespace swav
