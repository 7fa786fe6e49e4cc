// CIFAR-10 / CIFAR-100 binary version: fixed-size records of label byte(s) + 3x32x32 pixels
// stored as R, G, B planes, which is already the [C, H, W] layout.
#include "data/DataFiles.h"
#include "data/Dataset.h"

#include <ATen/ATen.h>

#include <cstring>

namespace swav {
namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

const std::vector<std::string>& cifar10Names() {
    static const std::vector<std::string> names = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    return names;
}

/// The folder itself when it holds the batches, else its "cifar-10-batches-bin" (or
/// "cifar-100-binary") child, as the official archives unpack.
std::string resolveFolder(const std::string& folder, bool cifar100) {
    const std::string name = cifar100 ? "cifar100" : "cifar10";
    data::requireFolder(folder, name);
    const std::string probe = cifar100 ? "train.bin" : "test_batch.bin";
    const std::string child = cifar100 ? "cifar-100-binary" : "cifar-10-batches-bin";
    if (data::isFile(folder + "/" + probe) || !data::isFolder(folder + "/" + child))
        return folder;
    return folder + "/" + child;
}

} // namespace

std::shared_ptr<InMemoryDataset> readCifar(const std::string& folder, bool cifar100, bool train) {
    const std::string root = resolveFolder(folder, cifar100);
    std::vector<std::string> files;
    if (cifar100)
        files.push_back(train ? "train.bin" : "test.bin");
    else if (train)
        for (int i = 1; i <= 5; ++i)
            files.push_back("data_batch_" + std::to_string(i) + ".bin");
    else
        files.push_back("test_batch.bin");

    const int64_t labelBytes = cifar100 ? 2 : 1;
    const int64_t recordSize = labelBytes + kPixels;
    int64_t total = 0;
    std::vector<int64_t> counts;
    for (auto& file : files) {
        file = root + "/" + file;
        if (!data::isFile(file))
            throw UserError(file + ": file not found (expected the CIFAR-" +
                            std::string(cifar100 ? "100" : "10") + " binary version)");
        const int64_t bytes = data::fileSize(file);
        if (bytes == 0 || bytes % recordSize != 0)
            throw UserError(file + ": size " + std::to_string(bytes) +
                            " bytes is not a multiple of the record size " +
                            std::to_string(recordSize) + " (expected the CIFAR-" +
                            std::string(cifar100 ? "100" : "10") + " binary version)");
        counts.push_back(bytes / recordSize);
        total += counts.back();
    }

    const int64_t classCount = cifar100 ? 100 : 10;
    data::requireMemory(root, uint64_t(total) * (kPixels + 8), "the CIFAR images");
    at::Tensor images = at::empty({total, 3, 32, 32}, at::kByte);
    at::Tensor labels = at::empty({total}, at::kLong);
    auto* pixels = images.data_ptr<uint8_t>();
    auto* labelOut = labels.data_ptr<int64_t>();
    int64_t row = 0;
    for (size_t f = 0; f < files.size(); ++f) {
        std::vector<uint8_t> bytes(static_cast<size_t>(counts[f] * recordSize));
        data::readBytes(files[f], 0, static_cast<int64_t>(bytes.size()), bytes.data());
        for (int64_t i = 0; i < counts[f]; ++i, ++row) {
            const uint8_t* record = bytes.data() + i * recordSize;
            const int64_t label = record[labelBytes - 1]; // CIFAR-100: fine label
            if (label >= classCount)
                throw UserError(files[f] + ": record " + std::to_string(i) + " has label " +
                                std::to_string(label) + " (expected 0.." +
                                std::to_string(classCount - 1) + ")");
            labelOut[row] = label;
            std::memcpy(pixels + row * kPixels, record + labelBytes, kPixels);
        }
    }

    std::vector<std::string> names =
        data::readNameList(root + (cifar100 ? "/fine_label_names.txt" : "/batches.meta.txt"));
    if (static_cast<int64_t>(names.size()) != classCount)
        names = cifar100 ? data::numberedNames(100) : cifar10Names();
    return std::make_shared<InMemoryDataset>(std::move(images), std::move(labels), std::move(names),
                                             std::string(cifar100 ? "cifar100" : "cifar10") +
                                                 (train ? " train, " : " test, ") + root);
}

} // namespace swav
