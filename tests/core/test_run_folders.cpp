// Run folders are owned (issue 10): each run gets a new folder of its own, writes only there,
// records every file it writes, and deleting it removes exactly those files. Every test puts
// user files into real folders and checks they come out byte-identical.
#include "StoreTesting.h"
#include "TestHarness.h"
#include "TinySynthetic.h"

#include "config/ConfigJson.h"
#include "data/Dataset.h"
#include "runtime/Checkpoint.h"
#include "store/RunFolders.h"
#include "store/RunRecorder.h"
#include "store/RunStore.h"
#include "store/StoreSchema.h"
#include "train/Trainer.h"
#include "workflow/RunResults.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace swav;
using namespace swav::store;
namespace fs = std::filesystem;
using swav::test::openStore;
using swav::test::readAll;

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

/// User files with distinct contents; verifyUnchanged() checks each is still byte-identical.
class UserFiles {
public:
    void add(const std::string& path) {
        const std::string bytes = "user data of " + path + std::string(300, '\x7f');
        writeFile(path, bytes);
        m_files.emplace_back(path, bytes);
    }
    void verifyUnchanged() const {
        for (const auto& [path, bytes] : m_files) {
            ASSERT_TRUE(fs::is_regular_file(path)) << path << " is gone";
            ASSERT_TRUE(readAll(path) == bytes) << path << " changed";
        }
    }

private:
    std::vector<std::pair<std::string, std::string>> m_files;
};

ClaimedFolder claimed(Expected<ClaimedFolder> folder) {
    SWAV_REQUIRE(folder.hasValue(), (folder ? "" : folder.error().message));
    return *folder;
}

ExperimentConfig tinyRun(const std::string& name, int epochs) {
    ExperimentConfig c = test::tinyTrainingConfig();
    c.name = name;
    c.multicrop.crops.resize(1); // two 16 px crops
    c.optim.epochs = epochs;
    c.optim.batchSize = 32;
    c.runtime.keepCheckpoints = 1;
    return c;
}

/// Trains `config` into `folder` as recorded run `runId` of the database.
RunOutcome trainRecorded(const ExperimentConfig& config, const std::string& database, int64_t runId,
                         const std::string& folder, const std::string& resumeFrom = {}) {
    auto data = openDataset(config.dataset);
    SWAV_REQUIRE(data, "");
    TrainerOptions options;
    options.runDir = folder;
    options.resumeFrom = resumeFrom;
    RunRecorder recorder(database, runId);
    Trainer trainer(config, data->train, options);
    trainer.addObserver(&recorder);
    TrainingControl control;
    const RunOutcome outcome = trainer.run(control);
    recorder.flush();
    SWAV_REQUIRE(recorder.firstError().empty(), recorder.firstError());
    return outcome;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

} // namespace

TEST(RunFolders, Issue10_FolderNamesStayInsideTheRunsFolder) {
    ASSERT_EQ(runFolderName("/abs/path"), std::string("abs-path"));
    ASSERT_EQ(runFolderName("../.."), std::string("run"));
    ASSERT_EQ(runFolderName(".."), std::string("run"));
    ASSERT_EQ(runFolderName(".hidden"), std::string("hidden"));
    ASSERT_EQ(runFolderName(""), std::string("run"));
    ASSERT_EQ(runFolderName("fashion mnist, lr 0.3"), std::string("fashion-mnist-lr-0.3"));
    ASSERT_EQ(runFolderName("a\\b\nc"), std::string("a-b-c"));
    ASSERT_EQ(runFolderName("versuch-\xc3\xa4"), std::string("versuch-\xc3\xa4")); // UTF-8 stays
    for (const char* name : {"a/../b", "x/../../y", "...../..", "-rf", "a/./b/"}) {
        const std::string safe = runFolderName(name);
        ASSERT_TRUE(safe.find('/') == std::string::npos) << safe;
        ASSERT_TRUE(safe.find("..") == std::string::npos) << safe;
        ASSERT_TRUE(safe[0] != '.' && safe[0] != '-') << safe;
    }
    // Bounded, and never cut inside a UTF-8 character (2 bytes each here).
    std::string umlauts;
    for (int i = 0; i < 50; ++i)
        umlauts += "\xc3\xa4";
    const std::string cut = runFolderName(umlauts);
    ASSERT_TRUE(cut.size() <= 64 && cut.size() >= 60);
    ASSERT_EQ(cut.size() % 2, size_t(0));
    ASSERT_EQ(runFolderName(std::string(300, 'x')).size(), size_t(64));

    // Created for real: both stay directly inside the runs folder, nothing appears elsewhere.
    test::TempDir dir;
    const std::string root = dir.file("data/runs");
    for (const std::string& name :
         {dir.file("abs/path"), std::string("../.."), std::string("..")}) {
        const ClaimedFolder folder = claimed(createRunFolder(root, name));
        ASSERT_EQ(fs::path(folder.path).parent_path(), fs::weakly_canonical(root));
        ASSERT_TRUE(fs::is_directory(folder.path + "/checkpoints"));
    }
    ASSERT_TRUE(!fs::exists(dir.file("abs")));
    ASSERT_EQ(std::distance(fs::directory_iterator(dir.file("data")), fs::directory_iterator()),
              std::ptrdiff_t(1)); // only runs/
}

