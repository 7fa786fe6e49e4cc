// RunStore: the files a run wrote, and deleting a run with exactly those.
#include "store/RunStore.h"
#include "store/StoreErrors.h"
#include "util/AtomicFile.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>

namespace swav::store {

namespace fs = std::filesystem;

namespace {

bool isInside(const std::string& path, const std::string& folder) {
    return !folder.empty() && path.size() > folder.size() + 1 &&
           path.compare(0, folder.size(), folder) == 0 && path[folder.size()] == '/';
}

// The names the program gives its files inside a run folder; "<stem>" is the checkpoint's
// "epoch-NNNN-step-NNNNNNNNN", which every derived file starts with.
const char* const kStem = R"(epoch-\d{4,}-step-\d{9,})";

struct ProgramFolder {
    const char* folder;
    std::regex names;
};

const std::vector<ProgramFolder>& programFolders() {
    static const std::vector<ProgramFolder> folders = {
        {"checkpoints",
         std::regex(std::string("^") + kStem + R"(\.pt(\.(train|test)\.features)?(\.tmp)?$)")},
        {"evaluations", std::regex(std::string("^") + kStem + R"(-\d{8}-\d{6}\.json$)")},
        {"analysis",
         std::regex(std::string("^") + kStem + R"(-(projection|gallery|prototype_health)\.json$)")},
        {"export", std::regex(std::string("^") + kStem + R"(-resnet\.pt(\.tmp)?$)")},
    };
    return folders;
}

/// The checkpoint stem a program file name starts with ("" for none).
std::string stemOf(const std::string& fileName) {
    static const std::regex stem(std::string("^") + kStem);
    std::smatch match;
    return std::regex_search(fileName, match, stem) ? match.str(0) : std::string();
}

/// A leftover of an atomic write of a program file cut short: "<name>.tmp" (older versions)
/// or ".<name>.<hex>.tmp".
bool isProgramTemporary(const std::string& fileName) {
    if (fileName.size() < 4 || fileName.compare(fileName.size() - 4, 4, ".tmp") != 0)
        return false;
    const std::string target = atomicTargetOf(fileName);
    for (const auto& folder : programFolders())
        if (std::regex_match(fileName, folder.names) ||
            (!target.empty() && std::regex_match(target, folder.names)))
            return true;
    return false;
}

/// Leftovers of atomic writes of `file` cut short, in its folder.
std::vector<std::string> temporariesOf(const std::string& file) {
    std::vector<std::string> found{file + ".tmp"};
    const fs::path path(file);
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(path.parent_path(), error))
        if (atomicTargetOf(entry.path().filename().string()) == path.filename().string())
            found.push_back(entry.path().string());
    return found;
}

/// True when `file` holds the run's configuration (as the trainer wrote it): a config.json
/// the user put there instead stays.
bool holdsConfig(const fs::path& file, const std::string& configJson) {
    std::ifstream in(file);
    const auto onDisk = nlohmann::json::parse(in, nullptr, false);
    const auto recorded = nlohmann::json::parse(configJson, nullptr, false);
    return !onDisk.is_discarded() && !recorded.is_discarded() && onDisk == recorded;
}

} // namespace

void RunStore::insertRunFiles(int64_t run, const std::vector<std::string>& paths, bool folders) {
    SQLite::Statement insert(*m_db, "INSERT INTO run_files(run, path, is_folder, created_at) "
                                    "VALUES(?, ?, ?, ?) ON CONFLICT(run, path) DO NOTHING");
    for (const std::string& path : paths) {
        if (path.empty())
            continue;
        insert.bind(1, run);
        insert.bind(2, storedPath(path));
        insert.bind(3, folders ? 1 : 0);
        insert.bind(4, unixNow());
        insert.exec();
        insert.reset();
    }
}

void RunStore::addRunFiles(int64_t run, const std::vector<std::string>& files,
                           const std::vector<std::string>& createdFolders) {
    withStoreErrors(m_path, "record the files of a run", [&] {
        SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
        insertRunFiles(run, createdFolders, true);
        insertRunFiles(run, files, false);
        transaction.commit();
    });
}

void RunStore::forgetRunFiles(int64_t run, const std::vector<std::string>& files) {
    withStoreErrors(m_path, "update the files of a run", [&] {
        SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement remove(*m_db, "DELETE FROM run_files WHERE run = ? AND path = ? AND "
                                        "is_folder = 0");
        for (const std::string& file : files) {
            remove.bind(1, run);
            remove.bind(2, storedPath(file));
            remove.exec();
            remove.reset();
        }
        transaction.commit();
    });
}

