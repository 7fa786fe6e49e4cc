#pragma once
// Live loss curve: raw values (thin) and a smoothed curve over an adjustable number of steps,
// a dashed
// ln K guide (the loss of uniform codes, where a collapsed run sits), and shaded spans where
// the prototypes were frozen and where the queue was in use. Append-only.

#include "PlotPanel.h"

#include <QColor>
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
    /// The smoothing's time constant in steps (0 = none). As TensorBoard's smoothing, a
    /// debiased exponential moving average, but weighted by step distance: a report d steps
    /// older than another weighs exp(-d / steps) as much, however often reports come.
    void setSmoothingSteps(double steps);
    double smoothingSteps() const { return m_smoothingSteps; }

    int pointCount() const { return m_steps.size(); }
    double smoothedValue(int index) const { return m_smoothed.value(index); }
    /// The smoothed loss at the last reported step (NaN before the first report).
    double lastSmoothed() const;
    double guideValue() const { return m_guide; }
    /// [first, last] step of the shaded spans; first > last when there is none.
    QPair<double, double> frozenSpan() const { return {m_frozenFirst, m_frozenLast}; }
    double queueStart() const { return m_queueStart; }
    /// The colours of the raw and the smoothed line.
    QColor rawColour() const;
    QColor smoothedColour() const;

protected:
    void changeEvent(QEvent* event) override;
    void beforeRedraw() override;
    void afterFit() override;

private:
    /// Appends the smoothed value of raw point `index`, the newest smoothed so far.
    void smoothNewestOf(int index);
    void recolour();

    QCPGraph* m_raw = nullptr;
    QCPGraph* m_smoothedGraph = nullptr;
    QCPItemStraightLine* m_guideLine = nullptr;
    QCPItemRect* m_frozenRect = nullptr;
    QCPItemRect* m_queueRect = nullptr;
    QVector<double> m_steps, m_losses, m_smoothed;
    double m_smoothingSteps = 20; // at a report every 10 steps, TensorBoard's default 0.6
    double m_average = 0;         // the moving average, not yet debiased
    double m_weightSum = 0;       // its total weight: dividing by it removes the bias to 0
    double m_guide = 0;
    double m_frozenFirst = 1, m_frozenLast = 0;
    double m_queueStart = -1; // -1 = queue not used yet
};

} // namespace swav
