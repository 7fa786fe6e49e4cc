#include "util/ZipArchive.h"

#include "util/Expected.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace swav {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kMaxCommentSize = 0xffff;
constexpr size_t kDirectoryEntrySize = 46;
constexpr size_t kLocalHeaderSize = 30;

// Little-endian fields of a byte buffer whose length the caller has checked.
class Fields {
public:
    Fields(const unsigned char* data, size_t size)
        : m_data(data)
        , m_size(size) {}
    uint64_t at(size_t offset, size_t bytes) const {
        if (offset > m_size || bytes > m_size - offset)
            throw UserError("");
        uint64_t value = 0;
        for (size_t i = 0; i < bytes; ++i)
            value |= uint64_t(m_data[offset + i]) << (8 * i);
        return value;
    }
    uint16_t u16(size_t offset) const { return static_cast<uint16_t>(at(offset, 2)); }
    uint32_t u32(size_t offset) const { return static_cast<uint32_t>(at(offset, 4)); }
    uint64_t u64(size_t offset) const { return at(offset, 8); }

private:
    const unsigned char* m_data;
    size_t m_size;
};

bool fitsIn(uint64_t offset, uint64_t size, uint64_t limit) {
    return offset <= limit && size <= limit - offset;
}

// Sizes and offset stored as 0xffffffff live in the zip64 extra field, in this order.
void applyZip64Extra(const unsigned char* extra, size_t size, ZipEntry& entry,
                     uint64_t& localOffset) {
    const Fields f(extra, size);
    for (size_t pos = 0; pos + 4 <= size;) {
        const uint16_t id = f.u16(pos), length = f.u16(pos + 2);
        if (!fitsIn(pos + 4, length, size))
            throw UserError("");
        if (id == 0x0001) {
            size_t field = pos + 4;
            const size_t end = field + length;
            auto next = [&]() {
                if (field + 8 > end)
                    throw UserError("");
                const uint64_t value = f.u64(field);
                field += 8;
                return value;
            };
            if (entry.uncompressedSize == 0xffffffff)
                entry.uncompressedSize = next();
            if (entry.compressedSize == 0xffffffff)
                entry.compressedSize = next();
            if (localOffset == 0xffffffff)
                localOffset = next();
        }
        pos += 4 + length;
    }
}

} // namespace

ZipArchive::ZipArchive(const std::string& path, const ZipLimits& limits)
    : m_file(path)
    , m_fileSize(m_file.size()) {
    indexCentralDirectory(limits);
}

ZipArchive::~ZipArchive() = default;

void ZipArchive::fail(const std::string& what) const {
    throw UserError(m_file.path() + ": " + what);
}

void ZipArchive::readAt(uint64_t offset, void* destination, size_t bytes) const {
    m_file.readAt(offset, destination, bytes,
                  "not a valid zip archive (a record points past the end of the file)");
}

void ZipArchive::indexCentralDirectory(const ZipLimits& limits) {
    try {
        const ZipDirectory directory = findDirectory(limits);
        std::vector<unsigned char> bytes(static_cast<size_t>(directory.size));
        readAt(directory.offset, bytes.data(), bytes.size());
        std::set<std::string> names;
        std::vector<std::pair<uint64_t, uint64_t>> spans; // [start, end) of each entry's data
        size_t pos = 0;
        for (uint64_t i = 0; i < directory.entries; ++i) {
            uint64_t localOffset = 0;
            ZipEntry entry = readDirectoryEntry(bytes, pos, i, localOffset);
            if (!names.insert(entry.name).second)
                fail("not a valid zip archive ('" + entry.name + "' appears twice)");
            locateData(entry, localOffset, directory.offset);
            spans.emplace_back(localOffset, entry.dataOffset + entry.compressedSize);
            m_entries.push_back(std::move(entry));
        }
        // Overlapping entries would let one small file claim the same bytes many times.
        std::sort(spans.begin(), spans.end());
        for (size_t i = 1; i < spans.size(); ++i)
            if (spans[i].first < spans[i - 1].second)
                fail("not a valid zip archive (entries overlap)");
    } catch (const UserError& e) {
        if (std::string(e.what()).empty())
            fail("not a valid zip archive (a record is cut short)");
        throw;
    }
}

