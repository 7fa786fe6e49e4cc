// Issue 29: nothing is cut at the window's usual sizes. The window at 1280x800 and 1920x1080,
// every dock filled (a finished tiny run, its evaluation with baselines, a cluster analysis with
// a chosen prototype, the Lab on its checkpoint with an image and a cell chosen), each dock and
// each of its tabs raised in turn: no label cut, no sideways scroll bar, no scroll area inside
// another, and the confusion matrix paints every class name inside itself.
#include "ClusterGalleryView.h"
#include "ClustersPanel.h"
#include "ConfigForm.h"
#include "ConfusionMatrixView.h"
#include "EvaluationPanel.h"
#include "ExperimentPanel.h"
#include "LabPanel.h"
#include "LabSwapView.h"
#include "LayoutChecks.h"
#include "MainWindow.h"
#include "RunsPanel.h"
#include "TinySynthetic.h"
#include "config/ConfigJson.h"
#include "store/RunStore.h"

#include <QCheckBox>
#include <QDockWidget>
#include <QPaintEngine>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace swav;

namespace {

/// A run with what makes panels wide: eight classes with two-word names (slanted in the confusion
/// matrix) and the six crops of the Fashion-MNIST presets.
ExperimentConfig layoutRun() {
    ExperimentConfig c = test::tinyTrainingConfig(256);
    c.name = "layout-tiny";
    c.dataset.syntheticClasses = 8;
    c.multicrop.crops[1].count = 4;
    c.optim.epochs = 1;
    c.optim.batchSize = 32;
    c.eval.featureBatchSize = 128;
    return c;
}

/// Where each piece of text would be painted, in device pixels, painting nothing.
class TextRecorder : public QPaintEngine {
public:
    TextRecorder()
        : QPaintEngine(QPaintEngine::AllFeatures) {}
    bool begin(QPaintDevice*) override { return true; }
    bool end() override { return true; }
    Type type() const override { return QPaintEngine::User; }
    void updateState(const QPaintEngineState& state) override {
        if (state.state() & QPaintEngine::DirtyTransform)
            m_transform = state.transform();
    }
    void drawTextItem(const QPointF& origin, const QTextItem& item) override {
        const QRectF box(origin.x(), origin.y() - item.ascent(), item.width(),
                         item.ascent() + item.descent());
        texts.append({item.text(), m_transform.mapRect(box)});
    }
    void drawPath(const QPainterPath&) override {}
    void drawPolygon(const QPointF*, int, PolygonDrawMode) override {}
    void drawPixmap(const QRectF&, const QPixmap&, const QRectF&) override {}
    void drawImage(const QRectF&, const QImage&, const QRectF&, Qt::ImageConversionFlags) override {
    }

