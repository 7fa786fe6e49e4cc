#include "data/ImageHeader.h"

#include <cstdlib>
#include <cstring>

namespace swav {

namespace {

class Reader {
public:
    Reader(const uint8_t* bytes, size_t size)
        : m_bytes(bytes)
        , m_size(size) {}
    bool has(size_t at, size_t count) const { return at <= m_size && count <= m_size - at; }
    bool matches(size_t at, const char* text, size_t count) const {
        return has(at, count) && std::memcmp(m_bytes + at, text, count) == 0;
    }
    uint32_t be(size_t at, int count) const {
        uint32_t value = 0;
        for (int i = 0; i < count; ++i)
            value = (value << 8) | m_bytes[at + static_cast<size_t>(i)];
        return value;
    }
    uint32_t le(size_t at, int count) const {
        uint32_t value = 0;
        for (int i = count - 1; i >= 0; --i)
            value = (value << 8) | m_bytes[at + static_cast<size_t>(i)];
        return value;
    }
    uint8_t at(size_t i) const { return m_bytes[i]; }
    size_t size() const { return m_size; }

private:
    const uint8_t* m_bytes;
    size_t m_size;
};

bool accept(uint64_t h, uint64_t w, int& height, int& width) {
    if (h == 0 || w == 0 || h > (1u << 30) || w > (1u << 30))
        return false;
    height = static_cast<int>(h), width = static_cast<int>(w);
    return true;
}

bool jpegSize(const Reader& r, int& height, int& width) {
    size_t at = 2;
    while (r.has(at, 2)) {
        // libjpeg's next_marker: skip to a 0xFF, then past fill bytes, to a non-zero marker.
        if (r.at(at) != 0xff || r.at(at + 1) == 0x00 || r.at(at + 1) == 0xff) {
            ++at;
            continue;
        }
        const uint8_t marker = r.at(at + 1);
        at += 2;
        if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01)
            continue; // no length
        if (marker == 0xd9 || marker == 0xda || !r.has(at, 2))
            return false; // end of image or scan data before any frame
        const size_t length = r.be(at, 2);
        const bool frame =
            marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (frame)
            return r.has(at, 7) && accept(r.be(at + 3, 2), r.be(at + 5, 2), height, width);
        if (length < 2)
            return false;
        at += length;
    }
    return false;
}

bool pngSize(const Reader& r, int& height, int& width) {
    return r.matches(12, "IHDR", 4) && r.has(16, 8) &&
           accept(r.be(20, 4), r.be(16, 4), height, width);
}

bool bmpSize(const Reader& r, int& height, int& width) {
    if (!r.has(14, 4))
        return false;
    const uint32_t header = r.le(14, 4);
    if (header == 12) // OS/2 core header: 16-bit sizes
        return r.has(18, 4) && accept(r.le(20, 2), r.le(18, 2), height, width);
    if (header < 40 || !r.has(18, 8))
        return false;
    const auto w = static_cast<int32_t>(r.le(18, 4));
    const auto h = static_cast<int32_t>(r.le(22, 4)); // negative: stored top-down
    if (w <= 0 || h == INT32_MIN)
        return false;
    return accept(static_cast<uint64_t>(std::abs(h)), static_cast<uint64_t>(w), height, width);
}

bool webpSize(const Reader& r, int& height, int& width) {
    if (r.matches(12, "VP8X", 4))
        return r.has(24, 6) && accept(r.le(27, 3) + 1u, r.le(24, 3) + 1u, height, width);
    if (r.matches(12, "VP8L", 4)) {
        if (!r.has(20, 5) || r.at(20) != 0x2f)
            return false;
        const uint32_t bits = r.le(21, 4);
        return accept(((bits >> 14) & 0x3fff) + 1u, (bits & 0x3fff) + 1u, height, width);
    }
    if (r.matches(12, "VP8 ", 4))
        return r.has(23, 7) && r.at(23) == 0x9d && r.at(24) == 0x01 && r.at(25) == 0x2a &&
               accept(r.le(28, 2) & 0x3fff, r.le(26, 2) & 0x3fff, height, width);
    return false;
}

bool tiffSize(const Reader& r, int& height, int& width) {
    const bool little = r.matches(0, "II", 2);
    auto read = [&](size_t at, int count) { return little ? r.le(at, count) : r.be(at, count); };
    if (!r.has(4, 4))
        return false;
    const size_t ifd = read(4, 4);
    if (!r.has(ifd, 2))
        return false;
    const size_t entries = read(ifd, 2);
    uint64_t w = 0, h = 0;
    for (size_t i = 0; i < entries; ++i) {
        const size_t entry = ifd + 2 + 12 * i;
        if (!r.has(entry, 12))
            return false;
        const uint32_t tag = read(entry, 2), type = read(entry + 2, 2);
        if (tag != 256 && tag != 257)
            continue;
        // SHORT (3) or LONG (4), one value, stored in the entry itself.
        const uint64_t value = type == 3 ? read(entry + 8, 2) : type == 4 ? read(entry + 8, 4) : 0;
        (tag == 256 ? w : h) = value;
    }
    return accept(h, w, height, width);
}

} // namespace

bool encodedImageSize(const uint8_t* bytes, size_t size, int& height, int& width) {
    const Reader r(bytes, size);
    if (r.matches(0, "\xff\xd8", 2))
        return jpegSize(r, height, width);
    if (r.matches(0, "\x89PNG\r\n\x1a\n", 8))
        return pngSize(r, height, width);
    if (r.matches(0, "BM", 2))
        return bmpSize(r, height, width);
    if (r.matches(0, "RIFF", 4) && r.matches(8, "WEBP", 4))
        return webpSize(r, height, width);
    if (r.matches(0, "II*\0", 4) || r.matches(0, "MM\0*", 4))
        return tiffSize(r, height, width);
    return false;
}

} // namespace swav
