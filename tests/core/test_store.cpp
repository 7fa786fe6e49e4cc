// The run database: schema and migration, refusal of foreign files, runs and their records,
// downsampled series, interrupted-run detection, CSV export, config diff, and the recorder.
#include "StoreTesting.h"
#include "SwavVersion.h"
#include "TestHarness.h"

#include "config/ConfigDiff.h"
#include "store/MetricBlocks.h"
#include "store/RunRecorder.h"
#include "store/RunReplay.h"
#include "store/RunStore.h"
#include "store/StoreSchema.h"
#include "util/Sha256.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace swav;
using namespace swav::store;
namespace fs = std::filesystem;
using swav::test::openStore;
using swav::test::readAll;

namespace {

int64_t newRun(RunStore& store, const std::string& name, const std::string& runDir = {}) {
    NewRun run;
    run.name = name;
    run.configJson = R"({"optim": {"base_lr": 0.6}})";
    run.preset = "fashion-mnist";
    run.seed = 31;
    run.runDir = runDir;
    return store.createRun(run);
}

std::vector<MetricPoint> lossPoints(int64_t from, int64_t to, double spikeAt = -1) {
    std::vector<MetricPoint> points;
    for (int64_t step = from; step < to; ++step)
        points.push_back({"loss", step, int(step / 100),
                          step == spikeAt ? 100.0 : 1.0 + 0.001 * double(step % 7), 0.0});
    return points;
}

/// A pid that is certainly not running: a child that has exited and been reaped.
int64_t deadPid() {
    const pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

int64_t sumCounts(const std::vector<SeriesBucket>& buckets) {
    int64_t total = 0;
    for (const auto& b : buckets)
        total += b.count;
    return total;
}

} // namespace

TEST(Store, Sha256MatchesKnownDigests) {
    ASSERT_EQ(sha256Hex(""),
              std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    ASSERT_EQ(sha256Hex("abc"),
              std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    // Two blocks: the padding crosses a block boundary.
    ASSERT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    test::TempDir dir;
    std::ofstream(dir.file("a.bin")) << std::string(1000000, 'a');
    ASSERT_EQ(sha256OfFile(dir.file("a.bin")),
              std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    ASSERT_THROWS_WITH(sha256OfFile(dir.file("missing.bin")), "missing.bin");
}

TEST(Store, NewDatabaseHasTheCurrentSchemaInWalMode) {
    test::TempDir dir;
    const std::string path = dir.file("sub/folder/runs.db");
    auto store = openStore(path);
    ASSERT_TRUE(fs::exists(path));
    ASSERT_EQ(store->schemaVersion(), kSchemaVersion);
    auto& db = store->database();
    ASSERT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), std::string("wal"));
    ASSERT_EQ(db.execAndGet("PRAGMA foreign_keys").getInt(), 1);
    ASSERT_EQ(db.execAndGet("PRAGMA application_id").getInt(), kApplicationId);
    ASSERT_TRUE(db.tableExists("metric_blocks"));
    // Reopening keeps it as it is.
    store.reset();
    ASSERT_EQ(openStore(path)->schemaVersion(), kSchemaVersion);
}

TEST(Store, ForeignFilesAreRefusedAndLeftUntouched) {
    test::TempDir dir;
    const std::string text = dir.file("notes.txt");
    std::ofstream(text) << "this is not a database, but it must survive being opened\n";
    const std::string before = readAll(text);
    auto refused = RunStore::open(text);
    ASSERT_TRUE(!refused);
    ASSERT_CONTAINS(refused.error().message, text);
    ASSERT_CONTAINS(refused.error().message, "not a SwAV Workbench run database");
    ASSERT_EQ(readAll(text), before);

    const std::string other = dir.file("other.sqlite");
    {
        SQLite::Database db(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('Ada')");
    }
    const std::string otherBefore = readAll(other);
    auto foreign = RunStore::open(other);
    ASSERT_TRUE(!foreign);
    ASSERT_CONTAINS(foreign.error().message, "another program");
    ASSERT_EQ(readAll(other), otherBefore);
    ASSERT_TRUE(!fs::exists(other + "-wal"));

    auto folder = RunStore::open(dir.path());
    ASSERT_TRUE(!folder);
    ASSERT_CONTAINS(folder.error().message, "is a folder");
}

TEST(Store, DatabaseOfANewerProgramIsRefused) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    openStore(path).reset();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    }
    auto newer = RunStore::open(path);
    ASSERT_TRUE(!newer);
    ASSERT_CONTAINS(newer.error().message, "newer");
    ASSERT_CONTAINS(newer.error().message, "99");
}

// Issue 32 (6): an edited or damaged schema version crashed every command (an unchecked
// migration index); it is refused by name and the file stays as it was.
TEST(Store, AnImpossibleSchemaVersionIsRefusedAndTheFileLeftAlone) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    openStore(path).reset();
    for (const char* value : {"-5", "-3", "0", "abc", "99999999999", "", "1.5"}) {
        {
            SQLite::Database db(path, SQLite::OPEN_READWRITE);
            SQLite::Statement set(db, "UPDATE meta SET value = ? WHERE key = 'schema_version'");
            set.bind(1, value);
            set.exec();
        }
        auto opened = RunStore::open(path);
        ASSERT_TRUE(!opened) << value;
        ASSERT_CONTAINS(opened.error().message, path);
        ASSERT_CONTAINS(opened.error().message, "not a schema version");
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        ASSERT_EQ(db.execAndGet("SELECT value FROM meta WHERE key = 'schema_version'").getString(),
                  std::string(value));
    }
}

