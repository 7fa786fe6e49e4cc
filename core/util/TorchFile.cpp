#include "util/TorchFile.h"

#include "util/Expected.h"
#include "util/LegacyTorchFile.h"
#include "util/ReadOnlyFile.h"
#include "util/Strings.h"
#include "util/SystemMemory.h"
#include "util/ZipArchive.h"

#include <ATen/ATen.h>

namespace swav {

at::ScalarType storageScalarType(const std::string& dtype) {
    static const std::map<std::string, at::ScalarType> types{{"float32", at::kFloat},
                                                             {"float64", at::kDouble},
                                                             {"float16", at::kHalf},
                                                             {"bfloat16", at::kBFloat16},
                                                             {"int64", at::kLong},
                                                             {"int32", at::kInt},
                                                             {"int16", at::kShort},
                                                             {"int8", at::kChar},
                                                             {"uint8", at::kByte},
                                                             {"bool", at::kBool},
                                                             {"complex64", at::kComplexFloat},
                                                             {"complex128", at::kComplexDouble}};
    return types.at(dtype);
}

void checkTensorBudget(const std::string& path, uint64_t bytes, const TorchFileLimits& limits) {
    const uint64_t budget = limits.maxTensorBytes ? limits.maxTensorBytes : loadBudgetBytes();
    if (bytes > budget)
        throw UserError(path + ": its tensors need " + formatBytes(bytes) +
                        " of memory, more than the " + formatBytes(budget) + " allowed here");
}

namespace {

// PyTorch names every record "<archive>/<name>", the archive being the first entry's folder.
std::string archivePrefix(const ZipArchive& zip) {
    if (zip.entries().empty())
        throw UserError(zip.path() + ": an empty zip archive, not a torch.save file");
    const std::string& first = zip.entries().front().name;
    const auto slash = first.find('/');
    if (slash == std::string::npos)
        throw UserError(zip.path() + ": not a torch.save archive (no archive folder)");
    return first.substr(0, slash + 1);
}

const ZipEntry& record(const ZipArchive& zip, const std::string& prefix, const std::string& name,
                       const std::string& what) {
    const ZipEntry* entry = zip.find(prefix + name);
    if (!entry)
        throw UserError(zip.path() + ": not a torch.save archive (" + what + " '" + name +
                        "' is missing)");
    return *entry;
}

std::vector<at::Tensor> readStorages(const ZipArchive& zip, const std::string& prefix,
                                     const pickle::Document& document,
                                     const TorchFileLimits& limits) {
    // Check every record before allocating anything.
    std::vector<const ZipEntry*> entries;
    uint64_t total = 0;
    for (const auto& storage : document.storages) {
        const ZipEntry& entry = record(zip, prefix, "data/" + storage.key, "tensor data");
        const uint64_t bytes = uint64_t(storage.numel) * storage.elementSize;
        if (entry.uncompressedSize != bytes)
            throw UserError(zip.path() + ": tensor data 'data/" + storage.key + "' holds " +
                            std::to_string(entry.uncompressedSize) + " bytes but its " +
                            storage.dtype + " storage declares " + std::to_string(bytes));
        total += bytes;
        entries.push_back(&entry);
    }
    checkTensorBudget(zip.path(), total, limits);
    std::vector<at::Tensor> storages;
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto& storage = document.storages[i];
        auto tensor =
            at::empty({storage.numel}, at::TensorOptions().dtype(storageScalarType(storage.dtype)));
        if (storage.numel > 0)
            zip.read(*entries[i], tensor.data_ptr());
        storages.push_back(std::move(tensor));
    }
    return storages;
}

TorchFileParts readZipTorchFile(const std::string& path, const TorchFileLimits& limits) {
    const ZipArchive zip(path);
    const std::string prefix = archivePrefix(zip);
    if (const ZipEntry* order = zip.find(prefix + "byteorder");
        order && zip.readText(*order, 16) != "little")
        throw UserError(path + ": tensors saved on a big-endian machine cannot be read here");

    const std::string bytes =
        zip.readText(record(zip, prefix, "data.pkl", "record"), limits.maxPickleBytes);
    TorchFileParts parts;
    try {
        parts.document = pickle::parse(bytes, limits.pickle);
    } catch (const pickle::PickleError& e) {
        throw UserError(path + ": " + e.what());
    }
    parts.storages = readStorages(zip, prefix, parts.document, limits);
    return parts;
}

// Zip archives start with a local file header; the legacy format with a pickled magic number.
TorchFileParts readTorchFileParts(const std::string& path, const TorchFileLimits& limits) {
    std::string head(32, '\0');
    {
        const ReadOnlyFile file(path);
        head.resize(static_cast<size_t>(std::min<uint64_t>(file.size(), head.size())));
        file.readAt(0, head.data(), head.size(), "cannot read its beginning");
        if (startsLegacyTorchFile(head))
            return readLegacyTorchFile(file, limits);
    }
    if (head.compare(0, 4, std::string("PK\x03\x04", 4)) == 0)
        return readZipTorchFile(path, limits);
    if (!head.empty() && static_cast<uint8_t>(head[0]) == 0x80)
        throw UserError(path + ": a Python pickle, not a torch.save file (no torch.save magic "
                               "number)");
    throw UserError(path + ": not a torch.save file (not a zip archive, nor torch.save's format "
                           "before PyTorch 1.6)");
}

} // namespace

const at::Tensor& TorchFile::tensor(const pickle::Value& value) const {
    return tensors.at(static_cast<size_t>(value.integer));
}

TorchFile readTorchFile(const std::string& path, const TorchFileLimits& limits) {
    TorchFileParts parts = readTorchFileParts(path, limits);
    TorchFile file;
    file.root = std::move(parts.document.root);
    for (const auto& ref : parts.document.tensors) {
        const auto& storage = parts.storages[static_cast<size_t>(ref.storage)];
        // The geometry was checked against the storage while parsing.
        auto tensor = at::empty({0}, storage.options());
        tensor.set_(storage.storage(), ref.offset, ref.sizes, ref.strides);
        file.tensors.push_back(std::move(tensor));
    }
    return file;
}

std::map<std::string, at::Tensor> tensorsOf(const TorchFile& file, const pickle::Value& dict) {
    std::map<std::string, at::Tensor> out;
    if (dict.kind != pickle::Kind::Dict)
        return out;
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2)
        if (dict.items[i]->isString() && dict.items[i + 1]->kind == pickle::Kind::Tensor)
            out[dict.items[i]->text] = file.tensor(*dict.items[i + 1]);
    return out;
}

} // namespace swav
