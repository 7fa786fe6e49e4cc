#pragma once
// One image with the box of every crop drawn on it, beside the crops as the network sees them
// (after flip, jitter, grey and blur), grouped (large, small) and colour-matched to their boxes.

#include <QImage>
#include <QRectF>
#include <QVector>
#include <QWidget>

class QLabel;
class QVBoxLayout;

namespace swav {

struct CropTile {
    QImage image; // as the network sees it, de-normalised for display
    QRectF box;   // in source image pixels
    int group = 0;
    QString details; // applied operations, for the tooltip
};

class CropsView : public QWidget {
    Q_OBJECT
public:
    explicit CropsView(QWidget* parent = nullptr);

    void setPreview(const QImage& original, const QVector<CropTile>& crops,
                    const QStringList& groupNames);
    void showMessage(const QString& message);

    int cropCount() const { return m_crops.size(); }
    const QVector<CropTile>& crops() const { return m_crops; }
    QSize originalSize() const { return m_original.size(); }
    static QColor boxColour(int index);

private:
    QLabel* m_originalLabel = nullptr;
    QLabel* m_message = nullptr;
    QWidget* m_groups = nullptr;
    QVBoxLayout* m_groupsLayout = nullptr;
    QImage m_original;
    QVector<CropTile> m_crops;
};

} // namespace swav