std::vector<RunFile> RunStore::runFiles(int64_t run) {
    return withStoreErrors(m_path, "list the files of a run", [&] {
        SQLite::Statement query(*m_db, "SELECT path, is_folder, created_at FROM run_files WHERE "
                                       "run = ? ORDER BY path");
        query.bind(1, run);
        std::vector<RunFile> files;
        while (query.executeStep())
            files.push_back({query.getColumn(0).getString(), query.getColumn(1).getInt() != 0,
                             query.getColumn(2).getDouble()});
        return files;
    });
}

namespace {

/// What deleting a run removes: the recorded files and folders, plus for a run from before files
/// were listed the files its folder holds under the program's own names; and what stays, why.
struct DeletionPlan {
    std::set<std::string> files;
    std::set<std::string> folders;
    std::vector<std::string> kept;
};

/// Runs recorded with the same folder as `run` (older programs allowed it), and the checkpoint
/// stems of `run` and of those others.
struct SharedFolder {
    std::vector<int64_t> others;
    std::set<std::string> ownStems, otherStems;
};

SharedFolder sharedFolder(SQLite::Database& db, int64_t run, const std::string& runDir) {
    SharedFolder shared;
    SQLite::Statement others(db, "SELECT id FROM runs WHERE run_dir = ? AND id != ?");
    others.bind(1, runDir);
    others.bind(2, run);
    while (others.executeStep())
        shared.others.push_back(others.getColumn(0).getInt64());
    SQLite::Statement stems(db, "SELECT run, path FROM checkpoints WHERE run IN (SELECT id FROM "
                                "runs WHERE run_dir = ?)");
    stems.bind(1, runDir);
    while (stems.executeStep())
        (stems.getColumn(0).getInt64() == run ? shared.ownStems : shared.otherStems)
            .insert(stemOf(fs::path(stems.getColumn(1).getString()).filename().string()));
    return shared;
}

/// The files a run from before files were listed wrote: those its folder holds under the
/// program's own names, never whole folders; in a folder shared with another run only those
/// derived from checkpoints this run recorded and the other did not.
void addProgramFiles(const RunRecord& record, const SharedFolder& shared, DeletionPlan& plan) {
    const std::string& runDir = record.runDir;
    std::error_code error;
    for (const auto& folder : programFolders()) {
        const fs::path dir = fs::path(runDir) / folder.folder;
        plan.folders.insert(dir.string());
        for (const auto& entry : fs::directory_iterator(dir, error)) {
            // A leftover of an atomic write is judged by the file it was for.
            std::string name = entry.path().filename().string();
            if (const std::string target = atomicTargetOf(name); !target.empty())
                name = target;
            if (!entry.is_regular_file(error) || !std::regex_match(name, folder.names))
                continue;
            const std::string stem = stemOf(name);
            if (!shared.others.empty() &&
                (!shared.ownStems.count(stem) || shared.otherStems.count(stem)))
                continue;
            plan.files.insert(entry.path().string());
        }
    }
    const fs::path config = fs::path(runDir) / "config.json";
    if (fs::is_regular_file(config, error)) {
        if (!shared.others.empty())
            plan.kept.push_back(config.string() + ": the folder is shared with run " +
                                std::to_string(shared.others.front()));
        else if (!holdsConfig(config, record.configJson))
            plan.kept.push_back(config.string() + ": it does not hold this run's configuration");
        else
            plan.files.insert(config.string());
    }
    plan.folders.insert(runDir);
}

/// Carries out a deletion plan on disk: only inside the run folder as it is now (a link put in
/// place of one of its folders later must not lead elsewhere), never a path another run recorded.
class RunFolderCleaner {
public:
    using OwnerOf = std::function<int64_t(const std::string&)>; // another run's id, or 0

    RunFolderCleaner(const RunRecord& record, OwnerOf otherOwner, RunDeletion& out)
        : m_runDir(record.runDir)
        , m_filesRecorded(record.filesRecorded)
        , m_otherOwner(std::move(otherOwner))
        , m_out(out) {
        std::error_code error;
        const bool isLink = !m_runDir.empty() && fs::is_symlink(m_runDir, error);
        if (isLink)
            m_out.kept.push_back(m_runDir +
                                 ": now a link to another folder; nothing in it removed");
        m_realRunDir = m_runDir.empty() || isLink ? "" : storedPath(m_runDir);
    }

    void removeFiles(const std::set<std::string>& files) {
        for (const std::string& file : files) {
            if (!isInside(file, m_runDir)) {
                m_out.kept.push_back(file + ": outside the run folder");
            } else if (const int64_t other = m_otherOwner(file); other > 0) {
                m_out.kept.push_back(file + ": also recorded by run " + std::to_string(other));
            } else {
                removeFile(file);
                for (const std::string& leftover : temporariesOf(file)) // writes cut short
                    removeFile(leftover);
            }
        }
    }