// The end record sits in the last 22 bytes plus at most a 64 KiB comment; a zip64 archive keeps
// the real counts in a record that a locator before it points to.
ZipArchive::ZipDirectory ZipArchive::findDirectory(const ZipLimits& limits) const {
    const std::string notZip = "not a zip archive (a torch.save file or checkpoint was expected)";
    if (m_fileSize < kEndOfDirectorySize)
        fail(notZip);
    const size_t tailSize =
        static_cast<size_t>(std::min<uint64_t>(m_fileSize, kEndOfDirectorySize + kMaxCommentSize));
    std::vector<unsigned char> tail(tailSize);
    readAt(m_fileSize - tailSize, tail.data(), tailSize);
    const Fields t(tail.data(), tailSize);
    size_t end = tailSize - kEndOfDirectorySize + 1;
    do {
        --end;
    } while (end > 0 && t.u32(end) != kEndOfDirectory);
    if (t.u32(end) != kEndOfDirectory)
        fail(notZip);

    ZipDirectory directory{t.u16(end + 10), t.u32(end + 12), t.u32(end + 16)};
    if (t.u16(end + 4) != 0 || t.u16(end + 6) != 0)
        fail("multi-disk zip archives are not supported");
    const uint64_t endOffset = m_fileSize - tailSize + end;
    if (directory.entries == 0xffff || directory.size == 0xffffffff ||
        directory.offset == 0xffffffff)
        directory = zip64Directory(endOffset);
    if (directory.entries > limits.maxEntries)
        fail("the zip archive lists " + std::to_string(directory.entries) + " entries (at most " +
             std::to_string(limits.maxEntries) + " are read)");
    if (directory.size > limits.maxCentralDirectoryBytes ||
        !fitsIn(directory.offset, directory.size, endOffset) ||
        directory.size < directory.entries * kDirectoryEntrySize)
        fail("not a valid zip archive (its directory lies outside the file)");
    return directory;
}

ZipArchive::ZipDirectory ZipArchive::zip64Directory(uint64_t endOffset) const {
    if (endOffset < 20)
        fail("not a valid zip archive (zip64 locator missing)");
    unsigned char locator[20];
    readAt(endOffset - 20, locator, sizeof locator);
    const Fields l(locator, sizeof locator);
    if (l.u32(0) != kZip64Locator)
        fail("not a valid zip archive (zip64 locator missing)");
    unsigned char record[56];
    readAt(l.u64(8), record, sizeof record);
    const Fields r(record, sizeof record);
    if (r.u32(0) != kZip64EndOfDirectory)
        fail("not a valid zip archive (zip64 end record missing)");
    return {r.u64(32), r.u64(40), r.u64(48)};
}

// One central directory entry at `pos` (advanced past it); refuses encrypted entries, other
// compression methods and sizes that contradict each other.
ZipEntry ZipArchive::readDirectoryEntry(const std::vector<unsigned char>& directory, size_t& pos,
                                        uint64_t index, uint64_t& localOffset) const {
    const Fields d(directory.data(), directory.size());
    if (d.u32(pos) != kDirectoryEntry)
        fail("not a valid zip archive (damaged directory entry " + std::to_string(index) + ")");
    ZipEntry entry;
    const uint16_t flags = d.u16(pos + 8);
    entry.method = d.u16(pos + 10);
    entry.crc32 = d.u32(pos + 16);
    entry.compressedSize = d.u32(pos + 20);
    entry.uncompressedSize = d.u32(pos + 24);
    const size_t nameLength = d.u16(pos + 28), extraLength = d.u16(pos + 30),
                 commentLength = d.u16(pos + 32);
    localOffset = d.u32(pos + 42);
    const size_t variable = pos + kDirectoryEntrySize;
    if (!fitsIn(variable, nameLength + extraLength + commentLength, directory.size()))
        fail("not a valid zip archive (damaged directory entry " + std::to_string(index) + ")");
    entry.name.assign(reinterpret_cast<const char*>(&directory[variable]), nameLength);
    applyZip64Extra(&directory[variable + nameLength], extraLength, entry, localOffset);
    pos = variable + nameLength + extraLength + commentLength;

    if (flags & 0x41)
        fail("'" + entry.name + "' is encrypted");
    if (entry.method != 0 && entry.method != 8)
        fail("'" + entry.name + "' uses zip compression method " + std::to_string(entry.method) +
             " (only stored and deflated are read)");
    // Deflate cannot expand more than about 1032:1, so a larger claim is a lie.
    if ((entry.method == 0 && entry.compressedSize != entry.uncompressedSize) ||
        (entry.method == 8 && entry.uncompressedSize / 1032 > entry.compressedSize + 1))
        fail("not a valid zip archive ('" + entry.name + "' has inconsistent sizes)");
    return entry;
}

