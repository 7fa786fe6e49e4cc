#include "PlotPanel.h"

#include "ExportActions.h"

#include "util/Strings.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QMenu>
#include <QSaveFile>
#include <QTextStream>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace swav {

PlotPanel::PlotPanel(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_redrawTimer(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->legend->setVisible(true);
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    m_plot->legend->setFont(legendFont);
    m_plot->setMinimumHeight(120);
    // A label over the plot rather than a plot item: subclasses may clear the items.
    m_emptyLabel = new QLabel(m_plot);
    m_emptyLabel->setObjectName(QStringLiteral("emptyPlotText"));
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_emptyLabel->hide();
    m_emptyOverlay = new QVBoxLayout(m_plot);
    m_emptyOverlay->addWidget(m_emptyLabel);

    followPalette();
    m_redrawTimer->setSingleShot(true);
    m_redrawTimer->setInterval(30);
    connect(m_redrawTimer, &QTimer::timeout, this, &PlotPanel::redraw);
    connect(m_plot, &QCustomPlot::customContextMenuRequested, this, &PlotPanel::showContextMenu);
    connect(m_plot, &QCustomPlot::mouseMove, this, &PlotPanel::showReadout);
    // Once the user zooms or pans, live data no longer moves the view; double-click fits again.
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_autoFit = false; });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        m_autoFit = m_autoFit && event->button() != Qt::LeftButton;
    });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        m_autoFit = true;
        scheduleRedraw();
    });
}

void PlotPanel::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        followPalette();
}

void PlotPanel::followPalette() {
    // Plots take the colours of the theme: background, axes, labels, legend.
    const QPalette p = palette();
    const QColor text = p.color(QPalette::WindowText);
    m_plot->setBackground(p.color(QPalette::Base));
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        QColor grid = text;
        grid.setAlpha(40);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
    QColor legend = p.color(QPalette::Base);
    legend.setAlpha(210);
    m_plot->legend->setBrush(legend);
    m_plot->legend->setTextColor(text);
    m_plot->legend->setBorderPen(QPen(text));
    scheduleRedraw();
}

void PlotPanel::scheduleRedraw() {
    if (!m_redrawTimer->isActive())
        m_redrawTimer->start();
}

QPair<double, double> PlotPanel::xRange() const {
    return {m_plot->xAxis->range().lower, m_plot->xAxis->range().upper};
}

QPair<double, double> PlotPanel::yRange() const {
    return {m_plot->yAxis->range().lower, m_plot->yAxis->range().upper};
}

QImage PlotPanel::image() const {
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    return m_plot->grab().toImage();
}

void PlotPanel::setEmptyText(const QString& text) {
    m_emptyLabel->setText(text);
    scheduleRedraw();
}

QString PlotPanel::emptyText() const {
    return m_emptyLabel->text();
}

bool PlotPanel::showsEmptyText() const {
    return !m_emptyLabel->isHidden();
}

bool PlotPanel::hasData() const {
    for (int i = 0; i < m_plot->plottableCount(); ++i) {
        QCPAbstractPlottable* plottable = m_plot->plottable(i);
        if (auto* colours = qobject_cast<QCPColorMap*>(plottable)) {
            if (!colours->data()->isEmpty() && colours->data()->keySize() > 0)
                return true;
        } else if (plottable->interface1D() && plottable->interface1D()->dataCount() > 0) {
            return true;
        }
    }
    return false;
}

void PlotPanel::showEmptyState(bool empty) {
    // Axes without data only say 0 to 5: the text takes their place, clear of a side legend.
    m_plot->axisRect()->setVisible(!empty);
    m_emptyLabel->setVisible(empty);
    const bool legendBeside = m_legendBeside && m_plot->legend->visible();
    const int legendWidth = legendBeside ? m_plot->legend->minimumOuterSizeHint().width() : 0;
    m_emptyOverlay->setContentsMargins(12, 12, 12 + legendWidth, 12);
}

void PlotPanel::markLonePoints() {
    // The marker added here is taken away again once the graph has a line to draw.
    static const char* const kAdded = "swavLoneMarker";
    for (int g = 0; g < m_plot->graphCount(); ++g) {
        QCPGraph* graph = m_plot->graph(g);
        const bool lone = graph->dataCount() == 1 && graph->pen().style() != Qt::NoPen;
        if (lone && graph->scatterStyle().isNone()) {
            QColor colour = graph->pen().color();
            colour.setAlpha(255);
            graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 7));
            graph->setProperty(kAdded, true);
        } else if (!lone && graph->property(kAdded).toBool()) {
            graph->setScatterStyle(QCPScatterStyle());
            graph->setProperty(kAdded, false);
        }
    }
}

