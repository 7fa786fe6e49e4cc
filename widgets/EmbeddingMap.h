#pragma once
// A 2-D map (PCA) of image features: one dot per image, coloured by label or by assigned
// prototype; hovering a dot shows the image.

#include "PlotPanel.h"

#include <QImage>
#include <QStringList>
#include <QVector>

#include <functional>

class QLabel;

namespace swav {

struct MapPoint {
    double x = 0;
    double y = 0;
    int label = -1;
    int prototype = -1;
    qint64 index = -1; // dataset index
};

class EmbeddingMap : public PlotPanel {
    Q_OBJECT
public:
    enum class Colouring { Label, Prototype };

    explicit EmbeddingMap(QWidget* parent = nullptr);

    void setPoints(QVector<MapPoint> points, QStringList classNames,
                   std::function<QImage(qint64)> thumbnail);
    void setColouring(Colouring colouring);
    int pointCount() const { return m_points.size(); }
    /// The point nearest to a widget position within 12 px, or -1.
    int pointAt(const QPointF& position) const;

Q_SIGNALS:
    void pointClicked(qint64 index);

private:
    void rebuild();
    void hover(QMouseEvent* event);

    QVector<MapPoint> m_points;
    QStringList m_classNames;
    std::function<QImage(qint64)> m_thumbnail;
    Colouring m_colouring = Colouring::Label;
    QLabel* m_preview = nullptr;
};

} // namespace swav
