// Issue 29: the window must never lose its hold on the run database. Every file dialog of the
// window is opened on the database's own folder while another process trains into it; the
// window's POSIX locks stay, another process closing the database leaves the write-ahead log in
// place, the window keeps seeing new runs, and the database passes SQLite's integrity check.
#include "DatabaseWatch.h"
#include "EvaluationPanel.h"
#include "ExperimentPanel.h"
#include "ImportWeightsDialog.h"
#include "LabPanel.h"
#include "LaunchedRunWorker.h"
#include "MainWindow.h"
#include "RunsPanel.h"
#include "RunsTableModel.h"
#include "TinySynthetic.h"
#include "config/ConfigJson.h"
#include "store/DatabaseHold.h"
#include "store/RunStore.h"

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileSystemModel>
#include <QLineEdit>
#include <QMenu>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <signal.h>

#include <fstream>
#include <functional>

using namespace swav;

namespace {

/// The database's own files, as a file dialog lists them.
const QStringList kDatabaseFiles = {QStringLiteral("runs.db"), QStringLiteral("runs.db-wal"),
                                    QStringLiteral("runs.db-shm")};

/// The open file dialog has described every database file in `folder` (its type column is
/// filled: where a sniffing dialog opens the file).
bool listedDatabaseFiles(QFileDialog* dialog, const QString& folder) {
    auto* model = dialog->findChild<QFileSystemModel*>();
    if (!model)
        return false;
    for (const QString& name : kDatabaseFiles) {
        const QModelIndex index = model->index(QDir(folder).filePath(name));
        if (!index.isValid() || model->type(index).isEmpty())
            return false;
    }
    return true;
}

/// Runs `open` (which shows a modal file dialog), lets the dialog list `folder` completely,
/// then cancels it, or chooses `choose` when given. False when no file dialog appeared or it
/// never listed the folder.
bool openFileDialogOn(const std::function<void()>& open, const QString& folder,
                      const QString& choose = {}) {
    bool listed = false;
    bool appeared = false;
    int ticks = 0;
    QTimer poll;
    poll.setInterval(50);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        if (!appeared) {
            // Every file, as with "All files": a dialog filtering by *.json lists the others too.
            dialog->setNameFilter(QStringLiteral("*"));
            // A folder chooser then lists files too, greyed out, as Qt's does without this
            // option.
            dialog->setOption(QFileDialog::ShowDirsOnly, false);
            dialog->setDirectory(folder); // a dialog that starts elsewhere is taken there
        }
        appeared = true;
        listed = listedDatabaseFiles(dialog, folder);
        if (listed && !choose.isEmpty()) {
            // Typed as a user would (selectFile leaves a focused name field alone).
            dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"))->setText(choose);
            QMetaObject::invokeMethod(dialog, "accept"); // protected in QFileDialog
        } else if (listed || ++ticks > 400) {            // 20 s
            dialog->reject();
        }
    });
    poll.start();
    open();
    poll.stop();
    return appeared && listed;
}

QPushButton* buttonOf(QWidget* parent, const QString& text) {
    for (auto* button : parent->findChildren<QPushButton*>())
        if (button->text() == text)
            return button;
    return nullptr;
}

QAction* configMenuAction(ExperimentPanel* panel, const QString& text) {
    for (auto* tool : panel->findChildren<QToolButton*>())
        if (tool->menu()) {
            Q_EMIT tool->menu()->aboutToShow(); // the menu is filled as it opens
            for (QAction* action : tool->menu()->actions())
                if (action->text() == text)
                    return action;
        }
    return nullptr;
}

bool integrityOk(const QString& database) {
    SQLite::Database db(database.toStdString(), SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA integrity_check").getString() == "ok";
}

/// Starts `swav args...` with its output and errors in one channel.
void startSwav(QProcess& process, const QStringList& args) {
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(LaunchedRunWorker::launcherProgram(), args);
}

/// Starts `swav train` of `configFile` into `database`, its run folder `out`.
void startTraining(QProcess& process, const QString& configFile, const QString& database,
                   const QString& out, const QStringList& more = {}) {
    startSwav(process, QStringList{QStringLiteral("train"), QStringLiteral("--config"), configFile,
                                   QStringLiteral("--db"), database, QStringLiteral("--out"), out} +
                           more);
}

/// Writes the tiny training configuration named `name` with `images` images into `file`.
ExperimentConfig writeTinyConfig(const QString& file, const std::string& name, int64_t images) {
    ExperimentConfig config = test::tinyTrainingConfig(images);
    config.name = name;
    config.optim.batchSize = 32;
    std::ofstream(file.toStdString()) << toJson(config).dump();
    return config;
}

/// `swav runs list` on the database: another process opening and closing it.
QByteArray listRunsElsewhere(const QString& database) {
    QProcess list;
    startSwav(list,
              {QStringLiteral("runs"), QStringLiteral("--db"), database, QStringLiteral("list")});
    if (!list.waitForFinished(60000) || list.exitCode() != 0)
        return QByteArray("failed: ") + list.readAll();
    return list.readAll();
}

using DialogOpener = std::pair<const char*, std::function<void()>>;

/// Every file dialog of the window, each as the user opens it.
std::vector<DialogOpener> everyFileDialog(MainWindow& window, ImportWeightsDialog& importDialog) {
    const auto tr = [](const char* text) { return QObject::tr(text); };
    return {
        {"Configuration > Load JSON",
         [&, tr] { configMenuAction(window.experiment(), tr("Load JSON…"))->trigger(); }},
        {"Configuration > Save as JSON",
         [&, tr] { configMenuAction(window.experiment(), tr("Save as JSON…"))->trigger(); }},
        {"Experiment > Browse",
         [&, tr] { buttonOf(window.experiment(), tr("Browse..."))->click(); }},
        {"Evaluation > Browse",
         [&, tr] { buttonOf(window.evaluation(), tr("Browse..."))->click(); }},
        {"Runs > Export metrics CSV",
         [&, tr] { buttonOf(window.runs(), tr("Export metrics CSV..."))->click(); }},
        {"Runs > Export list CSV",
         [&, tr] { buttonOf(window.runs(), tr("Export list CSV..."))->click(); }},
        {"Lab > Export view", [&, tr] { buttonOf(window.lab(), tr("Export view…"))->click(); }},
        {"Import weights > Browse", [&, tr] { buttonOf(&importDialog, tr("Browse…"))->click(); }},
    };
}

} // namespace

class DatabaseHoldTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void everyFileDialogOnTheDatabaseFolderKeepsTheWindowsHold() {
        QTemporaryDir folder;
        const QString database = folder.filePath(QStringLiteral("runs.db"));
        // As when the window is started with --db runs.db: dialogs open in the working folder.
        const QString previous = QDir::currentPath();
        QDir::setCurrent(folder.path());
        MainWindow window(database);
        window.show();

        // Another process trains into the same database meanwhile.
        const QString configFile = m_home.filePath(QStringLiteral("beside.json"));
        writeTinyConfig(configFile, "beside", 512);
        QProcess train;
        startTraining(train, configFile, database, m_home.filePath(QStringLiteral("beside-run")),
                      {QStringLiteral("--set"), QStringLiteral("optim.epochs=200")});
        QVERIFY(train.waitForStarted(30000));
        QTRY_VERIFY_WITH_TIMEOUT(!window.runStore()->listRuns().empty(), 60000);
        const qint64 besideRun = window.runStore()->listRuns().front().run.id;
        // The runs table shows it by itself, and its details once selected.
        QTRY_COMPARE_WITH_TIMEOUT(window.runs()->model()->rowCount(), 1, 10000);
        window.runs()->selectRuns({besideRun});
        QCOMPARE(window.runs()->selectedRuns(), QList<qint64>{besideRun});
        QVERIFY(store::inspectDatabaseHold(database.toStdString()).intact());

        ImportWeightsDialog importDialog(&window);
        importDialog.show();
        const auto dialogs = everyFileDialog(window, importDialog);
        for (const auto& [name, open] : dialogs) {
            QVERIFY2(
                openFileDialogOn(open, folder.path()),
                (QByteArray(name) + ": no file dialog listed the database's folder").constData());
            const auto hold = store::inspectDatabaseHold(database.toStdString());
            QVERIFY2(
                hold.intact(),
                (QByteArray(name) + ": the window lost its locks on the database").constData());
        }
        // No repair was needed: the dialogs never touched the files.
        window.databaseWatch()->check();
        QCOMPARE(window.databaseWatch()->repairs(), 0);

        // Other processes open and close the database: the log the window uses stays.
        QVERIFY(!listRunsElsewhere(database).startsWith("failed"));
        QVERIFY(!store::inspectDatabaseHold(database.toStdString()).filesReplaced);

        // The window still sees what others write: a run imported by another process.
        const qint64 before = window.runStore()->listRuns().size();
        ::kill(pid_t(train.processId()), SIGTERM);
        QVERIFY(train.waitForFinished(60000));
        QTRY_COMPARE_WITH_TIMEOUT(window.runs()->model()->rowCount(), int(before), 10000);
        QProcess again;
        startTraining(again, configFile, database, m_home.filePath(QStringLiteral("again-run")),
                      {QStringLiteral("--set"), QStringLiteral("optim.epochs=1")});
        QVERIFY(again.waitForStarted(30000));
        // Without Refresh: the runs table follows the database.
        QTRY_COMPARE_WITH_TIMEOUT(window.runs()->model()->rowCount(), int(before) + 1, 60000);
        // It may have ended already (waitForFinished is then false).
        QVERIFY(again.state() == QProcess::NotRunning || again.waitForFinished(300000));
        QCOMPARE(again.exitCode(), 0);
        QVERIFY(store::inspectDatabaseHold(database.toStdString()).intact());
        QVERIFY(integrityOk(database));
        QDir::setCurrent(previous);
    }

    // The guard: a stray open and close inside the window's process (what a sniffing dialog
    // did) is noticed and the locks are taken again within a second.
    void aStrayCloseIsRepairedBeforeAnotherProcessCanDeleteTheLog() {
        QTemporaryDir folder;
        const QString database = folder.filePath(QStringLiteral("runs.db"));
        MainWindow window(database);
        QVERIFY(window.runStore());
        window.runStore()->listRuns();
        { std::ifstream stray(database.toStdString() + "-shm"); }
        QVERIFY(store::inspectDatabaseHold(database.toStdString()).locksLost());
        QSignalSpy repaired(window.databaseWatch(), &DatabaseWatch::repaired);
        QTRY_VERIFY_WITH_TIMEOUT(repaired.count() >= 1, 10000);
        QVERIFY(store::inspectDatabaseHold(database.toStdString()).intact());
        QVERIFY(window.lastProblem().contains(QStringLiteral("taken again")));
        QVERIFY(!listRunsElsewhere(database).startsWith("failed"));
        QVERIFY(!store::inspectDatabaseHold(database.toStdString()).filesReplaced);
        QVERIFY(integrityOk(database));
    }

