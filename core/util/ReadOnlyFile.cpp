#include "util/ReadOnlyFile.h"

#include "util/Expected.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace swav {

ReadOnlyFile::ReadOnlyFile(const std::string& path)
    : m_path(path) {
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m_fd < 0)
        throw UserError(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat info {};
    if (::fstat(m_fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(m_fd);
        throw UserError(path + ": not a regular file");
    }
    m_size = static_cast<uint64_t>(info.st_size);
}

ReadOnlyFile::~ReadOnlyFile() {
    ::close(m_fd);
}

void ReadOnlyFile::readAt(uint64_t offset, void* destination, size_t bytes,
                          const std::string& what) const {
    if (!holds(offset, bytes))
        throw UserError(m_path + ": " + what);
    auto* out = static_cast<char*>(destination);
    while (bytes > 0) {
        const ssize_t got =
            ::pread(m_fd, out, std::min<size_t>(bytes, 1 << 30), static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            throw UserError(m_path + ": cannot read (the file is truncated or unreadable)");
        out += got;
        offset += static_cast<uint64_t>(got);
        bytes -= static_cast<size_t>(got);
    }
}

} // namespace swav
