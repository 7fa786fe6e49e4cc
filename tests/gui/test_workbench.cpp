// The workbench driven as a user would, offscreen: edit the form, start, watch the dashboard
// fill, pause, resume, stop; invalid fields block Start; the crops viewer, runs table, overlay,
// evaluation and cluster panels; the GUI thread never stalls while a run trains.
#include "ClusterGalleryView.h"
#include "ClustersPanel.h"
#include "ConfigForm.h"
#include "ConfusionMatrixView.h"
#include "CropsPanel.h"
#include "CropsView.h"
#include "DashboardPanel.h"
#include "DevicePicker.h"
#include "DurationLabel.h"
#include "EmbeddingMap.h"
#include "EvaluationPanel.h"
#include "EventLoopProbe.h"
#include "ExperimentPanel.h"
#include "ImportedWeights.h"
#include "LayoutChecks.h"
#include "LossPlot.h"
#include "MainWindow.h"
#include "MatrixHeatMap.h"
#include "MetricPlot.h"
#include "PrototypeUsageChart.h"
#include "RunsPanel.h"
#include "RunsTableModel.h"
#include "Theme.h"
#include "TinySynthetic.h"
#include "config/ConfigDiff.h"
#include "config/ConfigJson.h"
#include "config/Presets.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "store/RunStore.h"
#include "workflow/ImportRun.h"

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSet>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QVBoxLayout>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

using namespace swav;

namespace {

ExperimentConfig tinyRun(int epochs) {
    ExperimentConfig c = test::tinyTrainingConfig(512);
    c.name = "gui-tiny";
    c.optim.epochs = epochs;
    c.optim.batchSize = 32;
    c.swav.freezePrototypesNiters = 5;
    c.eval.featureBatchSize = 128;
    return c;
}

/// Puts `config` into the window's form as if typed, and lets it validate.
void loadIntoForm(MainWindow& window, const ExperimentConfig& config) {
    window.experiment()->form()->setConfigJson(toJson(config));
    window.experiment()->validateNow();
}

/// Waits until `count` has stayed the same for `quietMs` (at most `timeoutMs` in all).
bool waitUntilSteady(const std::function<int()>& count, int quietMs, int timeoutMs) {
    QElapsedTimer total, quiet;
    total.start();
    quiet.start();
    int last = count();
    while (total.elapsed() < timeoutMs) {
        QTest::qWait(50);
        const int now = count();
        if (now != last) {
            last = now;
            quiet.restart();
        } else if (quiet.elapsed() >= quietMs) {
            return true;
        }
    }
    return false;
}

QString stateOf(MainWindow& window, qint64 run) {
    const auto record = window.runStore()->run(run);
    return record ? QString::fromLatin1(store::toString(record->status)) : QStringLiteral("none");
}

} // namespace

class WorkbenchTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_home;
    QString database() const { return m_home.filePath(QStringLiteral("runs.db")); }