TEST(Store, MigrationFromVersionOneKeepsEveryRecordAndBuildsBlocks) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    {
        // A database as version 1 wrote it, with a run and 5000 loss points.
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("BEGIN");
        migrateSchema(db, 0, 1);
        db.exec("INSERT INTO runs(name, status, created_at, config_json) VALUES('old', "
                "'finished', 1.0, '{}')");
        db.exec("INSERT INTO metric_keys(name) VALUES('loss')");
        SQLite::Statement insert(db, "INSERT INTO metrics VALUES(1, 1, ?, 0, ?, 0)");
        for (int step = 0; step < 5000; ++step) {
            insert.bind(1, step);
            insert.bind(2, step == 1234 ? 9.0 : 1.0);
            insert.exec();
            insert.reset();
        }
        db.exec("COMMIT");
        ASSERT_EQ(readSchemaVersion(db), 1);
        ASSERT_TRUE(!db.tableExists("metric_blocks"));
    }
    auto store = openStore(path);
    ASSERT_EQ(store->schemaVersion(), kSchemaVersion);
    const auto run = store->run(1);
    ASSERT_TRUE(run.has_value());
    ASSERT_EQ(run->name, std::string("old"));
    ASSERT_EQ(run->process.startTicks, int64_t(0)); // the new column's default
    ASSERT_EQ(store->metricCount(1, "loss"), int64_t(5000));
    // Read through the new blocks: every point counted once, the spike kept.
    const auto series = store->series(1, "loss", 50);
    ASSERT_TRUE(series.size() <= 51);
    ASSERT_EQ(sumCounts(series), int64_t(5000));
    double highest = 0;
    for (const auto& b : series)
        highest = std::max(highest, b.max);
    ASSERT_EQ(highest, 9.0);
}

TEST(Store, AVersion3DatabaseLearnsTheImportedStatus) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("BEGIN");
        migrateSchema(db, 0, 3);
        db.exec("INSERT INTO runs(name, status, created_at, config_json) VALUES('old', "
                "'interrupted', 1.0, '{}')");
        db.exec("COMMIT");
        // Version 3 refuses the status.
        bool refused = false;
        try {
            db.exec("UPDATE runs SET status = 'imported' WHERE id = 1");
        } catch (const SQLite::Exception&) {
            refused = true;
        }
        ASSERT_TRUE(refused);
    }
    auto store = openStore(path);
    ASSERT_EQ(store->schemaVersion(), kSchemaVersion);
    ASSERT_TRUE(store->run(1)->status == RunState::Interrupted);
    store->setStatus(1, RunState::Imported, "from a file");
    ASSERT_TRUE(store->run(1)->status == RunState::Imported);
    ASSERT_TRUE(!isActive(RunState::Imported));
    // Unknown statuses are still refused, and a second connection sees the new rule too.
    bool refused = false;
    try {
        store->database().exec("UPDATE runs SET status = 'bogus' WHERE id = 1");
    } catch (const SQLite::Exception&) {
        refused = true;
    }
    ASSERT_TRUE(refused);
    ASSERT_TRUE(openStore(path)->run(1)->status == RunState::Imported);
    SQLite::Database check(path, SQLite::OPEN_READONLY);
    ASSERT_EQ(check.execAndGet("PRAGMA integrity_check").getString(), std::string("ok"));
}

TEST(Store, RunsAreCreatedTaggedNotedFilteredAndListed) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t a = newRun(*store, "alpha");
    const int64_t b = newRun(*store, "beta");
    ASSERT_TRUE(b > a);
    auto alpha = store->run(a);
    ASSERT_TRUE(alpha.has_value());
    ASSERT_TRUE(alpha->status == RunState::Queued);
    ASSERT_EQ(alpha->preset, std::string("fashion-mnist"));
    ASSERT_EQ(alpha->programVersion, std::string(SWAV_VERSION));

    store->markStarted(a, "cpu (2 threads)", currentProcess());
    store->setStatus(b, RunState::Failed, "the loss became NaN");
    store->addTag(a, "baseline");
    store->addTag(a, "baseline"); // twice is once
    store->addTag(a, "paper");
    store->setNotes(b, "lr too high");
    store->appendMetrics(a, lossPoints(0, 300, 150));

    alpha = store->run(a);
    ASSERT_TRUE(alpha->status == RunState::Running);
    ASSERT_EQ(alpha->device, std::string("cpu (2 threads)"));
    ASSERT_TRUE(alpha->startedAt > 0);
    ASSERT_EQ(alpha->tags.size(), size_t(2));
    const auto beta = store->run(b);
    ASSERT_TRUE(beta->status == RunState::Failed);
    ASSERT_TRUE(beta->finishedAt > 0);
    ASSERT_EQ(beta->message, std::string("the loss became NaN"));
    ASSERT_EQ(beta->notes, std::string("lr too high"));

    ASSERT_EQ(store->listRuns().size(), size_t(2));
    RunFilter failed;
    failed.status = RunState::Failed;
    const auto failedRuns = store->listRuns(failed);
    ASSERT_EQ(failedRuns.size(), size_t(1));
    ASSERT_EQ(failedRuns[0].run.id, b);
    RunFilter tagged;
    tagged.tag = "paper";
    const auto paperRuns = store->listRuns(tagged, {"loss", "missing"});
    ASSERT_EQ(paperRuns.size(), size_t(1));
    const auto& summary = paperRuns[0].metrics.at("loss");
    ASSERT_EQ(summary.count, int64_t(300));
    ASSERT_EQ(summary.lastStep, int64_t(299));
    ASSERT_NEAR(summary.last, 1.0 + 0.001 * (299 % 7), 1e-12);
    ASSERT_EQ(summary.max, 100.0);
    ASSERT_NEAR(summary.min, 1.0, 1e-12);
    ASSERT_TRUE(paperRuns[0].metrics.count("missing") == 0);
    store->removeTag(a, "paper");
    ASSERT_TRUE(store->listRuns(tagged).empty());
    ASSERT_EQ(store->metricKeys(a), std::vector<std::string>{"loss"});
}

