#include "util/AtomicFile.h"

#include "util/Expected.h"
#include "util/OutputTarget.h"

#include <ext/stdio_filebuf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>

namespace swav {

namespace fs = std::filesystem;

namespace {

/// fsync() with EINTR retried; returns errno, 0 on success.
int syncDescriptor(int fd) {
    int result;
    do
        result = ::fsync(fd);
    while (result != 0 && errno == EINTR);
    return result == 0 ? 0 : errno;
}

int syncFolder(const fs::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    const int error = syncDescriptor(fd);
    ::close(fd);
    return error;
}

/// A new file of this process beside `target`, created with O_EXCL and O_NOFOLLOW: never an
/// existing file or link (a "<name>.tmp" of the user's, or one planted to redirect the write).
/// Returns the descriptor; `name` receives its path.
int createTemporary(const fs::path& target, std::string& name) {
    static std::atomic<uint64_t> counter{0};
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::random_device entropy;
    for (int attempt = 0; attempt < 100; ++attempt) {
        char suffix[40];
        std::snprintf(suffix, sizeof suffix, ".%08x%04x.tmp", entropy(),
                      static_cast<unsigned>(counter++ & 0xffff));
        name = (folder / ("." + target.filename().string() + suffix)).string();
        const int fd =
            ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/// Runs `write` into the open descriptor `fd` (closed here); returns errno, 0 when every byte was
/// written and, when `sync`, synced to disk.
int writeDescriptor(int fd, const std::function<void(std::ostream&)>& write, bool sync) {
    __gnu_cxx::stdio_filebuf<char> buffer(fd, std::ios::out | std::ios::binary);
    std::ostream out(&buffer);
    errno = 0;
    write(out);
    out.flush();
    if (!out)
        return errno ? errno : EIO;
    return sync ? syncDescriptor(fd) : 0;
}

/// A device, FIFO or terminal (`/dev/null`, a pipe), or a descriptor already open (util/
/// OutputTarget.h): written as it is, never replaced.
void writeInPlace(const std::string& path, const std::string& what,
                  const std::function<void(std::ostream&)>& write) {
    const int open = openDescriptorOf(path);
    if (open >= 0)
        std::fflush(nullptr); // what the program printed before comes first
    const int fd = open >= 0 ? ::fcntl(open, F_DUPFD_CLOEXEC, 0)
                             : ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        throw UserError(path + ": cannot open it to write the " + what + ": " +
                        std::strerror(errno));
    if (const int error = writeDescriptor(fd, write, false))
        throw UserError(path + ": cannot write the " + what + ": " + std::strerror(error));
}

} // namespace

void writeFileAtomically(const std::string& path, const std::string& what,
                         const std::function<void(std::ostream&)>& write) {
    if (openDescriptorOf(path) >= 0) {
        writeInPlace(path, what, write);
        return;
    }
    const fs::path target(path);
    std::error_code error;
    if (target.has_parent_path())
        fs::create_directories(target.parent_path(), error);
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
        if (S_ISDIR(info.st_mode))
            throw UserError(path + ": a folder, not a file to write the " + what + " to");
        writeInPlace(path, what, write);
        return;
    }
    std::string temporary;
    const int fd = createTemporary(target, temporary);
    if (fd < 0)
        throw UserError(path + ": cannot create the " + what +
                        " beside it: " + std::strerror(errno));
    // The data must be on disk before the rename makes it the file: otherwise a power cut can
    // leave a complete-looking name over empty or partial contents.
    int writeError = 0;
    try {
        writeError = writeDescriptor(fd, write, true);
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }
    if (writeError) {
        ::unlink(temporary.c_str());
        throw UserError(path + ": cannot write the " + what + ": " + std::strerror(writeError));
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int renameError = errno;
        ::unlink(temporary.c_str());
        throw UserError(path + ": cannot move the " + what +
                        " into place: " + std::strerror(renameError));
    }
    // The rename itself lives in the folder. Some file systems cannot sync a folder (EINVAL):
    // there the rename is as durable as they make it.
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (const int syncError = syncFolder(folder); syncError && syncError != EINVAL)
        throw UserError(path + ": the " + what + " was written but its folder could not be " +
                        "synced to disk: " + std::strerror(syncError));
}

void writeFileAtomically(const std::string& path, const std::string& what, const char* data,
                         size_t size) {
    writeFileAtomically(path, what, [&](std::ostream& out) {
        out.write(data, static_cast<std::streamsize>(size));
    });
}

std::string atomicTargetOf(const std::string& fileName) {
    // "." + target + "." + 12 hex digits + ".tmp"
    constexpr size_t kSuffix = 1 + 12 + 4;
    if (fileName.size() < 2 + kSuffix || fileName[0] != '.' ||
        fileName.compare(fileName.size() - 4, 4, ".tmp") != 0 ||
        fileName[fileName.size() - kSuffix] != '.')
        return {};
    for (size_t i = fileName.size() - kSuffix + 1; i < fileName.size() - 4; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(fileName[i])))
            return {};
    return fileName.substr(1, fileName.size() - 1 - kSuffix);
}

} // namespace swav
