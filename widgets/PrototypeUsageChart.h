#pragma once
// Prototype usage at the end of each epoch: bars of the per-prototype assignment counts sorted
// from most to least used, the count of empty prototypes, code and usage entropy relative to
// ln K, the largest prototype cosine, the collapse measure, and a health line that turns amber
// or red with a plain-language hint.

#include "PlotPanel.h"

#include <QStringList>
#include <vector>

class QCPBars;
class QLabel;

namespace swav {

struct UsageSummary {
    std::vector<long long> usage; // per prototype, any order
    int emptyPrototypes = 0;
    double codeEntropy = 0;  // / ln K
    double usageEntropy = 0; // / ln K
    double maxPrototypeCosine = 0;
    double spread = 1;   // embedding std / well-spread reference (0 = collapsed)
    int healthLevel = 0; // 0 good, 1 warning, 2 bad
    QStringList hints;
};

class PrototypeUsageChart : public QWidget {
    Q_OBJECT
public:
    explicit PrototypeUsageChart(QWidget* parent = nullptr);

    void setSummary(const UsageSummary& summary);
    void clear();
    /// What the empty chart says it waits for.
    void setEmptyText(const QString& text);

    int barCount() const;
    QString statsText() const;
    QString healthText() const;
    int healthLevel() const { return m_level; }
    /// The bar chart (export, hover read-out).
    PlotPanel* panel() const { return m_panel; }

private:
    PlotPanel* m_panel = nullptr;
    QCPBars* m_bars = nullptr;
    QLabel* m_stats = nullptr;
    QLabel* m_health = nullptr;
    int m_level = 0;
};

} // namespace swav
