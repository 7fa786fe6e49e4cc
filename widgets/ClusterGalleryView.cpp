#include "ClusterGalleryView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace swav {

ClusterGalleryView::ClusterGalleryView(QWidget* parent)
    : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    // The gallery scrolls within itself: thirty strips would make its dock thousands of pixels
    // tall and push the chosen prototype out of view.
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("galleryScroll"));
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
        // The strip shows as many images as the width allows: it never widens the panel, so
        // that the title above wraps at the panel's edge.
        auto* strip = new QWidget(row);
        strip->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        auto* layout = new QHBoxLayout(strip);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->setSpacing(2);
        // A wrapping label: a title on a button was cut at the panel's edge.
        auto* info = new QLabel(clusterTitle(c), row);
        info->setObjectName(QStringLiteral("clusterTitle"));
        info->setWordWrap(true);
        info->setTextFormat(Qt::RichText);
        info->setToolTip(tr("Show more of this prototype's images"));
        connect(info, &QLabel::linkActivated, this,
                [this, p = c.prototype] { Q_EMIT prototypeClicked(p); });
        rowLayout->addWidget(info);
        rowLayout->addWidget(strip);
        for (int i = 0; i < std::min<int>(imagesPerRow, c.topImages.size()); ++i) {
            auto* button = new QToolButton(strip);
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

QString ClusterGalleryView::clusterTitle(const GalleryCluster& c) {
    const QString name = QStringLiteral("<a href=\"prototype\"><b>%1</b></a>")
                             .arg(tr("prototype %1").arg(c.prototype));
    QString text = tr("%1  ·  %L2 images").arg(name).arg(c.size);
    if (c.purity >= 0)
        text +=
            tr("  ·  %1 % %2").arg(100 * c.purity, 0, 'f', 0).arg(c.majorityClass.toHtmlEscaped());
    return text;
}

} // namespace swav
