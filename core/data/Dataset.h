#pragma once
// Datasets as uint8 image tensors. Every reader produces the same shapes so the rest of the
// engine never asks where the images came from.

#include "config/ExperimentConfig.h"
#include "util/Expected.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
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

/// One crop to cut from an original image: a box in the original's pixels, resized to `size` x
/// `size`, mirrored or not.
struct CropCut {
    double x = 0, y = 0, width = 0, height = 0;
    int size = 0;
    bool flipped = false;
};

/// What a reader that cuts training crops from full-resolution originals needs to know; called
/// on its decoding threads, so implementations must be safe to call concurrently.
class CropRecipe {
public:
    virtual ~CropRecipe() = default;
    /// The crops of the image at `index` (the position the caller asked for), given the
    /// original's size.
    virtual std::vector<CropCut> cuts(int height, int width, int64_t index) const = 0;
    /// The output side of each cut, the same for every image.
    virtual std::vector<int> cutSizes() const = 0;
    /// Whether the decoding threads also finish the crops (finish()) or hand over the cut pixels.
    virtual bool finishedInWorkers() const = 0;
    /// Turns the cut crops of image `index` (uint8 RGB, interleaved, flip applied, one pointer per
    /// cut) into the float crops the network takes (channels first, one pointer per cut).
    virtual void finish(int64_t index, int height, int width,
                        const std::vector<const uint8_t*>& cutPixels,
                        const std::vector<float*>& out) const = 0;
};

/// Training crops cut from the originals, one tensor per cut, in the recipe's cut order.
struct CutCropBatch {
    std::vector<at::Tensor> crops; // uint8 [B, 3, size, size], or float when finished in workers
    bool finished = false;         // crops are the recipe's finished float crops
    at::Tensor originalSizes;      // int64 [B, 2]: height, width of each original
    at::Tensor labels;             // int64 [B]; -1 where unknown
    at::Tensor indices;            // int64 [B]
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
    /// The file an image came from, relative to the dataset's folder; "" for binary formats.
    virtual std::string itemName(int64_t index) const {
        (void)index;
        return {};
    }
    /// Whether the image at `index` failed to decode and gather() gave another image in its place.
    virtual bool replacedByStandIn(int64_t index) const {
        (void)index;
        return false;
    }

    /// Asks the dataset to prepare these batches in this order (streaming readers decode ahead
    /// in a background thread). In-memory datasets ignore it. Call before a run of gather().
    virtual void prefetch(const std::vector<std::vector<int64_t>>& batches) { (void)batches; }

    /// Whether training crops are cut from the full-resolution originals (image folders), through
    /// prefetchCrops() and gatherCrops(), rather than from gather()'s equally sized images.
    virtual bool cutsCropsFromOriginals() const { return false; }
    /// Plans batches of crops in this order; `pinned` puts them in page-locked memory (for
    /// asynchronous copies to a GPU). The recipe must outlive the plan.
    virtual void prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                               std::shared_ptr<const CropRecipe> recipe, bool pinned);
    /// The crops of these images: the next planned batch, else cut now with `recipe`.
    virtual CutCropBatch gatherCrops(const std::vector<int64_t>& indices,
                                     const std::shared_ptr<const CropRecipe>& recipe);
    /// The image training crops are cut from, uint8 [C, H, W]: the original for image folders
    /// (for display), else the dataset image.
    virtual at::Tensor original(int64_t index) { return gather({index}).images[0]; }
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
    std::string itemName(int64_t index) const override;
    bool replacedByStandIn(int64_t index) const override;
    void prefetch(const std::vector<std::vector<int64_t>>& batches) override;
    bool cutsCropsFromOriginals() const override { return m_base->cutsCropsFromOriginals(); }
    void prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                       std::shared_ptr<const CropRecipe> recipe, bool pinned) override;
    CutCropBatch gatherCrops(const std::vector<int64_t>& indices,
                             const std::shared_ptr<const CropRecipe>& recipe) override;
    at::Tensor original(int64_t index) override;