TEST(Store, SeriesKeepsSpikesAndCountsEveryPointOnce) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "long");
    const int64_t n = 200000;
    std::vector<MetricPoint> points;
    for (int64_t step = 0; step < n; ++step)
        points.push_back({"loss", step, 0, step == 123457 ? -5.0 : double(step % 10), 0.0});
    // Several commits, as the recorder makes them: blocks merge across batches.
    for (int64_t start = 0; start < n; start += 30000)
        store->appendMetrics(run,
                             std::vector<MetricPoint>(points.begin() + start,
                                                      points.begin() + std::min(n, start + 30000)));
    const auto buckets = store->series(run, "loss", 1000);
    ASSERT_TRUE(!buckets.empty() && buckets.size() <= 1001);
    ASSERT_EQ(sumCounts(buckets), n);
    double lowest = 1e9;
    int64_t lowestStep = -1;
    for (size_t i = 0; i < buckets.size(); ++i) {
        ASSERT_TRUE(buckets[i].min <= buckets[i].max);
        if (i > 0)
            ASSERT_TRUE(buckets[i].firstStep > buckets[i - 1].lastStep);
        if (buckets[i].min < lowest) {
            lowest = buckets[i].min;
            lowestStep = buckets[i].minStep;
        }
    }
    ASSERT_EQ(lowest, -5.0);
    ASSERT_EQ(lowestStep, int64_t(123457));
    // A narrow window reads raw points: exact values.
    const auto window = store->series(run, "loss", 100, 1000, 1049);
    ASSERT_EQ(window.size(), size_t(50));
    ASSERT_EQ(window[7].firstStep, int64_t(1007));
    ASSERT_EQ(window[7].max, 7.0);
    // Mean of a full series: (0 + ... + 9) / 10 = 4.5 except the one replaced point.
    double sum = 0;
    for (const auto& b : buckets)
        sum += b.sum;
    ASSERT_NEAR(sum / double(n), (4.5 * double(n) - 7.0 - 5.0) / double(n), 1e-9);
}

TEST(Store, ChooseLevelAndDownsampleByHand) {
    ASSERT_EQ(chooseLevel(31.0), -1);
    ASSERT_EQ(chooseLevel(32.0), 0);
    ASSERT_EQ(chooseLevel(600.0), 1);
    ASSERT_EQ(chooseLevel(1e9), 3);
    std::vector<SeriesBucket> raw(10);
    for (int i = 0; i < 10; ++i)
        addPoint(raw[size_t(i)], i, i == 3 ? 50.0 : double(i));
    const auto two = downsample(raw, 0, 9, 2);
    ASSERT_EQ(two.size(), size_t(2));
    ASSERT_EQ(two[0].count, int64_t(5));
    ASSERT_EQ(two[0].max, 50.0);
    ASSERT_EQ(two[0].maxStep, int64_t(3));
    ASSERT_EQ(two[1].min, 5.0);
    ASSERT_EQ(two[1].last, 9.0);
    ASSERT_NEAR(two[1].mean(), 7.0, 1e-12);
}

TEST(Store, TruncationBeforeResumeLeavesConsistentSeries) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "resumed");
    store->appendMetrics(run, lossPoints(0, 5000, 4000));
    store->putHistogram(run, 0, "prototype_usage", {1, 2, 3});
    store->putHistogram(run, 1, "prototype_usage", {4, 5, 6});
    store->truncateMetrics(run, 3000, 1);
    ASSERT_EQ(store->metricCount(run, "loss"), int64_t(3000));
    auto series = store->series(run, "loss", 10);
    ASSERT_EQ(sumCounts(series), int64_t(3000));
    ASSERT_EQ(series.back().lastStep, int64_t(2999));
    for (const auto& b : series)
        ASSERT_TRUE(b.max < 2.0); // the spike at 4000 is gone from the blocks too
    ASSERT_EQ(store->histogram(run, "prototype_usage"), (std::vector<int64_t>{1, 2, 3}));
    // Replaying the steps counts them once.
    store->appendMetrics(run, lossPoints(3000, 5000));
    series = store->series(run, "loss", 10);
    ASSERT_EQ(sumCounts(series), int64_t(5000));
}

TEST(Store, RewrittenStepsAreCountedOnce) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "rewritten");
    store->appendMetrics(run, lossPoints(0, 3000, 2500));
    // The same steps again (a replay without truncation), with other values.
    std::vector<MetricPoint> again;
    for (int64_t step = 2000; step < 3000; ++step)
        again.push_back({"loss", step, 0, 0.5, 0.0});
    store->appendMetrics(run, again);
    ASSERT_EQ(store->metricCount(run, "loss"), int64_t(3000));
    const auto series = store->series(run, "loss", 10);
    ASSERT_EQ(sumCounts(series), int64_t(3000));
    double highest = 0;
    for (const auto& b : series)
        highest = std::max(highest, b.max);
    ASSERT_TRUE(highest < 2.0); // the replaced spike at 2500 is gone
}

