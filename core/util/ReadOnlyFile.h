#pragma once
// A regular file opened for reading at explicit offsets, for the readers of untrusted files
// (zip archives, torch.save files): devices, pipes and folders are refused when opened (a FIFO
// never blocks the open), and every read must lie inside the size the file had then. One thread
// per object.

#include <cstddef>
#include <cstdint>
#include <string>

namespace swav {

class ReadOnlyFile {
public:
    /// Throws UserError naming `path` when it cannot be opened or is not a regular file.
    explicit ReadOnlyFile(const std::string& path);
    ~ReadOnlyFile();
    ReadOnlyFile(const ReadOnlyFile&) = delete;
    ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

    const std::string& path() const { return m_path; }
    uint64_t size() const { return m_size; }

    /// Whether `bytes` bytes from `offset` lie inside the file.
    bool holds(uint64_t offset, uint64_t bytes) const {
        return offset <= m_size && bytes <= m_size - offset;
    }

    /// Reads exactly `bytes` bytes at `offset`; throws UserError naming the file, with `what`,
    /// when they lie outside the file or cannot be read.
    void readAt(uint64_t offset, void* destination, size_t bytes, const std::string& what) const;

private:
    std::string m_path;
    int m_fd = -1;
    uint64_t m_size = 0;
};

} // namespace swav
