// The run database across processes: `swav train` killed with SIGKILL mid-epoch leaves an
// interrupted run with every committed metric, which resumes as the same run; two training
// processes write while a reader polls, without "database is locked" failures.
// Needs the `swav` binary: SWAV_CLI names it (set by CTest).
#include "TestHarness.h"

#include "store/DatabaseHold.h"
#include "store/RunStore.h"

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace swav;
using namespace swav::store;
using swav::test::readAll;

namespace {

/// The swav binary of this build; SWAV_CLI names another.
std::string swavBinary() {
    const char* path = std::getenv("SWAV_CLI");
    return path && *path ? path : SWAV_CLI_PATH;
}

std::string tinyConfig() {
    return test::sourceDir() + "/cli/tiny-synthetic.json";
}

/// Starts `swav args...` with stdout and stderr in `logFile`.
pid_t spawnProgram(std::vector<std::string> argv, const std::string& logFile) {
    const pid_t child = fork();
    SWAV_REQUIRE(child >= 0, "fork failed");
    if (child == 0) {
        const int log = open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        std::vector<char*> raw;
        for (auto& arg : argv)
            raw.push_back(arg.data());
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    return child;
}

pid_t spawnSwav(const std::vector<std::string>& args, const std::string& logFile) {
    std::vector<std::string> argv{swavBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return spawnProgram(argv, logFile);
}

int waitExit(pid_t child) {
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::unique_ptr<RunStore> openStore(const std::string& path) {
    auto store = RunStore::open(path);
    SWAV_REQUIRE(store.hasValue(), (store ? "" : store.error().message));
    return std::move(*store);
}

/// Largest step of the run's loss series, -1 when none.
int64_t lastLossStep(RunStore& store, int64_t run) {
    const auto series = store.series(run, "loss", 1);
    return series.empty() ? -1 : series.back().lastStep;
}

constexpr int64_t kStepsPerEpoch = 4096 / 32; // tiny-synthetic.json

} // namespace

TEST(StoreProcesses, KilledRunIsInterruptedKeepsItsMetricsAndResumesAsTheSameRun) {
    test::TempDir dir;
    const std::string db = dir.file("runs.db");
    const pid_t child = spawnSwav({"train", "--config", tinyConfig(), "--db", db, "--out",
                                   dir.file("run"), "--set", "runtime.metrics_every=1"},
                                  dir.file("train.log"));
    // Wait until epoch 2 is well under way (after the first checkpoint), then kill -9.
    auto store = openStore(db);
    int64_t committedBefore = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
        ASSERT_TRUE(std::chrono::steady_clock::now() < deadline)
            << "training made no progress: " << readAll(dir.file("train.log"));
        const auto runs = store->listRuns();
        if (!runs.empty() && !store->checkpoints(runs[0].run.id).empty()) {
            committedBefore = store->metricCount(runs[0].run.id, "loss");
            if (committedBefore >= kStepsPerEpoch + 20)
                break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // While it lives, the run cannot be resumed by another process.
    const int64_t liveId = store->listRuns()[0].run.id;
    const pid_t intruder = spawnSwav({"train", "--db", db, "--resume", std::to_string(liveId)},
                                     dir.file("intruder.log"));
    ASSERT_EQ(waitExit(intruder), 2);
    ASSERT_CONTAINS(readAll(dir.file("intruder.log")), "stop it before resuming");

    kill(child, SIGKILL);
    ASSERT_EQ(waitExit(child), 128 + SIGKILL);
    store.reset();

    store = openStore(db); // opening detects the dead writer
    const auto runs = store->listRuns();
    ASSERT_EQ(runs.size(), size_t(1));
    const int64_t id = runs[0].run.id;
    ASSERT_TRUE(runs[0].run.status == RunState::Interrupted) << toString(runs[0].run.status);
    const int64_t committed = store->metricCount(id, "loss");
    ASSERT_TRUE(committed >= committedBefore);
    ASSERT_TRUE(committed < 3 * kStepsPerEpoch);
    ASSERT_EQ(lastLossStep(*store, id), committed - 1); // no gaps up to the last commit

    const int code =
        spawnSwav({"train", "--db", db, "--resume", std::to_string(id)}, dir.file("resume.log"));
    ASSERT_TRUE(waitExit(code) == 0) << readAll(dir.file("resume.log"));
    ASSERT_CONTAINS(readAll(dir.file("resume.log")), "resumed at step");
    const auto after = store->run(id);
    ASSERT_TRUE(after->status == RunState::Finished)
        << toString(after->status) << " " << after->message;
    ASSERT_EQ(store->listRuns().size(), size_t(1)); // the same run, not a new one
    // Every step exactly once: the replayed steps replaced what the killed process wrote.
    ASSERT_EQ(store->metricCount(id, "loss"), 3 * kStepsPerEpoch);
    ASSERT_EQ(lastLossStep(*store, id), 3 * kStepsPerEpoch - 1);
    ASSERT_EQ(store->metricCount(id, "epoch/loss"), int64_t(3));
    ASSERT_TRUE(store->checkpoints(id).size() >= 3);
}

TEST(StoreProcesses, TwoWritersAndAReaderShareTheDatabase) {
    test::TempDir dir;
    const std::string db = dir.file("runs.db");
    openStore(db).reset();
    std::vector<pid_t> writers;
    for (int i = 0; i < 2; ++i)
        writers.push_back(
            spawnSwav({"train", "--config", tinyConfig(), "--db", db, "--out",
                       dir.file("run" + std::to_string(i)), "--set", "runtime.metrics_every=1",
                       "--set", "optim.epochs=1", "--set", "runtime.seed=" + std::to_string(i + 1)},
                      dir.file("writer" + std::to_string(i) + ".log")));
    // Read as the GUI does while both write.
    auto reader = openStore(db);
    int reads = 0;
    std::vector<int> codes(2, -1);
    while (codes[0] < 0 || codes[1] < 0) {
        for (size_t i = 0; i < writers.size(); ++i) {
            int status = 0;
            if (codes[i] < 0 && waitpid(writers[i], &status, WNOHANG) == writers[i])
                codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        for (const auto& entry : reader->listRuns({}, {"loss"}))
            reader->series(entry.run.id, "loss", 200);
        ++reads;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int i = 0; i < 2; ++i) {
        const std::string log = readAll(dir.file("writer" + std::to_string(i) + ".log"));
        ASSERT_TRUE(codes[size_t(i)] == 0) << log;
        ASSERT_TRUE(log.find("locked") == std::string::npos) << log;
        ASSERT_TRUE(log.find("missed some records") == std::string::npos) << log;
    }
    ASSERT_TRUE(reads > 10);
    const auto runs = reader->listRuns();
    ASSERT_EQ(runs.size(), size_t(2));
    for (const auto& entry : runs) {
        ASSERT_TRUE(entry.run.status == RunState::Finished);
        ASSERT_EQ(reader->metricCount(entry.run.id, "loss"), kStepsPerEpoch);
    }
}

namespace {

/// Opens and closes a file of the database the way a file dialog sniffing it does: POSIX
/// drops every lock this process holds on that file.
void strayOpenAndClose(const std::string& file) {
    std::ifstream stray(file, std::ios::binary);
    char byte = 0;
    stray.read(&byte, 1);
}

bool integrityOk(RunStore& store) {
    return store.database().execAndGet("PRAGMA integrity_check").getString() == "ok";
}

int64_t newRun(RunStore& store, const std::string& name) {
    NewRun run;
    run.name = name;
    run.configJson = "{}";
    return store.createRun(run);
}

} // namespace

// Issue 29: a stray close inside the process drops SQLite's locks; unnoticed, the next process
// to close the database deletes the write-ahead log this one still uses. The hold is seen as
// lost and taken again before that can happen.
TEST(StoreProcesses, LocksDroppedByAStrayCloseAreTakenAgain) {
    test::TempDir dir;
    const std::string db = dir.file("runs.db");
    auto store = openStore(db);
    const int64_t mine = newRun(*store, "mine");
    ASSERT_TRUE(inspectDatabaseHold(db).intact());
    ASSERT_TRUE(inspectDatabaseHold(db).inspected) << "no -shm descriptor found through /proc";

    strayOpenAndClose(db + "-shm");
    strayOpenAndClose(db);
    const DatabaseHold lost = inspectDatabaseHold(db);
    EXPECT_TRUE(lost.locksLost());
    EXPECT_FALSE(lost.databaseLocked);
    EXPECT_FALSE(lost.sharedMemoryLocked);

    EXPECT_EQ(store->keepHold(), HoldRepair::LocksRestored);
    EXPECT_TRUE(inspectDatabaseHold(db).intact());
    EXPECT_EQ(store->keepHold(), HoldRepair::Intact);

    // Another process opens and closes the database: it sees this one and leaves the log.
    ASSERT_EQ(waitExit(spawnSwav({"runs", "--db", db, "list"}, dir.file("list.log"))), 0)
        << readAll(dir.file("list.log"));
    EXPECT_FALSE(inspectDatabaseHold(db).filesReplaced);
    const int64_t after = newRun(*store, "after");
    EXPECT_TRUE(store->run(mine) && store->run(after));
    EXPECT_TRUE(integrityOk(*store));
}

// When the locks were gone long enough for another process to delete the log, the connection
// is reopened and reads what that process checkpointed into the database.
TEST(StoreProcesses, AReplacedWriteAheadLogIsSeenAndTheConnectionReopened) {
    test::TempDir dir;
    const std::string db = dir.file("runs.db");
    auto store = openStore(db);
    const int64_t mine = newRun(*store, "mine");
    strayOpenAndClose(db + "-shm");
    strayOpenAndClose(db);
    // Another SQLite program (this one keeps its log files) writes and closes the database.
    const std::string otherProgram =
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute(\"UPDATE meta SET value = value WHERE key = 'schema_version'\")\n"
        "c.commit()\n"
        "c.close()\n";
    ASSERT_EQ(
        waitExit(spawnProgram({SWAV_TEST_PYTHON, "-c", otherProgram, db}, dir.file("other.log"))),
        0)
        << readAll(dir.file("other.log"));
    // The other process took itself for the last user: checkpointed and deleted the log.
    EXPECT_TRUE(inspectDatabaseHold(db).filesReplaced);

    EXPECT_EQ(store->keepHold(), HoldRepair::Reopened);
    EXPECT_TRUE(inspectDatabaseHold(db).intact());
    EXPECT_TRUE(store->run(mine).has_value());
    const int64_t after = newRun(*store, "after");
    EXPECT_TRUE(store->run(after).has_value());
    ASSERT_EQ(waitExit(spawnSwav({"runs", "--db", db, "list"}, dir.file("list2.log"))), 0);
    EXPECT_NE(readAll(dir.file("list2.log")).find("after"), std::string::npos)
        << "a run written after the reopening reaches other processes";
    EXPECT_TRUE(integrityOk(*store));
}
