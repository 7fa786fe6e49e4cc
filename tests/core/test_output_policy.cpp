// Issue 32: outputs the user names never replace a file unasked, the run database or a run's
// recorded files, and streams (a FIFO, standard output) are written in place.
#include "StoreTesting.h"
#include "TestHarness.h"

#include "store/RunStore.h"
#include "util/OutputTarget.h"

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace swav;
using namespace swav::store;
namespace fs = std::filesystem;
using swav::test::openStore;
using swav::test::readAll;

namespace {

void writeText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

int64_t runWithPoints(RunStore& store, const std::string& runDir) {
    NewRun record;
    record.name = "r";
    record.configJson = "{}";
    record.runDir = runDir;
    const int64_t run = store.createRun(record);
    store.appendMetrics(run, {{"loss", 0, 0, 4.5, 10.0}});
    return run;
}

} // namespace

TEST(OutputPolicy, AnExistingFileIsReplacedOnlyWhenAsked) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = runWithPoints(*store, dir.path());
    const std::string mine = dir.file("mine.csv");
    writeText(mine, "precious");
    ASSERT_THROWS_WITH(store->exportMetricsCsv(run, mine, false), "already exists");
    ASSERT_EQ(readAll(mine), std::string("precious"));
    // A link counts as there too: without --overwrite it is neither followed nor replaced.
    fs::create_symlink(mine, dir.file("link.csv"));
    ASSERT_THROWS_WITH(store->exportMetricsCsv(run, dir.file("link.csv"), false), "already exists");
    ASSERT_THROWS_WITH(store->exportMetricsCsv(run, dir.path(), true), "a folder");
    store->exportMetricsCsv(run, mine, true);
    ASSERT_CONTAINS(readAll(mine), "metric,step,epoch,wall_time,value\nloss,0,0,10,4.5\n");
}

TEST(OutputPolicy, TheDatabaseAndItsCompanionsAreNeverTargets) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    auto store = openStore(database);
    const int64_t run = runWithPoints(*store, dir.path());
    fs::create_symlink(database, dir.file("alias.csv"));
    for (const std::string& target : {database, database + "-wal", database + "-shm",
                                      dir.file("alias.csv"), dir.path() + "/./runs.db"}) {
        if (!fs::exists(target))
            continue; // -shm and -wal exist while the connection is open in WAL mode
        ASSERT_THROWS_WITH(store->exportMetricsCsv(run, target, true), "the run database");
        ASSERT_THROWS_WITH(refuseDatabaseFile(database, target), "the run database");
    }
    ASSERT_TRUE(fs::exists(database + "-wal"));
    ASSERT_EQ(store->metricCount(run), 1);
    // Still a database that a new connection reads.
    auto again = openStore(database);
    ASSERT_TRUE(again->run(run).has_value());
}

TEST(OutputPolicy, ARunsRecordedFilesAreNeverTargets) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = runWithPoints(*store, dir.path());
    fs::create_directories(dir.file("checkpoints"));
    const std::string checkpoint = dir.file("checkpoints/epoch-0002-step-000000040.pt");
    const std::string config = dir.file("config.json");
    writeText(checkpoint, "state");
    writeText(config, "{}");
    store->addCheckpoint(run, 2, 40, checkpoint, 5, "00");
    store->addRunFiles(run, {config});
    for (const std::string& target :
         {checkpoint, config, dir.path() + "/checkpoints/../config.json"})
        ASSERT_THROWS_WITH(store->exportMetricsCsv(run, target, true), "a file of run");
    ASSERT_EQ(readAll(checkpoint), std::string("state"));
    ASSERT_EQ(readAll(config), std::string("{}"));
}

TEST(OutputPolicy, AFifoIsWrittenInPlaceNotReplaced) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = runWithPoints(*store, dir.path());
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::string received;
    std::thread reader([&] { received = readAll(fifo); });
    store->exportMetricsCsv(run, fifo, false); // a stream needs no --overwrite
    reader.join();
    ASSERT_CONTAINS(received, "loss,0,0,10,4.5\n");
    struct stat info {};
    ASSERT_EQ(::lstat(fifo.c_str(), &info), 0);
    ASSERT_TRUE(S_ISFIFO(info.st_mode));
}

TEST(OutputPolicy, SameFileComparesIdentityNotSpelling) {
    test::TempDir dir;
    writeText(dir.file("a"), "x");
    writeText(dir.file("b"), "x");
    fs::create_hard_link(dir.file("a"), dir.file("hard"));
    ASSERT_TRUE(sameFile(dir.file("a"), dir.file("hard")));
    ASSERT_TRUE(sameFile(dir.file("a"),
                         dir.path() + "/../" + fs::path(dir.path()).filename().string() + "/a"));
    ASSERT_FALSE(sameFile(dir.file("a"), dir.file("b")));
    ASSERT_FALSE(sameFile(dir.file("a"), dir.file("missing")));
    checkOutputTarget(dir.file("missing"), false);
    checkOutputTarget("-", false);
}

TEST(OutputPolicy, OpenDescriptorsAreNamedByTheirNumber) {
    ASSERT_EQ(openDescriptorOf("-"), 1);
    ASSERT_EQ(openDescriptorOf("/dev/stdout"), 1);
    ASSERT_EQ(openDescriptorOf("/dev/stderr"), 2);
    ASSERT_EQ(openDescriptorOf("/proc/self/fd/7"), 7);
    ASSERT_EQ(openDescriptorOf("/dev/fd/3"), 3);
    for (const char* other : {"/proc/self/fd/", "/proc/self/fd/1x", "/dev/fd/12345678", "out.csv",
                              "/proc/1/fd/1", "./-"})
        ASSERT_EQ(openDescriptorOf(other), -1) << other;
}
