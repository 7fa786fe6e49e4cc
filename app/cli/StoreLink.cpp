#include "cli/StoreLink.h"

#include "store/CheckpointDigests.h"
#include "util/OutputTarget.h"

#include <filesystem>
#include <iostream>

namespace swav::cli {

std::string databaseOrDefault(const std::string& database) {
    return database.empty() ? store::defaultDatabasePath() : database;
}

bool isRunId(const std::string& text) {
    return !text.empty() && text.size() <= 18 &&
           text.find_first_not_of("0123456789") == std::string::npos;
}

Expected<std::string> runFolderFor(const std::string& runOrId, const std::string& database) {
    if (!isRunId(runOrId) || std::filesystem::exists(runOrId))
        return runOrId;
    auto runs = store::RunStore::open(databaseOrDefault(database), store::StoreAccess::ReadOnly);
    if (!runs)
        return runs.error();
    const auto record = (*runs)->run(std::stoll(runOrId));
    if (!record)
        return Error{(*runs)->path() + ": no run with id " + runOrId + " (see swav runs list)"};
    return record->runDir;
}

bool outputAllowed(const std::string& database, const std::string& file, bool overwrite) {
    const std::string path = databaseOrDefault(database);
    try {
        std::error_code error;
        if (std::filesystem::exists(path, error)) {
            if (auto runs = store::RunStore::open(path, store::StoreAccess::ReadOnly)) {
                (*runs)->checkOutputFile(file, overwrite);
                return true;
            }
            store::refuseDatabaseFile(path, file); // not readable as a store, still not to be hit
        }
        checkOutputTarget(file, overwrite);
        return true;
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return false;
    }
}

void recordForRun(const std::string& database, const std::string& runDir,
                  const std::function<void(store::RunStore&, int64_t)>& record,
                  store::StoreAccess access) {
    const std::string path = databaseOrDefault(database);
    if (!std::filesystem::exists(path))
        return; // no database yet: nothing was recorded, nothing to add to
    auto runs = store::RunStore::open(path, access);
    if (!runs) {
        std::cerr << "warning: not recorded in the run database: " << runs.error().message << "\n";
        return;
    }
    try {
        if (const auto run = (*runs)->runByDir(runDir))
            record(**runs, run->id);
    } catch (const UserError& e) {
        std::cerr << "warning: not recorded in the run database: " << e.what() << "\n";
    }
}

std::map<std::string, std::string> recordedDigests(const std::string& database,
                                                   const std::string& runDir) {
    std::map<std::string, std::string> digests;
    recordForRun(
        database, runDir,
        [&](store::RunStore& runs, int64_t id) { digests = store::checkpointDigests(runs, id); },
        store::StoreAccess::ReadOnly);
    return digests;
}

} // namespace swav::cli