    QList<QPair<QString, QRectF>> texts;

private:
    QTransform m_transform;
};

/// A paint device of a widget's size that records text instead of drawing it.
class TextRecordingDevice : public QPaintDevice {
public:
    explicit TextRecordingDevice(QSize size)
        : m_size(size) {}
    QPaintEngine* paintEngine() const override { return &m_engine; }
    const QList<QPair<QString, QRectF>>& texts() const { return m_engine.texts; }

protected:
    int metric(PaintDeviceMetric metric) const override {
        switch (metric) {
        case PdmWidth:
            return m_size.width();
        case PdmHeight:
            return m_size.height();
        case PdmWidthMM:
            return m_size.width() * 254 / 960;
        case PdmHeightMM:
            return m_size.height() * 254 / 960;
        case PdmDpiX:
        case PdmDpiY:
        case PdmPhysicalDpiX:
        case PdmPhysicalDpiY:
            return 96;
        case PdmDepth:
            return 32;
        case PdmNumColors:
            return INT_MAX;
        case PdmDevicePixelRatio:
            return 1;
        case PdmDevicePixelRatioScaled:
            return int(QPaintDevice::devicePixelRatioFScale());
        default:
            return QPaintDevice::metric(metric);
        }
    }

private:
    QSize m_size;
    mutable TextRecorder m_engine;
};

/// Every text the confusion matrix paints that does not lie inside its plot (1 px allowed).
QStringList confusionLabelsOutside(ConfusionMatrixView* view) {
    const QWidget* plot = view; // the plot fills its panel
    TextRecordingDevice device(plot->size());
    view->paintOn(&device);
    const QRectF inside = QRectF(plot->rect()).adjusted(-1, -1, 1, 1);
    QStringList outside;
    for (const auto& [text, box] : device.texts())
        if (!inside.contains(box))
            outside << QStringLiteral("confusion matrix label \"%1\" at (%2, %3, %4 x %5) is "
                                      "outside the %6 x %7 plot")
                           .arg(text)
                           .arg(box.x(), 0, 'f', 0)
                           .arg(box.y(), 0, 'f', 0)
                           .arg(box.width(), 0, 'f', 0)
                           .arg(box.height(), 0, 'f', 0)
                           .arg(plot->width())
                           .arg(plot->height());
    if (device.texts().isEmpty())
        outside << QStringLiteral("the confusion matrix paints no text");
    return outside;
}

/// Why `widget` is not wholly in the visible part of the scroll area around it, or nothing: a
/// dock that opens scrolled cuts its bottom edge, the slanted class names with it.
QStringList outOfView(const QWidget* widget, const QString& name) {
    const QWidget* viewport = nullptr;
    for (const QWidget* w = widget->parentWidget(); w && !viewport; w = w->parentWidget())
        if (const auto* area = qobject_cast<const QScrollArea*>(w))
            viewport = area->viewport();
    if (!viewport)
        return {};
    const QRect shown(widget->mapTo(viewport, QPoint(0, 0)), widget->size());
    if (viewport->rect().contains(shown))
        return {};
    return {QStringLiteral("%1 (%2, %3, %4 x %5) is not wholly in view in its %6 x %7 dock")
                .arg(name)
                .arg(shown.x())
                .arg(shown.y())
                .arg(shown.width())
                .arg(shown.height())
                .arg(viewport->width())
                .arg(viewport->height())};
}

/// Layout problems of `root` once its layouts have settled: waits (up to 2 s) for them to go.
QStringList settledProblems(const QWidget* root) {
    if (QTest::qWaitFor([root] { return test::layoutProblems(root).isEmpty(); }, 2000))
        return {};
    return test::layoutProblems(root);
}

/// Every tab widget under `root`, outermost first.
QList<QTabWidget*> tabWidgetsUnder(QWidget* root) {
    return root->findChildren<QTabWidget*>();
}

/// Raises each tab of every tab widget under `root` in turn and checks `root` on each: problems
/// prefixed with `where` and the tab's name.
QStringList problemsOnEveryTab(QWidget* root, const QString& where) {
    QStringList problems;
    const QList<QTabWidget*> tabWidgets = tabWidgetsUnder(root);
    if (tabWidgets.isEmpty())
        for (const QString& problem : settledProblems(root))
            problems << where + QStringLiteral(": ") + problem;
    for (QTabWidget* tabs : tabWidgets) {
        if (!tabs->isVisible())
            continue; // a tab widget on a hidden tab of another is raised with it
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            const QString tab = QStringLiteral("%1, tab \"%2\"").arg(where, tabs->tabText(i));
            for (const QString& problem : settledProblems(root))
                problems << tab + QStringLiteral(": ") + problem;
        }
    }
    return problems;
}

/// Trains the tiny run in `window` and returns its last checkpoint's file.
QString trainTinyRun(MainWindow& window, qint64& run) {
    QSignalSpy finished(&window, &MainWindow::runFinished);
    window.experiment()->form()->setConfigJson(toJson(layoutRun()));
    window.experiment()->validateNow();
    if (!window.startFromForm() || !finished.wait(120000))
        return {};
    run = window.runStore()->listRuns().back().run.id;
    const auto checkpoints = window.runStore()->checkpoints(run);
    return checkpoints.empty() ? QString() : QString::fromStdString(checkpoints.back().path);
}

} // namespace

class LayoutTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-layout-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void everyDockAndLabTabFitsTheWindow_data() {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1280x800") << QSize(1280, 800);
        QTest::newRow("1920x1080") << QSize(1920, 1080);
    }

    void everyDockAndLabTabFitsTheWindow() {
        QFETCH(QSize, size);
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        window.resize(size);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        qint64 run = 0;
        const QString checkpoint = trainTinyRun(window, run);
        QVERIFY2(!checkpoint.isEmpty(), qPrintable(window.lastProblem()));
        window.runs()->refresh();
        window.runs()->selectRuns({run});

        EvaluationPanel* evaluation = window.evaluation();
        QSignalSpy evaluated(evaluation, &EvaluationPanel::finished);
        evaluation->setCheckpoint(run, checkpoint);
        evaluation->baselinesBox()->setChecked(true);
        evaluation->start();
        QVERIFY(evaluated.wait(120000));
        QVERIFY2(evaluated.last().first().toBool(), qPrintable(window.lastProblem()));
        QCOMPARE(evaluation->confusion()->classCount(), 8);

        ClustersPanel* clusters = window.clusters();
        QSignalSpy analysed(clusters, &ClustersPanel::computed);
        clusters->setCheckpoint(checkpoint, true);
        QVERIFY(analysed.wait(120000));
        QVERIFY(analysed.last().first().toBool());
        QVERIFY(!clusters->gallery()->shownClusters().isEmpty());
        clusters->showPrototype(clusters->gallery()->shownClusters().first().prototype);

        window.showCentralView(1);
        LabPanel* lab = window.lab();
        QSignalSpy labComputed(lab, &LabPanel::computed);
        lab->setCheckpoint(checkpoint);
        QVERIFY(labComputed.wait(120000));
        QVERIFY2(labComputed.last().first().toBool(), qPrintable(window.lastProblem()));
        lab->swapView()->setImage(2);
        lab->swapView()->selectCell(0, 3);

        QStringList problems;
        // The Lab with the scroll area it sits in: the page must not scroll sideways.
        auto* labScroll = qobject_cast<QScrollArea*>(lab->parentWidget()->parentWidget());
        QVERIFY(labScroll);
        problems << problemsOnEveryTab(labScroll, QStringLiteral("Lab"));

        for (const char* name : {"experimentDock", "cropsDock", "clustersDock", "evaluationDock",
                                 "runsDock", "logDock"}) {
            auto* dock = window.findChild<QDockWidget*>(QString::fromLatin1(name));
            QVERIFY2(dock, name);
            dock->raise();
            QTRY_VERIFY2(dock->isVisible(), name);
            problems << problemsOnEveryTab(dock, QString::fromLatin1(name));
        }

        auto* evaluationTabs =
            qobject_cast<QTabWidget*>(evaluation->confusion()->parentWidget()->parentWidget());
        QVERIFY(evaluationTabs);
        window.findChild<QDockWidget*>(QStringLiteral("evaluationDock"))->raise();
        evaluationTabs->setCurrentWidget(evaluation->confusion());
        QTRY_VERIFY(evaluation->confusion()->isVisible());
        problems << confusionLabelsOutside(evaluation->confusion());
        problems << outOfView(evaluation->confusion(), QStringLiteral("the confusion matrix"));

        QVERIFY2(problems.isEmpty(),
                 qPrintable(QStringLiteral("%1x%2:\n").arg(size.width()).arg(size.height()) +
                            problems.join(QLatin1Char('\n'))));
    }
};

QTEST_MAIN(LayoutTest)
#include "test_layout.moc"
