// GUI behaviour, offscreen: the window runs the trainer on a worker thread, the plot receives
// the steps, Stop writes a checkpoint.
#include "LossPlot.h"
#include "MainWindow.h"
#include "train/Checkpoint.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace swav;

namespace {

ExperimentConfig tinyRun(int epochs) {
    ExperimentConfig c;
    c.name = "gui-tiny";
    c.dataset.kind = "synthetic";
    c.dataset.syntheticCount = 512;
    c.dataset.syntheticSize = 16;
    c.dataset.syntheticChannels = 1;
    c.model.arch = "custom";
    c.model.block = "basic";
    c.model.stem = "cifar";
    c.model.stageDepths = {1};
    c.model.stageWidths = {8};
    c.model.stageStrides = {1};
    c.model.stemWidth = 8;
    c.model.head.hiddenDim = 16;
    c.model.head.outputDim = 8;
    c.model.numPrototypes = 8;
    CropGroupConfig crop;
    crop.count = 2, crop.size = 16, crop.blurProb = 0;
    c.multicrop.crops = {crop};
    c.optim.epochs = epochs;
    c.optim.batchSize = 32;
    c.runtime.device = "cpu";
    c.runtime.threads = 1;
    c.runtime.metricsEvery = 1;
    return c;
}

} // namespace

class WorkbenchTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void lossPlotSmoothsAndShowsLnK() {
        LossPlot plot;
        plot.setSmoothingWindow(2);
        plot.setPrototypeCount(100);
        plot.appendLoss(0, 4.0);
        plot.appendLoss(1, 2.0);
        plot.appendLoss(2, 6.0);
        QCOMPARE(plot.pointCount(), 3);
        QCOMPARE(plot.smoothedValue(1), 3.0);
        QCOMPARE(plot.smoothedValue(2), 4.0);
        QVERIFY(std::abs(plot.guideValue() - std::log(100.0)) < 1e-12);
        plot.setSmoothingWindow(1);
        QCOMPARE(plot.smoothedValue(2), 6.0);
    }

    void runFinishesAndFeedsThePlot() {
        QTemporaryDir dir;
        MainWindow window;
        QSignalSpy finished(&window, &MainWindow::runFinished);
        window.startRun(tinyRun(1), dir.path());
        QVERIFY(window.isRunning());
        QVERIFY(finished.wait(120000));
        const auto outcome = finished.first().first().value<RunOutcome>();
        QCOMPARE(int(outcome.status), int(RunStatus::Finished));
        QCOMPARE(window.lossPlot()->pointCount(), 512 / 32);
        QVERIFY(!window.isRunning());
        QCOMPARE(int(listCheckpoints(dir.path().toStdString()).size()), 1);
    }

    void stopWritesACheckpoint() {
        QTemporaryDir dir;
        MainWindow window;
        QSignalSpy finished(&window, &MainWindow::runFinished);
        window.startRun(tinyRun(200), dir.path());
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() > 2, 60000);
        window.stopRun();
        QVERIFY(finished.wait(60000));
        const auto outcome = finished.first().first().value<RunOutcome>();
        QCOMPARE(int(outcome.status), int(RunStatus::Stopped));
        QVERIFY(!outcome.lastCheckpoint.empty());
        QCOMPARE(int(listCheckpoints(dir.path().toStdString()).size()), 1);
    }
};

QTEST_MAIN(WorkbenchTest)
#include "test_workbench.moc"