TEST(RunFolders, Issue10_RunsStartedInTheSameSecondGetTheirOwnFolders) {
    test::TempDir dir;
    const std::string root = dir.file("runs");
    std::set<std::string> paths;
    for (int i = 0; i < 5; ++i) {
        const ClaimedFolder folder = claimed(createRunFolder(root, "same"));
        ASSERT_TRUE(paths.insert(folder.path).second) << folder.path << " given twice";
        ASSERT_EQ(folder.created.size(), size_t(2)); // the folder and its checkpoints/
        ASSERT_TRUE(fs::is_empty(folder.path + "/checkpoints"));
    }
    // The same name taken in the same second: the next one gets a suffix.
    ASSERT_TRUE(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
        return p.size() > 2 && p.compare(p.size() - 2, 2, "-2") == 0;
    }));

    // Several processes at once: each one gets a different folder.
    const std::string shared = dir.file("shared");
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
        const pid_t child = fork();
        if (child == 0) {
            auto folder = createRunFolder(shared, "race");
            std::ofstream(dir.file("child-" + std::to_string(i))) << (folder ? folder->path : "");
            _exit(folder ? 0 : 1);
        }
        children.push_back(child);
    }
    for (pid_t child : children) {
        int status = 0;
        waitpid(child, &status, 0);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    std::set<std::string> raced;
    for (int i = 0; i < 6; ++i)
        raced.insert(readAll(dir.file("child-" + std::to_string(i))));
    ASSERT_EQ(raced.size(), size_t(6));
}

TEST(RunFolders, Issue10_AFolderGivenForARunMustBeNewOrEmpty) {
    test::TempDir dir;
    UserFiles user;
    user.add(dir.file("mine/config.json"));
    const auto refused = claimRunFolder(dir.file("mine"));
    ASSERT_TRUE(!refused);
    ASSERT_CONTAINS(refused.error().message, "not empty");
    ASSERT_CONTAINS(refused.error().message, "config.json");
    ASSERT_TRUE(!fs::exists(dir.file("mine/checkpoints")));
    user.verifyUnchanged();

    // New, with missing parents: all made here and listed, outermost first.
    const ClaimedFolder fresh = claimed(claimRunFolder(dir.file("new/deeper/run/")));
    ASSERT_EQ(fresh.path, fs::weakly_canonical(dir.file("new/deeper/run")).string());
    ASSERT_EQ(fresh.created.size(), size_t(4));
    ASSERT_EQ(fresh.created.front(), fs::weakly_canonical(dir.file("new")).string());
    ASSERT_EQ(fresh.created.back(), fresh.path + "/checkpoints");
    // Taken now: a second run cannot have it.
    ASSERT_TRUE(!claimRunFolder(dir.file("new/deeper/run")));
    // A run that never started gives back what was made for it.
    releaseRunFolder(fresh);
    ASSERT_TRUE(!fs::exists(dir.file("new")));

    // An empty folder is accepted but not listed as made for the run.
    fs::create_directories(dir.file("empty"));
    const ClaimedFolder empty = claimed(claimRunFolder(dir.file("empty")));
    ASSERT_EQ(empty.created.size(), size_t(1)); // its checkpoints/ only
    ASSERT_TRUE(!claimRunFolder(dir.file("empty")));
    // A file is no folder.
    user.add(dir.file("file"));
    const auto notFolder = claimRunFolder(dir.file("file"));
    ASSERT_TRUE(!notFolder);
    ASSERT_CONTAINS(notFolder.error().message, "not a folder");
    user.verifyUnchanged();
}

