#pragma once
// Datasets as uint8 image tensors. Every reader produces the same shapes so the rest of the
// engine never asks where the images came from.

#include "config/ExperimentConfig.h"
#include "util/Expected.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace swav {

/// A batch of source images, always on the CPU.
struct ImageBatch {
    at::Tensor images;  // uint8 [B, C, H, W], contiguous
    at::Tensor labels;  // int64 [B]; -1 where unknown
    at::Tensor indices; // int64 [B]: positions in the dataset
};

/// Random access to a set of equally sized images. Implementations are either fully in memory
/// (InMemoryDataset) or stream from disk (image folders). Thread: one consumer thread at a time.
class Dataset {
public:
    virtual ~Dataset() = default;

    virtual int64_t size() const = 0;
    virtual int channels() const = 0;
    virtual int height() const = 0;
    virtual int width() const = 0;
    /// Names of the classes (index = label); empty when the data has no labels.
    virtual const std::vector<std::string>& classNames() const = 0;
    /// int64 [N] labels, -1 where unknown; undefined tensor when the dataset has no labels.
    virtual at::Tensor labels() const = 0;
    /// Images at the given positions, in that order.
    virtual ImageBatch gather(const std::vector<int64_t>& indices) = 0;
    /// Human-readable origin ("fashion-mnist train, /usr/share/datasets/fashion-mnist").
    virtual std::string description() const = 0;
    /// Files that could not be read and were skipped (image folders); 0 for binary formats.
    virtual int64_t skippedFiles() const { return 0; }

    /// Asks the dataset to prepare these batches in this order (streaming readers decode ahead
    /// in a background thread). In-memory datasets ignore it. Call before a run of gather().
    virtual void prefetch(const std::vector<std::vector<int64_t>>& batches) { (void)batches; }
};

/// Everything is in memory: images uint8 [N, C, H, W], labels int64 [N] (or undefined).
class InMemoryDataset : public Dataset {
public:
    InMemoryDataset(at::Tensor images, at::Tensor labels, std::vector<std::string> classNames,
                    std::string description);

    int64_t size() const override;
    int channels() const override;
    int height() const override;
    int width() const override;
    const std::vector<std::string>& classNames() const override { return m_classNames; }
    at::Tensor labels() const override { return m_labels; }
    ImageBatch gather(const std::vector<int64_t>& indices) override;
    std::string description() const override { return m_description; }

    const at::Tensor& images() const { return m_images; }

private:
    at::Tensor m_images;
    at::Tensor m_labels;
    std::vector<std::string> m_classNames;
    std::string m_description;
};

/// A view of some positions of another dataset (subset, hold-out split).
class SubsetDataset : public Dataset {
public:
    SubsetDataset(std::shared_ptr<Dataset> base, std::vector<int64_t> positions, std::string what);

    int64_t size() const override { return static_cast<int64_t>(m_positions.size()); }
    int channels() const override { return m_base->channels(); }
    int height() const override { return m_base->height(); }
    int width() const override { return m_base->width(); }
    const std::vector<std::string>& classNames() const override { return m_base->classNames(); }
    at::Tensor labels() const override;
    ImageBatch gather(const std::vector<int64_t>& indices) override;
    std::string description() const override;
    int64_t skippedFiles() const override { return m_base->skippedFiles(); }
    void prefetch(const std::vector<std::vector<int64_t>>& batches) override;

private:
    std::shared_ptr<Dataset> m_base;
    std::vector<int64_t> m_positions;
    std::string m_what;
};

/// The training set and the optional hold-out set drawn from the same source.
struct DatasetSplit {
    std::shared_ptr<Dataset> train;
    std::shared_ptr<Dataset> holdout; // null when dataset.holdout == 0
};

/// Opens the dataset the config describes (default paths filled in), applies `subset` and
/// `holdout` with `subset_seed`. Errors name the file and what was expected.
/// Both are drawn from one seeded permutation and kept in dataset order. A hold-out fraction is
/// of the selected images; without a subset the hold-out is taken out of the training images,
/// with one it comes from the images the subset left out. Synthetic data uses subset_seed too.
Expected<DatasetSplit> openDataset(const DatasetConfig& config);

