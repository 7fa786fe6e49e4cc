// Issue 29: the window follows what other processes write without Refresh, and nothing it shows
// goes stale: a run selected while it trains offers its checkpoints once it has them, and the
// Lab and Clusters take the selected run's checkpoint; presenter mode keeps the Step controls.
#include "ClustersPanel.h"
#include "DashboardPanel.h"
#include "LabPanel.h"
#include "LaunchedRunWorker.h"
#include "LossPlot.h"
#include "MainWindow.h"
#include "RunsPanel.h"
#include "RunsTableModel.h"
#include "TinySynthetic.h"
#include "config/ConfigJson.h"
#include "store/RunStore.h"

#include <nlohmann/json.hpp>

#include <QDockWidget>
#include <QFileInfo>
#include <QProcess>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>

#include <fstream>

using namespace swav;

class WindowFollowsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void aRunSelectedWhileItTrainsOffersItsCheckpointWhenItHasOne() {
        const QString database = m_home.filePath(QStringLiteral("runs.db"));
        MainWindow window(database);
        // Long enough an epoch (512 steps) to be selected before its first checkpoint.
        ExperimentConfig config = test::tinyTrainingConfig(16384);
        config.name = "followed";
        config.optim.epochs = 2;
        config.optim.batchSize = 32;
        const QString configFile = m_home.filePath(QStringLiteral("followed.json"));
        std::ofstream(configFile.toStdString()) << toJson(config).dump();
        QProcess train;
        train.setProcessChannelMode(QProcess::MergedChannels);
        train.start(LaunchedRunWorker::launcherProgram(),
                    {QStringLiteral("train"), QStringLiteral("--config"), configFile,
                     QStringLiteral("--db"), database});
        QVERIFY(train.waitForStarted(30000));
        // The table shows the run by itself: no Refresh.
        QByteArray printed;
        QTRY_VERIFY2_WITH_TIMEOUT(window.runs()->model()->rowCount() == 1,
                                  (printed += train.readAll()).constData(), 60000);
        const qint64 run = window.runStore()->listRuns().front().run.id;
        window.runs()->selectRuns({run});
        QVERIFY2(window.runStore()->checkpoints(run).empty(),
                 "selected after its first checkpoint: the epoch was too short to test this");
        QVERIFY(window.clusters()->checkpoint().isEmpty());
        // It may have ended already (waitForFinished is then false).
        QVERIFY(train.state() == QProcess::NotRunning || train.waitForFinished(300000));
        QVERIFY2(train.exitCode() == 0, train.readAll().constData());

        const auto checkpoints = window.runStore()->checkpoints(run);
        QVERIFY(!checkpoints.empty());
        const QString newest = QString::fromStdString(checkpoints.back().path);
        // Clusters and the Lab take the selected run's newest checkpoint once it is recorded.
        QTRY_COMPARE_WITH_TIMEOUT(window.clusters()->checkpoint(), newest, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.lab()->originText().contains(QFileInfo(newest).fileName()),
                                 10000);
        QCOMPARE(window.runs()->model()->entry(window.runs()->model()->rowOf(run))->run.status,
                 store::RunState::Finished);
    }

    // A run shown while still queued (its process opens the data and builds the model before it
    // marks the run started, slowly on a busy machine) is followed until it trains and ends.
    void aRunShownWhileQueuedIsFollowedOnceItTrains() {
        const QString database = m_home.filePath(QStringLiteral("queued.db"));
        MainWindow window(database);
        // Another process's run, recorded but not started yet.
        auto writer = store::RunStore::open(database.toStdString());
        QVERIFY(writer.hasValue());
        ExperimentConfig config = test::tinyTrainingConfig(256);
        config.name = "queued";
        store::NewRun record;
        record.name = config.name;
        record.configJson = toJson(config).dump();
        const int64_t run = (*writer)->createRun(record);
        QVERIFY(window.showStoredRun(run)); // polls once at once: the run reads queued
        QVERIFY(window.followingStoredRun());
        (*writer)->markStarted(run, "cpu", store::currentProcess());
        (*writer)->appendMetrics(run, {{"loss", 0, 0, 2.5, 1.0}, {"loss", 1, 0, 2.4, 2.0}});
        QTRY_VERIFY_WITH_TIMEOUT(window.lossPlot()->pointCount() >= 2, 10000);
        (*writer)->setStatus(run, store::RunState::Finished);
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboard()->title().contains(QStringLiteral("finished")),
                                 10000);
    }

    void presenterModeKeepsPauseAndStep() {
        MainWindow window(m_home.filePath(QStringLiteral("presenting.db")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* experimentDock = window.findChild<QDockWidget*>(QStringLiteral("experimentDock"));
        QVERIFY(experimentDock && experimentDock->isVisible());
        Q_EMIT window.lab()->presenterModeChanged(true);
        QVERIFY(!experimentDock->isVisible());
        QVERIFY(window.findChild<QToolBar*>(QStringLiteral("runToolbar"))->isVisible());
        QVERIFY(window.stepCount()->isVisible());
        Q_EMIT window.lab()->presenterModeChanged(false);
        QVERIFY(experimentDock->isVisible());
    }

private:
    QTemporaryDir m_home;
};

QTEST_MAIN(WindowFollowsTest)
#include "test_window_follows.moc"