TEST(Store, SeriesOverARangeCountsOnlyItsPoints) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "range");
    store->appendMetrics(run, lossPoints(0, 100000, 50));
    // A range cutting through blocks at both ends, wide enough to read blocks.
    const auto series = store->series(run, "loss", 100, 10007, 80013);
    ASSERT_EQ(sumCounts(series), int64_t(80013 - 10007 + 1));
    ASSERT_EQ(series.front().firstStep, int64_t(10007));
    ASSERT_EQ(series.back().lastStep, int64_t(80013));
    for (const auto& b : series)
        ASSERT_TRUE(b.max < 2.0); // the spike at step 50 lies outside
}

TEST(Store, NonFiniteValuesAreKeptAsMissing) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "nan");
    store->appendMetrics(run, {{"loss", 0, 0, 2.0, 0}, {"loss", 1, 0, std::nan(""), 0}});
    ASSERT_EQ(store->metricCount(run, "loss"), int64_t(2));
    ASSERT_EQ(sumCounts(store->series(run, "loss", 10)), int64_t(1));
    int nans = 0;
    store->forEachMetric(run, [&](const MetricPoint& p) { nans += std::isnan(p.value); });
    ASSERT_EQ(nans, 1);
}

TEST(Store, DeadWritersAreMarkedInterruptedLiveOnesAreNot) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    int64_t dead = 0, alive = 0, foreignStale = 0, foreignFresh = 0, finished = 0;
    {
        auto store = openStore(path);
        dead = newRun(*store, "dead");
        alive = newRun(*store, "alive");
        foreignStale = newRun(*store, "other host, silent");
        foreignFresh = newRun(*store, "other host, beating");
        finished = newRun(*store, "finished");
        ProcessIdentity gone = currentProcess();
        gone.pid = deadPid();
        store->markStarted(dead, "cpu", gone);
        store->markStarted(alive, "cpu", currentProcess());
        ProcessIdentity elsewhere{"another-host.invalid", 4242, 1};
        store->markStarted(foreignStale, "cpu", elsewhere);
        store->markStarted(foreignFresh, "cpu", elsewhere);
        store->database().exec("UPDATE runs SET heartbeat_at = heartbeat_at - 3600 WHERE id = " +
                               std::to_string(foreignStale));
        store->markStarted(finished, "cpu", gone);
        store->setStatus(finished, RunState::Finished);
        // The same pid, restarted: a different start time means a different process.
        ProcessIdentity reused = currentProcess();
        reused.startTicks += 1;
        store->markStarted(newRun(*store, "reused pid"), "cpu", reused);
    }
    auto store = openStore(path);
    ASSERT_TRUE(store->run(dead)->status == RunState::Interrupted);
    ASSERT_CONTAINS(store->run(dead)->message, "stopped without finishing");
    ASSERT_TRUE(store->run(alive)->status == RunState::Running);
    ASSERT_TRUE(store->run(foreignStale)->status == RunState::Interrupted);
    ASSERT_TRUE(store->run(foreignFresh)->status == RunState::Running);
    ASSERT_TRUE(store->run(finished)->status == RunState::Finished);
    ASSERT_TRUE(store->run(finished + 1)->status == RunState::Interrupted);
    // Without a start time (rows from before it was recorded) the heartbeat decides.
    ProcessIdentity legacy = currentProcess();
    legacy.pid = deadPid();
    legacy.startTicks = 0;
    const int64_t beating = newRun(*store, "legacy, beating");
    store->markStarted(beating, "cpu", legacy);
    store->markInterruptedRuns();
    ASSERT_TRUE(store->run(beating)->status == RunState::Running);
    store->database().exec("UPDATE runs SET heartbeat_at = heartbeat_at - 3600 WHERE id = " +
                           std::to_string(beating));
    ASSERT_EQ(store->markInterruptedRuns(), 1);
    ASSERT_TRUE(store->run(beating)->status == RunState::Interrupted);
}

TEST(Store, DeletingARunRemovesItsRecordsAndOnlyItsFiles) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const std::string runDir = dir.file("runs/one");
    fs::create_directories(runDir + "/checkpoints");
    std::ofstream(runDir + "/checkpoints/epoch-0001-step-000000010.pt") << "weights";
    std::ofstream(runDir + "/my-notes.txt") << "keep me";
    const int64_t run = newRun(*store, "one", runDir);
    const int64_t other = newRun(*store, "two");
    store->appendMetrics(run, lossPoints(0, 100));
    store->appendMetrics(other, lossPoints(0, 10));
    const auto checkpoint = store->addCheckpoint(
        run, 1, 10, runDir + "/checkpoints/epoch-0001-step-000000010.pt", 7, "ab");
    ASSERT_TRUE(checkpoint > 0);
    store->addEvaluation(run, runDir + "/checkpoints/epoch-0001-step-000000010.pt", "knn",
                         R"({"top1": 0.8})");
    store->putHistogram(run, 0, "prototype_usage", {1});
    store->addRunFiles(run, {runDir + "/checkpoints/epoch-0001-step-000000010.pt"},
                       {runDir, runDir + "/checkpoints"});

    const auto deletion = store->deleteRun(run);
    ASSERT_EQ(deletion.kept.size(), size_t(1)); // the user's own file keeps the folder
    ASSERT_CONTAINS(deletion.kept[0], "it holds files the run did not write (my-notes.txt)");
    ASSERT_EQ(deletion.removed.size(), size_t(2)); // the checkpoint and its emptied folder
    ASSERT_TRUE(!fs::exists(runDir + "/checkpoints"));
    ASSERT_TRUE(fs::exists(runDir + "/my-notes.txt"));
    ASSERT_TRUE(!store->run(run).has_value());
    ASSERT_EQ(store->metricCount(run), int64_t(0));
    ASSERT_TRUE(store->evaluations(run).empty());
    ASSERT_TRUE(store->checkpoints(run).empty());
    auto& db = store->database();
    ASSERT_EQ(db.execAndGet("SELECT count(*) FROM metric_blocks WHERE run = " + std::to_string(run))
                  .getInt(),
              0);
    ASSERT_EQ(db.execAndGet("SELECT count(*) FROM histograms").getInt(), 0);
    ASSERT_EQ(store->metricCount(other), int64_t(10)); // the other run is untouched
    ASSERT_THROWS_WITH(store->deleteRun(run), "no run with id");
}