TEST(RunFolders, Issue10_DeletingARunRemovesExactlyWhatItWroteAndReportsWhatItKept) {
    test::TempDir dir;
    const std::string database = dir.file("data/runs.db");
    auto store = openStore(database);
    const ExperimentConfig config = tinyRun("owned", 3);
    const ClaimedFolder first = claimed(newRunFolder(database, config.name));
    const ClaimedFolder second = claimed(newRunFolder(database, config.name));
    ASSERT_TRUE(first.path != second.path);
    const int64_t one = store->createRun(newRunFor(config, "", first));
    const int64_t two = store->createRun(newRunFor(config, "", second));
    ASSERT_TRUE(store->run(one)->filesRecorded);
    ASSERT_TRUE(trainRecorded(config, database, one, first.path).status == RunStatus::Finished);
    ASSERT_TRUE(trainRecorded(config, database, two, second.path).status == RunStatus::Finished);

    // The record: config.json, the kept checkpoint (older ones pruned and forgotten), and the
    // two folders made for the run.
    std::vector<std::string> files, folders;
    for (const RunFile& file : store->runFiles(one))
        (file.folder ? folders : files).push_back(file.path);
    const auto kept = listCheckpoints(first.path);
    ASSERT_EQ(kept.size(), size_t(1));
    ASSERT_EQ(files, (std::vector<std::string>{first.path + "/checkpoints/" +
                                                   fs::path(kept[0]).filename().string(),
                                               first.path + "/config.json"}));
    ASSERT_EQ(folders, (std::vector<std::string>{first.path, first.path + "/checkpoints"}));
    ASSERT_EQ(store->checkpoints(one).size(), size_t(3)); // the history keeps pruned ones

    UserFiles user;
    user.add(first.path + "/checkpoints/my.pt");
    user.add(first.path + "/checkpoints/epoch-0001-step-000000002.pt.notes.txt");
    user.add(first.path + "/notes.txt");
    const auto before = store->runFiles(two);
    const RunDeletion deletion = store->deleteRun(one);
    user.verifyUnchanged();
    ASSERT_TRUE(!fs::exists(kept[0]));
    ASSERT_TRUE(!fs::exists(first.path + "/config.json"));
    ASSERT_EQ(deletion.removed.size(), size_t(2));
    // Both folders stay, each reported with what it still holds.
    ASSERT_EQ(deletion.kept.size(), size_t(2));
    ASSERT_CONTAINS(joined(deletion.kept), first.path + "/checkpoints: it holds files the run "
                                                        "did not write (epoch-0001");
    ASSERT_CONTAINS(joined(deletion.kept), "my.pt");
    ASSERT_CONTAINS(joined(deletion.kept), first.path + ": it holds files");
    ASSERT_TRUE(!store->run(one));
    // The other run, started the same second with the same name, is untouched.
    ASSERT_EQ(store->runFiles(two).size(), before.size());
    for (const RunFile& file : before)
        ASSERT_TRUE(fs::exists(file.path)) << file.path;

    // Without user files the folder goes entirely, and the runs folder stays.
    const RunDeletion clean = store->deleteRun(two);
    ASSERT_TRUE(clean.kept.empty()) << joined(clean.kept);
    ASSERT_TRUE(!fs::exists(second.path));
    ASSERT_TRUE(fs::is_directory(runsRootFor(database)));
}