    /// Innermost first, each only when nothing else is left in it; the leftovers of atomic
    /// writes cut short in the run's own folders go first.
    void removeFolders(const std::set<std::string>& folders) {
        std::vector<std::string> ordered(folders.begin(), folders.end());
        std::sort(ordered.begin(), ordered.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        for (const std::string& folder : ordered)
            removeFolder(folder);
    }

private:
    bool reachedThroughLink(const std::string& realPath) const {
        return realPath != m_realRunDir && !isInside(realPath, m_realRunDir);
    }

    void removeFile(const std::string& path) {
        std::error_code error;
        const auto status = fs::symlink_status(path, error);
        if (!fs::exists(status))
            return; // gone already (pruned, or deleted by hand)
        if (reachedThroughLink(storedPath(fs::path(path).parent_path().string()))) {
            m_out.kept.push_back(path + ": reached through a link out of the run folder");
            return;
        }
        if (fs::is_directory(status)) {
            m_out.kept.push_back(path + ": a folder now, not the file the run wrote");
            return;
        }
        if (fs::remove(path, error))
            m_out.removed.push_back(path);
        else if (error)
            m_out.kept.push_back(path + ": " + error.message());
    }

    void removeFolder(const std::string& folder) {
        std::error_code error;
        if (!fs::is_directory(fs::symlink_status(folder, error)))
            return;
        const std::string realFolder = storedPath(folder);
        if (realFolder != folder && reachedThroughLink(realFolder)) {
            m_out.kept.push_back(folder + ": reached through a link out of the run folder");
            return;
        }
        if (m_filesRecorded && (folder == m_runDir || isInside(folder, m_runDir)))
            for (const auto& entry : fs::directory_iterator(folder, error))
                if (entry.is_regular_file(error) &&
                    isProgramTemporary(entry.path().filename().string()))
                    removeFile(entry.path().string());
        if (const int64_t other = m_otherOwner(folder); other > 0) {
            m_out.kept.push_back(folder + ": also the folder of run " + std::to_string(other));
            return;
        }
        if (!fs::is_empty(folder, error)) {
            m_out.kept.push_back(folder + ": it holds files the run did not write (" +
                                 folderContents(folder, 3) + ")");
        } else if (fs::remove(folder, error)) {
            m_out.removed.push_back(folder);
        } else if (error) {
            m_out.kept.push_back(folder + ": " + error.message());
        }
    }

    std::string m_runDir;
    std::string m_realRunDir; // "" when the folder is gone or is now a link
    bool m_filesRecorded;
    OwnerOf m_otherOwner;
    RunDeletion& m_out;
};

} // namespace

RunDeletion RunStore::deleteRun(int64_t id) {
    const std::optional<RunRecord> record = run(id);
    if (!record)
        throw UserError(m_path + ": no run with id " + std::to_string(id));
    if (isActive(record->status))
        throw UserError("run " + std::to_string(id) + " is " + toString(record->status) +
                        " in another process (pid " + std::to_string(record->process.pid) + " on " +
                        record->process.host + "); stop it before deleting it");
    DeletionPlan plan;
    withStoreErrors(m_path, "read the files of a run", [&] {
        for (const RunFile& file : runFiles(id))
            (file.folder ? plan.folders : plan.files).insert(file.path);
        if (!record->filesRecorded && !record->runDir.empty() && fs::is_directory(record->runDir))
            addProgramFiles(*record, sharedFolder(*m_db, id, record->runDir), plan);
    });
    // The record goes first: a database that cannot be written (read-only, full, locked) fails
    // here and nothing on disk has been touched; the files it listed are known already.
    withStoreErrors(m_path, "delete the run's record", [&] {
        SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement remove(*m_db, "DELETE FROM runs WHERE id = ?");
        remove.bind(1, id);
        remove.exec();
        transaction.commit();
    });
    RunDeletion deletion;
    deletion.kept = plan.kept;
    RunFolderCleaner cleaner(
        *record, [&](const std::string& path) { return otherOwner(path, id); }, deletion);
    cleaner.removeFiles(plan.files);
    cleaner.removeFolders(plan.folders);
    return deletion;
}

int64_t RunStore::otherOwner(const std::string& path, int64_t run) {
    // A path another run recorded (as a file, checkpoint, artifact or its folder) is its too.
    return withStoreErrors(m_path, "check the owner of a file", [&]() -> int64_t {
        SQLite::Statement owner(*m_db,
                                "SELECT run FROM run_files WHERE path = ? AND run != ? "
                                "UNION SELECT run FROM checkpoints WHERE path = ? AND run != ? "
                                "UNION SELECT run FROM artifacts WHERE path = ? AND run != ? "
                                "UNION SELECT id FROM runs WHERE run_dir = ? AND id != ? "
                                "LIMIT 1");
        for (int i = 0; i < 4; ++i) {
            owner.bind(2 * i + 1, path);
            owner.bind(2 * i + 2, run);
        }
        return owner.executeStep() ? owner.getColumn(0).getInt64() : int64_t(0);
    });
}

} // namespace swav::store
