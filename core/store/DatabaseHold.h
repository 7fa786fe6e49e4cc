#pragma once
// What this process holds of an open run database, read from /proc (Linux), and its repair.
//
// SQLite's WAL mode relies on two POSIX locks that a connection keeps as long as it is open: a
// read lock on the database file's shared range and one on the -shm file's dead-man byte. POSIX
// locks belong to the process, and closing ANY descriptor of a file drops all of them (a file
// dialog sniffing `runs.db-shm` is enough). Another process then takes itself for the last user,
// checkpoints and deletes the -wal and -shm this process still writes into. These functions tell
// whether the locks are still there and take them again on SQLite's own descriptors; they never
// open the database's files themselves (opening and closing one would drop the locks again).

#include <string>

namespace swav::store {

struct DatabaseHold {
    bool inspected = false;          // /proc told (false: not Linux, or SQLite holds no -shm yet)
    bool databaseLocked = false;     // the database file's shared range is locked by this process
    bool sharedMemoryLocked = false; // the -shm dead-man byte is locked by this process
    /// The -wal or -shm that SQLite has open are no longer the files at their paths (deleted or
    /// recreated by another process): this process writes where nobody reads.
    bool filesReplaced = false;

    /// The locks are missing but the files are still the ones SQLite has open.
    bool locksLost() const {
        return inspected && !filesReplaced && !(databaseLocked && sharedMemoryLocked);
    }
    bool intact() const {
        return !inspected || (databaseLocked && sharedMemoryLocked && !filesReplaced);
    }
};

/// This process's hold on the WAL database at `databasePath`. Any thread.
DatabaseHold inspectDatabaseHold(const std::string& databasePath);

/// Takes again, on SQLite's own descriptors, the two long-lived read locks SQLite believes it
/// holds. False when one cannot be taken (another process is deleting or recovering the files
/// right now): the connections must be reopened. Call only when locksLost().
bool restoreDatabaseLocks(const std::string& databasePath);

} // namespace swav::store
