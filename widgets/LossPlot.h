#pragma once
// Live loss curve: raw values (faint) and a moving average, with a dashed ln K guide (the
// loss of uniform codes, where a collapsed run sits). Points are appended from the GUI thread;
// the redraw is coalesced on a ~30 ms timer so a fast run never floods the event loop.

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QTimer;

namespace swav {

class LossPlot : public QWidget {
    Q_OBJECT
public:
    explicit LossPlot(QWidget* parent = nullptr);

    void clear();
    /// The number of prototypes K; draws the ln K guide line.
    void setPrototypeCount(int prototypes);
    void appendLoss(double step, double loss);
    /// Points in the moving average (1 = no smoothing).
    void setSmoothingWindow(int window);

    int pointCount() const { return m_steps.size(); }
    double smoothedValue(int index) const { return m_smoothed.value(index); }
    double guideValue() const { return m_guide; }

private:
    void scheduleRedraw();
    void redraw();

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_raw = nullptr;
    QCPGraph* m_average = nullptr;
    QCPItemStraightLine* m_guideLine = nullptr;
    QTimer* m_redrawTimer = nullptr;
    QVector<double> m_steps, m_losses, m_smoothed;
    int m_window = 20;
    double m_guide = 0;
};

} // namespace swav