// Where the entry's bytes start, after its local header; they must end before `dataEnd`.
void ZipArchive::locateData(ZipEntry& entry, uint64_t localOffset, uint64_t dataEnd) const {
    unsigned char local[kLocalHeaderSize];
    readAt(localOffset, local, sizeof local);
    const Fields h(local, sizeof local);
    if (h.u32(0) != kLocalHeader)
        fail("not a valid zip archive (damaged header of '" + entry.name + "')");
    entry.dataOffset = localOffset + kLocalHeaderSize + h.u16(26) + h.u16(28);
    if (!fitsIn(entry.dataOffset, entry.compressedSize, dataEnd))
        fail("not a valid zip archive ('" + entry.name + "' extends past the end of the data)");
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
    for (const auto& entry : m_entries)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

void ZipArchive::read(const ZipEntry& entry, void* destination) const {
    if (entry.method == 0) {
        readAt(entry.dataOffset, destination, static_cast<size_t>(entry.uncompressedSize));
    } else {
        std::vector<unsigned char> packed(static_cast<size_t>(entry.compressedSize));
        readAt(entry.dataOffset, packed.data(), packed.size());
        z_stream stream{};
        if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
            fail("cannot decompress '" + entry.name + "'");
        auto* out = static_cast<unsigned char*>(destination);
        uint64_t inLeft = packed.size(), outLeft = entry.uncompressedSize;
        stream.next_in = packed.data();
        int status = Z_OK;
        // zlib counts in 32 bits: feed and drain in chunks.
        while (status == Z_OK) {
            const uInt inChunk = static_cast<uInt>(std::min<uint64_t>(inLeft, 1u << 30));
            const uInt outChunk = static_cast<uInt>(std::min<uint64_t>(outLeft, 1u << 30));
            stream.avail_in = inChunk;
            stream.next_out = out;
            stream.avail_out = outChunk;
            status = inflate(&stream, Z_NO_FLUSH);
            inLeft -= inChunk - stream.avail_in;
            const uint64_t produced = outChunk - stream.avail_out;
            out += produced;
            outLeft -= produced;
            if (status == Z_OK && inChunk == stream.avail_in && produced == 0)
                status = Z_BUF_ERROR; // no progress: more output than declared, or cut short
        }
        inflateEnd(&stream);
        if (status != Z_STREAM_END || outLeft != 0)
            fail("'" + entry.name + "' is damaged (its compressed data do not match its size)");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto* bytes = static_cast<const Bytef*>(destination);
    for (uint64_t done = 0; done < entry.uncompressedSize;) {
        const uInt chunk =
            static_cast<uInt>(std::min<uint64_t>(entry.uncompressedSize - done, 1u << 30));
        crc = crc32(crc, bytes + done, chunk);
        done += chunk;
    }
    if (static_cast<uint32_t>(crc) != entry.crc32)
        fail("'" + entry.name + "' is damaged (CRC-32 mismatch: the bytes were changed)");
}

std::string ZipArchive::readText(const ZipEntry& entry, uint64_t maxBytes) const {
    if (entry.uncompressedSize > maxBytes)
        fail("'" + entry.name + "' holds " + std::to_string(entry.uncompressedSize) +
             " bytes (at most " + std::to_string(maxBytes) + " are read)");
    std::string text(static_cast<size_t>(entry.uncompressedSize), '\0');
    read(entry, text.data());
    return text;
}

} // namespace swav
