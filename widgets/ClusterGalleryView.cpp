#include "ClusterGalleryView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace swav {

ClusterGalleryView::ClusterGalleryView(QWidget* parent)
    : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* content = new QWidget(scroll);
    m_rows = new QVBoxLayout(content);
    m_rows->setAlignment(Qt::AlignTop);
    scroll->setWidget(content);
    outer->addWidget(scroll);
}

void ClusterGalleryView::setClusters(QVector<GalleryCluster> clusters, Thumbnail thumbnail,
                                     int imagesPerRow, int maxRows) {
    while (QLayoutItem* item = m_rows->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    clusters.erase(std::remove_if(clusters.begin(), clusters.end(),
                                  [](const GalleryCluster& c) { return c.size == 0; }),
                   clusters.end());
    std::stable_sort(
        clusters.begin(), clusters.end(),
        [](const GalleryCluster& a, const GalleryCluster& b) { return a.size > b.size; });
    if (clusters.size() > maxRows)
        clusters.resize(maxRows);
    m_shown = clusters;
    QWidget* content = m_rows->parentWidget();
    for (const GalleryCluster& c : clusters) {
        // Title above its strip of images, so that a narrow panel still shows several.
        auto* row = new QWidget(content);
        auto* rowLayout = new QVBoxLayout(row);
        rowLayout->setContentsMargins(2, 2, 2, 6);
        rowLayout->setSpacing(1);
        auto* layout = new QHBoxLayout;
        layout->setSpacing(2);
        auto* info = new QPushButton(row);
        info->setFlat(true);
        info->setStyleSheet(QStringLiteral("text-align: left; font-weight: bold;"));
        info->setText(c.purity >= 0
                          ? tr("prototype %1  ·  %L2 images  ·  %3 % %4")
                                .arg(c.prototype)
                                .arg(c.size)
                                .arg(100 * c.purity, 0, 'f', 0)
                                .arg(c.majorityClass)
                          : tr("prototype %1  ·  %L2 images").arg(c.prototype).arg(c.size));
        info->setToolTip(tr("Show more of this prototype's images"));
        connect(info, &QPushButton::clicked, this,
                [this, p = c.prototype] { Q_EMIT prototypeClicked(p); });
        rowLayout->addWidget(info);
        rowLayout->addLayout(layout);
        for (int i = 0; i < std::min<int>(imagesPerRow, c.topImages.size()); ++i) {
            auto* button = new QToolButton(row);
            const qint64 index = c.topImages[i];
            // Small images (28 px) are enlarged: icons never scale up by themselves.
            button->setIcon(QPixmap::fromImage(
                thumbnail(index).scaled(44, 44, Qt::KeepAspectRatio, Qt::FastTransformation)));
            button->setIconSize(QSize(44, 44));
            button->setAutoRaise(true);
            button->setToolTip(tr("image %1: its prediction and crops").arg(index));
            connect(button, &QToolButton::clicked, this,
                    [this, index] { Q_EMIT imageClicked(index); });
            layout->addWidget(button);
        }
        layout->addStretch(1);
        m_rows->addWidget(row);
    }
    if (clusters.isEmpty())
        m_rows->addWidget(
            new QLabel(tr("No clusters yet: compute them from a checkpoint."), content));
}

} // namespace swav
