#pragma once
// How the evaluation commands find runs in, and add their results to, the run database.

#include "store/RunStore.h"

#include <functional>
#include <map>
#include <string>

namespace swav::cli {

/// Whether `text` can be a run id: digits only, at most 18 (longer ones overflow an int64).
bool isRunId(const std::string& text);

/// The database path the user chose, or the default one.
std::string databaseOrDefault(const std::string& database);

/// The run folder for `--run`: a folder as given, or a run id looked up in the database.
Expected<std::string> runFolderFor(const std::string& runOrId, const std::string& database);

/// False, with the reason on stderr, for an output file the user named that already exists
/// (unless `overwrite`), that is the run database, or that a run recorded as its own
/// (RunStore::checkOutputFile).
bool outputAllowed(const std::string& database, const std::string& file, bool overwrite);

/// Calls `record` with the database and the id of the run kept in `runDir`, when the database
/// knows that run. Problems only print a warning: the result files are already written.
void recordForRun(const std::string& database, const std::string& runDir,
                  const std::function<void(store::RunStore&, int64_t)>& record,
                  store::StoreAccess access = store::StoreAccess::ReadWrite);

/// The SHA-256 the database recorded for the checkpoints of the run in `runDir`; empty when the
/// database or the run is unknown.
std::map<std::string, std::string> recordedDigests(const std::string& database,
                                                   const std::string& runDir);

} // namespace swav::cli