TEST(Store, CheckpointsAndEvaluationsAreLinked) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "ckpt");
    const std::string file = dir.file("epoch-0001.pt");
    std::ofstream(file) << "abc";
    store->addCheckpoint(run, 1, 100, file, 3, sha256OfFile(file));
    store->addCheckpoint(run, 2, 200, dir.file("pruned.pt"), 3, "");
    store->addEvaluation(run, file, "knn", R"({"top1": 0.86})");
    store->addArtifact(run, file, "gallery", dir.file("gallery.json"));
    const auto checkpoints = store->checkpoints(run);
    ASSERT_EQ(checkpoints.size(), size_t(2));
    ASSERT_TRUE(checkpoints[0].exists);
    ASSERT_TRUE(!checkpoints[1].exists);
    ASSERT_EQ(checkpoints[0].sha256, sha256Hex("abc"));
    const auto evaluations = store->evaluations(run);
    ASSERT_EQ(evaluations.size(), size_t(1));
    ASSERT_EQ(evaluations[0].checkpointPath, file);
    ASSERT_EQ(store->artifacts(run).at(0).kind, std::string("gallery"));
}

TEST(Store, CsvExportsAreCompleteAndQuoted) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "name, with \"quotes\"");
    store->appendMetrics(
        run, {{"loss", 0, 0, 4.5, 10.0}, {"loss", 20, 0, 4.25, 11.0}, {"lr", 0, 0, 0.6, 10.0}});
    store->setNotes(run, "line one\nline two");
    store->exportMetricsCsv(run, dir.file("metrics.csv"), false);
    ASSERT_EQ(readAll(dir.file("metrics.csv")),
              std::string("metric,step,epoch,wall_time,value\nloss,0,0,10,4.5\nloss,20,0,11,4.25\n"
                          "lr,0,0,10,0.6\n"));
    ASSERT_TRUE(!fs::exists(dir.file("metrics.csv.tmp")));
    const auto runs = store->listRuns({}, {"loss"});
    store->exportRunsCsv(runs, {"loss"}, dir.file("runs.csv"), false);
    const std::string table = readAll(dir.file("runs.csv"));
    ASSERT_CONTAINS(table, "loss last,loss min,loss max\n");
    ASSERT_CONTAINS(table, "\"name, with \"\"quotes\"\"\"");
    // Notes, then the (empty) evaluation columns, then the metric's last, min and max.
    ASSERT_CONTAINS(table, "\"line one\nline two\",,,4.25,4.25,4.5\n");
    // The parent "folder" is a file: nothing can be written there, and nothing is left behind.
    ASSERT_THROWS_WITH(store->exportMetricsCsv(run, dir.file("runs.db/metrics.csv"), false),
                       "cannot");
    ASSERT_THROWS_WITH(store->exportMetricsCsv(run + 1, dir.file("x.csv"), false),
                       "no run with id");
}

TEST(Store, ConfigDiffListsChangedAddedAndRemovedFields) {
    const auto a = nlohmann::json::parse(
        R"({"optim": {"base_lr": 0.6, "epochs": 6}, "multicrop": {"crops": [{"size": 28}, {"size": 12}]}, "name": "a"})");
    const auto b = nlohmann::json::parse(
        R"({"optim": {"base_lr": 0.3, "epochs": 6}, "multicrop": {"crops": [{"size": 28}, {"size": 16}]}, "extra": true, "name": "a"})");
    const auto differences = diffConfigs(a, b);
    ASSERT_EQ(differences.size(), size_t(3));
    ASSERT_EQ(differences[0].path, std::string("extra"));
    ASSERT_EQ(differences[0].left, std::string(""));
    ASSERT_EQ(differences[1].path, std::string("multicrop.crops[1].size"));
    ASSERT_EQ(differences[1].right, std::string("16"));
    ASSERT_EQ(differences[2].path, std::string("optim.base_lr"));
    ASSERT_EQ(differences[2].left, std::string("0.6"));
    ASSERT_TRUE(diffConfigs(a, a).empty());
}

