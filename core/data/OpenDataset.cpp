// Turns a DatasetConfig into datasets: picks the reader and split, then draws the subset and the
// hold-out set with a seeded permutation.
#include "config/DatasetKinds.h"
#include "data/DataFiles.h"
#include "data/Dataset.h"
#include "data/ImageFolderSource.h"

#include "util/Strings.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace swav {
namespace {

/// Test-split seed offset: a large prime, so the test images never repeat the training ones.
constexpr int64_t kTestSeedOffset = 1000003;

std::string sourcePath(const DatasetConfig& config) {
    return config.path.empty() ? defaultDatasetPath(config.kind) : config.path;
}

void requireSourceFolder(const DatasetConfig& config, const std::string& path) {
    if (data::isFolder(path))
        return;
    std::string message =
        config.kind + ": folder " + path +
        (data::isFile(path) ? " is a file, expected a folder" : " does not exist");
    if (const std::string& package = datasetKind(config.kind).package; !package.empty())
        message += " (Debian's package " + package + " installs it in " +
                   defaultDatasetPath(config.kind) + "; or set dataset.path)";
    else if (config.path.empty())
        message += " (its default location; set dataset.path to where the data is)";
    throw UserError(message);
}

std::string splitError(const DatasetConfig& config, const std::string& split,
                       const std::string& available) {
    return "dataset.split: '" + split + "' is not available for " + config.kind + " (it has " +
           available + ")";
}

/// Concatenates STL-10 train (labelled) and unlabeled (label -1).
std::shared_ptr<Dataset> stl10TrainPlusUnlabeled(const std::string& path) {
    auto train = readStl10(path, "train");
    auto unlabeled = readStl10(path, "unlabeled");
    at::Tensor images = at::cat({train->images(), unlabeled->images()}, 0);
    at::Tensor labels = at::cat({train->labels(), at::full({unlabeled->size()}, -1, at::kLong)}, 0);
    std::string folder = train->description();
    folder = folder.substr(folder.find(", ") + 2);
    return std::make_shared<InMemoryDataset>(std::move(images), std::move(labels),
                                             train->classNames(),
                                             "stl10 train+unlabeled, " + folder);
}

/// What a source was opened from, for image folders.
struct SourceListing {
    std::shared_ptr<const ImageFolderListing> listing;
    std::string fileWritten;
};

std::shared_ptr<Dataset> openImageFolderSplit(const DatasetConfig& config, const std::string& split,
                                              const DatasetOpening& opening, SourceListing* used) {
    if (config.path.empty())
        throw UserError("image-folder: dataset.path is empty (weights imported without a "
                        "dataset name no images): name a folder of images or of class "
                        "sub-folders (swav eval and analyze: --set dataset.path=FOLDER)");
    if (split != "train" && split != "test")
        throw UserError(splitError(config, split, "train (the folder) and test (its sibling val)"));
    std::string folder = fs::path(config.path).lexically_normal().string();
    while (folder.size() > 1 && folder.back() == '/')
        folder.pop_back();
    if (split == "test") {
        const std::string val = (fs::path(folder).parent_path() / "val").string();
        if (!data::isFolder(val))
            throw UserError("image-folder: no test split: expected a folder " + val + " beside " +
                            folder);
        folder = val;
    }
    requireSourceFolder(config, folder);
    SourceListing listing;
    // The training folder's listing may be shared or kept; the test folder is listed here.
    listing.listing = split == "test"
                          ? data::imageFolderListing(folder, {}, nullptr)
                          : data::imageFolderListing(folder, opening, &listing.fileWritten);
    const int threads =
        data::decodeThreadsPerProcess(config.decodeThreads, opening.processesOnHost);
    auto dataset =
        openImageFolder(listing.listing, config.imageSize, config.prefetchImages, threads);
    if (used)
        *used = std::move(listing);
    return dataset;
}

std::shared_ptr<Dataset> openSynthetic(const DatasetConfig& config, const std::string& split) {
    if (split != "train" && split != "test")
        throw UserError(splitError(config, split, "train and test"));
    const bool test = split == "test";
    const int64_t count = test ? std::max<int64_t>(2, std::llround(config.syntheticCount / 5.0))
                               : config.syntheticCount;
    const int64_t seed = int64_t(config.subsetSeed) + (test ? kTestSeedOffset : 0);
    return makeSyntheticShapes(count, config.syntheticClasses, config.syntheticSize,
                               config.syntheticChannels, static_cast<uint64_t>(seed));
}

std::shared_ptr<Dataset> openStl10(const DatasetConfig& config, const std::string& path,
                                   const std::string& split) {
    if (split == "train+unlabeled")
        return stl10TrainPlusUnlabeled(path);
    if (split != "train" && split != "test" && split != "unlabeled")
        throw UserError(splitError(config, split, "train, test, unlabeled and train+unlabeled"));
    return readStl10(path, split);
}

std::shared_ptr<Dataset> openSource(const DatasetConfig& config, const std::string& split,
                                    const DatasetOpening& opening = {},
                                    SourceListing* used = nullptr) {
    const DatasetKind& kind = datasetKind(config.kind);
    if (kind.reader == DatasetReader::Synthetic)
        return openSynthetic(config, split);
    if (kind.reader == DatasetReader::ImageFolder)
        return openImageFolderSplit(config, split, opening, used);
    const std::string path = sourcePath(config);
    requireSourceFolder(config, path);
    if (kind.reader == DatasetReader::Stl10)
        return openStl10(config, path, split);
    if (split != "train" && split != "test")
        throw UserError(splitError(config, split, "train and test"));
    const bool train = split == "train";
    switch (kind.reader) {
    case DatasetReader::Idx:
        return readMnistLike(path, train, kind.name,
                             kind.classNames.empty() ? data::numberedNames(10) : kind.classNames);
    case DatasetReader::Cifar10:
    case DatasetReader::Cifar100:
        return readCifar(path, kind.reader == DatasetReader::Cifar100, train);
    default:
        throw UserError("dataset.kind: no reader for '" + kind.name + "'");
    }
}

/// Unbiased draw in [0, n) by rejection; spelled out so the permutation is the same with every
/// standard library (std::shuffle's algorithm is unspecified).
uint64_t drawBelow(std::mt19937_64& rng, uint64_t n) {
    const uint64_t limit =
        std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t value;
    do {
        value = rng();
    } while (value >= limit);
    return value % n;
}

std::vector<int64_t> seededPermutation(int64_t n, uint64_t seed) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        order[static_cast<size_t>(i)] = i;
    std::mt19937_64 rng(seed);
    for (int64_t i = n - 1; i > 0; --i)
        std::swap(order[static_cast<size_t>(i)],
                  order[static_cast<size_t>(drawBelow(rng, static_cast<uint64_t>(i) + 1))]);
    return order;
}

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

