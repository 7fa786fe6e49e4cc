#include "store/StoreErrors.h"

#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>

namespace swav::store {

namespace {

std::string folderOf(const std::string& path) {
    const auto folder = std::filesystem::absolute(path).parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

/// Which of the files SQLite must write cannot be written, and why.
std::string readOnlyCause(const std::string& path) {
    const std::string folder = folderOf(path);
    struct statvfs volume {};
    if (::statvfs(folder.c_str(), &volume) == 0 && (volume.f_flag & ST_RDONLY))
        return folder + " is on a read-only file system";
    if (::access(path.c_str(), W_OK) != 0)
        return path + " is read-only for this user";
    for (const char* suffix : {"-wal", "-shm"}) {
        const std::string companion = path + suffix;
        if (::access(companion.c_str(), F_OK) == 0 && ::access(companion.c_str(), W_OK) != 0)
            return companion + " is read-only for this user";
    }
    if (::access(folder.c_str(), W_OK) != 0)
        return "its folder " + folder + " is read-only for this user (SQLite keeps " + path +
               "-wal and -shm there)";
    return "the database is read-only";
}

/// Why SQLite could not open the file or one of its companions.
std::string cantOpenCause(const std::string& path, const char* sqliteText) {
    const std::string folder = folderOf(path);
    if (::access(folder.c_str(), X_OK) != 0)
        return "its folder " + folder + " cannot be entered by this user (or is missing)";
    if (::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), R_OK) != 0)
        return path + " cannot be read by this user";
    for (const char* suffix : {"-wal", "-shm"}) {
        const std::string companion = path + suffix;
        if (::access(companion.c_str(), F_OK) == 0 && ::access(companion.c_str(), R_OK) != 0)
            return companion + " cannot be read by this user";
    }
    if (::access(folder.c_str(), W_OK) != 0)
        return "its folder " + folder + " is read-only for this user and SQLite must make " + path +
               "-shm there";
    return sqliteText;
}

} // namespace

bool isUnavailable(const SQLite::Exception& error) {
    switch (error.getErrorCode() & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return true;
    default:
        return false;
    }
}

std::string storeFailure(const std::string& databasePath, const char* action,
                         const SQLite::Exception& error) {
    const std::string head = databasePath + ": cannot " + action + ": ";
    switch (error.getErrorCode() & 0xff) {
    case SQLITE_READONLY:
        return head + readOnlyCause(databasePath);
    case SQLITE_FULL:
        return head + "the disk holding " + folderOf(databasePath) +
               " is full; what was recorded before is kept";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return head + "another process has held its write lock for over 15 s";
    case SQLITE_CANTOPEN:
        return head + cantOpenCause(databasePath, error.what());
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return head + "no permission (" + error.what() + ")";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return head + "the file is damaged (" + error.what() +
               "); restore it from a copy, or move it aside to start a new one";
    default:
        return head + error.what();
    }
}

} // namespace swav::store