TEST(Store, RecorderCommitsInBatchesAndRecordsTheWholeRun) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    auto store = openStore(path);
    const int64_t run = newRun(*store, "recorded");
    const std::string checkpoint = dir.file("epoch-0001.pt");
    std::ofstream(checkpoint) << "checkpoint bytes";
    {
        RecorderOptions options;
        options.flushSeconds = 60; // only the row threshold and commands trigger commits
        options.flushRows = 50;
        RunRecorder recorder(path, run, options);
        RunStarted started;
        started.device = "cpu (1 threads)";
        recorder.onStarted(started);
        ASSERT_TRUE(store->run(run)->status == RunState::Running);
        ASSERT_EQ(store->run(run)->process.pid, int64_t(getpid()));
        StepMetrics m;
        for (int step = 0; step < 9; ++step) { // 45 rows: below the threshold
            m.step = step;
            m.loss = 4.0 - 0.1 * step;
            recorder.onStep(m);
        }
        usleep(100000);
        ASSERT_EQ(store->metricCount(run), int64_t(0)); // still buffered
        m.step = 9;
        recorder.onStep(m); // 50 rows: a batch
        // The writer thread commits in the background: waits up to 30 s (a loaded machine).
        for (int i = 0; i < 3000 && store->metricCount(run) < 50; ++i)
            usleep(10000);
        ASSERT_EQ(store->metricCount(run), int64_t(50));
        EpochMetrics epoch;
        epoch.step = 9;
        epoch.meanLoss = 3.5;
        epoch.prototypeUsage = {5, 0, 7};
        epoch.knnAccuracy = 0.75;
        recorder.onEpoch(epoch);
        recorder.onCheckpoint({checkpoint, 1, 10, 16, {}});
        recorder.setPaused(true);
        recorder.flush();
        ASSERT_TRUE(store->run(run)->status == RunState::Paused);
        recorder.setPaused(false);
        RunOutcome outcome;
        outcome.message = "finished 1 epochs";
        recorder.onFinished(outcome);
        ASSERT_TRUE(recorder.firstError().empty());
    }
    const auto record = store->run(run);
    ASSERT_TRUE(record->status == RunState::Finished);
    ASSERT_EQ(record->message, std::string("finished 1 epochs"));
    ASSERT_EQ(store->metricCount(run, "loss"), int64_t(10));
    ASSERT_EQ(store->metricCount(run, "epoch/knn_accuracy"), int64_t(1));
    ASSERT_EQ(store->histogram(run, "prototype_usage", 0), (std::vector<int64_t>{5, 0, 7}));
    const auto checkpoints = store->checkpoints(run);
    ASSERT_EQ(checkpoints.size(), size_t(1));
    ASSERT_EQ(checkpoints[0].sha256, sha256Hex("checkpoint bytes"));
    ASSERT_EQ(checkpoints[0].step, int64_t(10));
}

TEST(Store, RecorderRefusesAMissingRun) {
    test::TempDir dir;
    openStore(dir.file("runs.db")).reset();
    ASSERT_THROWS_WITH(RunRecorder(dir.file("runs.db"), 7), "no run with id 7");
}

// Issue 14: a stored run is read back as its trainer reported it, a little more at each poll,
// and starts over when a resume rewrote steps already read.
TEST(Store, RunReplayReadsWhatTheRecorderWroteOnceAndInOrder) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "followed");
    ExperimentConfig config;
    config.swav.freezePrototypesNiters = 3;
    config.swav.queueLength = 64;
    config.swav.epochQueueStarts = 1;
    config.model.head.outputDim = 16;
    RunReplay replay(run, config);
    ASSERT_TRUE(replay.readNew(*store).steps.empty());

    auto step = [](int64_t s) {
        StepMetrics m;
        m.step = s;
        m.epoch = int(s / 5);
        m.loss = 5.0 - 0.1 * double(s);
        m.lr = 0.01 * double(s);
        m.imagesPerSecond = 100 + double(s);
        return m;
    };
    auto epoch = [](int e, std::vector<int64_t> usage) {
        EpochMetrics m;
        m.epoch = e;
        m.step = 5 * e + 4;
        m.meanLoss = 4.0 - e;
        m.prototypeUsage = std::move(usage);
        m.emptyPrototypes = 1;
        m.knnAccuracy = 0.5 + 0.1 * e;
        return m;
    };
    {
        RunRecorder recorder(store->path(), run);
        for (int64_t s = 0; s < 7; ++s)
            recorder.onStep(step(s));
        recorder.onEpoch(epoch(0, {6, 0, 4}));
        recorder.flush();
        ASSERT_TRUE(recorder.firstError().empty());
    }
    StoredProgress first = replay.readNew(*store);
    ASSERT_TRUE(!first.restarted);
    ASSERT_EQ(first.steps.size(), size_t(7));
    for (size_t i = 0; i < first.steps.size(); ++i) {
        const StepMetrics& m = first.steps[i];
        ASSERT_EQ(m.step, int64_t(i));
        ASSERT_NEAR(m.loss, step(int64_t(i)).loss, 1e-12);
        ASSERT_NEAR(m.lr, step(int64_t(i)).lr, 1e-12);
        ASSERT_NEAR(m.imagesPerSecond, step(int64_t(i)).imagesPerSecond, 1e-12);
        ASSERT_EQ(m.prototypesFrozen, i < 3);
        ASSERT_EQ(m.queueActive, m.epoch >= 1);
    }
    ASSERT_EQ(first.epochs.size(), size_t(1));
    ASSERT_EQ(first.epochs[0].prototypeUsage, (std::vector<int64_t>{6, 0, 4}));
    ASSERT_NEAR(first.epochs[0].knnAccuracy, 0.5, 1e-12);
    ASSERT_NEAR(first.epochs[0].meanLoss, 4.0, 1e-12);
    ASSERT_EQ(first.epochs[0].emptyPrototypes, 1);
    ASSERT_NEAR(first.epochs[0].embeddingStdReference, 0.25, 1e-12);
    // Nothing new: nothing returned twice.
    const StoredProgress again = replay.readNew(*store);
    ASSERT_TRUE(again.steps.empty() && again.epochs.empty());

    // Epoch 1's metrics before its histogram: its steps now, the epoch once the counts exist.
    std::vector<MetricPoint> points;
    for (int64_t s = 7; s < 10; ++s)
        points.push_back({"loss", s, 1, step(s).loss, 0.0});
    points.push_back({"epoch/loss", 9, 1, 3.0, 0.0});
    store->appendMetrics(run, points);
    const StoredProgress partial = replay.readNew(*store);
    ASSERT_EQ(partial.steps.size(), size_t(3));
    ASSERT_EQ(partial.steps.front().step, int64_t(7));
    ASSERT_TRUE(partial.epochs.empty());
    store->putHistogram(run, 1, "prototype_usage", {1, 2, 7});
    const StoredProgress complete = replay.readNew(*store);
    ASSERT_TRUE(complete.steps.empty());
    ASSERT_EQ(complete.epochs.size(), size_t(1));
    ASSERT_EQ(complete.epochs[0].epoch, 1);
    ASSERT_EQ(complete.epochs[0].prototypeUsage, (std::vector<int64_t>{1, 2, 7}));
    ASSERT_TRUE(complete.epochs[0].queueActive);

    // A resume from the end of epoch 0 drops steps 5.. and epoch 1: the replay starts over.
    store->truncateMetrics(run, 5, 1);
    const StoredProgress restarted = replay.readNew(*store);
    ASSERT_TRUE(restarted.restarted);
    ASSERT_EQ(restarted.steps.size(), size_t(5));
    ASSERT_EQ(restarted.epochs.size(), size_t(1));
    ASSERT_EQ(restarted.epochs[0].epoch, 0);
}

