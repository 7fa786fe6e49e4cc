#include "PlotPanel.h"

#include <qcustomplot.h>

#include <QFile>
#include <QFileDialog>
#include <QMenu>
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

void PlotPanel::redraw() {
    beforeRedraw();
    if (m_autoFit) {
        m_plot->rescaleAxes(true);
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

bool PlotPanel::exportCsv(const QString& file) const {
    QFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        return false;
    QTextStream text(&out);
    text << "graph," << m_plot->xAxis->label() << ',' << m_plot->yAxis->label() << '\n';
    for (int g = 0; g < m_plot->graphCount(); ++g) {
        const QCPGraph* graph = m_plot->graph(g);
        QString name = graph->name();
        name.replace(QLatin1Char(','), QLatin1Char(' '));
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
            text << name << ',' << QString::number(it->key, 'g', 12) << ','
                 << QString::number(it->value, 'g', 12) << '\n';
    }
    return text.status() == QTextStream::Ok && out.flush();
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
    return text;
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
    menu.addAction(tr("Export PNG..."), this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Export plot as PNG"), QStringLiteral("plot.png"), tr("PNG images (*.png)"));
        if (!file.isEmpty() && !exportPng(file))
            QToolTip::showText(QCursor::pos(), tr("Could not write %1").arg(file), this);
    });
    menu.addAction(tr("Export CSV..."), this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Export plot data as CSV"), QStringLiteral("plot.csv"), tr("CSV (*.csv)"));
        if (!file.isEmpty() && !exportCsv(file))
            QToolTip::showText(QCursor::pos(), tr("Could not write %1").arg(file), this);
    });
    menu.exec(m_plot->mapToGlobal(position));
}

} // namespace swav
