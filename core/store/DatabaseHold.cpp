#include "store/DatabaseHold.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace swav::store {

namespace fs = std::filesystem;

namespace {

// SQLite's cross-process locking protocol (os_unix.c); part of the file format, so every
// version uses the same bytes. The database file: shared locks on [PENDING_BYTE + 2, +510).
constexpr int64_t kSharedFirst = 0x40000000 + 2;
constexpr int64_t kSharedSize = 510;
// The -shm file: the dead-man switch byte after the 8 WAL lock bytes at 120.
constexpr int64_t kDeadManByte = 128;

struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const FileId& other) const {
        return device == other.device && inode == other.inode;
    }
};

std::optional<FileId> fileIdAt(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return std::nullopt;
    return FileId{info.st_dev, info.st_ino};
}

/// A descriptor of this process open on one of the database's files.
struct OpenFile {
    int fd = -1;
    FileId id;
    std::string target; // where /proc says it points, " (deleted)" included
};

/// Descriptors of this process whose target is `path` (or was, before it was deleted). Reads
/// links and stats through /proc: the files themselves are never opened.
std::vector<OpenFile> descriptorsOf(const std::string& path) {
    std::vector<OpenFile> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd", error)) {
        std::error_code linkError;
        const std::string target = fs::read_symlink(entry.path(), linkError).string();
        if (linkError || (target != path && target != path + " (deleted)"))
            continue;
        const auto id = fileIdAt(entry.path().string()); // follows the link to the open file
        if (!id)
            continue;
        try {
            found.push_back(OpenFile{std::stoi(entry.path().filename().string()), *id, target});
        } catch (const std::exception&) {
        }
    }
    return found;
}

struct HeldLock {
    FileId id;
    int64_t start = 0;
    int64_t end = 0; // inclusive
};

/// The POSIX locks this process holds, from /proc/locks.
std::vector<HeldLock> locksOfThisProcess() {
    std::vector<HeldLock> locks;
    std::ifstream in("/proc/locks");
    const std::string pid = std::to_string(::getpid());
    std::string line;
    while (std::getline(in, line)) {
        // "1: POSIX  ADVISORY  READ 1234 fd:01:5678 1073741826 1073742335"; waiters have "->".
        std::istringstream fields(line);
        std::string number, type, mode, access, owner, file, start, end;
        if (!(fields >> number >> type) || type == "->" || type != "POSIX")
            continue;
        if (!(fields >> mode >> access >> owner >> file >> start >> end) || owner != pid)
            continue;
        unsigned major = 0, minor = 0;
        unsigned long long inode = 0;
        if (std::sscanf(file.c_str(), "%x:%x:%llu", &major, &minor, &inode) != 3)
            continue;
        try {
            const int64_t last =
                end == "EOF" ? std::numeric_limits<int64_t>::max() : std::stoll(end);
            locks.push_back(
                HeldLock{FileId{makedev(major, minor), ino_t(inode)}, std::stoll(start), last});
        } catch (const std::exception&) {
        }
    }
    return locks;
}

bool covers(const std::vector<HeldLock>& locks, const FileId& id, int64_t byte) {
    for (const auto& lock : locks)
        if (lock.id == id && lock.start <= byte && byte <= lock.end)
            return true;
    return false;
}

/// Some of `open` is not the file now at `path`.
bool replaced(const std::vector<OpenFile>& open, const std::string& path) {
    const auto now = fileIdAt(path);
    for (const auto& file : open)
        if (!now || !(file.id == *now))
            return true;
    return false;
}

bool readLock(int fd, int64_t start, int64_t length) {
    struct flock lock {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = off_t(start);
    lock.l_len = off_t(length);
    return ::fcntl(fd, F_SETLK, &lock) == 0;
}

std::string absolutePath(const std::string& path) {
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(path, error);
    return error ? fs::absolute(path).string() : canonical.string();
}

} // namespace

DatabaseHold inspectDatabaseHold(const std::string& databasePath) {
    DatabaseHold hold;
    const std::string database = absolutePath(databasePath);
    const auto sharedMemory = descriptorsOf(database + "-shm");
    const auto databaseId = fileIdAt(database);
    if (sharedMemory.empty() || !databaseId)
        return hold; // no WAL connection here yet, or no /proc
    hold.inspected = true;
    hold.filesReplaced = replaced(sharedMemory, database + "-shm") ||
                         replaced(descriptorsOf(database + "-wal"), database + "-wal");
    const auto locks = locksOfThisProcess();
    hold.databaseLocked = covers(locks, *databaseId, kSharedFirst);
    for (const auto& file : sharedMemory)
        hold.sharedMemoryLocked = hold.sharedMemoryLocked || covers(locks, file.id, kDeadManByte);
    return hold;
}

bool restoreDatabaseLocks(const std::string& databasePath) {
    const std::string database = absolutePath(databasePath);
    const auto databaseFiles = descriptorsOf(database);
    const auto sharedMemory = descriptorsOf(database + "-shm");
    if (databaseFiles.empty() || sharedMemory.empty())
        return false;
    // Only where nothing of ours is held: a read lock over a write lock of this process would
    // downgrade it.
    const DatabaseHold hold = inspectDatabaseHold(databasePath);
    const bool databaseOk =
        hold.databaseLocked || readLock(databaseFiles.front().fd, kSharedFirst, kSharedSize);
    const bool sharedMemoryOk =
        hold.sharedMemoryLocked || readLock(sharedMemory.front().fd, kDeadManByte, 1);
    return databaseOk && sharedMemoryOk;
}

} // namespace swav::store
