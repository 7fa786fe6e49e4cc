// STL-10 binary version: 96x96x3 images, each channel stored column-major (MATLAB order), so
// height and width are swapped while copying. Labels 1..10 on disk.
#include "data/DataFiles.h"
#include "data/Dataset.h"

#include <ATen/ATen.h>

namespace swav {
namespace {

constexpr int64_t kSide = 96;
constexpr int64_t kImageBytes = 3 * kSide * kSide;
constexpr int64_t kChunkImages = 512; // bounded read buffer: unlabeled_X.bin is 2.7 GB

const std::vector<std::string>& stl10Names() {
    static const std::vector<std::string> names = {"airplane", "bird",  "car",    "cat",  "deer",
                                                   "dog",      "horse", "monkey", "ship", "truck"};
    return names;
}

std::string resolveFolder(const std::string& folder) {
    data::requireFolder(folder, "stl10");
    if (data::isFile(folder + "/test_X.bin") || !data::isFolder(folder + "/stl10_binary"))
        return folder;
    return folder + "/stl10_binary";
}

at::Tensor readImages(const std::string& path) {
    if (!data::isFile(path))
        throw UserError(path + ": file not found (expected the STL-10 binary version)");
    const int64_t bytes = data::fileSize(path);
    if (bytes == 0 || bytes % kImageBytes != 0)
        throw UserError(path + ": size " + std::to_string(bytes) +
                        " bytes is not a multiple of the record size " +
                        std::to_string(kImageBytes) + " (96x96x3 STL-10 images)");
    const int64_t count = bytes / kImageBytes;
    data::requireMemory(path, uint64_t(bytes), "the STL-10 images");
    at::Tensor images = at::empty({count, 3, kSide, kSide}, at::kByte);
    auto* out = images.data_ptr<uint8_t>();
    std::vector<uint8_t> buffer(static_cast<size_t>(std::min(count, kChunkImages) * kImageBytes));
    for (int64_t first = 0; first < count; first += kChunkImages) {
        const int64_t n = std::min(kChunkImages, count - first);
        data::readBytes(path, first * kImageBytes, n * kImageBytes, buffer.data());
        for (int64_t i = 0; i < n; ++i)
            for (int64_t c = 0; c < 3; ++c) {
                const uint8_t* src = buffer.data() + i * kImageBytes + c * kSide * kSide;
                uint8_t* dst = out + (first + i) * kImageBytes + c * kSide * kSide;
                for (int64_t x = 0; x < kSide; ++x)
                    for (int64_t y = 0; y < kSide; ++y)
                        dst[y * kSide + x] = src[x * kSide + y];
            }
    }
    return images;
}

at::Tensor readLabels(const std::string& path, int64_t expected, const std::string& imagesPath) {
    if (!data::isFile(path))
        throw UserError(path + ": file not found (expected the STL-10 binary version)");
    const int64_t count = data::fileSize(path);
    if (count != expected)
        throw UserError(imagesPath + " has " + std::to_string(expected) + " images but " + path +
                        " has " + std::to_string(count) + " labels (expected the same count)");
    std::vector<uint8_t> bytes(static_cast<size_t>(count));
    data::readBytes(path, 0, count, bytes.data());
    at::Tensor labels = at::empty({count}, at::kLong);
    auto* out = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
        if (bytes[i] < 1 || bytes[i] > 10)
            throw UserError(path + ": label " + std::to_string(bytes[i]) + " at position " +
                            std::to_string(i) + " (expected 1..10)");
        out[i] = bytes[i] - 1;
    }
    return labels;
}

} // namespace

std::shared_ptr<InMemoryDataset> readStl10(const std::string& folder, const std::string& split) {
    if (split != "train" && split != "test" && split != "unlabeled")
        throw UserError("stl10: split '" + split + "' (expected train, test or unlabeled)");
    const std::string root = resolveFolder(folder);
    const std::string imagesPath = root + "/" + split + "_X.bin";
    at::Tensor images = readImages(imagesPath);
    const std::string description = "stl10 " + split + ", " + root;
    // The unlabeled split has no labels at all (undefined tensor, no class names).
    if (split == "unlabeled")
        return std::make_shared<InMemoryDataset>(std::move(images), at::Tensor(),
                                                 std::vector<std::string>(), description);
    at::Tensor labels = readLabels(root + "/" + split + "_y.bin", images.size(0), imagesPath);
    std::vector<std::string> names = data::readNameList(root + "/class_names.txt");
    if (names.size() != 10)
        names = stl10Names();
    return std::make_shared<InMemoryDataset>(std::move(images), std::move(labels), std::move(names),
                                             description);
}

} // namespace swav
