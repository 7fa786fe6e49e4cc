#include "EmbeddingMap.h"

#include "MetricPlot.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QMap>

#include <cmath>

namespace swav {

EmbeddingMap::EmbeddingMap(QWidget* parent)
    : PlotPanel(parent)
    , m_preview(new QLabel(plot())) {
    plot()->xAxis->setLabel(tr("principal component 1"));
    plot()->yAxis->setLabel(tr("principal component 2"));
    m_preview->setFrameShape(QFrame::Box);
    m_preview->setStyleSheet(QStringLiteral("background: white;"));
    m_preview->hide();
    // Beside the map: inside it, the legend hid the points of its corner.
    placeLegendBeside();
    connect(plot(), &QCustomPlot::mouseMove, this, &EmbeddingMap::hover);
    connect(plot(), &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        const int i = pointAt(event->position());
        if (i >= 0)
            Q_EMIT pointClicked(m_points[i].index);
    });
}

void EmbeddingMap::setPoints(QVector<MapPoint> points, QStringList classNames,
                             std::function<QImage(qint64)> thumbnail) {
    m_points = std::move(points);
    m_classNames = std::move(classNames);
    m_thumbnail = std::move(thumbnail);
    rebuild();
}

void EmbeddingMap::setColouring(Colouring colouring) {
    m_colouring = colouring;
    rebuild();
}

void EmbeddingMap::rebuild() {
    plot()->clearGraphs();
    QMap<int, QCPGraph*> groups;
    for (const MapPoint& p : m_points) {
        const int group = m_colouring == Colouring::Label ? p.label : p.prototype;
        QCPGraph* graph = groups.value(group);
        if (!graph) {
            graph = plot()->addGraph();
            graph->setLineStyle(QCPGraph::lsNone);
            const QColor colour = MetricPlot::paletteColour(int(groups.size()));
            graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, 5));
            graph->setName(m_colouring == Colouring::Label
                               ? (group >= 0 && group < m_classNames.size() ? m_classNames[group]
                                                                            : tr("no label"))
                               : tr("prototype %1").arg(group));
            groups.insert(group, graph);
        }
        graph->addData(p.x, p.y);
    }
    // A legend of a hundred prototypes hides the map; labels are few.
    plot()->legend->setVisible(groups.size() <= 12);
    setAutoFit(true);
    scheduleRedraw();
}

int EmbeddingMap::pointAt(const QPointF& position) const {
    int best = -1;
    double bestDistance = 12;
    for (int i = 0; i < m_points.size(); ++i) {
        const double dx = plot()->xAxis->coordToPixel(m_points[i].x) - position.x();
        const double dy = plot()->yAxis->coordToPixel(m_points[i].y) - position.y();
        const double distance = std::hypot(dx, dy);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = i;
        }
    }
    return best;
}

void EmbeddingMap::hover(QMouseEvent* event) {
    const int i = pointAt(event->position());
    if (i < 0 || !m_thumbnail) {
        m_preview->hide();
        return;
    }
    const MapPoint& p = m_points[i];
    const QImage image = m_thumbnail(p.index).scaled(72, 72, Qt::KeepAspectRatio);
    m_preview->setPixmap(QPixmap::fromImage(image));
    m_preview->setToolTip(QString());
    m_preview->adjustSize();
    m_preview->move(event->position().toPoint() + QPoint(14, 14));
    m_preview->show();
    m_preview->raise();
}

} // namespace swav
