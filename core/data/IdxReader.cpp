// IDX files (MNIST, Fashion-MNIST): big-endian header, then raw uint8 data. zlib reads both
// gzipped and plain files, so one code path serves both.
#include "data/DataFiles.h"
#include "data/Dataset.h"

#include <ATen/ATen.h>
#include <zlib.h>

#include <cstring>
#include <memory>

namespace swav {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

struct GzCloser {
    void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

GzHandle openGz(const std::string& path, const std::string& expected) {
    if (!data::isFile(path))
        throw UserError(path + ": file not found (expected " + expected + ")");
    GzHandle file(gzopen(path.c_str(), "rb"));
    if (!file)
        throw UserError(path + ": cannot open the file (expected " + expected + ")");
    gzbuffer(file.get(), 1 << 17);
    return file;
}

/// Reads up to `size` bytes; returns how many arrived. Corrupt compressed data is an error.
int64_t readUpTo(gzFile file, const std::string& path, void* dest, int64_t size) {
    auto* out = static_cast<unsigned char*>(dest);
    int64_t total = 0;
    while (total < size) {
        const auto chunk = static_cast<unsigned>(std::min<int64_t>(size - total, 1 << 30));
        const int got = gzread(file, out + total, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file, &code);
            throw UserError(path + ": corrupt compressed data (" + message + ")");
        }
        if (got == 0)
            break;
        total += got;
    }
    return total;
}

uint32_t bigEndian32(const unsigned char* bytes) {
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) |
           uint32_t(bytes[3]);
}

/// Reads the magic number and `dims` dimensions; returns the dimensions.
std::vector<int64_t> readHeader(gzFile file, const std::string& path, uint32_t magic,
                                const std::string& what, int dims) {
    unsigned char header[16];
    const int64_t headerSize = 4 * (1 + dims);
    const int64_t got = readUpTo(file, path, header, headerSize);
    if (got < 4)
        throw UserError(path + ": file too short for an IDX header (expected magic " +
                        data::hex32(magic) + " (" + what + "))");
    const uint32_t found = bigEndian32(header);
    if (found != magic)
        throw UserError(path + ": expected magic " + data::hex32(magic) + " (" + what + "), got " +
                        data::hex32(found));
    if (got < headerSize)
        throw UserError(path + ": truncated IDX header (expected " + std::to_string(headerSize) +
                        " bytes, got " + std::to_string(got) + ")");
    std::vector<int64_t> sizes;
    for (int i = 0; i < dims; ++i)
        sizes.push_back(bigEndian32(header + 4 * (i + 1)));
    return sizes;
}

/// Reads exactly `size` bytes of payload. Grows the buffer as data arrives, so a corrupt header
/// claiming terabytes fails with "truncated" instead of a huge allocation.
std::vector<uint8_t> readPayload(gzFile file, const std::string& path, int64_t size,
                                 const std::string& what) {
    std::vector<uint8_t> bytes;
    constexpr int64_t kChunk = int64_t(1) << 24;
    while (static_cast<int64_t>(bytes.size()) < size) {
        const int64_t before = static_cast<int64_t>(bytes.size());
        const int64_t want = std::min(kChunk, size - before);
        bytes.resize(static_cast<size_t>(before + want));
        const int64_t got = readUpTo(file, path, bytes.data() + before, want);
        bytes.resize(static_cast<size_t>(before + got));
        if (got < want)
            break;
    }
    if (static_cast<int64_t>(bytes.size()) != size)
        throw UserError(path + ": truncated file: expected " + std::to_string(size) + " bytes of " +
                        what + ", got " + std::to_string(bytes.size()));
    return bytes;
}

std::string findIdxFile(const std::string& folder, const std::string& stem) {
    // Official names, the .gz variants, and the dotted spelling some mirrors use.
    std::string dotted = stem; // train-images.idx3-ubyte
    dotted[dotted.find("-idx")] = '.';
    for (const auto& name : {stem + ".gz", stem, dotted + ".gz", dotted}) {
        const std::string path = folder + "/" + name;
        if (data::isFile(path))
            return path;
    }
    throw UserError(folder + ": no " + stem + "[.gz] found (expected the IDX files " +
                    "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, " +
                    "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz)");
}

} // namespace

at::Tensor readIdxImages(const std::string& path) {
    const std::string what = "IDX images";
    auto file = openGz(path, what);
    const auto dims = readHeader(file.get(), path, kImagesMagic, what, 3);
    const int64_t count = dims[0], rows = dims[1], cols = dims[2];
    if (count == 0)
        throw UserError(path + ": holds no images (its header counts 0)");
    // The bound also keeps count * rows * cols far from int64 overflow.
    if (rows == 0 || cols == 0 || rows > 32768 || cols > 32768)
        throw UserError(path + ": image size " + std::to_string(rows) + "x" + std::to_string(cols) +
                        " in the IDX header (expected 1..32768 pixels)");
    data::requireMemory(path, 2 * uint64_t(count * rows * cols),
                        "the " + std::to_string(count) + " images of " + std::to_string(rows) +
                            "x" + std::to_string(cols) + " its header declares");
    const auto bytes = readPayload(file.get(), path, count * rows * cols, "pixel data");
    at::Tensor images = at::empty({count, 1, rows, cols}, at::kByte);
    if (!bytes.empty())
        std::memcpy(images.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    return images;
}

at::Tensor readIdxLabels(const std::string& path) {
    const std::string what = "IDX labels";
    auto file = openGz(path, what);
    const auto dims = readHeader(file.get(), path, kLabelsMagic, what, 1);
    data::requireMemory(path, 9 * uint64_t(dims[0]),
                        "the " + std::to_string(dims[0]) + " labels its header declares");
    const auto bytes = readPayload(file.get(), path, dims[0], "label data");
    at::Tensor labels = at::empty({dims[0]}, at::kLong);
    auto* out = labels.data_ptr<int64_t>();
    for (size_t i = 0; i < bytes.size(); ++i)
        out[i] = bytes[i];
    return labels;
}

std::shared_ptr<InMemoryDataset> readMnistLike(const std::string& folder, bool train,
                                               const std::string& name,
                                               std::vector<std::string> classNames) {
    data::requireFolder(folder, name);
    const std::string prefix = train ? "train" : "t10k";
    const std::string imagesPath = findIdxFile(folder, prefix + "-images-idx3-ubyte");
    const std::string labelsPath = findIdxFile(folder, prefix + "-labels-idx1-ubyte");
    at::Tensor images = readIdxImages(imagesPath);
    at::Tensor labels = readIdxLabels(labelsPath);
    if (images.size(0) != labels.size(0))
        throw UserError(imagesPath + " has " + std::to_string(images.size(0)) + " images but " +
                        labelsPath + " has " + std::to_string(labels.size(0)) +
                        " labels (expected the same count)");
    if (!classNames.empty() && labels.numel() > 0) {
        const int64_t top = labels.max().item<int64_t>();
        if (top >= static_cast<int64_t>(classNames.size()))
            throw UserError(labelsPath + ": label " + std::to_string(top) +
                            " out of range (expected 0.." + std::to_string(classNames.size() - 1) +
                            ")");
    }
    return std::make_shared<InMemoryDataset>(std::move(images), std::move(labels),
                                             std::move(classNames),
                                             name + (train ? " train, " : " test, ") + folder);
}

} // namespace swav