private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    // Issue 29: the smoothing is a debiased exponential moving average over steps.
    void lossPlotSmoothsShowsLnKAndShadesSpans() {
        LossPlot plot;
        plot.setSmoothingSteps(2); // a report one step older weighs w = exp(-1/2) as much
        plot.setPrototypeCount(100);
        plot.appendLoss(0, 4.0, true, false);
        plot.appendLoss(1, 2.0, true, false);
        plot.appendLoss(2, 6.0, false, true);
        QCOMPARE(plot.pointCount(), 3);
        // Debiased: the first value is the first loss, then (w 4 + 2) / (1 + w), then
        // (w^2 4 + w 2 + 6) / (1 + w + w^2).
        QCOMPARE(plot.smoothedValue(0), 4.0);
        QVERIFY(std::abs(plot.smoothedValue(1) - 2.755081337596291) < 1e-12);
        QVERIFY(std::abs(plot.smoothedValue(2) - 4.398569010674311) < 1e-12);
        // Ten steps later the older reports weigh exp(-5) as much: the value is nearly 2.
        plot.appendLoss(12, 2.0, false, true);
        QVERIFY(std::abs(plot.smoothedValue(3) - 2.012574232804283) < 1e-12);
        QVERIFY(std::abs(plot.lastSmoothed() - plot.smoothedValue(3)) < 1e-15);
        QVERIFY(std::abs(plot.guideValue() - std::log(100.0)) < 1e-12);
        QCOMPARE(plot.frozenSpan().first, 0.0);
        QCOMPARE(plot.frozenSpan().second, 1.0);
        QCOMPARE(plot.queueStart(), 2.0);
        plot.resize(800, 300);
        QVERIFY(!plot.legendCoversData());
        plot.setSmoothingSteps(0);
        QCOMPARE(plot.smoothedValue(2), 6.0);
        // The raw line reads at 3:1 contrast or more on light and dark backgrounds (it was
        // blue at alpha 70: 1.6:1 on the dark theme).
        for (const QColor base : {QColor(Qt::white), QColor(30, 30, 32)}) {
            QPalette palette = plot.palette();
            palette.setColor(QPalette::Base, base);
            plot.setPalette(palette);
            QVERIFY2(contrastRatio(plot.rawColour(), base) >= 3.0, qPrintable(base.name()));
            QVERIFY(contrastRatio(plot.smoothedColour(), base) >= 4.5);
            QCOMPARE(plot.rawColour().alpha(), 255);
        }
        QTemporaryDir dir;
        QVERIFY(plot.exportCsv(dir.filePath(QStringLiteral("loss.csv"))));
        QFile csv(dir.filePath(QStringLiteral("loss.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(csv.readAll());
        QVERIFY2(text.startsWith(QStringLiteral("graph,step,loss (nats)\n")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("loss (each report),2,6\n")));
        QVERIFY(plot.exportPng(dir.filePath(QStringLiteral("loss.png"))));
        QVERIFY(QImage(dir.filePath(QStringLiteral("loss.png"))).width() > 100);
    }

    // Issue 29: at the last step of a short falling run the old trailing mean of 20 reports
    // drew 0.4 nats above the loss; the smoothing over steps stays close to it.
    void smoothedLossFollowsAShortFallingRun() {
        DashboardPanel dashboard;
        dashboard.startRun(30);
        const auto lossAt = [](int64_t step) { return 4.5 - 2.0 * double(step) / 468; };
        std::vector<int64_t> steps;
        for (int64_t step = 9; step < 468; step += 10)
            steps.push_back(step);
        steps.push_back(467); // the epoch's last step, closer than the others
        for (int64_t step : steps) {
            StepMetrics m;
            m.step = step;
            m.stepsPerEpoch = 468;
            m.loss = lossAt(step);
            dashboard.addStep(m);
        }
        const double last = lossAt(467);
        double trailing = 0;
        for (size_t i = steps.size() - 20; i < steps.size(); ++i)
            trailing += lossAt(steps[i]) / 20;
        const double oldLag = trailing - last;
        const double lag = dashboard.lossPlot()->lastSmoothed() - last;
        QVERIFY2(oldLag > 0.35, qPrintable(QString::number(oldLag)));
        QVERIFY2(lag > 0 && lag < 0.1 && lag < oldLag / 4, qPrintable(QString::number(lag)));
        QVERIFY2(dashboard.lastLossText().contains(
                     QString::number(dashboard.lossPlot()->lastSmoothed(), 'f', 3)),
                 qPrintable(dashboard.lastLossText()));

        // Reporting every step (Step) moves the curve as one report over the same steps did:
        // no kink where the reports come closer together.
        LossPlot sparse, dense;
        for (LossPlot* plot : {&sparse, &dense})
            for (int step = 10; step <= 90; step += 10)
                plot->appendLoss(step, lossAt(step));
        sparse.appendLoss(100, 1.0);
        for (int step = 91; step <= 100; ++step)
            dense.appendLoss(step, 1.0);
        QVERIFY(std::abs(sparse.lastSmoothed() - dense.lastSmoothed()) < 1e-12);
    }

    // Issue 29: empty plots say what they wait for; a first point is drawn, on axes from 0.
    void plotsShowWhatTheyWaitForAndALonePoint() {
        DashboardPanel dashboard;
        dashboard.resize(1000, 800);
        dashboard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
        dashboard.startRun(30);
        LossPlot* loss = dashboard.lossPlot();
        QSignalSpy lossDrawn(loss, &PlotPanel::redrawn);
        QVERIFY(lossDrawn.wait(2000));
        QVERIFY(loss->showsEmptyText());
        QVERIFY(loss->emptyText().contains(QStringLiteral("first report")));
        QVERIFY(dashboard.knnPlot()->emptyText().contains(QStringLiteral("knn_every_epochs")));
        QVERIFY(
            dashboard.usageChart()->panel()->emptyText().contains(QStringLiteral("first epoch")));

        StepMetrics first;
        first.step = 1;
        first.stepsPerEpoch = 468;
        first.loss = 3.2;
        dashboard.addStep(first);
        QVERIFY(lossDrawn.wait(2000));
        QVERIFY(!loss->showsEmptyText());
        // Not -1 to 3 around the point: from step 0.
        QCOMPARE(loss->xRange().first, 0.0);
        QVERIFY(loss->xRange().second >= 2.0);
        QVERIFY(loss->yRange().first < 3.2 && loss->yRange().second > 3.2);
        // The lone point is painted: a line of one point drew nothing.
        const QPointF at = loss->pixelOf(1, 3.2);
        const QImage image = loss->image();
        const QColor background = loss->palette().color(QPalette::Base);
        QVERIFY2(image.pixelColor(at.toPoint()) != background,
                 qPrintable(image.pixelColor(at.toPoint()).name()));
        // The epoch's end is known from the first report.
        QVERIFY2(dashboard.usageChart()->panel()->emptyText().contains(QStringLiteral("468")),
                 qPrintable(dashboard.usageChart()->panel()->emptyText()));

        // A report made within the epoch sits between its whole numbers on the kNN axis.
        EpochMetrics half;
        half.epoch = 0;
        half.step = 233;
        half.knnAccuracy = 0.5;
        half.prototypeUsage.assign(30, 10);
        dashboard.addEpoch(half);
        MetricPlot* knn = dashboard.knnPlot();
        QSignalSpy knnDrawn(knn, &PlotPanel::redrawn);
        QVERIFY(knnDrawn.wait(2000));
        QCOMPARE(knn->pointCount(QStringLiteral("online kNN")), 1);
        QVERIFY(!knn->showsEmptyText());
        QCOMPARE(knn->seriesPoint(QStringLiteral("online kNN"), 0), QPointF(0.5, 50.0));
        QCOMPARE(knn->xRange().first, 0.0);
        QCOMPARE(dashboard.usageChart()->barCount(), 30);
    }

    // Issue 29: counts stored as numbers print as whole numbers in a configuration diff.
    void configDiffPrintsCountsAsWholeNumbers() {
        const auto a = nlohmann::json::parse(R"({"dataset": {"subset": 6000.0}, "lr": 0.3})");
        const auto b = nlohmann::json::parse(R"({"dataset": {"subset": 12000.0}, "lr": 0.5})");
        const auto differences = diffConfigs(a, b);
        QCOMPARE(int(differences.size()), 2);
        QCOMPARE(differences[0].left, std::string("6000"));
        QCOMPARE(differences[0].right, std::string("12000"));
        QCOMPARE(differences[1].left, std::string("0.3"));
    }

    // Issue 29: the Experiment dock fits its column at 1280x800 and 1920x1080: no sideways
    // scrolling, no scroll area inside its scroll area, no label cut, with a teaching lesson,
    // field messages and the problem summary shown.
    void experimentDockFitsItsColumnAtBothSizes() {
        {
            // The checker finds what it is meant to find.
            QWidget probe;
            auto* layout = new QVBoxLayout(&probe);
            auto* cut = new QLabel(QStringLiteral("a label much wider than its fifty pixels"));
            cut->setFixedWidth(50);
            layout->addWidget(cut);
            probe.show();
            QVERIFY(QTest::qWaitForWindowExposed(&probe));
            const QStringList found = test::layoutProblems(&probe);
            QCOMPARE(found.size(), 1);
            QVERIFY(found[0].contains(QStringLiteral("much wider")));
        }
        for (const QSize size : {QSize(1280, 800), QSize(1920, 1080)}) {
            MainWindow window(database());
            window.resize(size);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto* dock = window.findChild<QDockWidget*>(QStringLiteral("experimentDock"));
            QVERIFY(dock);
            ExperimentPanel* experiment = window.experiment();
            // The custom trunk's fields show only for the custom trunk.
            QVERIFY(!experiment->form()->fieldShown(QStringLiteral("model.stage_depths")));
            experiment->form()->setValue(QStringLiteral("model.arch"), std::string("custom"));
            experiment->validateNow();
            QVERIFY(experiment->form()->fieldShown(QStringLiteral("model.stage_depths")));

            experiment->selectPreset(QStringLiteral("teach-small-batch-queue"));
            experiment->form()->setValue(QStringLiteral("optim.base_lr"), std::string("fast"));
            experiment->form()->setValue(QStringLiteral("multicrop.crops[1].min_scale"), 2.0);
            experiment->validateNow();
            QVERIFY(!experiment->problemsText().isEmpty());
            QVERIFY(!experiment->form()->message(QStringLiteral("optim.base_lr")).isEmpty());
            // Layouts settle on posted events: deliver them before measuring.
            for (int i = 0; i < 5; ++i) {
                QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
                QCoreApplication::processEvents();
            }
            QVERIFY(dock->isVisible());
            QVERIFY(dock->width() < size.width() / 2);
            const QStringList problems = test::layoutProblems(dock);
            QVERIFY2(problems.isEmpty(),
                     qPrintable(QStringLiteral("%1x%2:\n").arg(size.width()).arg(size.height()) +
                                problems.join(QLatin1Char('\n'))));
        }
    }

    // Issue 29: a narrow panel wraps the gallery titles instead of cutting them.
    void galleryTitlesWrapInANarrowPanel() {
        ClusterGalleryView view;
        GalleryCluster cluster;
        cluster.prototype = 22;
        cluster.size = 16740;
        cluster.purity = 0.87;
        cluster.majorityClass = QStringLiteral("Ankle boot");
        cluster.topImages = {0, 1, 2, 3, 4, 5, 6, 7};
        view.setClusters({cluster}, [](qint64) {
            QImage image(28, 28, QImage::Format_Grayscale8);
            image.fill(128);
            return image;
        });
        view.resize(220, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
        const QStringList problems = test::layoutProblems(&view);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

    void theWindowHasItsIcon() {
        MainWindow window(m_home.filePath(QStringLiteral("icon.db")));
        const QImage icon = window.windowIcon().pixmap(32, 32).toImage();
        QVERIFY(!icon.isNull());
        QVERIFY(qAlpha(icon.pixel(16, 16)) == 255); // painted, not an empty pixmap
        QVERIFY(qAlpha(icon.pixel(0, 0)) < 255);    // rounded corners
    }

    void heatMapsExportTheirCellsAndNamesAreQuoted() {
        ConfusionMatrixView view;
        view.setMatrix({{3, 1}, {0, 4}}, {QStringLiteral("cat"), QStringLiteral("dog")});
        QTemporaryDir dir;
        QVERIFY(view.exportCsv(dir.filePath(QStringLiteral("confusion.csv"))));
        QFile csv(dir.filePath(QStringLiteral("confusion.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(csv.readAll());
        QVERIFY2(text.startsWith(QStringLiteral("map,predicted class,true class,value\n")) &&
                     text.contains(QStringLiteral(",0,0,0.75\n")) &&
                     text.contains(QStringLiteral(",1,0,0.25\n")) &&
                     text.contains(QStringLiteral(",1,1,1\n")),
                 qPrintable(text));
        // A series name with a comma stays one field.
        MetricPlot plot(QStringLiteral("step"), QStringLiteral("loss, smoothed"));
        plot.append(QStringLiteral("run 1, seed 2"), 0, 1.5);
        QVERIFY(plot.exportCsv(dir.filePath(QStringLiteral("quoted.csv"))));
        QFile quoted(dir.filePath(QStringLiteral("quoted.csv")));
        QVERIFY(quoted.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(quoted.readAll()),
                 QStringLiteral("graph,step,\"loss, smoothed\"\n\"run 1, seed 2\",0,1.5\n"));
        // Map colours stay distinct beyond ten groups.
        QSet<QRgb> colours;
        for (int i = 0; i < 100; ++i)
            colours.insert(MetricPlot::paletteColour(i).rgb());
        QCOMPARE(int(colours.size()), 100);
    }

    void usageChartTurnsRedWithAHint() {
        PrototypeUsageChart chart;
        UsageSummary summary;
        summary.usage = {5, 0, 9, 1};
        summary.emptyPrototypes = 1;
        summary.healthLevel = 2;
        summary.hints << QStringLiteral("The loss sits at ln K");
        chart.setSummary(summary);
        QCOMPARE(chart.barCount(), 4);
        QCOMPARE(chart.healthLevel(), 2);
        // Its CSV holds the bars (sorted, most used first), and hovering a bar reads it out.
        QTemporaryDir dir;
        const QString csvFile = dir.filePath(QStringLiteral("usage.csv"));
        QVERIFY(chart.panel()->exportCsv(csvFile));
        QFile csv(csvFile);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString csvText = QString::fromUtf8(csv.readAll());
        QVERIFY2(csvText.contains(QStringLiteral("assignments per prototype (sorted),0,9\n")) &&
                     csvText.contains(QStringLiteral("assignments per prototype (sorted),3,0\n")),
                 qPrintable(csvText));
        chart.resize(600, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const QPointF firstBar = chart.panel()->pixelOf(0, 4);
        QVERIFY2(chart.panel()->readoutAt(firstBar).contains(QStringLiteral("assignments 9")),
                 qPrintable(chart.panel()->readoutAt(firstBar)));
        QVERIFY(chart.healthText().contains(QStringLiteral("ln K")));
        QVERIFY(chart.statsText().contains(QStringLiteral("empty prototypes 1 of 4")));
    }

    void formRoundTripsEveryFieldWithTooltips() {
        ConfigForm form;
        ValidationReport report;
        auto preset = loadPreset("cifar10-resnet18", {}, &report);
        QVERIFY(preset.hasValue());
        const nlohmann::json original = toJson(*preset);
        form.setConfigJson(original);
        ValidationReport problems;
        QVERIFY(form.configJson(&problems) == original);
        QVERIFY(problems.ok());
        QVERIFY(form.paths().size() > 60);
        for (const QString& path : form.paths())
            QVERIFY2(!form.editor(path)->toolTip().isEmpty(), qPrintable(path));
        QVERIFY(form.editor(QStringLiteral("multicrop.crops[1].size")) != nullptr);
        QVERIFY(form.setValue(QStringLiteral("swav.epsilon"), 0.03));
        QCOMPARE(form.configJson()["swav"]["epsilon"].get<double>(), 0.03);
        QVERIFY(form.setValue(QStringLiteral("optim.base_lr"), std::string("fast")));
        ValidationReport typed;
        form.configJson(&typed);
        QCOMPARE(int(typed.errors.size()), 1);
        QCOMPARE(typed.errors[0].path, std::string("optim.base_lr"));
    }

    void theFormShowsTheDatasetFieldsThatApplyAndCountsAsIntegers() {
        MainWindow window(database());
        window.experiment()->selectPreset(QStringLiteral("fashion-mnist"));
        ConfigForm* form = window.experiment()->form();
        form->setValue(QStringLiteral("dataset.subset"), 3072.0);
        window.experiment()->validateNow();
        QCOMPARE(qobject_cast<QLineEdit*>(form->editor(QStringLiteral("dataset.subset")))->text(),
                 QStringLiteral("3072"));
        QCOMPARE(form->configJson()["dataset"]["subset"].get<double>(), 3072.0);
        QVERIFY(form->fieldShown(QStringLiteral("dataset.subset")));
        QVERIFY(form->fieldShown(QStringLiteral("dataset.path")));
        QVERIFY(!form->fieldShown(QStringLiteral("dataset.synthetic_count")));
        QVERIFY(!form->fieldShown(QStringLiteral("dataset.image_size")));
        QVERIFY(!form->editor(QStringLiteral("dataset.image_size"))->isVisibleTo(form));
        form->setValue(QStringLiteral("dataset.kind"), std::string("synthetic"));
        window.experiment()->validateNow();
        QVERIFY(form->fieldShown(QStringLiteral("dataset.synthetic_count")));
        QVERIFY(!form->fieldShown(QStringLiteral("dataset.path")));
        form->setValue(QStringLiteral("dataset.kind"), std::string("image-folder"));
        window.experiment()->validateNow();
        QVERIFY(form->fieldShown(QStringLiteral("dataset.image_size")));
        QVERIFY(form->fieldShown(QStringLiteral("dataset.crop_finish")));
        QVERIFY(!form->fieldShown(QStringLiteral("dataset.synthetic_size")));
    }

    // Issue 14: configurations travel: saved and loaded as JSON, copied as a command line that
    // the shell and `swav config` turn back into the same configuration, taken from a stored run.
    void configurationsSaveLoadCopyAndComeFromRuns() {
        MainWindow window(database());
        ExperimentConfig config = tinyRun(3);
        config.name = "travelling config, v2";
        config.swav.epsilon = 0.04;
        loadIntoForm(window, config);
        ExperimentPanel* experiment = window.experiment();
        const nlohmann::json edited = experiment->form()->configJson();
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("travel.json"));
        QVERIFY(experiment->saveConfig(file));
        experiment->selectPreset(QStringLiteral("fashion-mnist"));
        QVERIFY(experiment->form()->configJson() != edited);
        QVERIFY(experiment->loadConfig(file));
        QCOMPARE(experiment->form()->configJson().dump(), edited.dump());
        QCOMPARE(experiment->recentConfigs().value(0), QFileInfo(file).absoluteFilePath());
        QSignalSpy problems(experiment, &ExperimentPanel::problem);
        QVERIFY(!experiment->loadConfig(dir.filePath(QStringLiteral("missing.json"))));
        QCOMPARE(problems.count(), 1);

        // Picking another preset over edits asks first: Cancel keeps them, Discard replaces them.
        experiment->form()->setValue(QStringLiteral("optim.epochs"), 9);
        QVERIFY(experiment->hasEdits());
        const QString before = experiment->presetName();
        auto answerWith = [](QMessageBox::StandardButton button, bool* asked) {
            QTimer::singleShot(200, [button, asked] {
                for (QWidget* widget : QApplication::topLevelWidgets())
                    if (auto* box = qobject_cast<QMessageBox*>(widget)) {
                        *asked = true;
                        box->button(button)->click();
                    }
            });
        };
        bool asked = false;
        answerWith(QMessageBox::Cancel, &asked);
        experiment->presetBox()->setCurrentText(QStringLiteral("fashion-mnist-quick"));
        QVERIFY(asked);
        QCOMPARE(experiment->presetName(), before);
        QCOMPARE(experiment->form()->configJson()["optim"]["epochs"].get<int>(), 9);
        asked = false;
        answerWith(QMessageBox::Discard, &asked);
        experiment->presetBox()->setCurrentText(QStringLiteral("fashion-mnist-quick"));
        QVERIFY(asked);
        QCOMPARE(experiment->presetName(), QStringLiteral("fashion-mnist-quick"));
        QVERIFY(!experiment->hasEdits());
        // New run asks too, then empties the form's edits and the dashboard.
        experiment->form()->setValue(QStringLiteral("optim.epochs"), 11);
        window.lossPlot()->appendLoss(0, 4.0, false, false);
        asked = false;
        answerWith(QMessageBox::Cancel, &asked);
        QVERIFY(!window.newRun());
        QVERIFY(asked);
        QCOMPARE(experiment->form()->configJson()["optim"]["epochs"].get<int>(), 11);
        QCOMPARE(window.lossPlot()->pointCount(), 1);
        asked = false;
        answerWith(QMessageBox::Discard, &asked);
        QVERIFY(window.newRun());
        QVERIFY(!experiment->hasEdits());
        QCOMPARE(window.lossPlot()->pointCount(), 0);
        QVERIFY(experiment->loadConfig(file));

        // The command, run by a shell with `swav config` in place of `swav train`.
        const QString command = experiment->commandLine();
        QVERIFY2(command.startsWith(QStringLiteral("swav train --preset ")), qPrintable(command));
        QProcess shell;
        shell.start(QStringLiteral("bash"),
                    {QStringLiteral("-c"), QStringLiteral("\"$SWAV_CLI\" config") +
                                               command.mid(QStringLiteral("swav train").size())});
        QVERIFY(shell.waitForFinished(60000));
        QCOMPARE(shell.exitCode(), 0);
        const auto printed = nlohmann::json::parse(shell.readAllStandardOutput().toStdString());
        ValidationReport ignored;
        QCOMPARE(printed.dump(), toJson(configFromJson(edited, ignored)).dump());

        // New run from a stored run: the form takes its configuration.
        ExperimentConfig stored = tinyRun(7);
        stored.name = "stored";
        auto folder = store::newRunFolder(database().toStdString(), stored.name);
        QVERIFY(folder);
        const qint64 run = window.runStore()->createRun(store::newRunFor(stored, "", *folder));
        window.newRunFrom(run);
        QCOMPARE(experiment->form()->configJson()["optim"]["epochs"].get<int>(), 7);
        QCOMPARE(experiment->form()->configJson()["name"].get<std::string>(),
                 std::string("stored"));
    }

    void invalidFieldBlocksStartWithTheMessage() {
        MainWindow window(database());
        loadIntoForm(window, tinyRun(1));
        QVERIFY(window.startAction()->isEnabled());
        window.experiment()->form()->setValue(QStringLiteral("optim.batch_size"), 1);
        window.experiment()->validateNow();
        QVERIFY(!window.startAction()->isEnabled());
        const QString message =
            window.experiment()->form()->message(QStringLiteral("optim.batch_size"));
        QVERIFY2(message.contains(QStringLiteral("at least 2")), qPrintable(message));
        QVERIFY(!window.startFromForm());
        QVERIFY(!window.isRunning());
        QVERIFY(window.lastProblem().contains(QStringLiteral("optim.batch_size")));
        // A warning shows but allows: fewer images per step than prototypes.
        window.experiment()->form()->setValue(QStringLiteral("optim.batch_size"), 4);
        window.experiment()->validateNow();
        QVERIFY(window.startAction()->isEnabled());
        QVERIFY(window.experiment()->problemsText().contains(QStringLiteral("warning")));
    }

    void aFailingRunIsReportedWithoutBlocking() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy finished(&window, &MainWindow::runFinished);
        ExperimentConfig config = tinyRun(1);
        config.dataset.kind = "cifar10";
        config.dataset.path = dir.filePath(QStringLiteral("no-such-cifar")).toStdString();
        config.multicrop.crops[0].size = 32;
        config.multicrop.crops[1].size = 16;
        loadIntoForm(window, config);
        QVERIFY2(window.startFromForm(), qPrintable(window.experiment()->problemsText()));
        QVERIFY(finished.wait(60000));
        QCOMPARE(int(finished.first().first().value<RunOutcome>().status), int(RunStatus::Failed));
        // The message names the missing folder; the window stays usable.
        QVERIFY2(window.lastProblem().contains(QStringLiteral("no-such-cifar")),
                 qPrintable(window.lastProblem()));
        QVERIFY(!window.isRunning());
        loadIntoForm(window, tinyRun(1));
        QVERIFY(window.startAction()->isEnabled());
        // A run whose data cannot be opened never started: as with `swav train`, it is not
        // recorded and the folder made for it is gone again.
        QVERIFY(window.runStore()->listRuns().empty());
        QVERIFY(QDir(dir.filePath(QStringLiteral("runs")))
                    .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                    .isEmpty());
    }

    void runFromTheFormIsRecordedPausesResumesAndStops() {
        MainWindow window(database());
        QSignalSpy started(&window, &MainWindow::runStarted);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        QSignalSpy held(&window, &MainWindow::runHeld);
        loadIntoForm(window, tinyRun(1));
        // Change a field as a user would: many epochs, so that there is time to pause.
        window.experiment()->form()->setValue(QStringLiteral("optim.epochs"), 200);
        window.experiment()->validateNow();
        EventLoopProbe probe;
        probe.start();
        QVERIFY(window.startFromForm());
        QVERIFY(window.isRunning());
        QVERIFY(started.wait(60000));
        const qint64 run = started.first().first().toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > 5, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("running"), 10000);
        QVERIFY(window.dashboard()->lrPlot()->pointCount(QStringLiteral("learning rate")) > 0);
        // The 5 frozen steps (0 to 4) are shaded, and only they.
        QCOMPARE(window.lossPlot()->frozenSpan(), qMakePair(0.0, 4.0));

        window.pauseAction()->trigger();
        QVERIFY(window.isPaused());
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("paused"), 10000);

        // Stepping: three iterations, shown, then held again. A hold arrives after every step
        // reported before it.
        QTRY_VERIFY_WITH_TIMEOUT(held.count() >= 1, 10000);
        const qint64 heldAt = held.last().first().toLongLong();
        const int beforeSteps = window.lossPlot()->pointCount();
        QCOMPARE(qint64(beforeSteps), heldAt); // one point per step, every one before the hold
        const int pausedAt = beforeSteps;
        QVERIFY(window.stepAction()->isEnabled());
        window.stepCount()->setValue(3);
        window.stepAction()->trigger();
        QVERIFY(held.wait(30000));
        QCOMPARE(held.last().first().toLongLong(), heldAt + 3);
        QCOMPARE(window.lossPlot()->pointCount(), beforeSteps + 3);
        QVERIFY(window.isPaused());

        window.pauseAction()->trigger(); // resume
        QVERIFY(!window.isPaused());
        QVERIFY(!window.stepAction()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > pausedAt + 3, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("running"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboard()->usageChart()->barCount() == 8, 60000);
        // Training never holds the GUI thread: an event posted now is handled while the run
        // still trains (how long the loop ever waited is a figure, printed, not a pass mark).
        bool handledWhileTraining = false;
        QTimer::singleShot(0, &window, [&] { handledWhileTraining = window.isRunning(); });
        QTRY_VERIFY_WITH_TIMEOUT(handledWhileTraining, 10000);
        probe.stop();
        std::printf("longest GUI stall while training: %.1f ms\n", probe.maxStallMs());
        std::fflush(stdout);

        window.stopAction()->trigger();
        QVERIFY(finished.wait(60000));
        const auto outcome = finished.first().first().value<RunOutcome>();
        QCOMPARE(int(outcome.status), int(RunStatus::Stopped));
        // The window was not the active one: a notification went out.
        QVERIFY2(window.lastNotification().startsWith(QStringLiteral("Run stopped")),
                 qPrintable(window.lastNotification()));
        QVERIFY(QFileInfo::exists(QString::fromStdString(outcome.lastCheckpoint)));
        QCOMPARE(stateOf(window, run), QStringLiteral("stopped"));
        QVERIFY(!window.runStore()->checkpoints(run).empty());
        QVERIFY(window.runStore()->metricCount(run, "loss") >= window.lossPlot()->pointCount() - 1);
        // The runs table lists it.
        QVERIFY(window.runs()->model()->rowOf(run) >= 0);
    }

    // Issue 11: two processes on the CPU start through the launcher; the dashboard follows them
    // from the run database, and Pause and Stop reach both ranks.
    void severalProcessesTrainThroughTheLauncherFollowedLive() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy started(&window, &MainWindow::runStarted);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        loadIntoForm(window, tinyRun(200));
        DevicePicker* devices = window.experiment()->devicePicker();
        devices->choose({"cpu"}, 2);
        QCOMPARE(devices->plan().processes, 2);
        QVERIFY(window.startFromForm());
        QVERIFY(started.wait(60000));
        const qint64 run = started.first().first().toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > 3, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("running"), 10000);
        const auto record = window.runStore()->run(run);
        QVERIFY2(record->device.find("in each of 2 processes") != std::string::npos,
                 record->device.c_str());

        window.pauseAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("paused"), 10000);
        // The steps in flight when the ranks paused have arrived: no new point for 1.5 s
        // (three polls of the database), however busy the machine.
        QVERIFY(waitUntilSteady([&] { return window.lossPlot()->pointCount(); }, 1500, 30000));
        const int pausedAt = window.lossPlot()->pointCount();
        QTest::qWait(1500);
        QCOMPARE(window.lossPlot()->pointCount(), pausedAt);
        window.pauseAction()->trigger(); // resume
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > pausedAt + 3, 30000);

        window.stopAction()->trigger();
        QVERIFY(finished.wait(60000));
        const auto outcome = finished.first().first().value<RunOutcome>();
        QCOMPARE(int(outcome.status), int(RunStatus::Stopped));
        QVERIFY(QFileInfo::exists(QString::fromStdString(outcome.lastCheckpoint)));
        QCOMPARE(stateOf(window, run), QStringLiteral("stopped"));
        const QString runDir = QString::fromStdString(window.runStore()->run(run)->runDir);
        QVERIFY(QFileInfo::exists(runDir + QStringLiteral("/rank-1.log")));
    }

    void stoppedRunResumesAsTheSameRun() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.db"));
        MainWindow window(db);
        QSignalSpy started(&window, &MainWindow::runStarted);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        loadIntoForm(window, tinyRun(2));
        QVERIFY(window.startFromForm());
        QVERIFY(started.wait(60000));
        const qint64 run = started.first().first().toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > 3, 60000);
        window.stopRun();
        QVERIFY(finished.wait(60000));
        QCOMPARE(stateOf(window, run), QStringLiteral("stopped"));
        QVERIFY(window.resumeRun(run));
        QVERIFY(finished.wait(120000));
        QCOMPARE(int(finished.last().first().value<RunOutcome>().status), int(RunStatus::Finished));
        QCOMPARE(stateOf(window, run), QStringLiteral("finished"));
        QCOMPARE(int(window.runStore()->listRuns().size()), 1);
        QCOMPARE(window.runStore()->metricCount(run, "loss"), qint64(2 * 512 / 32));
    }

    // Issue 10: two runs of one name get folders of their own, and deleting one from the runs
    // panel removes its files only, keeping a user's file and the other run intact.
    void runsOfOneNameHaveOwnFoldersAndDeletingKeepsUserFiles() {
        namespace fs = std::filesystem;
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy finished(&window, &MainWindow::runFinished);
        for (int i = 0; i < 2; ++i) {
            loadIntoForm(window, tinyRun(1));
            QVERIFY(window.startFromForm());
            QVERIFY(finished.wait(120000));
        }
        const auto listed = window.runStore()->listRuns();
        QCOMPARE(int(listed.size()), 2);
        const std::string first = listed[0].run.runDir;
        const std::string second = listed[1].run.runDir;
        QVERIFY(first != second);
        QVERIFY(fs::path(first).parent_path() == fs::path(second).parent_path());
        QVERIFY(fs::is_regular_file(second + "/config.json"));
        const std::string mine = first + "/checkpoints/my.pt";
        std::ofstream(mine, std::ios::binary) << "my own weights";
        std::vector<std::string> secondFiles;
        for (const auto& file : window.runStore()->runFiles(listed[1].run.id))
            secondFiles.push_back(file.path);
        QVERIFY(secondFiles.size() >= 4); // its folder, checkpoints/, config.json, a checkpoint

        QSignalSpy problems(window.runs(), &RunsPanel::problem);
        QCOMPARE(window.runs()->deleteRuns({listed[0].run.id}), 1);
        std::stringstream kept;
        kept << std::ifstream(mine, std::ios::binary).rdbuf();
        QCOMPARE(QString::fromStdString(kept.str()), QStringLiteral("my own weights"));
        QVERIFY(!fs::exists(first + "/config.json"));
        QVERIFY(!window.runStore()->run(listed[0].run.id));
        QStringList reported;
        for (const auto& arguments : problems)
            reported << arguments.first().toString();
        QVERIFY2(reported.join(QLatin1Char('\n'))
                     .contains(QStringLiteral(
                         "checkpoints: it holds files the run did not write (my.pt)")),
                 qPrintable(reported.join(QLatin1Char('\n'))));
        for (const auto& path : secondFiles)
            QVERIFY2(fs::exists(path), path.c_str());
    }

    void cropsViewerShowsEveryCropWithItsBoxInsideTheImage() {
        MainWindow window(database());
        loadIntoForm(window, tinyRun(1));
        CropsView* view = window.crops()->view();
        QTRY_COMPARE_WITH_TIMEOUT(view->cropCount(), 4, 30000);
        QCOMPARE(view->originalSize(), QSize(16, 16));
        const QRectF image(0, 0, 16, 16);
        for (const CropTile& crop : view->crops()) {
            QVERIFY(image.adjusted(-1e-3, -1e-3, 1e-3, 1e-3).contains(crop.box));
            QVERIFY(!crop.image.isNull());
        }
        QCOMPARE(view->crops()[0].image.width(), 16); // large crops at their configured size
        QCOMPARE(view->crops()[3].image.width(), 8);
        QCOMPARE(view->crops()[3].group, 1);
        // Small crops cover 10-30 % of the area.
        for (int i = 2; i < 4; ++i) {
            const double area =
                view->crops()[i].box.width() * view->crops()[i].box.height() / 256.0;
            QVERIFY2(area > 0.09 && area < 0.31, qPrintable(QString::number(area)));
        }
        // A slider changes the preview at once: jitter strength 0 leaves no jitter.
        window.crops()->jitterSlider()->setValue(0);
        for (const CropTile& crop : view->crops())
            QVERIFY(!crop.details.contains(QStringLiteral("jitter")));
        const QRectF before = view->crops()[0].box;
        window.crops()->resample();
        QVERIFY(view->crops()[0].box != before);
    }

