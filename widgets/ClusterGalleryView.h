#pragma once
// What each prototype gathered: one row per prototype, largest first, with its size, label
// purity and a strip of its most typical images. Clicking a row or an image reports it.

#include <QImage>
#include <QVector>
#include <QWidget>

#include <functional>

class QVBoxLayout;

namespace swav {

struct GalleryCluster {
    int prototype = 0;
    qint64 size = 0;
    double purity = -1; // share of the majority label; -1 without labels
    QString majorityClass;
    QVector<qint64> topImages; // dataset indices, most typical first
};

class ClusterGalleryView : public QWidget {
    Q_OBJECT
public:
    using Thumbnail = std::function<QImage(qint64 index)>;

    explicit ClusterGalleryView(QWidget* parent = nullptr);

    /// Shows the clusters with at least one image, sorted by size (at most `maxRows`).
    void setClusters(QVector<GalleryCluster> clusters, Thumbnail thumbnail, int imagesPerRow = 8,
                     int maxRows = 200);
    int rowCount() const { return m_shown.size(); }
    const QVector<GalleryCluster>& shownClusters() const { return m_shown; }

Q_SIGNALS:
    void prototypeClicked(int prototype);
    void imageClicked(qint64 index);

private:
    /// "prototype 3 · 1,204 images · 87 % Sneaker", the name a link that shows the prototype.
    static QString clusterTitle(const GalleryCluster& cluster);

    QVBoxLayout* m_rows = nullptr;
    QVector<GalleryCluster> m_shown;
};

} // namespace swav
