// RunStore: outputs the user names never land on the database or on a file a run recorded.
#include "store/RunStore.h"
#include "store/StoreErrors.h"
#include "util/OutputTarget.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace swav::store {

void refuseDatabaseFile(const std::string& databasePath, const std::string& file) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        if (sameFile(file, databasePath + suffix))
            throw UserError(file + ": that is the run database " + databasePath +
                            "; choose another file");
}

void RunStore::checkOutputFile(const std::string& file, bool overwrite) {
    if (openDescriptorOf(file) >= 0)
        return;
    refuseDatabaseFile(m_path, file);
    withStoreErrors(m_path, "look up the files of runs", [&] {
        SQLite::Statement owner(*m_db,
                                "SELECT run FROM run_files WHERE path = ?1 AND NOT is_folder "
                                "UNION SELECT run FROM checkpoints WHERE path = ?1 "
                                "LIMIT 1");
        owner.bind(1, storedPath(file));
        if (owner.executeStep())
            throw UserError(file + ": a file of run " + owner.getColumn(0).getString() +
                            "; the program never overwrites a run's files: choose another file");
    });
    checkOutputTarget(file, overwrite);
}

} // namespace swav::store
