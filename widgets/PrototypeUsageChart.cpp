#include "PrototypeUsageChart.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace swav {

PrototypeUsageChart::PrototypeUsageChart(QWidget* parent)
    : QWidget(parent)
    , m_panel(new PlotPanel(this))
    , m_stats(new QLabel(this))
    , m_health(new QLabel(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stats->setWordWrap(true);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_health->setWordWrap(true);
    m_health->setMargin(4);
    layout->addWidget(m_health);
    layout->addWidget(m_stats);
    layout->addWidget(m_panel, 1);
    QCustomPlot* p = m_panel->plot();
    p->legend->setVisible(false);
    m_bars = new QCPBars(p->xAxis, p->yAxis);
    m_bars->setName(tr("assignments per prototype (sorted)"));
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(31, 119, 180));
    m_bars->setWidth(1.0);
    p->xAxis->setLabel(tr("prototype rank (most used first)"));
    p->yAxis->setLabel(tr("assignments"));
    m_panel->setEmptyText(tr("Prototype usage appears after the first epoch."));
    clear();
}

void PrototypeUsageChart::setEmptyText(const QString& text) {
    m_panel->setEmptyText(text);
}

void PrototypeUsageChart::clear() {
    m_bars->data()->clear();
    m_stats->clear();
    m_stats->hide();
    m_health->setText(QString());
    m_health->setStyleSheet(QString());
    m_level = 0;
    m_panel->scheduleRedraw();
}

void PrototypeUsageChart::setSummary(const UsageSummary& s) {
    std::vector<long long> sorted = s.usage;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    QVector<double> ranks, counts;
    for (size_t i = 0; i < sorted.size(); ++i) {
        ranks.append(double(i));
        counts.append(double(sorted[i]));
    }
    m_bars->setData(ranks, counts, true);
    m_stats->setText(tr("empty prototypes %1 of %2  ·  code entropy %3 of ln K  ·  usage entropy "
                        "%4 of ln K  ·  max prototype cosine %5  ·  embedding spread %6 "
                        "(0 = collapsed, 1 = well spread)")
                         .arg(s.emptyPrototypes)
                         .arg(sorted.size())
                         .arg(s.codeEntropy, 0, 'f', 3)
                         .arg(s.usageEntropy, 0, 'f', 3)
                         .arg(s.maxPrototypeCosine, 0, 'f', 3)
                         .arg(s.spread, 0, 'f', 2));
    m_stats->show();
    m_level = s.healthLevel;
    static const char* const colours[] = {"#2ca02c", "#d98c00", "#d62728"};
    m_health->setStyleSheet(
        QStringLiteral("QLabel { color: white; background: %1; border-radius: 3px; }")
            .arg(QLatin1String(colours[std::clamp(m_level, 0, 2)])));
    m_health->setText(s.hints.isEmpty() ? tr("Healthy: no known failure mode in this epoch.")
                                        : s.hints.join(QLatin1Char('\n')));
    m_panel->scheduleRedraw();
}

int PrototypeUsageChart::barCount() const {
    return m_bars->dataCount();
}
QString PrototypeUsageChart::statsText() const {
    return m_stats->text();
}
QString PrototypeUsageChart::healthText() const {
    return m_health->text();
}

} // namespace swav