TEST(RunFolders, Issue10_FilesOutsideTheRunFolderOrOfAnotherRunAreKept) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const ClaimedFolder folder = claimed(createRunFolder(dir.file("runs"), "a"));
    NewRun record;
    record.name = "a";
    record.configJson = "{}";
    record.runDir = folder.path;
    record.createdFolders = folder.created;
    const int64_t a = store->createRun(record);
    const int64_t b = store->createRun(record); // as an older program could share a folder
    UserFiles user;
    user.add(dir.file("elsewhere.txt"));
    user.add(folder.path + "/checkpoints/shared.pt");
    writeFile(folder.path + "/checkpoints/own.pt", "x");
    writeFile(folder.path + "/checkpoints/own.pt.tmp", "half"); // an atomic write cut short
    writeFile(folder.path + "/checkpoints/.own.pt.0123abcd4567.tmp", "half"); // today's name
    store->addRunFiles(a, {dir.file("elsewhere.txt"), folder.path + "/checkpoints/shared.pt",
                           folder.path + "/checkpoints/own.pt"});
    store->addRunFiles(b, {folder.path + "/checkpoints/shared.pt"});
    const RunDeletion deletion = store->deleteRun(a);
    user.verifyUnchanged();
    ASSERT_TRUE(!fs::exists(folder.path + "/checkpoints/own.pt"));
    ASSERT_TRUE(!fs::exists(folder.path + "/checkpoints/own.pt.tmp"));
    ASSERT_TRUE(!fs::exists(folder.path + "/checkpoints/.own.pt.0123abcd4567.tmp"));
    const std::string kept = joined(deletion.kept);
    ASSERT_CONTAINS(kept, "elsewhere.txt: outside the run folder");
    ASSERT_CONTAINS(kept, "shared.pt: also recorded by run " + std::to_string(b));
    ASSERT_CONTAINS(kept, folder.path + ": also the folder of run " + std::to_string(b));
}

// A folder of the run replaced by a link after the files were recorded: the same names behind
// the link belong to someone else.
TEST(RunFolders, Issue10_LinksPutInPlaceOfRunFoldersAreNotFollowed) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    const ClaimedFolder folder = claimed(createRunFolder(dir.file("runs"), "a"));
    NewRun record;
    record.name = "a";
    record.configJson = "{}";
    record.runDir = folder.path;
    record.createdFolders = folder.created;
    const int64_t run = store->createRun(record);
    const std::string checkpoint = folder.path + "/checkpoints/epoch-0001-step-000000002.pt";
    writeFile(checkpoint, "x");
    store->addRunFiles(run, {checkpoint});
    UserFiles user;
    user.add(dir.file("mine/epoch-0001-step-000000002.pt"));
    fs::remove_all(folder.path + "/checkpoints");
    fs::create_directory_symlink(dir.file("mine"), folder.path + "/checkpoints");
    const RunDeletion deletion = store->deleteRun(run);
    user.verifyUnchanged();
    ASSERT_CONTAINS(joined(deletion.kept), "reached through a link out of the run folder");
}

TEST(RunFolders, Issue10_RunsFromBeforeTheFileListLoseOnlyFilesNamedAsTheProgramNamesThem) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    const std::string home = dir.file("home"); // an old run wrote into the user's home folder
    const std::string configJson = toJson(tinyRun("old", 2)).dump();
    {
        SQLite::Database db(database, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("BEGIN");
        migrateSchema(db, 0, 2);
        SQLite::Statement insert(db, "INSERT INTO runs(name, status, created_at, config_json, "
                                     "run_dir) VALUES('old', 'finished', 1.0, ?, ?)");
        insert.bind(1, configJson);
        insert.bind(2, fs::weakly_canonical(home).string());
        insert.exec();
        db.exec("COMMIT");
    }
    const std::vector<std::string> program = {
        "checkpoints/epoch-0001-step-000000002.pt",
        "checkpoints/epoch-0001-step-000000002.pt.train.features",
        "checkpoints/epoch-0002-step-000000004.pt.tmp",
        "checkpoints/.epoch-0002-step-000000004.pt.89abcdef0123.tmp",
        "evaluations/epoch-0001-step-000000002-20261126-101010.json",
        "analysis/epoch-0001-step-000000002-gallery.json",
        "export/epoch-0001-step-000000002-resnet.pt"};
    for (const auto& name : program)
        writeFile(home + "/" + name, "program output");
    writeFile(home + "/config.json", nlohmann::json::parse(configJson).dump(2));
    UserFiles user;
    for (const char* name : {"checkpoints/my.pt", "export/model-for-paper.pt", "notes.txt",
                             "Downloads/model.pt", "evaluations/summary.json"})
        user.add(home + "/" + name);

    auto store = openStore(database);
    ASSERT_EQ(store->schemaVersion(), kSchemaVersion);
    ASSERT_TRUE(!store->run(1)->filesRecorded);
    const RunDeletion deletion = store->deleteRun(1);
    user.verifyUnchanged();
    for (const auto& name : program)
        ASSERT_TRUE(!fs::exists(home + "/" + name)) << name;
    ASSERT_TRUE(!fs::exists(home + "/config.json")); // it held the run's configuration
    ASSERT_TRUE(!fs::exists(home + "/analysis"));    // emptied: removed
    ASSERT_TRUE(fs::is_directory(home + "/export")); // holds the user's file: kept
    ASSERT_CONTAINS(joined(deletion.kept), "model-for-paper.pt");
}