namespace {

/// A range around a single value: a tenth of it either side (or 1 around 0).
QCPRange around(double value) {
    const double half = value != 0 ? std::abs(value) * 0.1 : 1.0;
    return {value - half, value + half};
}

} // namespace

void PlotPanel::tidyFittedRanges() {
    // Only line graphs: bars and heat maps own the space around their keys.
    if (m_plot->plottableCount() == 0 || m_plot->graphCount() != m_plot->plottableCount())
        return;
    double lowestKey = std::numeric_limits<double>::max(), highestKey = -lowestKey;
    double lowestValue = lowestKey, highestValue = -lowestKey;
    for (int g = 0; g < m_plot->graphCount(); ++g) {
        const QCPGraph* graph = m_plot->graph(g);
        if (graph->data()->isEmpty())
            continue;
        lowestKey = std::min(lowestKey, graph->data()->constBegin()->key);
        highestKey = std::max(highestKey, (graph->data()->constEnd() - 1)->key);
        bool found = false;
        const QCPRange values = graph->getValueRange(found);
        if (found) {
            lowestValue = std::min(lowestValue, values.lower);
            highestValue = std::max(highestValue, values.upper);
        }
    }
    if (lowestKey > highestKey)
        return; // no data
    // QCustomPlot centres a lone value in the old range: a first point at step 1 gave an axis
    // from -1 to 3.
    if (lowestKey == highestKey)
        m_plot->xAxis->setRange(lowestKey >= 0 ? QCPRange(0, std::max(1.0, 2 * lowestKey))
                                               : around(lowestKey));
    else if (lowestKey >= 0 && m_plot->xAxis->range().lower < 0)
        m_plot->xAxis->setRangeLower(0);
    if (lowestValue == highestValue)
        m_plot->yAxis->setRange(around(lowestValue));
}

