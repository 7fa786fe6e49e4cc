// Issue 32: the run database as a user who may only read it, a damaged one, and deletion that
// touches no file unless the database can be written.
#include "StoreTesting.h"
#include "TestHarness.h"

#include "store/RunRecorder.h"
#include "store/RunStore.h"

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace swav;
using namespace swav::store;
namespace fs = std::filesystem;
using swav::test::openStore;
using swav::test::readAll;

namespace {

/// A run with a config file and a checkpoint in its folder, files recorded, left `running` by a
/// process that is gone.
int64_t deadRunWithFiles(RunStore& store, const std::string& runDir) {
    fs::create_directories(runDir + "/checkpoints");
    std::ofstream(runDir + "/config.json") << "{}";
    std::ofstream(runDir + "/checkpoints/epoch-0001-step-000000010.pt") << "state";
    NewRun record;
    record.name = "r";
    record.configJson = "{}";
    record.runDir = runDir;
    const int64_t run = store.createRun(record);
    store.addRunFiles(
        run, {runDir + "/config.json", runDir + "/checkpoints/epoch-0001-step-000000010.pt"});
    store.addCheckpoint(run, 1, 10, runDir + "/checkpoints/epoch-0001-step-000000010.pt", 5, "00");
    store.appendMetrics(run, {{"loss", 0, 0, 4.5, 10.0}});
    ProcessIdentity gone = currentProcess();
    const pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, nullptr, 0);
    gone.pid = child;
    store.markStarted(run, "cpu", gone);
    return run;
}

/// Runs `body` as a user who may not write the database: as root (who writes anything) in a
/// child that became `nobody`; otherwise here, with write permission removed. Returns what
/// `body` reported ("" = all held).
std::string asReader(const std::string& folder, const std::function<std::string()>& body) {
    if (::geteuid() != 0) {
        for (const auto& entry : fs::directory_iterator(folder))
            fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::remove);
        fs::permissions(folder, fs::perms::owner_write, fs::perm_options::remove);
        const std::string report = body();
        fs::permissions(folder, fs::perms::owner_write, fs::perm_options::add);
        return report;
    }
    // The test's own folder (made 0700) must let nobody in; its files stay root's, 0644.
    ::chmod(fs::path(folder).parent_path().c_str(), 0755);
    ::chmod(folder.c_str(), 0755);
    return test::reportFromChild([&]() -> std::string {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            return "cannot become nobody";
        return body();
    });
}

} // namespace

TEST(StoreAccess, AReaderReadsADatabaseItCannotWrite) {
    test::TempDir dir;
    const std::string database = dir.file("db/runs.db");
    int64_t run = 0;
    {
        auto store = openStore(database);
        run = deadRunWithFiles(*store, dir.file("run"));
        // Became interrupted when opened again; make it look alive-but-dead again.
        store->database().exec("UPDATE runs SET status = 'running'");
    }
    const std::string report = asReader(dir.file("db"), [&]() -> std::string {
        auto reader = RunStore::open(database, StoreAccess::ReadOnly);
        if (!reader)
            return "read-only open failed: " + reader.error().message;
        const auto runs = (*reader)->listRuns({}, {"loss"});
        if (runs.size() != 1 || runs[0].run.id != run || !runs[0].metrics.count("loss"))
            return "the run was not listed with its loss";
        if ((*reader)->run(run)->status != RunState::Interrupted)
            return "the run of a dead process does not read as interrupted";
        // Nothing was written: as the owner sees it, the run is still marked running.
        auto raw = SQLite::Database(database, SQLite::OPEN_READONLY);
        if (raw.execAndGet("SELECT status FROM runs").getString() != "running")
            return "a read-only connection changed a status";
        auto writer = RunStore::open(database);
        if (writer)
            return "a read-write open of an unwritable database succeeded";
        if (writer.error().message.find("read-only for this user") == std::string::npos)
            return "unclear refusal: " + writer.error().message;
        return "";
    });
    ASSERT_EQ(report, std::string());
}

TEST(StoreAccess, DeletingARunTouchesNoFileWhenTheRecordCannotGo) {
    test::TempDir dir;
    const std::string database = dir.file("db/runs.db");
    const std::string runDir = dir.file("run");
    auto store = openStore(database);
    const int64_t run = deadRunWithFiles(*store, runDir);
    store->setStatus(run, RunState::Interrupted);
    // Another connection holds the write lock: the deletion's first write fails.
    auto other = openStore(database);
    other->database().exec("PRAGMA busy_timeout = 0");
    other->database().exec("BEGIN IMMEDIATE");
    store->database().exec("PRAGMA busy_timeout = 50");
    ASSERT_THROWS_WITH(store->deleteRun(run), "write lock");
    other->database().exec("ROLLBACK");
    ASSERT_TRUE(fs::exists(runDir + "/config.json"));
    ASSERT_TRUE(fs::exists(runDir + "/checkpoints/epoch-0001-step-000000010.pt"));
    ASSERT_TRUE(store->run(run).has_value());
    store->deleteRun(run);
    ASSERT_FALSE(fs::exists(runDir + "/config.json"));
    ASSERT_FALSE(fs::exists(runDir + "/checkpoints/epoch-0001-step-000000010.pt"));
    ASSERT_FALSE(store->run(run).has_value());
}