private:
    QTemporaryDir m_home;
};

#ifdef SWAV_SOAK
// Long use (label slow; SWAV_SOAK_MINUTES, 60 by default): cycle after cycle, every file dialog
// opened on the database's folder (the run list exported through one of them) while another
// process trains into the database and others list and export it; after each cycle the window
// holds its locks, never needed a repair, shows every run, and the database is whole.
class DatabaseSoak : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-soak"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void theDatabaseStaysWholeThroughLongUse() {
        const int minutes = qEnvironmentVariableIsSet("SWAV_SOAK_MINUTES")
                                ? qEnvironmentVariableIntValue("SWAV_SOAK_MINUTES")
                                : 60;
        QTemporaryDir folder;
        const QString database = folder.filePath(QStringLiteral("runs.db"));
        const QString previous = QDir::currentPath();
        QDir::setCurrent(folder.path());
        MainWindow window(database);
        window.show();
        ImportWeightsDialog importDialog(&window);
        importDialog.show();
        const QString configFile = m_home.filePath(QStringLiteral("soak.json"));
        writeTinyConfig(configFile, "soak", 2048);

        QElapsedTimer clock;
        clock.start();
        int cycles = 0;
        while (clock.elapsed() < qint64(minutes) * 60000) {
            ++cycles;
            const QString cycle = QString::number(cycles);
            QProcess train;
            startTraining(train, configFile, database,
                          m_home.filePath(QStringLiteral("run-") + cycle));
            QVERIFY(train.waitForStarted(30000));
            QTRY_COMPARE_WITH_TIMEOUT(window.runs()->model()->rowCount(), cycles, 60000);
            window.runs()->selectRuns({window.runStore()->listRuns().front().run.id});
            for (const auto& [name, open] : everyFileDialog(window, importDialog)) {
                const bool exportList = QByteArray(name) == "Runs > Export list CSV";
                QVERIFY2(openFileDialogOn(open, folder.path(),
                                          exportList ? QStringLiteral("list-") + cycle +
                                                           QStringLiteral(".csv")
                                                     : QString()),
                         name);
                QVERIFY2(store::inspectDatabaseHold(database.toStdString()).intact(), name);
                QVERIFY(!listRunsElsewhere(database).startsWith("failed"));
            }
            QVERIFY2(QFile::exists(
                         folder.filePath(QStringLiteral("list-") + cycle + QStringLiteral(".csv"))),
                     qPrintable(QDir(folder.path()).entryList().join(QLatin1Char(' ')) +
                                QStringLiteral(" | ") + window.lastProblem()));
            QVERIFY(train.state() == QProcess::NotRunning || train.waitForFinished(600000));
            QVERIFY2(train.exitCode() == 0, train.readAll().constData());
            QProcess exportRun;
            startSwav(exportRun,
                      {QStringLiteral("runs"), QStringLiteral("--db"), database,
                       QStringLiteral("export"), QString::number(cycles), QStringLiteral("--csv"),
                       m_home.filePath(QStringLiteral("run-") + cycle + QStringLiteral(".csv"))});
            QVERIFY(exportRun.waitForFinished(60000) && exportRun.exitCode() == 0);
            window.databaseWatch()->check();
            QCOMPARE(window.databaseWatch()->repairs(), 0);
            QVERIFY(!store::inspectDatabaseHold(database.toStdString()).filesReplaced);
            QVERIFY(integrityOk(database));
            QTRY_VERIFY_WITH_TIMEOUT(window.runStore()->run(cycles) &&
                                         window.runStore()->run(cycles)->status ==
                                             store::RunState::Finished,
                                     10000);
        }
        qInfo("%d cycles in %.1f minutes: locks held, no repair, integrity ok", cycles,
              clock.elapsed() / 60000.0);
        QDir::setCurrent(previous);
    }

private:
    QTemporaryDir m_home;
};

QTEST_MAIN(DatabaseSoak)
#else
QTEST_MAIN(DatabaseHoldTest)
#endif
#include "test_database_hold.moc"
