#include "util/LegacyTorchFile.h"

#include "util/Expected.h"
#include "util/ReadOnlyFile.h"
#include "util/Strings.h"

#include <ATen/ATen.h>

#include <cstring>
#include <limits>
#include <map>
#include <set>

namespace swav {

namespace {

// 0x1950a86a20f9469cfc6c, the number torch.save pickled first, as LONG1's little-endian bytes.
constexpr char kMagic[] = "\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
constexpr size_t kMagicSize = sizeof kMagic - 1;
constexpr int64_t kFormatVersion = 1001;

// The offset just past the magic number's pickle, or 0 when `head` does not start with it.
size_t magicEnd(std::string_view head) {
    if (head.size() < 2 || static_cast<uint8_t>(head[0]) != 0x80 ||
        static_cast<uint8_t>(head[1]) < 2 || static_cast<uint8_t>(head[1]) > 5)
        return 0;
    size_t pos = 2;
    if (head.size() > pos && static_cast<uint8_t>(head[pos]) == 0x95) // FRAME, protocol 4+
        pos += 9;
    if (head.size() < pos + kMagicSize || head.compare(pos, kMagicSize, kMagic, kMagicSize) != 0)
        return 0;
    return pos + kMagicSize;
}

// The pickles before the storages, read one after another from the file's first bytes.
class Pickles {
public:
    Pickles(const ReadOnlyFile& file, std::string head, size_t start)
        : m_file(file)
        , m_head(std::move(head))
        , m_pos(start) {}

    pickle::Document next(const char* what, const pickle::PickleLimits& limits) {
        try {
            size_t used = 0;
            auto document = pickle::parse(std::string_view(m_head).substr(m_pos), limits, &used);
            m_pos += used;
            return document;
        } catch (const pickle::PickleError& e) {
            std::string message = m_file.path() + ": " + what + ": " + e.what();
            if (m_head.size() < m_file.size() && std::strstr(e.what(), "truncated"))
                message +=
                    " (only the first " + formatBytes(m_head.size()) + " are read as pickle)";
            throw UserError(message);
        }
    }
    /// Where the storages start once every pickle is read.
    uint64_t position() const { return m_pos; }

private:
    const ReadOnlyFile& m_file;
    std::string m_head;
    size_t m_pos;
};

void checkHeader(const ReadOnlyFile& file, Pickles& pickles) {
    const pickle::PickleLimits small{8, 1000, 4000, 0};
    const auto version = pickles.next("format version", small);
    if (version.root->kind != pickle::Kind::Int || version.root->integer != kFormatVersion)
        throw UserError(file.path() + ": torch.save's legacy format, version " +
                        (version.root->kind == pickle::Kind::Int
                             ? std::to_string(version.root->integer)
                             : std::string("unreadable")) +
                        " (expected " + std::to_string(kFormatVersion) + ")");
    const auto system = pickles.next("system information", small);
    const pickle::Value* littleEndian = system.root->find("little_endian");
    if (!littleEndian || littleEndian->kind != pickle::Kind::Bool)
        throw UserError(file.path() + ": torch.save's legacy format without its byte order");
    if (!littleEndian->boolean)
        throw UserError(file.path() +
                        ": tensors saved on a big-endian machine cannot be read here");
}

std::vector<std::string> storageKeys(const ReadOnlyFile& file, const pickle::Document& keys) {
    if (keys.root->kind != pickle::Kind::List)
        throw UserError(file.path() + ": the list of storage keys is not a list");
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& key : keys.root->items) {
        if (!key->isString())
            throw UserError(file.path() + ": a storage key is not a string");
        if (!seen.insert(key->text).second)
            throw UserError(file.path() + ": storage '" + key->text + "' is listed twice");
        out.push_back(key->text);
    }
    return out;
}

struct StorageRecord {
    size_t storage = 0;  // index into the document's storages
    uint64_t offset = 0; // of its bytes in the file
};

// Where each storage's bytes lie, checked against the pickle and the file's size.
std::vector<StorageRecord> locateStorages(const ReadOnlyFile& file,
                                          const pickle::Document& document,
                                          const std::vector<std::string>& keys, uint64_t start) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < document.storages.size(); ++i)
        index[document.storages[i].key] = i;
    std::vector<StorageRecord> records;
    uint64_t offset = start;
    for (const auto& key : keys) {
        const auto found = index.find(key);
        if (found == index.end())
            throw UserError(file.path() + ": storage '" + key +
                            "' is listed but no tensor of the pickle uses it");
        const auto& storage = document.storages[found->second];
        unsigned char count[8];
        file.readAt(offset, count, sizeof count,
                    "tensor data '" + key + "' is missing (the file ends at byte " +
                        std::to_string(file.size()) + ")");
        uint64_t elements = 0;
        for (int i = 7; i >= 0; --i)
            elements = (elements << 8) | count[i];
        const uint64_t declared = uint64_t(storage.numel) * storage.elementSize;
        if (elements > std::numeric_limits<uint64_t>::max() / storage.elementSize)
            throw UserError(file.path() + ": tensor data '" + key + "' claims " +
                            std::to_string(elements) + " elements, more than any file holds");
        if (elements * storage.elementSize != declared)
            throw UserError(file.path() + ": tensor data '" + key + "' holds " +
                            std::to_string(elements * storage.elementSize) + " bytes but its " +
                            storage.dtype + " storage declares " + std::to_string(declared));
        offset += sizeof count;
        if (!file.holds(offset, declared))
            throw UserError(file.path() + ": tensor data '" + key + "' is cut short (" +
                            std::to_string(declared) + " bytes from byte " +
                            std::to_string(offset) + " of a " + std::to_string(file.size()) +
                            "-byte file)");
        records.push_back({found->second, offset});
        offset += declared;
        index.erase(found);
    }
    if (!index.empty())
        throw UserError(file.path() + ": tensor data '" + index.begin()->first + "' is missing");
    return records;
}

} // namespace

bool startsLegacyTorchFile(std::string_view head) {
    return magicEnd(head) != 0;
}

TorchFileParts readLegacyTorchFile(const ReadOnlyFile& file, const TorchFileLimits& limits) {
    std::string head(static_cast<size_t>(std::min(file.size(), limits.maxPickleBytes)), '\0');
    file.readAt(0, head.data(), head.size(), "cannot read its beginning");
    const size_t start = magicEnd(head);
    if (start == 0)
        throw UserError(file.path() + ": not torch.save's format before PyTorch 1.6");
    Pickles pickles(file, std::move(head), start);
    checkHeader(file, pickles);

    TorchFileParts parts;
    parts.document = pickles.next("saved object", limits.pickle);
    const auto keys = storageKeys(file, pickles.next("storage keys", limits.pickle));
    const auto records = locateStorages(file, parts.document, keys, pickles.position());

    uint64_t total = 0;
    for (const auto& storage : parts.document.storages)
        total += uint64_t(storage.numel) * storage.elementSize;
    checkTensorBudget(file.path(), total, limits);

    parts.storages.resize(parts.document.storages.size());
    for (const auto& record : records) {
        const auto& storage = parts.document.storages[record.storage];
        auto tensor =
            at::empty({storage.numel}, at::TensorOptions().dtype(storageScalarType(storage.dtype)));
        if (storage.numel > 0)
            file.readAt(record.offset, tensor.data_ptr(),
                        static_cast<size_t>(storage.numel) * storage.elementSize,
                        "tensor data '" + storage.key + "' is cut short");
        parts.storages[record.storage] = std::move(tensor);
    }
    return parts;
}

} // namespace swav
