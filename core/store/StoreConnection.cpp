// RunStore: opening the run database (read-write or read-only), refusing files that are not
// ours, damaged or from a newer program, and keeping the hold on it.
#include "store/DatabaseHold.h"
#include "store/RunStore.h"
#include "store/StoreErrors.h"
#include "store/StoreSchema.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <filesystem>

namespace swav::store {

namespace fs = std::filesystem;

namespace {

constexpr int kBusyTimeoutMs = 15000;

/// The recorded schema version; a damaged or edited one is an error naming the file.
int schemaVersionOf(SQLite::Database& db, const std::string& path) {
    try {
        return readSchemaVersion(db);
    } catch (const UserError& e) {
        throw UserError(path + ": " + e.what());
    }
}

std::string notADatabase(const std::string& path, const std::string& why) {
    return path + ": not a SwAV Workbench run database (" + why + "); the file was left untouched";
}

void refuseNewerSchema(int version, const std::string& path) {
    if (version > kSchemaVersion)
        throw UserError(path + ": written by a newer SwAV Workbench (schema version " +
                        std::to_string(version) + ", this program knows up to " +
                        std::to_string(kSchemaVersion) + "); the file was left untouched");
}

/// A read-only connection; a database whose folder this user cannot write (no -shm can be made
/// there) and that has no write-ahead log is read as an immutable file.
std::unique_ptr<SQLite::Database> connectReadOnly(const std::string& path) {
    try {
        auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
        db->execAndGet("SELECT count(*) FROM sqlite_master"); // WAL needs its -shm: try now
        return db;
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        std::error_code error;
        if ((code != SQLITE_READONLY && code != SQLITE_CANTOPEN) ||
            fs::exists(path + "-wal", error))
            throw;
    }
    const std::string uri = "file:" + fs::absolute(path).string() + "?immutable=1";
    return std::make_unique<SQLite::Database>(uri, SQLite::OPEN_READONLY | SQLite::OPEN_URI,
                                              kBusyTimeoutMs);
}

/// Reads just enough of an existing file, through a read-only connection, to know it is one of
/// ours and sound: a foreign file must stay untouched (a read-write connection could roll back
/// its journal), and a damaged one must not be written further.
void checkExistingFile(const std::string& path) {
    std::unique_ptr<SQLite::Database> probe;
    int applicationId = 0;
    int tables = 0;
    try {
        probe = connectReadOnly(path);
        applicationId = probe->execAndGet("PRAGMA application_id").getInt();
        tables = probe->execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        if (code == SQLITE_NOTADB)
            throw UserError(notADatabase(path, e.what()));
        throw UserError(storeFailure(path, "read the run database", e));
    }
    if (applicationId != kApplicationId && !(applicationId == 0 && tables == 0))
        throw UserError(notADatabase(path, "an SQLite file of another program"));
    withStoreErrors(path, "check the run database", [&] {
        const std::string verdict = probe->execAndGet("PRAGMA quick_check(1)").getString();
        if (verdict != "ok")
            throw UserError(path + ": the run database is damaged (" + verdict +
                            "); it was left untouched: restore it from a copy, or move it aside "
                            "to start a new one");
    });
}

/// SQLite deletes the -wal and -shm when the last connection closes; kept, they let users who
/// may only read the database (another user's, a read-only share) open it later.
void keepWriteAheadFiles(SQLite::Database& db) {
    int keep = 1;
    sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
}

/// A read-write connection to the run database at `path`, created when `create`, in WAL mode
/// and migrated to this program's schema.
std::unique_ptr<SQLite::Database> connect(const std::string& path, bool create) {
    std::unique_ptr<SQLite::Database> db;
    try {
        db = std::make_unique<SQLite::Database>(
            path, SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0), kBusyTimeoutMs);
    } catch (const SQLite::Exception& e) {
        throw UserError(storeFailure(path, "open the run database", e));
    }
    keepWriteAheadFiles(*db);
    withStoreErrors(path, "prepare the run database", [&] {
        db->exec("PRAGMA foreign_keys = ON");
        // WAL first, so that creating and migrating already let readers in.
        if (db->execAndGet("PRAGMA journal_mode").getString() != "wal")
            db->exec("PRAGMA journal_mode = WAL");
        SQLite::Transaction transaction(*db, SQLite::TransactionBehavior::IMMEDIATE);
        // Checked again under the write lock: another process may have just created it.
        const int version = schemaVersionOf(*db, path);
        refuseNewerSchema(version, path);
        if (version < kSchemaVersion)
            migrateSchema(*db, version);
        transaction.commit();
        // With WAL, NORMAL loses no committed transaction when the process dies.
        db->exec("PRAGMA synchronous = NORMAL");
    });
    return db;
}

std::unique_ptr<SQLite::Database> connectForReading(const std::string& path) {
    auto db = withStoreErrors(path, "read the run database", [&] { return connectReadOnly(path); });
    const int version = schemaVersionOf(*db, path);
    refuseNewerSchema(version, path);
    if (version < kSchemaVersion)
        throw UserError(path + ": written by an older SwAV Workbench (schema version " +
                        std::to_string(version) +
                        "); open it once with write access (any swav command that records) to "
                        "bring it up to date");
    return db;
}

void prepareFolder(const std::string& path) {
    const fs::path folder = fs::absolute(path).parent_path();
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw UserError(folder.string() +
                        ": cannot create the folder of the run database: " + error.message());
}

} // namespace

Expected<std::unique_ptr<RunStore>> RunStore::open(const std::string& path, StoreAccess access) {
    return catchUserError([&]() -> std::unique_ptr<RunStore> {
        std::error_code error;
        const bool exists = fs::exists(path, error);
        if (error)
            throw UserError(path + ": cannot reach the run database: " + error.message() +
                            " (a folder on the way that this user may not enter?)");
        if (exists && fs::is_directory(path, error))
            throw UserError(path + ": is a folder; expected a run database file");
        if (access == StoreAccess::ReadOnly) {
            if (!exists)
                throw UserError(path + ": no run database there (nothing has been recorded)");
            checkExistingFile(path);
            std::unique_ptr<RunStore> store(new RunStore(path, connectForReading(path)));
            store->m_readOnly = true;
            return store;
        }
        if (exists)
            checkExistingFile(path);
        else
            prepareFolder(path);
        std::unique_ptr<RunStore> store(new RunStore(path, connect(path, !exists)));
        store->markInterruptedRuns();
        return store;
    });
}

int RunStore::schemaVersion() const {
    return withStoreErrors(m_path, "read the schema version",
                           [&] { return schemaVersionOf(*m_db, m_path); });
}

HoldRepair RunStore::keepHold() {
    if (m_readOnly)
        return HoldRepair::Intact; // nothing is written through this connection
    const DatabaseHold hold = inspectDatabaseHold(m_path);
    if (hold.intact())
        return HoldRepair::Intact;
    if (hold.locksLost() && restoreDatabaseLocks(m_path))
        return HoldRepair::LocksRestored;
    // The files were replaced (or are being replaced): what this connection wrote since the
    // locks went is gone; read the database as it is now.
    m_keyIds.clear();
    m_db.reset();
    m_db = connect(m_path, false);
    return inspectDatabaseHold(m_path).intact() ? HoldRepair::Reopened : HoldRepair::Lost;
}

} // namespace swav::store