#ifdef SWAV_TEST_HAVE_OPENCV
    void cropsOfAnImageFolderAreCutFromTheWholeOriginal() {
        // Training cuts crops from the full-resolution original: the viewer shows that original
        // (200 x 120 here, not the 32 px evaluation square) with every box inside it.
        QTemporaryDir dir;
        QImage photo(200, 120, QImage::Format_RGB888);
        for (int y = 0; y < photo.height(); ++y)
            for (int x = 0; x < photo.width(); ++x)
                photo.setPixelColor(x, y, QColor(x, y, 90));
        QVERIFY(photo.save(dir.filePath(QStringLiteral("wide.png"))));
        ExperimentConfig config = tinyRun(1);
        config.dataset.kind = "image-folder";
        config.dataset.path = dir.path().toStdString();
        config.dataset.imageSize = 32;
        config.multicrop.mean = {0.5, 0.5, 0.5};
        config.multicrop.std = {0.25, 0.25, 0.25};
        MainWindow window(database());
        loadIntoForm(window, config);
        CropsView* view = window.crops()->view();
        QTRY_COMPARE_WITH_TIMEOUT(view->cropCount(), 4, 30000);
        QCOMPARE(view->originalSize(), QSize(200, 120));
        const QRectF image(0, 0, 200, 120);
        double largestWidth = 0;
        for (const CropTile& crop : view->crops()) {
            QVERIFY(image.adjusted(-1e-3, -1e-3, 1e-3, 1e-3).contains(crop.box));
            largestWidth = std::max(largestWidth, crop.box.width());
        }
        QVERIFY2(largestWidth > 32, qPrintable(QString::number(largestWidth)));
    }