// Issue 29: reports of the epoch so far are recorded marked as such, and read back flagged,
// each once, before their epoch's final report: while the run is written and when it is done.
TEST(Store, RunReplayReturnsInterimReportsBeforeTheirEpochsEnd) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t run = newRun(*store, "interim");
    ExperimentConfig config;
    config.model.head.outputDim = 16;
    RunReplay following(run, config);
    auto report = [](int epoch, int64_t step, bool interim, std::vector<int64_t> usage) {
        EpochMetrics m;
        m.epoch = epoch;
        m.step = step;
        m.interim = interim;
        m.meanLoss = 4.0 - 0.1 * double(step);
        m.prototypeUsage = std::move(usage);
        m.knnAccuracy = 0.01 * double(step);
        return m;
    };
    RunRecorder recorder(store->path(), run);
    auto recordSteps = [&](int64_t from, int64_t to) {
        for (int64_t s = from; s < to; ++s) {
            StepMetrics m;
            m.step = s;
            m.epoch = int(s / 8);
            m.loss = 5.0 - 0.1 * double(s);
            recorder.onStep(m);
        }
    };

    recordSteps(0, 3);
    recorder.onEpoch(report(0, 2, true, {2, 1, 3}));
    recorder.flush();
    StoredProgress progress = following.readNew(*store);
    ASSERT_EQ(progress.epochs.size(), size_t(1));
    ASSERT_TRUE(progress.epochs[0].interim);
    ASSERT_EQ(progress.epochs[0].epoch, 0);
    ASSERT_EQ(progress.epochs[0].step, int64_t(2));
    ASSERT_EQ(progress.epochs[0].prototypeUsage, (std::vector<int64_t>{2, 1, 3}));
    ASSERT_NEAR(progress.epochs[0].meanLoss, 3.8, 1e-12);
    ASSERT_NEAR(progress.epochs[0].knnAccuracy, 0.02, 1e-12);
    ASSERT_TRUE(following.readNew(*store).epochs.empty()); // nothing returned twice

    recordSteps(3, 6);
    recorder.onEpoch(report(0, 5, true, {4, 3, 5}));
    recorder.flush();
    progress = following.readNew(*store);
    ASSERT_EQ(progress.epochs.size(), size_t(1));
    ASSERT_TRUE(progress.epochs[0].interim);
    ASSERT_EQ(progress.epochs[0].step, int64_t(5));
    ASSERT_EQ(progress.epochs[0].prototypeUsage, (std::vector<int64_t>{4, 3, 5}));
    // The newer report replaced the epoch's histogram instead of adding one.
    ASSERT_EQ(store->histogram(run, "prototype_usage", 0), (std::vector<int64_t>{4, 3, 5}));
    ASSERT_EQ(store->histogram(run, "prototype_usage"), (std::vector<int64_t>{4, 3, 5}));

    // The recorder stores the counts before the metrics: a read in between finds nothing new.
    recordSteps(6, 8);
    recorder.flush();
    store->putHistogram(run, 0, "prototype_usage", {6, 4, 6});
    ASSERT_TRUE(following.readNew(*store).epochs.empty());
    recorder.onEpoch(report(0, 7, false, {6, 4, 6}));
    recorder.flush();
    progress = following.readNew(*store);
    ASSERT_EQ(progress.epochs.size(), size_t(1));
    ASSERT_TRUE(!progress.epochs[0].interim);
    ASSERT_EQ(progress.epochs[0].step, int64_t(7));
    ASSERT_EQ(progress.epochs[0].prototypeUsage, (std::vector<int64_t>{6, 4, 6}));

    // The next epoch: its interim report, then its end.
    recordSteps(8, 12);
    recorder.onEpoch(report(1, 11, true, {1, 3, 0}));
    recorder.flush();
    progress = following.readNew(*store);
    ASSERT_EQ(progress.epochs.size(), size_t(1));
    ASSERT_TRUE(progress.epochs[0].interim);
    ASSERT_EQ(progress.epochs[0].epoch, 1);
    ASSERT_EQ(progress.epochs[0].prototypeUsage, (std::vector<int64_t>{1, 3, 0}));
    recordSteps(12, 16);
    recorder.onEpoch(report(1, 15, false, {5, 6, 5}));
    recorder.flush();
    ASSERT_TRUE(recorder.firstError().empty());
    progress = following.readNew(*store);
    ASSERT_EQ(progress.epochs.size(), size_t(1));
    ASSERT_TRUE(!progress.epochs[0].interim);
    ASSERT_EQ(progress.epochs[0].step, int64_t(15));
    ASSERT_EQ(progress.epochs[0].prototypeUsage, (std::vector<int64_t>{5, 6, 5}));
    // Only interim reports carry the marker.
    ASSERT_EQ(store->metricCount(run, "epoch/interim"), int64_t(3));
    ASSERT_EQ(store->metricCount(run, "epoch/loss"), int64_t(5));

    // The finished run read at once: every report in order; those whose counts a later report
    // of their epoch replaced come without counts.
    RunReplay finished(run, config);
    progress = finished.readNew(*store);
    ASSERT_EQ(progress.steps.size(), size_t(16));
    const std::vector<int64_t> steps{2, 5, 7, 11, 15};
    const std::vector<bool> interim{true, true, false, true, false};
    ASSERT_EQ(progress.epochs.size(), steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
        const EpochMetrics& e = progress.epochs[i];
        SCOPED_TRACE("report " + std::to_string(i));
        ASSERT_EQ(e.step, steps[i]);
        ASSERT_EQ(e.epoch, steps[i] < 8 ? 0 : 1);
        ASSERT_EQ(e.interim, interim[i]);
        ASSERT_NEAR(e.meanLoss, 4.0 - 0.1 * double(steps[i]), 1e-12);
        ASSERT_NEAR(e.knnAccuracy, 0.01 * double(steps[i]), 1e-12);
        ASSERT_EQ(e.prototypeUsage.empty(), interim[i]);
    }
    ASSERT_EQ(progress.epochs[2].prototypeUsage, (std::vector<int64_t>{6, 4, 6}));
    ASSERT_EQ(progress.epochs[4].prototypeUsage, (std::vector<int64_t>{5, 6, 5}));
    ASSERT_TRUE(finished.readNew(*store).epochs.empty());
}

