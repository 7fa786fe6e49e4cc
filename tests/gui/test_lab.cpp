// The teaching lab driven offscreen: the Sinkhorn view's matrices, slider and stepper against
// core's trace, the swapped-prediction table and a clicked cell against core's values, export,
// presenter mode, and the lab following a paused run step by step.
#include "ConfigForm.h"
#include "DistributionComparison.h"
#include "ExperimentPanel.h"
#include "LabPanel.h"
#include "LabSinkhornView.h"
#include "LabSwapView.h"
#include "MainWindow.h"
#include "MatrixHeatMap.h"
#include "TinySynthetic.h"
#include "config/ConfigJson.h"
#include "data/Dataset.h"
#include "eval/LabBatch.h"
#include "model/ModelState.h"
#include "runtime/Checkpoint.h"
#include "swav/Sinkhorn.h"

#include <ATen/ATen.h>

#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <set>

using namespace swav;

namespace {

ExperimentConfig labRun() {
    ExperimentConfig c = test::tinySyntheticConfig(256);
    c.name = "lab-tiny";
    c.model.numPrototypes = 12;
    CropGroupConfig large;
    large.count = 2, large.size = 16, large.blurProb = 0;
    CropGroupConfig small = large;
    small.count = 2, small.size = 8, small.minScale = 0.1, small.maxScale = 0.3;
    c.multicrop.crops = {large, small};
    c.optim.epochs = 1;
    c.optim.batchSize = 32;
    c.optim.warmupEpochs = 0;
    c.runtime.device = "cpu";
    c.runtime.threads = 1;
    c.runtime.metricsEvery = 1;
    return c;
}

/// The batch the panel computes (16 images, seed 1), made again by core.
LabBatch coreBatch(const ExperimentConfig& config) {
    auto split = openDataset(config.dataset);
    LabRequest request;
    request.images = 16;
    request.seed = 1;
    return makeLabBatch(labModelAtStart(config), *split->train, request);
}

bool computeFromInitialWeights(LabPanel& panel, const ExperimentConfig& config) {
    QSignalSpy computed(&panel, &LabPanel::computed);
    panel.setFormConfig(config);
    panel.setSource(LabPanel::Source::InitialWeights);
    return computed.wait(60000) && computed.last().first().toBool();
}

double maxDifference(const MatrixHeatMap* map, const at::Tensor& expected,
                     const LabSinkhornView* view) {
    double worst = 0;
    for (int r = 0; r < map->matrix().rows; ++r)
        for (int c = 0; c < map->matrix().cols; ++c)
            worst = std::max(
                worst, std::abs(map->valueAt(r, c) -
                                expected[view->imageAt(r)][view->prototypeAt(c)].item<double>()));
    return worst;
}

} // namespace

class LabTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-lab-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void sinkhornViewShowsCoresTraceLive() {
        const ExperimentConfig config = labRun();
        LabPanel panel;
        panel.resize(1280, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QVERIFY(computeFromInitialWeights(panel, config));
        const LabBatch batch = coreBatch(config);
        LabSinkhornView* view = panel.sinkhornView();
        // The run's settings first: its epsilon, its last iteration.
        QCOMPARE(view->epsilon(), config.swav.epsilon);
        QCOMPARE(view->stage(), 2 * config.swav.sinkhornIterations);
        const int b = 16, k = 12;
        QCOMPARE(view->codesMap()->matrix().rows, b);
        QCOMPARE(view->codesMap()->matrix().cols, k);
        auto trace = sinkhornTrace(batch.cropScores(0), view->epsilon(), 10);
        QVERIFY(maxDifference(view->scoresMap(), batch.cropScores(0), view) < 1e-6);
        QVERIFY(maxDifference(view->codesMap(), trace.steps[size_t(view->stage())].q, view) < 1e-7);

        // The slider recomputes at once.
        view->epsilonSlider()->setValue(view->epsilonSlider()->maximum());
        QVERIFY(std::abs(view->epsilon() - 1.0) < 1e-9);
        trace = sinkhornTrace(batch.cropScores(0), 1.0, 10);
        QVERIFY(maxDifference(view->codesMap(), trace.steps[size_t(view->stage())].q, view) < 1e-7);
        const double uniformEntropy = view->summaryTable()->item(0, 0)->text().toDouble();
        view->setEpsilon(0.02);
        const double sharpEntropy = view->summaryTable()->item(0, 0)->text().toDouble();
        QVERIFY2(uniformEntropy > 0.99 && sharpEntropy < uniformEntropy - 0.1,
                 qPrintable(QStringLiteral("%1 vs %2").arg(uniformEntropy).arg(sharpEntropy)));

        // The stepper: after a column step every column holds 1/K, after a row step every row
        // 1/B.
        view->setStage(0);
        QVERIFY(!view->previousButton()->isEnabled());
        view->nextButton()->click();
        QCOMPARE(view->stage(), 1);
        QVERIFY(view->stageText().contains(QStringLiteral("columns")));
        for (double sum : view->codesMap()->matrix().colSums)
            QVERIFY(std::abs(sum - 1.0 / k) < 1e-6);
        view->nextButton()->click();
        QCOMPARE(view->stage(), 2);
        for (double sum : view->codesMap()->matrix().rowSums)
            QVERIFY(std::abs(sum - 1.0 / b) < 1e-6);
        view->previousButton()->click();
        QCOMPARE(view->stage(), 1);

        // Softmax and argmax beside it; argmax uses as many prototypes as the table says.
        const auto argmax = batch.cropScores(0).argmax(1).contiguous();
        std::set<int64_t> used(argmax.data_ptr<int64_t>(), argmax.data_ptr<int64_t>() + b);
        QVERIFY(view->summaryTable()->item(2, 2)->text().startsWith(QString::number(used.size())));
        const auto softmax = at::softmax(batch.cropScores(0) / config.swav.temperature, 1) / b;
        QVERIFY(maxDifference(view->softmaxMap(), softmax, view) < 1e-7);

        // Sorting the columns by code mass puts the heaviest prototype first, values intact.
        view->columnOrderBox()->setCurrentIndex(1);
        const auto& mass = view->codesMap()->matrix().colSums;
        for (int c = 1; c < mass.size(); ++c)
            QVERIFY(mass[c - 1] >= mass[c]);
        trace = sinkhornTrace(batch.cropScores(0), view->epsilon(), 10);
        QVERIFY(maxDifference(view->codesMap(), trace.steps[1].q, view) < 1e-7);

        // A queue: the pool's first rows join the partition; the batch's rows are shown, their
        // sums aim at 1 / (B + N) and every column of all rows at 1/K.
        view->columnOrderBox()->setCurrentIndex(0);
        view->setStage(6);
        view->queueRows()->setValue(64);
        trace = sinkhornTrace(at::cat({batch.poolScores.slice(0, 0, 64), batch.cropScores(0)}, 0),
                              view->epsilon(), 10);
        QVERIFY(maxDifference(view->codesMap(), trace.steps[6].q.slice(0, 64, 64 + b), view) <
                1e-7);
        QCOMPARE(view->codesMap()->matrix().rowTarget, 1.0 / (64 + b));
        for (double sum : view->codesMap()->matrix().rowSums)
            QVERIFY(std::abs(sum - 1.0 / (64 + b)) < 1e-6);
        view->queueRows()->setValue(0);

        // A click on a cell is reported with its position.
        MatrixHeatMap* map = view->codesMap();
        QSignalSpy clicked(map, &MatrixHeatMap::cellClicked);
        QTest::mouseClick(map, Qt::LeftButton, {}, map->cellRect(3, 5).center());
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.first().at(0).toInt(), 3);
        QCOMPARE(clicked.first().at(1).toInt(), 5);
    }

    void swapViewTableAveragesToTheLossAndACellShowsBothDistributions() {
        const ExperimentConfig config = labRun();
        LabPanel panel;
        panel.resize(1280, 800);
        QVERIFY(computeFromInitialWeights(panel, config));
        const LabBatch batch = coreBatch(config);
        LabSwapView* view = panel.swapView();
        view->setImage(3);
        QCOMPARE(view->cropPictureCount(), 4);
        QTableWidget* table = view->table();
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(table->columnCount(), 4);
        double sum = 0;
        int cells = 0;
        for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 4; ++c) {
                const double expected = batch.swapped.crossEntropy[3][r][c].item<double>();
                if (std::isnan(expected)) {
                    QCOMPARE(table->item(r, c)->text(), QStringLiteral("—"));
                    continue;
                }
                QVERIFY(std::abs(table->item(r, c)->text().toDouble() - expected) < 1e-3);
                sum += expected;
                ++cells;
            }
        QCOMPARE(cells, 6);
        QVERIFY(std::abs(sum / cells - batch.swapped.imageLoss[3].item<double>()) < 1e-5);
        QVERIFY(view->lossText().contains(QString::number(batch.loss, 'f', 4)));

        // Clicking a cell: code of crop 2 against the prediction of crop 4.
        const QRect cell = table->visualItemRect(table->item(1, 3));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(view->selectedRow(), 1);
        QCOMPARE(view->selectedCrop(), 3);
        DistributionComparison* comparison = view->comparison();
        QVERIFY(!comparison->shownPrototypes().isEmpty());
        for (int k : comparison->shownPrototypes()) {
            QVERIFY(std::abs(comparison->valueA(k) - batch.swapped.codes[1][3][k].item<double>()) <
                    1e-6);
            QVERIFY(std::abs(comparison->valueB(k) -
                             batch.swapped.predictions[3][3][k].item<double>()) < 1e-6);
        }
        QVERIFY(!view->typicalCaptions().isEmpty());
        // A crop never predicts its own code: that cell does nothing.
        view->selectCell(0, 0);
        QCOMPARE(view->selectedRow(), 1);
    }

    void viewsExportAndPresenterModeEnlarges() {
        MainWindow window(m_home.filePath(QStringLiteral("runs.db")));
        window.resize(1280, 800);
        window.show();
        LabPanel* lab = window.lab();
        window.showCentralView(1);
        QVERIFY(computeFromInitialWeights(*lab, labRun()));
        QTemporaryDir out;
        const QString png = out.filePath(QStringLiteral("view.png"));
        QVERIFY(lab->exportView(png));
        const QImage image(png);
        QCOMPARE(image.size(), lab->views()->currentWidget()->size());
        lab->views()->setCurrentIndex(1);
        const QString pdf = out.filePath(QStringLiteral("view.pdf"));
        QVERIFY(lab->exportView(pdf));
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.read(5) == "%PDF-");
        QSignalSpy problems(lab, &LabPanel::problem);
        QVERIFY(!lab->exportView(out.filePath(QStringLiteral("view.txt"))));
        QCOMPARE(problems.count(), 1);

        auto* experimentDock = window.findChild<QDockWidget*>(QStringLiteral("experimentDock"));
        QVERIFY(experimentDock->isVisible());
        const double normal = lab->font().pointSizeF();
        lab->setPresenterMode(true);
        QVERIFY(lab->font().pointSizeF() > normal * 1.5);
        QVERIFY(!experimentDock->isVisible());
        lab->setPresenterMode(false);
        QCOMPARE(lab->font().pointSizeF(), normal);
        QVERIFY(experimentDock->isVisible());
    }

    void aCheckpointGivenWhileHiddenIsComputedWhenShown() {
        QTemporaryDir dir;
        const ExperimentConfig config = labRun();
        SwavModel model(config.model, 1);
        CheckpointState state;
        state.configJson = toJson(config).dump();
        state.model = modelState(*model);
        const QString file = dir.filePath(QStringLiteral("epoch-0001.pt"));
        saveCheckpoint(state, file.toStdString());
        LabPanel panel;
        QSignalSpy computed(&panel, &LabPanel::computed);
        panel.setCheckpoint(file);
        QVERIFY(!panel.computing()); // hidden: nothing to show it to
        panel.show();
        QVERIFY(panel.computing());
        QVERIFY(computed.wait(60000));
        QVERIFY(computed.last().first().toBool());
        QVERIFY(panel.originText().contains(QStringLiteral("epoch-0001.pt")));
        panel.hide();
        panel.show(); // the same checkpoint: not again
        QVERIFY(!panel.computing());
    }

    void theLabFollowsAPausedRunStepByStep() {
        MainWindow window(m_home.filePath(QStringLiteral("runs.db")));
        ExperimentConfig config = labRun();
        config.optim.epochs = 200; // time to pause
        window.experiment()->form()->setConfigJson(toJson(config));
        window.experiment()->validateNow();
        QSignalSpy held(&window, &MainWindow::runHeld);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        LabPanel* lab = window.lab();
        QSignalSpy computed(lab, &LabPanel::computed);
        QVERIFY(window.startFromForm());
        window.pauseAction()->trigger();
        QVERIFY(held.wait(60000));
        const qint64 heldAt = held.last().first().toLongLong();
        lab->setSource(LabPanel::Source::PausedRun);
        QVERIFY(computed.wait(60000));
        QVERIFY(computed.last().first().toBool());
        QVERIFY(lab->originText().contains(QStringLiteral("before step %1").arg(heldAt)));
        const double before = lab->swapView()->table()->item(0, 1)->text().toDouble();

        // Two steps: the run holds again and the lab recomputes by itself on the new weights.
        const int computedBefore = int(computed.count());
        window.stepCount()->setValue(2);
        window.stepAction()->trigger();
        QVERIFY(held.wait(30000));
        QCOMPARE(held.last().first().toLongLong(), heldAt + 2);
        QTRY_VERIFY_WITH_TIMEOUT(computed.count() > computedBefore, 60000);
        QVERIFY(lab->originText().contains(QStringLiteral("before step %1").arg(heldAt + 2)));
        const double after = lab->swapView()->table()->item(0, 1)->text().toDouble();
        QVERIFY2(before != after, "two training steps changed nothing the lab shows");

        window.stopAction()->trigger();
        QVERIFY(finished.wait(60000));
        QVERIFY(lab->originText().contains(QStringLiteral("No paused run")));
    }
};

QTEST_MAIN(LabTest)
#include "test_lab.moc"