#endif

    void runsTableOverlaysTwoRunsAndDiffsTheirConfigs() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy finished(&window, &MainWindow::runFinished);
        for (int seed : {1, 2}) {
            ExperimentConfig config = tinyRun(1);
            config.runtime.seed = seed;
            loadIntoForm(window, config);
            QVERIFY(window.startFromForm());
            QVERIFY(finished.wait(120000));
        }
        RunsPanel* runs = window.runs();
        runs->refresh();
        QCOMPARE(runs->model()->rowCount(), 2);
        const auto listed = window.runStore()->listRuns();
        runs->selectRuns({listed[0].run.id, listed[1].run.id});
        QCOMPARE(runs->selectedRuns().size(), 2);
        QCOMPARE(runs->overlayPlot()->seriesCount(), 2);
        for (const auto& entry : listed)
            QCOMPARE(
                runs->overlayPlot()->pointCount(QStringLiteral("%1 gui-tiny").arg(entry.run.id)),
                512 / 32);
        QVERIFY(runs->diffText().contains(QStringLiteral("runtime.seed: 1 -> 2")));

        // Evaluate the second run's checkpoint: table with baselines and a confusion matrix.
        EvaluationPanel* evaluation = window.evaluation();
        QSignalSpy evaluated(evaluation, &EvaluationPanel::finished);
        const auto checkpoints = window.runStore()->checkpoints(listed[1].run.id);
        QVERIFY(!checkpoints.empty());
        evaluation->setCheckpoint(listed[1].run.id,
                                  QString::fromStdString(checkpoints.back().path));
        evaluation->start();
        QVERIFY(evaluated.wait(120000));
        QVERIFY(evaluated.first().first().toBool());
        QVERIFY2(evaluation->resultText().contains(QStringLiteral("trained network")),
                 qPrintable(evaluation->resultText()));
        QVERIFY(evaluation->resultText().contains(QStringLiteral("raw pixels")));
        QCOMPARE(evaluation->confusion()->classCount(), 4);
        QCOMPARE(int(window.runStore()->evaluations(listed[1].run.id).size()), 1);

        // Clusters of the same checkpoint, computed in the background.
        ClustersPanel* clusters = window.clusters();
        QSignalSpy computed(clusters, &ClustersPanel::computed);
        clusters->setCheckpoint(QString::fromStdString(checkpoints.back().path), true);
        QVERIFY(clusters->computing());
        QVERIFY(computed.wait(120000));
        QVERIFY(computed.first().first().toBool());
        QVERIFY(clusters->gallery()->rowCount() > 0);
        QCOMPARE(clusters->map()->pointCount(), 512);
        const qint64 image = clusters->gallery()->shownClusters().first().topImages.first();
        clusters->showImage(image);
        // Its Sinkhorn code and its prediction: the top prototypes with probabilities.
        QVERIFY2(
            clusters->detailText().contains(QStringLiteral("prediction over the prototypes")) &&
                clusters->detailText().contains(QStringLiteral("Sinkhorn code")) &&
                clusters->detailText().contains(QStringLiteral(" %")),
            qPrintable(clusters->detailText()));
    }

    // Issue 14: released weights (here a torchvision-style trunk) become a run that evaluates.
    void importedWeightsBecomeARunThatEvaluates() {
        MainWindow window(database());
        QTemporaryDir dir;
        const QStringList settings = {QStringLiteral("dataset.kind=synthetic"),
                                      QStringLiteral("dataset.synthetic_count=256"),
                                      QStringLiteral("dataset.synthetic_size=16"),
                                      QStringLiteral("dataset.synthetic_channels=1"),
                                      QStringLiteral("dataset.holdout=0"),
                                      QStringLiteral("multicrop.crops.0.size=16"),
                                      QStringLiteral("multicrop.crops.1.size=8"),
                                      QStringLiteral("eval.feature_batch_size=128")};
        std::vector<std::string> overrides;
        for (const QString& setting : settings)
            overrides.push_back(setting.toStdString());
        const std::string file = dir.filePath(QStringLiteral("released.pt")).toStdString();
        const auto config = importConfig("fashion-mnist", overrides, "", file);
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        SwavModel model(config->model, 1);
        saveStateDict(torchvisionStateDict(model), file);

        QSignalSpy imported(&window, &MainWindow::weightsImported);
        ImportChoice choice;
        choice.file = QString::fromStdString(file);
        choice.preset = QStringLiteral("fashion-mnist");
        choice.overrides = settings;
        window.importWeights(choice);
        QVERIFY(imported.wait(60000));
        const qint64 run = imported.first().first().toLongLong();
        QCOMPARE(stateOf(window, run), QStringLiteral("imported"));
        QCOMPARE(window.runs()->selectedRuns(), QList<qint64>{run});
        const auto checkpoints = window.runStore()->checkpoints(run);
        QCOMPARE(int(checkpoints.size()), 1);

        EvaluationPanel* evaluation = window.evaluation();
        QSignalSpy evaluated(evaluation, &EvaluationPanel::finished);
        evaluation->setCheckpoint(run, QString::fromStdString(checkpoints.front().path));
        evaluation->start();
        QVERIFY(evaluated.wait(120000));
        QVERIFY2(evaluated.first().first().toBool(), qPrintable(window.lastProblem()));
        QVERIFY(evaluation->resultText().contains(QStringLiteral("trained network")));
        QCOMPARE(int(window.runStore()->evaluations(run).size()), 1);

        // A file that holds no weights: a problem naming it, and no new run.
        const int runsBefore = int(window.runStore()->listRuns().size());
        choice.file = dir.filePath(QStringLiteral("notes.txt"));
        QFile notes(choice.file);
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not weights");
        notes.close();
        window.importWeights(choice);
        QTRY_VERIFY_WITH_TIMEOUT(window.lastProblem().contains(QStringLiteral("notes.txt")), 30000);
        QCOMPARE(int(window.runStore()->listRuns().size()), runsBefore);
    }

    // Issue 14: a run of another process that dies while the window is open becomes
    // interrupted without restarting the window (Resume and Delete become possible).
    void aRunWhoseProcessDiesBecomesInterruptedWhileTheWindowIsOpen() {
        MainWindow window(database());
        QTemporaryDir dir;
        const QString configFile = dir.filePath(QStringLiteral("config.json"));
        {
            std::ofstream out(configFile.toStdString());
            out << toJson(tinyRun(200)).dump();
        }
        auto newest = [&]() -> std::optional<store::RunRecord> {
            std::optional<store::RunRecord> found;
            for (const auto& entry : window.runStore()->listRuns())
                if (!found || entry.run.id > found->id)
                    found = entry.run;
            return found;
        };
        const qint64 before = newest() ? newest()->id : 0;
        QProcess train;
        train.start(LaunchedRunWorker::launcherProgram(),
                    {QStringLiteral("train"), QStringLiteral("--config"), configFile,
                     QStringLiteral("--db"), database()});
        QVERIFY(train.waitForStarted(30000));
        QTRY_VERIFY_WITH_TIMEOUT(newest() && newest()->id > before &&
                                     newest()->status == store::RunState::Running,
                                 60000);
        const qint64 run = newest()->id;
        ::kill(pid_t(train.processId()), SIGKILL);
        QVERIFY(train.waitForFinished(30000));
        QCOMPARE(stateOf(window, run), QStringLiteral("running")); // nobody has looked yet
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(window, run), QStringLiteral("interrupted"), 30000);
    }

    // Issue 14: a run that a separate `swav train` process writes into the window's database
    // shows on the dashboard and keeps updating while it trains; its usage over the epochs
    // becomes a heat map; the dashboard stops following once the run has ended.
    void aRunOfAnotherProcessIsFollowedLive() {
        MainWindow window(database());
        QTemporaryDir dir;
        const QString configFile = dir.filePath(QStringLiteral("config.json"));
        ExperimentConfig config = tinyRun(200);
        config.name = "followed";
        {
            std::ofstream out(configFile.toStdString());
            out << toJson(config).dump();
        }
        qint64 before = 0;
        for (const auto& entry : window.runStore()->listRuns())
            before = std::max<qint64>(before, entry.run.id);
        QProcess train;
        train.setProcessChannelMode(QProcess::MergedChannels);
        train.start(LaunchedRunWorker::launcherProgram(),
                    {QStringLiteral("train"), QStringLiteral("--config"), configFile,
                     QStringLiteral("--db"), database()});
        QVERIFY(train.waitForStarted(30000));
        // Every wait below names the stage and shows what the training process printed.
        QByteArray printed;
        const auto trainingProcess = [&](const char* waitingFor) {
            printed += train.readAll();
            return QByteArray("waiting for ") + waitingFor +
                   "; the window's last problem: " + window.lastProblem().toUtf8() +
                   "; training process " +
                   (train.state() == QProcess::Running ? "running" : "ended") + ", its output:\n" +
                   printed.right(4000);
        };
        qint64 run = 0;
        QTRY_VERIFY2_WITH_TIMEOUT(
            [&] {
                for (const auto& entry : window.runStore()->listRuns())
                    if (entry.run.id > before && entry.run.name == "followed")
                        run = entry.run.id;
                return run > 0;
            }(),
            trainingProcess("the run's record").constData(), 60000);
        QVERIFY(window.showStoredRun(run));
        QCOMPARE(window.shownStoredRun(), run);
        QVERIFY(window.dashboard()->title().contains(QStringLiteral("followed")));

        // Live: more steps arrive while the other process is still training (generous: under
        // ctest -j2 the other process shares two cores with the multi-process tests).
        QTRY_VERIFY2_WITH_TIMEOUT(window.lossPlot()->pointCount() > 0,
                                  trainingProcess("the first loss").constData(), 180000);
        const int firstSeen = window.lossPlot()->pointCount();
        QTRY_VERIFY2_WITH_TIMEOUT(window.lossPlot()->pointCount() > firstSeen + 10,
                                  trainingProcess("ten more losses").constData(), 60000);
        QTRY_VERIFY2_WITH_TIMEOUT(window.dashboard()->usageHistory()->matrix().rows >= 2,
                                  trainingProcess("two epochs of prototype usage").constData(),
                                  120000);
        QCOMPARE(stateOf(window, run), QStringLiteral("running"));
        const HeatMatrix history = window.dashboard()->usageHistory()->matrix();
        QCOMPARE(history.cols, config.model.numPrototypes);
        for (int e = 0; e < history.rows; ++e) {
            double share = 0;
            for (int c = 0; c < history.cols; ++c)
                share += history.values[e * history.cols + c];
            QVERIFY2(std::abs(share - 1.0) < 1e-9, "each epoch's shares sum to one");
        }
        // Columns by decreasing use over the run.
        std::vector<double> total(size_t(history.cols), 0.0);
        for (int e = 0; e < history.rows; ++e)
            for (int c = 0; c < history.cols; ++c)
                total[size_t(c)] += history.values[e * history.cols + c];
        QVERIFY(std::is_sorted(total.rbegin(), total.rend()));
        QVERIFY(window.dashboard()->usageChart()->barCount() > 0);

        // The run is stopped in its own process: the dashboard shows it to the end, then rests.
        ::kill(pid_t(train.processId()), SIGTERM);
        QVERIFY(train.waitForFinished(60000));
        QTRY_COMPARE_WITH_TIMEOUT(window.dashboard()->title().contains(QStringLiteral("stopped")),
                                  true, 30000);
        const auto metrics = window.runStore()->metricSummaries(run, {"loss"});
        QCOMPARE(qint64(window.lossPlot()->pointCount()), qint64(metrics.at("loss").count));
    }

    // A finished run of the database shows at once; the window's own run keeps the dashboard.
    void aStoredRunShowsOnTheDashboardUnlessThisWindowTrains() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy finished(&window, &MainWindow::runFinished);
        loadIntoForm(window, tinyRun(2));
        QVERIFY(window.startFromForm());
        QVERIFY(finished.wait(120000));
        const qint64 done = window.runStore()->listRuns().front().run.id;
        const int points = window.lossPlot()->pointCount();
        QVERIFY(points > 0);
        // The status bar showed the training device's memory (this process's, on the CPU).
        QVERIFY2(window.memoryText().startsWith(QStringLiteral("memory ")) &&
                     window.memoryText().contains(QStringLiteral(", peak ")) &&
                     window.memoryText().contains(QStringLiteral("iB")),
                 qPrintable(window.memoryText()));
        window.dashboard()->startRun(0); // as New run leaves it
        QVERIFY(window.showStoredRun(done));
        QCOMPARE(window.lossPlot()->pointCount(), points);
        QCOMPARE(window.dashboard()->usageHistory()->matrix().rows, 2);
        // Its values export as CSV: the prototype ids, then each epoch's shares.
        const QStringList lines = window.dashboard()->usageHistory()->csvText().split(
            QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].startsWith(QStringLiteral("epoch\\prototype,")));
        QCOMPARE(lines[0].split(QLatin1Char(',')).size(), 1 + tinyRun(2).model.numPrototypes);
        double share = 0;
        const QStringList cells = lines[1].split(QLatin1Char(','));
        QCOMPARE(cells.front(), QStringLiteral("1"));
        for (int c = 1; c < cells.size(); ++c)
            share += cells[c].toDouble();
        QVERIFY(std::abs(share - 1.0) < 1e-9);

        QSignalSpy started(&window, &MainWindow::runStarted);
        loadIntoForm(window, tinyRun(200));
        QVERIFY(window.startFromForm());
        QVERIFY(started.wait(60000));
        QVERIFY(!window.showStoredRun(done));
        QVERIFY(window.lastProblem().contains(QStringLiteral("this window's run")));
        window.stopRun();
        QVERIFY(finished.wait(120000));
    }

    // Issue 14: the Evaluation panel's settings reach the evaluation; per-class accuracy; every
    // checkpoint as a curve; results as sortable Runs columns and in comparisons.
    void evaluationSettingsPerClassCurveAndRunsColumns() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        QSignalSpy finished(&window, &MainWindow::runFinished);
        ExperimentConfig config = tinyRun(3);
        config.runtime.keepCheckpoints = 3;
        config.eval.knnK = 7;
        loadIntoForm(window, config);
        QVERIFY(window.startFromForm());
        QVERIFY(finished.wait(120000));
        const qint64 run = window.runStore()->listRuns().back().run.id;
        const auto checkpoints = window.runStore()->checkpoints(run);
        QCOMPARE(int(checkpoints.size()), 3);

        EvaluationPanel* evaluation = window.evaluation();
        evaluation->setCheckpoint(run, QString::fromStdString(checkpoints.back().path));
        QCOMPARE(evaluation->kBox()->value(), 7); // the run's own settings
        evaluation->kBox()->setValue(3);
        evaluation->temperatureBox()->setValue(0.2);
        evaluation->baselinesBox()->setChecked(false);
        QCOMPARE(evaluation->deviceBox()->currentData().toString(), QStringLiteral("auto"));
        QVERIFY(evaluation->deviceBox()->findData(QStringLiteral("cpu")) >= 0);
        evaluation->deviceBox()->setCurrentIndex(
            evaluation->deviceBox()->findData(QStringLiteral("cpu")));
        QSignalSpy evaluated(evaluation, &EvaluationPanel::finished);
        evaluation->start();
        QVERIFY(evaluated.wait(120000));
        QVERIFY2(evaluated.last().first().toBool(), qPrintable(window.lastProblem()));
        const auto records = window.runStore()->evaluations(run);
        QCOMPARE(int(records.size()), 1);
        const auto result = nlohmann::json::parse(records.front().metricsJson);
        QCOMPARE(result["knn_settings"]["k"].get<int>(), 3);
        QCOMPARE(result["knn_settings"]["temperature"].get<double>(), 0.2);
        QVERIFY(!result["knn"].contains("raw_pixels"));

        // Per class: one row per class; the accuracies weighted by the images give top-1.
        QTableWidget* perClass = evaluation->perClass();
        QCOMPARE(perClass->rowCount(), 4);
        double correct = 0, images = 0;
        for (int r = 0; r < perClass->rowCount(); ++r) {
            const double n = perClass->item(r, 2)->data(Qt::UserRole).toDouble();
            correct += perClass->item(r, 1)->data(Qt::UserRole).toDouble() * n;
            images += n;
        }
        QVERIFY(images > 0);
        QVERIFY(std::abs(correct / images - result["knn"]["trained"].get<double>()) < 1e-9);

        // The newest evaluation is a sortable column of the Runs table and part of comparisons.
        RunsPanel* runs = window.runs();
        runs->refresh();
        const int row = runs->model()->rowOf(run);
        QVERIFY(row >= 0);
        const QModelIndex knnCell = runs->model()->index(row, RunsTableModel::EvalKnn);
        QCOMPARE(knnCell.data(Qt::UserRole).toDouble(), result["knn"]["trained"].get<double>());
        QVERIFY(knnCell.data().toString().endsWith(QStringLiteral(" %")));
        QVERIFY(runs->model()->index(row, RunsTableModel::EvalLinear).data().toString().isEmpty());

        // Every checkpoint: one point per checkpoint on disk, each recorded.
        evaluation->linearBox()->setChecked(false);
        QVERIFY(evaluation->everyCheckpointButton()->isEnabled());
        evaluation->startEveryCheckpoint();
        QVERIFY(evaluated.wait(240000));
        QVERIFY2(evaluated.last().first().toBool(), qPrintable(window.lastProblem()));
        QCOMPARE(evaluation->checkpointCurve()->pointCount(QStringLiteral("kNN")), 3);
        QCOMPARE(int(window.runStore()->evaluations(run).size()), 4);

        // A second run to compare with: its results line beside the first one's.
        loadIntoForm(window, tinyRun(1));
        QVERIFY(window.startFromForm());
        QVERIFY(finished.wait(120000));
        runs->refresh();
        const qint64 other = window.runStore()->listRuns().back().run.id;
        runs->selectRuns({run, other});
        QVERIFY2(runs->diffText().contains(QStringLiteral("results (kNN eval")),
                 qPrintable(runs->diffText()));
        QVERIFY(runs->diffText().contains(
            QStringLiteral("run %1 gui-tiny: %2").arg(run).arg(knnCell.data().toString())));
    }

    // Issue 14: before Start, the form shows the run's expected duration, measured here;
    // changing only the epochs rescales it without measuring again.
    void theExpectedDurationIsMeasuredBeforeStart() {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("runs.db")));
        DurationLabel* duration = window.experiment()->duration();
        loadIntoForm(window, tinyRun(2));
        QCOMPARE(duration->measurements(), 0); // nothing measured for a hidden window
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(duration->expectedSeconds() > 0, 60000);
        QCOMPARE(duration->measurements(), 1);
        QVERIFY2(duration->text().contains(QStringLiteral("about")) &&
                     duration->text().contains(QStringLiteral("32 steps")) &&
                     duration->text().contains(QStringLiteral("measured on cpu")),
                 qPrintable(duration->text())); // 512 images / batch 32 x 2 epochs
        const double twoEpochs = duration->expectedSeconds();
        window.experiment()->form()->setValue(QStringLiteral("optim.epochs"), 6);
        window.experiment()->validateNow();
        QVERIFY(std::abs(duration->expectedSeconds() - 3 * twoEpochs) < 1e-9 * twoEpochs);
        QCOMPARE(duration->measurements(), 1);
        // Another batch size times another step.
        window.experiment()->form()->setValue(QStringLiteral("optim.batch_size"), 64);
        window.experiment()->validateNow();
        QCOMPARE(duration->expectedSeconds(), -1.0);
        QTRY_VERIFY_WITH_TIMEOUT(duration->expectedSeconds() > 0, 60000);
        QCOMPARE(duration->measurements(), 2);
        QVERIFY(duration->text().contains(QStringLiteral("48 steps")));
    }

    // Issue 14: cluster analysis can be cancelled; database failures become messages.
    void clusterAnalysisCancelsAndDatabaseErrorsAreShown() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.db"));
        MainWindow window(db);
        // A run to analyse: imported weights of a small synthetic configuration.
        ExperimentConfig config = tinyRun(1);
        config.name = "to-analyse";
        const auto imported =
            test::importFreshWeights(*window.runStore(), db.toStdString(), config,
                                     dir.filePath(QStringLiteral("weights.pt")).toStdString(), 1);
        QVERIFY2(imported, imported ? "" : imported.error().message.c_str());

        ClustersPanel* clusters = window.clusters();
        QSignalSpy computed(clusters, &ClustersPanel::computed);
        QSignalSpy problems(clusters, &ClustersPanel::problem);
        clusters->setCheckpoint(QString::fromStdString(imported->checkpoint), true);
        QVERIFY(clusters->computing());
        clusters->cancel();
        QVERIFY(computed.wait(60000));
        QCOMPARE(computed.first().first().toBool(), false);
        QCOMPARE(problems.count(), 0); // a cancel is not a problem
        clusters->compute();
        QVERIFY(computed.wait(60000));
        QCOMPARE(computed.last().first().toBool(), true);

        // The database loses a table under the window: resuming says so instead of crashing.
        {
            SQLite::Database raw(db.toStdString(), SQLite::OPEN_READWRITE);
            raw.exec("DROP TABLE run_tags");
        }
        QVERIFY(!window.resumeRun(imported->runId));
        QVERIFY2(window.lastProblem().contains(QStringLiteral("run_tags")) ||
                     window.lastProblem().contains(db),
                 qPrintable(window.lastProblem()));
    }

    void closingDuringARunAsksThenStopsWithACheckpoint() {
        QTemporaryDir dir;
        auto* window = new MainWindow(dir.filePath(QStringLiteral("runs.db")));
        window->show();
        QSignalSpy started(window, &MainWindow::runStarted);
        loadIntoForm(*window, tinyRun(200));
        QVERIFY(window->startFromForm());
        QVERIFY(started.wait(60000));
        const qint64 run = started.first().first().toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(window->lossPlot()->pointCount() > 2, 60000);
        // Answer the question the window asks with "Yes".
        bool asked = false;
        QTimer::singleShot(200, [&asked] {
            for (QWidget* widget : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(widget)) {
                    asked = true;
                    box->button(QMessageBox::Yes)->click();
                }
        });
        QVERIFY(window->close());
        QVERIFY(asked);
        QVERIFY(!window->isRunning());
        auto store = store::RunStore::open(dir.filePath(QStringLiteral("runs.db")).toStdString());
        QVERIFY(store.hasValue());
        QCOMPARE(QString::fromLatin1(store::toString((*store)->run(run)->status)),
                 QStringLiteral("stopped"));
        QVERIFY(!(*store)->checkpoints(run).empty());
        delete window;
    }
};

QTEST_MAIN(WorkbenchTest)
#include "test_workbench.moc"