/// A fraction (0,1) of `base` or a whole count; 0 stays 0.
int64_t resolveCount(double value, int64_t base, const std::string& field) {
    if (!std::isfinite(value) || value < 0)
        throw UserError(field + ": must be 0, a fraction below 1 or a number of images, got " +
                        number(value));
    if (value == 0)
        return 0;
    if (value < 1)
        return std::max<int64_t>(1, std::llround(value * static_cast<double>(base)));
    if (value != std::floor(value))
        throw UserError(field + ": a number of images must be whole, got " + number(value));
    return static_cast<int64_t>(value);
}

std::vector<int64_t> sortedSlice(const std::vector<int64_t>& order, int64_t begin, int64_t end) {
    std::vector<int64_t> slice(order.begin() + begin, order.begin() + end);
    std::sort(slice.begin(), slice.end());
    return slice;
}

DatasetSplit splitSource(const DatasetConfig& config, std::shared_ptr<Dataset> source) {
    const int64_t total = source->size();
    const std::string seedText = "seed " + std::to_string(config.subsetSeed);
    int64_t selected = resolveCount(config.subset, total, "dataset.subset");
    if (selected > total)
        throw UserError("dataset.subset: " + number(config.subset) + " images requested but " +
                        source->description() + " has only " + std::to_string(total));
    const bool all = selected == 0;
    if (all)
        selected = total;
    const int64_t held = resolveCount(config.holdout, selected, "dataset.holdout");
    if (all && held >= total)
        throw UserError("dataset.holdout: " + std::to_string(held) +
                        " images held out would leave none of the " + std::to_string(total) +
                        " for training");
    if (!all && held > total - selected)
        throw UserError("dataset.holdout: " + std::to_string(held) + " images requested but only " +
                        std::to_string(total - selected) + " remain after the subset of " +
                        std::to_string(selected) + " from " + std::to_string(total));

    DatasetSplit split;
    if (all && held == 0) {
        split.train = std::move(source);
        return split;
    }
    const auto order = seededPermutation(total, static_cast<uint64_t>(int64_t(config.subsetSeed)));
    // Without a subset the hold-out comes out of the training images; with one, from the rest.
    const int64_t trainCount = all ? total - held : selected;
    split.train = std::make_shared<SubsetDataset>(source, sortedSlice(order, 0, trainCount),
                                                  (all ? "training part (" : "subset (") +
                                                      std::to_string(trainCount) + " images, " +
                                                      seedText + ")");
    if (held > 0)
        split.holdout = std::make_shared<SubsetDataset>(
            source, sortedSlice(order, trainCount, trainCount + held),
            "hold-out (" + std::to_string(held) + " images, " + seedText + ")");
    return split;
}

} // namespace

// Readers check declared sizes against memory; what still fails to allocate is named here.
template <class F> auto catchDatasetErrors(const DatasetConfig& config, F&& open) {
    return catchUserError([&] {
        try {
            return open();
        } catch (const std::bad_alloc&) {
            throw UserError(config.kind + " dataset " + config.path +
                            ": not enough memory to load it");
        }
    });
}

Expected<DatasetSplit> openDataset(const DatasetConfig& config, const DatasetOpening& opening) {
    return catchDatasetErrors(config, [&] {
        SourceListing used;
        DatasetSplit split = splitSource(config, openSource(config, config.split, opening, &used));
        split.listing = std::move(used.listing);
        split.listingFileWritten = std::move(used.fileWritten);
        return split;
    });
}

Expected<std::shared_ptr<Dataset>> openTestSplit(const DatasetConfig& config) {
    return catchDatasetErrors(config, [&] { return openSource(config, "test"); });
}

std::shared_ptr<Dataset> knnMonitorSet(const DatasetConfig& config, const DatasetSplit& split,
                                       std::string* problem) {
    if (split.holdout)
        return split.holdout;
    auto test = openTestSplit(config);
    if (test)
        return *test;
    if (problem)
        *problem = test.error().message;
    return nullptr;
}

} // namespace swav
