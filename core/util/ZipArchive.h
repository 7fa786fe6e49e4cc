#pragma once
// A read-only zip reader for untrusted files (torch.save archives, checkpoints, caches). Every
// size and offset is checked against the file before it is used; entries are stored or
// deflated, their CRC-32 is verified on every read. No torch dependency. One thread per object.

#include "util/ReadOnlyFile.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace swav {

struct ZipLimits {
    size_t maxEntries = 1 << 20;                     // central directory entries
    uint64_t maxCentralDirectoryBytes = 64ull << 20; // bytes of the central directory
};

struct ZipEntry {
    std::string name;
    uint16_t method = 0;           // 0 stored, 8 deflated
    uint32_t crc32 = 0;            // of the uncompressed bytes
    uint64_t compressedSize = 0;   // bytes in the file
    uint64_t uncompressedSize = 0; // bytes once read
    uint64_t dataOffset = 0;       // where the (compressed) bytes start in the file
};

class ZipArchive {
public:
    /// Opens and indexes `path`; throws UserError naming the file when it is not a regular file,
    /// not a zip archive, or its directory is inconsistent (overlapping, out-of-file, duplicate,
    /// encrypted or multi-disk entries).
    explicit ZipArchive(const std::string& path, const ZipLimits& limits = {});
    ~ZipArchive();
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    const std::string& path() const { return m_file.path(); }
    uint64_t fileSize() const { return m_fileSize; }
    const std::vector<ZipEntry>& entries() const { return m_entries; }

    /// The entry called `name`, or nullptr.
    const ZipEntry* find(const std::string& name) const;

    /// Reads the whole entry into `destination` (exactly `entry.uncompressedSize` bytes); throws
    /// UserError on a short read, a bad deflate stream or a CRC mismatch.
    void read(const ZipEntry& entry, void* destination) const;

    /// The entry as bytes; throws UserError when it is larger than `maxBytes`.
    std::string readText(const ZipEntry& entry, uint64_t maxBytes) const;

private:
    /// Where the central directory lies and how many entries it lists.
    struct ZipDirectory {
        uint64_t entries = 0;
        uint64_t size = 0;
        uint64_t offset = 0;
    };

    void readAt(uint64_t offset, void* destination, size_t bytes) const;
    void indexCentralDirectory(const ZipLimits& limits);
    ZipDirectory findDirectory(const ZipLimits& limits) const;
    ZipDirectory zip64Directory(uint64_t endOffset) const;
    ZipEntry readDirectoryEntry(const std::vector<unsigned char>& directory, size_t& pos,
                                uint64_t index, uint64_t& localOffset) const;
    void locateData(ZipEntry& entry, uint64_t localOffset, uint64_t dataEnd) const;
    [[noreturn]] void fail(const std::string& what) const;

    ReadOnlyFile m_file;
    uint64_t m_fileSize = 0;
    std::vector<ZipEntry> m_entries;
};

} // namespace swav
