#include "util/AtomicFile.h"

#include "util/Expected.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace swav {

namespace fs = std::filesystem;

namespace {

/// fsync() of a file or folder by path; returns errno, 0 on success. EINTR is retried.
int syncPath(const fs::path& path, bool folder) {
    const int fd = ::open(path.c_str(), (folder ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int result;
    do
        result = ::fsync(fd);
    while (result != 0 && errno == EINTR);
    const int error = result == 0 ? 0 : errno;
    ::close(fd);
    return error;
}

} // namespace

void writeFileAtomically(const std::string& path, const std::string& what,
                         const std::function<void(std::ostream&)>& write) {
    const fs::path target(path);
    std::error_code error;
    if (target.has_parent_path())
        fs::create_directories(target.parent_path(), error);
    const fs::path temporary = target.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (out)
            write(out);
        out.flush();
        if (!out) {
            out.close();
            fs::remove(temporary, error);
            throw UserError(path + ": cannot write the " + what +
                            " (disk full, no permission or missing folder?)");
        }
    }
    // The data must be on disk before the rename makes it the file: otherwise a power cut can
    // leave a complete-looking name over empty or partial contents.
    if (const int syncError = syncPath(temporary, false)) {
        fs::remove(temporary, error);
        throw UserError(path + ": cannot write the " + what +
                        " to disk: " + std::strerror(syncError));
    }
    fs::rename(temporary, target, error);
    if (error) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw UserError(path + ": cannot move the " + what + " into place: " + error.message());
    }
    // The rename itself lives in the folder. Some file systems cannot sync a folder (EINVAL):
    // there the rename is as durable as they make it.
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (const int syncError = syncPath(folder, true); syncError && syncError != EINVAL)
        throw UserError(path + ": the " + what + " was written but its folder could not be " +
                        "synced to disk: " + std::strerror(syncError));
}

void writeFileAtomically(const std::string& path, const std::string& what, const char* data,
                         size_t size) {
    writeFileAtomically(path, what, [&](std::ostream& out) {
        out.write(data, static_cast<std::streamsize>(size));
    });
}

} // namespace swav