TEST(RunFolders, Issue10_AnOlderRunKeepsAConfigJsonItDidNotWriteAndFilesOfARunSharingItsFolder) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    const std::string shared = fs::weakly_canonical(dir.path()).string() + "/out";
    {
        SQLite::Database db(database, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("BEGIN");
        migrateSchema(db, 0, 2);
        for (int run = 1; run <= 2; ++run) {
            SQLite::Statement insert(db, "INSERT INTO runs(name, status, created_at, "
                                         "config_json, run_dir) VALUES('same', 'finished', 1.0, "
                                         "'{\"name\": \"same\"}', ?)");
            insert.bind(1, shared);
            insert.exec();
            SQLite::Statement checkpoint(db, "INSERT INTO checkpoints(run, epoch, step, path, "
                                             "bytes, sha256, created_at) VALUES(?, ?, ?, ?, 1, "
                                             "'', 1.0)");
            checkpoint.bind(1, run);
            checkpoint.bind(2, run);
            checkpoint.bind(3, 2 * run);
            checkpoint.bind(4, shared + "/checkpoints/epoch-000" + std::to_string(run) +
                                   "-step-00000000" + std::to_string(2 * run) + ".pt");
            checkpoint.exec();
        }
        db.exec("COMMIT");
    }
    writeFile(shared + "/checkpoints/epoch-0001-step-000000002.pt", "run 1");
    writeFile(shared + "/checkpoints/epoch-0001-step-000000002.pt.test.features", "run 1");
    UserFiles other; // what run 2 wrote into the same folder is no longer the user's but its
    other.add(shared + "/checkpoints/epoch-0002-step-000000004.pt");
    other.add(shared + "/export/epoch-0002-step-000000004-resnet.pt");
    UserFiles user;
    user.add(shared + "/config.json"); // the user's own, not the runs' configuration

    auto store = openStore(database);
    const RunDeletion deletion = store->deleteRun(1);
    user.verifyUnchanged();
    other.verifyUnchanged();
    ASSERT_TRUE(!fs::exists(shared + "/checkpoints/epoch-0001-step-000000002.pt"));
    ASSERT_TRUE(!fs::exists(shared + "/checkpoints/epoch-0001-step-000000002.pt.test.features"));
    ASSERT_CONTAINS(joined(deletion.kept), "config.json: the folder is shared with run 2");

    // Alone in the folder, run 2 still keeps a config.json that is not its configuration.
    const RunDeletion last = store->deleteRun(2);
    user.verifyUnchanged();
    ASSERT_TRUE(!fs::exists(shared + "/checkpoints"));
    ASSERT_TRUE(!fs::exists(shared + "/export"));
    ASSERT_CONTAINS(joined(last.kept), "config.json: it does not hold this run's configuration");
}

TEST(RunFolders, Issue10_ACheckpointOutsideARunFolderBelongsToNoRun) {
    test::TempDir dir;
    auto store = openStore(dir.file("runs.db"));
    // An older program recorded the user's home folder as a run folder.
    const int64_t homeRun = store->createRun({"old", "{}", "", 0, dir.file("home"), 0, {}});
    const int64_t real = store->createRun({"real", "{}", "", 0, dir.file("runs/real"), 0, {}});
    ASSERT_TRUE(!store->runOfCheckpoint(dir.file("home/Downloads/model.pt")));
    ASSERT_TRUE(!store->runOfCheckpoint(dir.file("home/model.pt")));
    const auto inRun = store->runOfCheckpoint(dir.file("runs/real/checkpoints/x.pt"));
    ASSERT_TRUE(inRun && inRun->id == real);
    const auto inHome = store->runOfCheckpoint(dir.file("home/checkpoints/epoch-0001.pt"));
    ASSERT_TRUE(inHome && inHome->id == homeRun);
    ASSERT_EQ(runDirOfCheckpoint(dir.file("home/Downloads/model.pt")), std::string());
}

