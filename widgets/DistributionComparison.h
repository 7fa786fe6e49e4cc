#pragma once
// Two distributions over the same prototypes side by side: grouped bars for the prototypes
// that carry most of either, so a code q and a prediction p can be compared at a glance.

#include <QVector>
#include <QWidget>

namespace swav {

class DistributionComparison : public QWidget {
    Q_OBJECT
public:
    explicit DistributionComparison(QWidget* parent = nullptr);

    /// `shown`: how many prototypes get bars (those with the largest max(a, b), largest first).
    void setDistributions(const QString& nameA, const QVector<double>& a, const QString& nameB,
                          const QVector<double>& b, int shown = 10);
    void clear();
    /// The prototypes drawn, left to right.
    const QVector<int>& shownPrototypes() const { return m_shown; }
    double valueA(int prototype) const { return m_a.value(prototype); }
    double valueB(int prototype) const { return m_b.value(prototype); }

    QSize sizeHint() const override { return {420, 220}; }
    QSize minimumSizeHint() const override { return {240, 140}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QString m_nameA, m_nameB;
    QVector<double> m_a, m_b;
    QVector<int> m_shown;
};

} // namespace swav