/// Opens the evaluation split of the same source (test split for MNIST-like, CIFAR and STL-10;
/// for image folders a sibling "val" folder; synthetic: syntheticCount / 5 images, at least 2,
/// seeded with subset_seed + 1000003); error when the source has none. No subset is applied.
Expected<std::shared_ptr<Dataset>> openTestSplit(const DatasetConfig& config);

/// Labelled images for the online kNN during training: the hold-out part of `split`, else the
/// test split; null (with the reason in `problem`) when there is neither.
std::shared_ptr<Dataset> knnMonitorSet(const DatasetConfig& config, const DatasetSplit& split,
                                       std::string* problem = nullptr);

/// Default location of a dataset kind: fashion-mnist and mnist in /usr/share/datasets/<kind>
/// (Debian's dataset-fashion-mnist installs the former); cifar10, cifar100 and stl10 in
/// ${XDG_DATA_HOME:-~/.local/share}/swav-workbench/datasets/ under the folder names their
/// binary archives unpack to (cifar-10-batches-bin, cifar-100-binary, stl10_binary);
/// "" for image-folder (needs a path) and synthetic.
std::string defaultDatasetPath(const std::string& kind);

/// Per-channel normalisation statistics commonly used for the dataset kind.
void defaultNormalisation(const DatasetConfig& config, std::vector<double>& mean,
                          std::vector<double>& std);

// ---- readers (each throws UserError naming the file on bad input) ----------------------------

/// IDX image file (magic 0x00000803), gzipped or not -> uint8 [N, 1, rows, cols].
at::Tensor readIdxImages(const std::string& path);
/// IDX label file (magic 0x00000801) -> int64 [N].
at::Tensor readIdxLabels(const std::string& path);

/// CIFAR-10 / CIFAR-100 binary batches (3073 / 3074 bytes per record).
std::shared_ptr<InMemoryDataset> readCifar(const std::string& folder, bool cifar100, bool train);

/// STL-10 binary (96x96, column-major planes). split: train, test, unlabeled (the unlabeled
/// split has an undefined labels() and no class names).
std::shared_ptr<InMemoryDataset> readStl10(const std::string& folder, const std::string& split);

/// MNIST-like folder with the four IDX files (train-images-idx3-ubyte[.gz], ...).
std::shared_ptr<InMemoryDataset> readMnistLike(const std::string& folder, bool train,
                                               const std::string& name,
                                               std::vector<std::string> classNames);

/// Seeded synthetic shapes of known classes (circle, square, triangle, cross, ...), with random
/// position, size, colour and background noise; deterministic for (count, seed).
std::shared_ptr<InMemoryDataset> makeSyntheticShapes(int64_t count, int classes, int side,
                                                     int channels, uint64_t seed);

/// Image folder: class sub-folders (labelled) or a flat folder (unlabelled). Images decoded
/// with OpenCV, BGR->RGB, shorter side resized to `side` (area interpolation when shrinking,
/// bilinear when enlarging), centre square crop -> uint8 [3, side, side]. Files are listed
/// sorted; with class sub-folders (searched recursively) loose files at the top are ignored.
/// Unreadable files are skipped and counted: at open, files whose header OpenCV does not
/// recognise (cv::haveImageReader) are left out; a file that passes that check but fails to
/// decode later is replaced by the next decodable file of the same class (else any) and
/// counted, so size() and labels() stay valid. No readable image at all -> UserError.
/// prefetch() decodes the planned batches in order on one background thread into a queue of
/// about `prefetchImages` images; gather() takes the next planned batch from it when the
/// indices match, and decodes any other request synchronously.
/// Only available when built with OpenCV; otherwise throws UserError saying so.
std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int side, int prefetchImages);

} // namespace swav