TEST(StoreAccess, ADamagedDatabaseIsRefusedAndLeftUntouched) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    {
        auto store = openStore(database);
        NewRun record;
        record.name = "r";
        record.configJson = std::string(20000, 'x'); // several pages of one row
        for (int i = 0; i < 20; ++i)
            store->createRun(record);
        store->database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    // Scribble over a page in the middle of the file, as a bad disk or a stray write would.
    const auto size = fs::file_size(database);
    {
        std::fstream file(database, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(std::streamoff(size / 2 / 4096 * 4096));
        const std::string junk(4096, '\x5a');
        file.write(junk.data(), std::streamsize(junk.size()));
    }
    const std::string before = readAll(database);
    for (StoreAccess access : {StoreAccess::ReadWrite, StoreAccess::ReadOnly}) {
        auto opened = RunStore::open(database, access);
        ASSERT_FALSE(opened.hasValue());
        ASSERT_CONTAINS(opened.error().message, database);
        ASSERT_CONTAINS(opened.error().message, "damaged");
    }
    ASSERT_TRUE(readAll(database) == before);
}

TEST(StoreAccess, AReaderNeedsAnExistingCurrentDatabase) {
    test::TempDir dir;
    auto missing = RunStore::open(dir.file("none.db"), StoreAccess::ReadOnly);
    ASSERT_FALSE(missing.hasValue());
    ASSERT_CONTAINS(missing.error().message, "no run database there");
    ASSERT_FALSE(fs::exists(dir.file("none.db")));
}

// A database that cannot be written mid-run (here: a file-size limit, as a full disk) loses no
// record: they wait in memory, the run hears of it at once and again when the database is
// written again, and every point is there in the end.
TEST(StoreAccess, RecordsWaitWhileTheDatabaseCannotBeWritten) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    int64_t run = 0;
    {
        auto store = openStore(database);
        NewRun record;
        record.name = "r";
        record.configJson = "{}";
        run = store->createRun(record);
    }
    const std::string report = test::reportFromChild([&]() -> std::string {
        ::signal(SIGXFSZ, SIG_IGN); // writes past the limit fail with EFBIG instead
        RecorderOptions options;
        options.flushSeconds = 0.05;
        options.flushRows = 50;
        options.finalRetrySeconds = 5;
        std::mutex heardLock;
        std::condition_variable heardMore;
        std::vector<std::string> heard;
        RunRecorder recorder(database, run, options);
        recorder.setTroubleHandler([&](const std::string& message, bool) {
            std::lock_guard<std::mutex> lock(heardLock);
            heard.push_back(message);
            heardMore.notify_all();
        });
        // Waits (at most 10 s) until the recorder has said something holding `fragment`.
        const auto heardWith = [&](const std::string& fragment) {
            std::unique_lock<std::mutex> lock(heardLock);
            return heardMore.wait_for(lock, std::chrono::seconds(10), [&] {
                for (const auto& message : heard)
                    if (message.find(fragment) != std::string::npos)
                        return true;
                return false;
            });
        };
        rlimit limit{};
        ::getrlimit(RLIMIT_FSIZE, &limit);
        const rlimit tight{4096, limit.rlim_max};
        if (::setrlimit(RLIMIT_FSIZE, &tight) != 0)
            return "cannot lower RLIMIT_FSIZE";
        for (int step = 0; step < 3000; ++step)
            recorder.record({{"loss", step, 0, 1.0 + step, 0.0}});
        recorder.flush(); // returns although nothing could be written
        if (!heardWith("kept in memory"))
            return "no word of the database that cannot be written";
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
            return "cannot raise RLIMIT_FSIZE again";
        if (!heardWith("written again"))
            return "no word of the database being written again";
        recorder.flush();
        return recorder.firstError().empty() ? "" : "an error remained: " + recorder.firstError();
    });
    ASSERT_EQ(report, std::string());
    // Every point written while the limit held arrived once it was lifted.
    auto after = openStore(database);
    ASSERT_EQ(after->metricCount(run, "loss"), 3000);
}
