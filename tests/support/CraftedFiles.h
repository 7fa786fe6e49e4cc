#pragma once
// Hand-made torch.save archives for tests of the readers: a stored-entry zip writer and a pickle
// byte builder, so that each test crafts exactly the malformed file it guards against.

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace swav::test {

inline uint32_t crc32Of(const std::string& bytes) {
    uint32_t crc = 0xffffffffu;
    for (const unsigned char byte : bytes) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/// A zip archive of stored entries, written the way PyTorch lays them out.
class ZipWriter {
public:
    void add(const std::string& name, const std::string& data) {
        m_entries.emplace_back(name, data);
    }

    std::string bytes() const {
        std::string out, directory;
        for (const auto& [name, data] : m_entries) {
            const uint32_t offset = static_cast<uint32_t>(out.size());
            const uint32_t crc = crc32Of(data);
            out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4) +
                   le(data.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + name +
                   data;
            directory += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) +
                         le(0, 4) + le(crc, 4) + le(data.size(), 4) + le(data.size(), 4) +
                         le(name.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
                         le(offset, 4) + name;
        }
        const uint32_t directoryOffset = static_cast<uint32_t>(out.size());
        out += directory;
        out += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(m_entries.size(), 2) +
               le(m_entries.size(), 2) + le(directory.size(), 4) + le(directoryOffset, 4) +
               le(0, 2);
        return out;
    }

    void write(const std::string& path) const { std::ofstream(path, std::ios::binary) << bytes(); }

    static std::string le(uint64_t value, int bytes) {
        std::string out;
        for (int i = 0; i < bytes; ++i)
            out += static_cast<char>((value >> (8 * i)) & 0xff);
        return out;
    }

private:
    std::vector<std::pair<std::string, std::string>> m_entries;
};

/// Pickle opcodes as text, for building data.pkl bodies by hand.
namespace pk {
inline std::string proto() {
    return "\x80\x02";
}
inline std::string str(const std::string& s) {
    return "X" + ZipWriter::le(s.size(), 4) + s;
}
inline std::string integer(int64_t v) {
    return "\x8a\x08" + ZipWriter::le(uint64_t(v), 8);
}
inline std::string global(const std::string& module, const std::string& name) {
    return "c" + module + "\n" + name + "\n";
}
inline std::string tuple(const std::vector<std::string>& items) {
    std::string out = "(";
    for (const auto& item : items)
        out += item;
    return out + "t";
}
/// torch._utils._rebuild_tensor_v2 of float storage `key` with `numel` elements.
inline std::string tensor(const std::string& key, int64_t numel, int64_t offset,
                          const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
    std::vector<std::string> size, stride;
    for (auto s : sizes)
        size.push_back(integer(s));
    for (auto s : strides)
        stride.push_back(integer(s));
    const std::string storage = tuple({str("storage"), global("torch", "FloatStorage"), str(key),
                                       str("cpu"), integer(numel)}) +
                                "Q";
    return global("torch._utils", "_rebuild_tensor_v2") +
           tuple({storage, integer(offset), tuple(size), tuple(stride), "\x89",
                  global("collections", "OrderedDict") + ")R"}) +
           "R";
}
/// {key: value, ...} then STOP.
inline std::string dict(const std::vector<std::pair<std::string, std::string>>& items) {
    std::string out = "}(";
    for (const auto& [key, value] : items)
        out += str(key) + value;
    return out + "u";
}
} // namespace pk

/// A torch.save-style archive with `pickle` as data.pkl and float storages by key.
inline void writeTorchArchive(const std::string& path, const std::string& pickle,
                              const std::vector<std::pair<std::string, std::string>>& storages) {
    ZipWriter zip;
    zip.add("archive/data.pkl", pickle);
    for (const auto& [key, data] : storages)
        zip.add("archive/data/" + key, data);
    zip.add("archive/version", "3\n");
    zip.write(path);
}

/// The pickles that open torch.save's format before PyTorch 1.6: the magic number, the format
/// version 1001 and the writer's system information (little-endian).
inline std::string legacyTorchHeader() {
    return std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15) +
           "\x80\x02M\xe9\x03." + pk::proto() + "}(" + pk::str("protocol_version") + "M\xe9\x03" +
           pk::str("little_endian") + "\x88" + pk::str("type_sizes") + "}u.";
}

/// The same content in torch.save's format before PyTorch 1.6: the header, `pickle`, the list
/// of storage keys, then each float storage as its element count and its bytes.
inline void writeLegacyTorchFile(const std::string& path, const std::string& pickle,
                                 const std::vector<std::pair<std::string, std::string>>& storages) {
    std::string keys = pk::proto() + "](";
    std::string data;
    for (const auto& [key, bytes] : storages) {
        keys += pk::str(key);
        data += ZipWriter::le(bytes.size() / 4, 8) + bytes;
    }
    std::ofstream(path, std::ios::binary) << legacyTorchHeader() + pickle + keys + "e." + data;
}

enum class TorchFormat { Zip, Legacy };

/// A torch.save file in either format.
inline void writeTorchFile(TorchFormat format, const std::string& path, const std::string& pickle,
                           const std::vector<std::pair<std::string, std::string>>& storages) {
    if (format == TorchFormat::Zip)
        writeTorchArchive(path, pickle, storages);
    else
        writeLegacyTorchFile(path, pickle, storages);
}

inline std::string floats(const std::vector<float>& values) {
    return std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4);
}

} // namespace swav::test
