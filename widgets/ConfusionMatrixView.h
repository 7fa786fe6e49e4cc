#pragma once
// A confusion matrix as a heat map: rows are true classes, columns predicted ones, cells
// coloured by the share of the row and labelled with the count, axes named by class.

#include "PlotPanel.h"

#include <QStringList>
#include <vector>

class QCPColorMap;
class QPaintDevice;

namespace swav {

class ConfusionMatrixView : public PlotPanel {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);

    void setMatrix(const std::vector<std::vector<long long>>& counts, const QStringList& classes);
    void clear();
    int classCount() const { return m_classes; }
    /// Paints the matrix as laid out on screen onto `device` (a picture, a printer, a test's
    /// recorder of where text goes).
    void paintOn(QPaintDevice* device) const;

private:
    QCPColorMap* m_map = nullptr;
    int m_classes = 0;
};

} // namespace swav