TEST(RunFolders, Issue10_MigrationToTheFileListKeepsRunsAndMarksThemUnlisted) {
    test::TempDir dir;
    const std::string path = dir.file("runs.db");
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("BEGIN");
        migrateSchema(db, 0, 2);
        db.exec("INSERT INTO runs(name, status, created_at, config_json, run_dir) VALUES('v2', "
                "'finished', 1.0, '{}', '/somewhere')");
        db.exec("COMMIT");
    }
    auto store = openStore(path);
    ASSERT_EQ(store->schemaVersion(), kSchemaVersion); // through version 3
    ASSERT_TRUE(store->database().tableExists("run_files"));
    const auto old = store->run(1);
    ASSERT_EQ(old->runDir, std::string("/somewhere"));
    ASSERT_TRUE(!old->filesRecorded);
    ASSERT_TRUE(store->runFiles(1).empty());
    const int64_t fresh = store->createRun({"new", "{}", "", 0, dir.file("new"), 0, {}});
    ASSERT_TRUE(store->run(fresh)->filesRecorded);
}

TEST(RunFolders, Issue10_TheRecorderListsTheRunFilesAndForgetsPrunedOnes) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    auto store = openStore(database);
    const int64_t run = store->createRun({"r", "{}", "", 0, dir.path(), 0, {}});
    writeFile(dir.file("checkpoints/a.pt"), "a");
    writeFile(dir.file("checkpoints/b.pt"), "b");
    {
        RunRecorder recorder(database, run);
        RunStarted started;
        started.configFile = dir.file("config.json");
        started.createdFolders = {dir.file("checkpoints")};
        recorder.onStarted(started);
        recorder.onCheckpoint({dir.file("checkpoints/a.pt"), 1, 1, 1, {}});
        store->addRunFiles(run, {dir.file("checkpoints/a.pt.train.features")});
        recorder.onCheckpoint(
            {dir.file("checkpoints/b.pt"),
             2,
             2,
             1,
             {dir.file("checkpoints/a.pt"), dir.file("checkpoints/a.pt.train.features")}});
        recorder.flush();
        ASSERT_TRUE(recorder.firstError().empty());
    }
    std::vector<std::string> listed;
    for (const RunFile& file : store->runFiles(run))
        listed.push_back(file.path + (file.folder ? "/" : ""));
    const std::string root = fs::weakly_canonical(dir.path()).string();
    ASSERT_EQ(listed, (std::vector<std::string>{root + "/checkpoints/", root + "/checkpoints/b.pt",
                                                root + "/config.json"}));
}

TEST(RunFolders, ResultsNeverReplaceAUsersFileOfTheSameName) {
    // `swav analyze --run DIR` and `swav eval --run DIR` write into a folder the user named,
    // which need not be a recorded run's.
    test::TempDir dir;
    const std::string folder = dir.file("mine");
    const std::string checkpoint = folder + "/checkpoints/epoch-0001-step-000000002.pt";
    const std::string stem = "epoch-0001-step-000000002";
    UserFiles user;
    user.add(folder + "/analysis/" + stem + "-projection.json");
    nlohmann::json analysis = {{"class_names", {"a", "b"}}};
    for (const auto& part : analysisParts())
        analysis[part] = {{"points", {1, 2, 3}}};
    const SavedResult refused = saveAnalysis(folder, checkpoint, analysis);
    user.verifyUnchanged();
    ASSERT_TRUE(refused.files.empty());
    ASSERT_CONTAINS(refused.problem, stem + "-projection.json exists and is not an analysis of");

    fs::remove(folder + "/analysis/" + stem + "-projection.json");
    const SavedResult first = saveAnalysis(folder, checkpoint, analysis);
    ASSERT_EQ(first.problem, "");
    ASSERT_EQ(first.files.size(), analysisParts().size());
    analysis["gallery"]["points"] = {4};
    const SavedResult again = saveAnalysis(folder, checkpoint, analysis); // its own files: replaced
    ASSERT_EQ(again.problem, "");
    ASSERT_EQ(nlohmann::json::parse(readAll(again.files[1]))["points"], nlohmann::json({4}));

    const nlohmann::json evaluation = {{"knn", {{"top1", 0.5}}}};
    std::set<std::string> evaluationFiles;
    for (int i = 0; i < 3; ++i) { // within one second: three files, none replaced
        const SavedResult saved = saveEvaluation(folder, checkpoint, evaluation);
        ASSERT_EQ(saved.problem, "");
        evaluationFiles.insert(saved.files.back());
    }
    ASSERT_EQ(evaluationFiles.size(), 3u);
}