void PlotPanel::redraw() {
    beforeRedraw();
    markLonePoints();
    showEmptyState(!m_emptyLabel->text().isEmpty() && !hasData());
    if (m_autoFit) {
        m_plot->rescaleAxes(true);
        tidyFittedRanges();
        afterFit();
        if (m_logScale && m_plot->yAxis->range().lower <= 0)
            m_plot->yAxis->setRangeLower(1e-6);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT redrawn();
}

void PlotPanel::setLogScale(bool logarithmic) {
    m_logScale = logarithmic;
    m_plot->yAxis->setScaleType(logarithmic ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logarithmic) {
        QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
        m_plot->yAxis->setTicker(ticker);
    } else {
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    m_autoFit = true;
    scheduleRedraw();
}

namespace {

/// One CSV field, quoted as the run database's exports are (util/Strings.h).
QString csvField(const QString& text) {
    return QString::fromStdString(swav::csvField(text.toStdString()));
}

QString csvNumber(double value) {
    return QString::number(value, 'g', 12);
}

} // namespace

bool PlotPanel::exportCsv(const QString& file) const {
    QSaveFile out(file); // written whole or not at all
    if (!out.open(QIODevice::WriteOnly | QIODevice::Text))
        return false;
    QTextStream text(&out);
    // Curves and bars: one row per point; a heat map: one row per cell with its value.
    bool map = false;
    for (int i = 0; i < m_plot->plottableCount(); ++i)
        map = map || qobject_cast<QCPColorMap*>(m_plot->plottable(i));
    text << (map ? "map," : "graph,") << csvField(m_plot->xAxis->label()) << ','
         << csvField(m_plot->yAxis->label()) << (map ? ",value\n" : "\n");
    for (int i = 0; i < m_plot->plottableCount(); ++i) {
        QCPAbstractPlottable* plottable = m_plot->plottable(i);
        const QString name = csvField(plottable->name());
        if (auto* graph = qobject_cast<QCPGraph*>(plottable)) {
            for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
                text << name << ',' << csvNumber(it->key) << ',' << csvNumber(it->value) << '\n';
        } else if (auto* bars = qobject_cast<QCPBars*>(plottable)) {
            for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
                text << name << ',' << csvNumber(it->key) << ',' << csvNumber(it->value) << '\n';
        } else if (auto* colours = qobject_cast<QCPColorMap*>(plottable)) {
            QCPColorMapData* data = colours->data(); // cell() is not const
            for (int y = 0; y < data->valueSize(); ++y)
                for (int x = 0; x < data->keySize(); ++x) {
                    double key = 0, value = 0;
                    data->cellToCoord(x, y, &key, &value);
                    text << name << ',' << csvNumber(key) << ',' << csvNumber(value) << ','
                         << csvNumber(data->cell(x, y)) << '\n';
                }
        }
    }
    text.flush();
    return text.status() == QTextStream::Ok && out.commit();
}

bool PlotPanel::exportPng(const QString& file, int width, int height) const {
    return m_plot->savePng(file, width, height);
}

QString PlotPanel::readoutAt(const QPointF& position) const {
    // The point closest on screen among all visible graphs.
    double best = std::numeric_limits<double>::max();
    QString text;
    for (int g = 0; g < m_plot->graphCount(); ++g) {
        const QCPGraph* graph = m_plot->graph(g);
        if (!graph->visible() || graph->data()->isEmpty())
            continue;
        const double key = m_plot->xAxis->pixelToCoord(position.x());
        auto it = graph->data()->findBegin(key, true);
        for (int k = 0; k < 2 && it != graph->data()->constEnd(); ++k, ++it) {
            const QPointF pixel(m_plot->xAxis->coordToPixel(it->key),
                                m_plot->yAxis->coordToPixel(it->value));
            const double distance = std::hypot(pixel.x() - position.x(), pixel.y() - position.y());
            if (distance < best && distance < 30) {
                best = distance;
                text = QStringLiteral("%1\n%2 %3\n%4 %5")
                           .arg(graph->name(), m_plot->xAxis->label(),
                                QString::number(it->key, 'g', 8), m_plot->yAxis->label(),
                                QString::number(it->value, 'g', 6));
            }
        }
    }
    if (!text.isEmpty())
        return text;
    // Bars and heat maps: the bar or cell under the cursor.
    const double key = m_plot->xAxis->pixelToCoord(position.x());
    const double value = m_plot->yAxis->pixelToCoord(position.y());
    for (int i = 0; i < m_plot->plottableCount(); ++i) {
        QCPAbstractPlottable* plottable = m_plot->plottable(i);
        if (!plottable->visible())
            continue;
        if (auto* bars = qobject_cast<QCPBars*>(plottable)) {
            auto it = bars->data()->findBegin(key - bars->width() / 2, false);
            for (; it != bars->data()->constEnd() && it->key <= key + bars->width() / 2; ++it)
                if (std::abs(it->key - key) <= bars->width() / 2)
                    return QStringLiteral("%1\n%2 %3\n%4 %5")
                        .arg(bars->name(), m_plot->xAxis->label(), QString::number(it->key, 'g', 8),
                             m_plot->yAxis->label(), QString::number(it->value, 'g', 6));
        } else if (auto* colours = qobject_cast<QCPColorMap*>(plottable)) {
            int x = 0, y = 0;
            QCPColorMapData* data = colours->data(); // cell() is not const
            data->coordToCell(key, value, &x, &y);
            if (x >= 0 && y >= 0 && x < data->keySize() && y < data->valueSize())
                return QStringLiteral("%1 %2\n%3 %4\nvalue %5")
                    .arg(m_plot->xAxis->label(), QString::number(x), m_plot->yAxis->label(),
                         QString::number(y), QString::number(data->cell(x, y), 'g', 6));
        }
    }
    return {};
}

void PlotPanel::placeLegendBeside() {
    m_legendBeside = true;
    auto* legendColumn = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(0, 1, legendColumn);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    legendColumn->addElement(0, 0, m_plot->legend);
    legendColumn->addElement(1, 0, new QCPLayoutElement(m_plot)); // pushes the legend up
    legendColumn->setRowStretchFactor(1, 10);
    legendColumn->setMargins(QMargins(0, 0, 6, 0)); // the legend's frame stays inside the widget
    m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
}

bool PlotPanel::legendCoversData() const {
    m_plot->replot(QCustomPlot::rpImmediateRefresh); // lays out the legend
    return m_plot->legend->visible() &&
           m_plot->axisRect()->rect().intersects(m_plot->legend->outerRect());
}

QPointF PlotPanel::pixelOf(double x, double y) const {
    m_plot->replot(QCustomPlot::rpImmediateRefresh); // lays out the axes
    return {m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(y)};
}

void PlotPanel::showReadout(QMouseEvent* event) {
    const QString text = readoutAt(event->position());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
}

void PlotPanel::showContextMenu(const QPoint& position) {
    QMenu menu(this);
    QAction* log = menu.addAction(tr("Logarithmic y axis"));
    log->setCheckable(true);
    log->setChecked(m_logScale);
    connect(log, &QAction::toggled, this, &PlotPanel::setLogScale);
    menu.addAction(tr("Fit to data"), this, [this] {
        m_autoFit = true;
        scheduleRedraw();
    });
    menu.addSeparator();
    addExportAction(menu, this, tr("Export PNG..."), tr("Export plot as PNG"),
                    QStringLiteral("plot.png"), tr("PNG images (*.png)"),
                    [this](const QString& file) { return exportPng(file); });
    addExportAction(menu, this, tr("Export CSV..."), tr("Export plot data as CSV"),
                    QStringLiteral("plot.csv"), tr("CSV (*.csv)"),
                    [this](const QString& file) { return exportCsv(file); });
    menu.exec(m_plot->mapToGlobal(position));
}

} // namespace swav