// Issue 14: the run list carries each run's newest kNN and linear results; a damaged result
// counts as none instead of failing the list.
TEST(Store, RunListCarriesTheNewestEvaluations) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const int64_t evaluated = newRun(*store, "evaluated");
    const int64_t untouched = newRun(*store, "untouched");
    store->addEvaluation(evaluated, "", "knn", R"({"knn": {"trained": 0.5, "raw_pixels": 0.9}})");
    store->addEvaluation(evaluated, "", "linear", R"({"linear": {"trained": 0.75}})");
    store->addEvaluation(evaluated, "", "knn", R"({"knn": {"trained": 0.625}})");
    store->addEvaluation(evaluated, "", "knn", "not json {");
    const auto runs = store->listRuns();
    ASSERT_EQ(runs.size(), size_t(2));
    for (const auto& entry : runs) {
        if (entry.run.id == evaluated) {
            ASSERT_NEAR(entry.evaluation.knn, 0.625, 1e-12);
            ASSERT_NEAR(entry.evaluation.linear, 0.75, 1e-12);
        } else {
            ASSERT_EQ(entry.run.id, untouched);
            ASSERT_EQ(entry.evaluation.knn, -1.0);
            ASSERT_EQ(entry.evaluation.linear, -1.0);
        }
    }
    const std::string csv = dir.file("runs.csv");
    store->exportRunsCsv(runs, {}, csv, false);
    ASSERT_TRUE(readAll(csv).find(",0.625,0.75\n") != std::string::npos);
}

// Issue 29: the run list follows the database cheaply: its stamp changes with what the list
// shows (runs, statuses, notes, tags, checkpoints, evaluations), not with every metric point.
TEST(Store, TheRunListStampChangesWithTheListNotWithMetrics) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const std::string empty = store->runListStamp();
    NewRun run;
    run.name = "listed";
    run.configJson = "{}";
    const int64_t id = store->createRun(run);
    std::string stamp = store->runListStamp();
    ASSERT_NE(stamp, empty);
    const auto changes = [&](const char* what, const std::function<void()>& change) {
        change();
        const std::string now = store->runListStamp();
        EXPECT_NE(now, stamp) << what;
        stamp = now;
    };
    changes("started", [&] { store->markStarted(id, "cpu", currentProcess()); });
    changes("a checkpoint", [&] { store->addCheckpoint(id, 1, 10, dir.file("c.pt"), 1, ""); });
    changes("an evaluation", [&] { store->addEvaluation(id, dir.file("c.pt"), "knn", "{}"); });
    changes("a tag", [&] { store->addTag(id, "baseline"); });
    changes("notes", [&] { store->setNotes(id, "first try"); });
    changes("stopped", [&] { store->setStatus(id, RunState::Stopped, "by hand"); });
    changes("running again", [&] { store->setStatus(id, RunState::Running); });
    store->appendMetrics(id, {{"loss", 11, 1, 2.5, 0}, {"loss", 12, 1, 2.4, 0}});
    EXPECT_EQ(store->runListStamp(), stamp) << "metric points leave the list as it is";
}