private:
    std::vector<int64_t> basePositions(const std::vector<int64_t>& indices) const;
    std::vector<std::vector<int64_t>>
    basePositions(const std::vector<std::vector<int64_t>>& batches) const;
    /// The recipe seen by the base dataset: its positions mapped back to this subset's.
    std::shared_ptr<const CropRecipe> baseRecipe(std::shared_ptr<const CropRecipe> recipe) const;

    std::shared_ptr<Dataset> m_base;
    std::vector<int64_t> m_positions;
    std::string m_what;
};

struct ImageFolderListing;

/// What opening a dataset may use beyond its configuration (image folders).
struct DatasetOpening {
    /// The training folder's listing when already made (rank 0's, given to the other ranks),
    /// instead of listing the folder again; it must be of the configured folder.
    std::shared_ptr<const ImageFolderListing> listing;
    /// A file of the run's own that keeps the training folder's listing for a resume: used when
    /// present and no folder of the tree changed since, else (re)written after listing.
    std::string listingFile;
    /// Processes of the run on this host: with dataset.decode_threads 0 they share its cores.
    int processesOnHost = 1;
    /// Told where the listing came from (rank 0, a kept one) and a long listing's progress.
    std::function<void(const std::string&)> report;
};

/// The training set and the optional hold-out set drawn from the same source.
struct DatasetSplit {
    std::shared_ptr<Dataset> train;
    std::shared_ptr<Dataset> holdout; // null when dataset.holdout == 0
    /// Image folders: the training folder's listing, and the listing file written ("" = none).
    std::shared_ptr<const ImageFolderListing> listing;
    std::string listingFileWritten;
};

/// Opens the dataset the config describes (default paths filled in), applies `subset` and
/// `holdout` with `subset_seed`. Errors name the file and what was expected.
/// Both are drawn from one seeded permutation and kept in dataset order. A hold-out fraction is
/// of the selected images; without a subset the hold-out is taken out of the training images,
/// with one it comes from the images the subset left out. Synthetic data uses subset_seed too.
Expected<DatasetSplit> openDataset(const DatasetConfig& config, const DatasetOpening& opening = {});

/// Opens the evaluation split of the same source (test split for MNIST-like, CIFAR and STL-10;
/// for image folders a sibling "val" folder; synthetic: syntheticCount / 5 images, at least 2,
/// seeded with subset_seed + 1000003); error when the source has none. No subset is applied.
Expected<std::shared_ptr<Dataset>> openTestSplit(const DatasetConfig& config);

/// Labelled images for the online kNN during training: the hold-out part of `split`, else the
/// test split; null (with the reason in `problem`) when there is neither.
std::shared_ptr<Dataset> knnMonitorSet(const DatasetConfig& config, const DatasetSplit& split,
                                       std::string* problem = nullptr);

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

/// Image folder of `listing` (listImageFolder): class sub-folders (labelled) or a flat folder
/// (unlabelled), files in the listing's order; no file is read until it is decoded.
/// Images are decoded with OpenCV as stored (EXIF orientation is not applied, as with PIL in the
/// reference pipeline), grey and palette images as RGB.
/// - gather(): shorter side resized to `side` (area interpolation when shrinking, bilinear when
///   enlarging), centre square -> uint8 [3, side, side] (evaluation images).
/// - gatherCrops(): each crop cut from the full-resolution original at the recipe's box and
///   resized to its size (area when shrinking, bilinear when enlarging). JPEGs are decoded at
///   1/2, 1/4 or 1/8 of their size when every box still has at least its output's resolution.
/// A file that fails to decode (not an image of a supported format, damaged, too large) is
/// replaced by the next decodable file of the same class (else any) and counted, so size() and
/// labels() stay valid. No decodable image at all -> UserError.
/// prefetch() and prefetchCrops() decode the planned batches in order on `threads` threads (0 =
/// one per core), keeping up to about `prefetchImages` images ready (at least two batches);
/// gather() and gatherCrops() take the next planned batch when the indices match and decode any
/// other request at once. Only available when built with OpenCV; otherwise throws UserError.
std::shared_ptr<Dataset> openImageFolder(std::shared_ptr<const ImageFolderListing> listing,
                                         int side, int prefetchImages, int threads = 0);

/// The same for `folder`, listed now; throws UserError naming it when it is not a folder or
/// holds no image file.
std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int side, int prefetchImages,
                                         int threads = 0);

} // namespace swav
