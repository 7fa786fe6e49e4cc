#pragma once
// Live loss curve: raw values (faint) and a moving average with an adjustable window, a dashed
// ln K guide (the loss of uniform codes, where a collapsed run sits), and shaded spans where
// the prototypes were frozen and where the queue was in use. Append-only.

#include "PlotPanel.h"

#include <QVector>

class QCPGraph;
class QCPItemRect;
class QCPItemStraightLine;

namespace swav {

class LossPlot : public PlotPanel {
    Q_OBJECT
public:
    explicit LossPlot(QWidget* parent = nullptr);

    void clear();
    /// The number of prototypes K; draws the ln K guide line.
    void setPrototypeCount(int prototypes);
    /// `frozen`: prototypes still frozen at this step; `queue`: the queue fed this step's codes.
    void appendLoss(double step, double loss, bool frozen = false, bool queue = false);
    /// Points in the moving average (1 = no smoothing).
    void setSmoothingWindow(int window);

    int pointCount() const { return m_steps.size(); }
    double smoothedValue(int index) const { return m_smoothed.value(index); }
    double guideValue() const { return m_guide; }
    /// [first, last] step of the shaded spans; first > last when there is none.
    QPair<double, double> frozenSpan() const { return {m_frozenFirst, m_frozenLast}; }
    double queueStart() const { return m_queueStart; }
    /// Whether the legend lies over the plotted data (it sits beside it).
    bool legendCoversData() const;

protected:
    void beforeRedraw() override;
    void afterFit() override;

private:
    QCPGraph* m_raw = nullptr;
    QCPGraph* m_average = nullptr;
    QCPItemStraightLine* m_guideLine = nullptr;
    QCPItemRect* m_frozenRect = nullptr;
    QCPItemRect* m_queueRect = nullptr;
    QVector<double> m_steps, m_losses, m_smoothed;
    int m_window = 20;
    double m_guide = 0;
    double m_frozenFirst = 1, m_frozenLast = 0;
    double m_queueStart = -1; // -1 = queue not used yet
};

} // namespace swav
