// Image folders decoded with OpenCV, streamed: prefetch() and prefetchCrops() decode the planned
// batches on a pool of threads (BatchFiller); gather() and gatherCrops() take them in order.
#include "data/BatchFiller.h"
#include "data/DataFiles.h"
#include "data/Dataset.h"
#include "data/ImageDecode.h"
#include "data/ImageFolderListing.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace swav {
namespace {

class ImageFolderDataset final : public Dataset {
public:
    ImageFolderDataset(std::shared_ptr<const ImageFolderListing> listing, int side,
                       int prefetchImages, int threads);
    ~ImageFolderDataset() override { m_filler.stop(); }

    int64_t size() const override { return static_cast<int64_t>(m_listing->files.size()); }
    int channels() const override { return 3; }
    int height() const override { return m_side; }
    int width() const override { return m_side; }
    const std::vector<std::string>& classNames() const override { return m_listing->classNames; }
    at::Tensor labels() const override { return m_labels; }
    ImageBatch gather(const std::vector<int64_t>& indices) override;
    std::string description() const override;
    int64_t skippedFiles() const override { return m_skippedAtDecode.load(); }
    std::string itemName(int64_t index) const override;
    bool replacedByStandIn(int64_t index) const override;
    void prefetch(const std::vector<std::vector<int64_t>>& batches) override;
    bool cutsCropsFromOriginals() const override { return true; }
    void prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                       std::shared_ptr<const CropRecipe> recipe, bool pinned) override;
    CutCropBatch gatherCrops(const std::vector<int64_t>& indices,
                             const std::shared_ptr<const CropRecipe>& recipe) override;
    at::Tensor original(int64_t index) override;

private:
    enum class PlanKind { None, Squares, Crops };

    /// Runs `tryDecode(file)` on the file at `index`, else on a stand-in: the next decodable file
    /// of the same class (else any), so that size() and labels() stay valid.
    template <class TryDecode> void decodeOrStandIn(int64_t index, TryDecode&& tryDecode);
    bool isBad(int64_t index) const;
    void markBad(int64_t index);
    void checkIndices(const std::vector<int64_t>& indices) const;

    ImageBatch allocateSquares(const std::vector<int64_t>& indices) const;
    void fillSquare(ImageBatch& batch, const std::vector<int64_t>& indices, size_t i);
    CutCropBatch allocateCrops(const std::vector<int64_t>& indices, const CropRecipe& recipe,
                               bool pinned) const;
    void fillCrops(CutCropBatch& batch, const std::vector<int64_t>& indices, size_t i,
                   const CropRecipe& recipe);
    /// Starts decoding the planned batches: `begin` allocates batch b, `fill` one image of it.
    void startPlan(PlanKind kind, const std::vector<std::vector<int64_t>>& batches,
                   BatchFiller::Begin begin, BatchFiller::Fill fill);
    /// Whether `indices` are the next planned batch of this kind; if so, waits for it.
    bool takeNextPlanned(PlanKind kind, const std::vector<int64_t>& indices, size_t& batch);
    size_t planDepth(int64_t bytesPerImage) const;

    std::shared_ptr<const ImageFolderListing> m_listing;
    const std::string& m_folder; // m_listing->folder
    int m_side;
    int64_t m_prefetchImages;
    at::Tensor m_labels;

    mutable std::mutex m_badMutex; // files that failed to decode, replaced by stand-ins
    std::vector<char> m_bad;
    std::atomic<int64_t> m_skippedAtDecode{0};

    // The plan: written only while the filler is stopped; slot b is written by the filler's
    // `begin` and `fill` until waitFor(b) returns, then taken by the consumer.
    BatchFiller m_filler;
    PlanKind m_planKind = PlanKind::None;
    std::vector<std::vector<int64_t>> m_plan;
    std::shared_ptr<const CropRecipe> m_planRecipe;
    std::vector<ImageBatch> m_squareSlots;
    std::vector<CutCropBatch> m_cropSlots;
    size_t m_consumed = 0;
};

ImageFolderDataset::ImageFolderDataset(std::shared_ptr<const ImageFolderListing> listing, int side,
                                       int prefetchImages, int threads)
    : m_listing(std::move(listing))
    , m_folder(m_listing->folder)
    , m_side(side)
    , m_prefetchImages(std::max(1, prefetchImages))
    , m_filler(threads) {
    if (side < 1 || side > 4096)
        throw UserError("image-folder: image size " + std::to_string(side) +
                        " (expected 1..4096 pixels)");
    // No file is read here: one that cannot be decoded is replaced when it is first needed.
    m_bad.assign(m_listing->files.size(), 0);
    if (!m_listing->classNames.empty())
        m_labels = at::tensor(
            std::vector<int64_t>(m_listing->labels.begin(), m_listing->labels.end()), at::kLong);
}

std::string ImageFolderDataset::description() const {
    std::string text = "image folder " + m_folder + " (" + std::to_string(size()) + " images";
    if (!classNames().empty())
        text += ", " + std::to_string(classNames().size()) + " classes";
    if (const int64_t skipped = skippedFiles())
        text += ", " + std::to_string(skipped) + " unreadable skipped";
    return text + ")";
}

std::string ImageFolderDataset::itemName(int64_t index) const {
    checkIndices({index});
    return m_listing->files[size_t(index)];
}

bool ImageFolderDataset::replacedByStandIn(int64_t index) const {
    checkIndices({index});
    return isBad(index);
}

bool ImageFolderDataset::isBad(int64_t index) const {
    std::lock_guard<std::mutex> lock(m_badMutex);
    return m_bad[static_cast<size_t>(index)] != 0;
}

void ImageFolderDataset::markBad(int64_t index) {
    std::lock_guard<std::mutex> lock(m_badMutex);
    if (!m_bad[static_cast<size_t>(index)]) {
        m_bad[static_cast<size_t>(index)] = 1;
        ++m_skippedAtDecode;
    }
}

template <class TryDecode>
void ImageFolderDataset::decodeOrStandIn(int64_t index, TryDecode&& tryDecode) {
    auto attempt = [&](int64_t file) {
        return tryDecode(
            readImageFile(m_folder + "/" + m_listing->files[static_cast<size_t>(file)]));
    };
    if (!isBad(index) && attempt(index))
        return;
    markBad(index);
    const int64_t count = size();
    const int64_t label = m_listing->labels[static_cast<size_t>(index)];
    for (const bool sameClass : {true, false})
        for (int64_t step = 1; step < count; ++step) {
            const int64_t other = (index + step) % count;
            if (isBad(other) ||
                (sameClass && m_listing->labels[static_cast<size_t>(other)] != label))
                continue;
            if (attempt(other))
                return;
            markBad(other);
        }
    throw UserError(m_folder + ": none of the " + std::to_string(count) +
                    " image files could be decoded");
}

void ImageFolderDataset::checkIndices(const std::vector<int64_t>& indices) const {
    for (const int64_t index : indices)
        if (index < 0 || index >= size())
            throw UserError(m_folder + ": index " + std::to_string(index) +
                            " out of range (image folder has " + std::to_string(size()) +
                            " images)");
}

ImageBatch ImageFolderDataset::allocateSquares(const std::vector<int64_t>& indices) const {
    const auto count = static_cast<int64_t>(indices.size());
    ImageBatch batch;
    batch.images = at::empty({count, 3, m_side, m_side}, at::kByte);
    batch.labels = at::empty({count}, at::kLong);
    batch.indices = at::empty({count}, at::kLong);
    return batch;
}

void ImageFolderDataset::fillSquare(ImageBatch& batch, const std::vector<int64_t>& indices,
                                    size_t i) {
    const int64_t index = indices[i];
    const int64_t imageBytes = 3 * int64_t(m_side) * m_side;
    uint8_t* out = batch.images.data_ptr<uint8_t>() + static_cast<int64_t>(i) * imageBytes;
    decodeOrStandIn(index, [&](const std::vector<uint8_t>& bytes) {
        return decodeSquareImage(bytes, m_side, out);
    });
    batch.labels.data_ptr<int64_t>()[i] = m_listing->labels[static_cast<size_t>(index)];
    batch.indices.data_ptr<int64_t>()[i] = index;
}

CutCropBatch ImageFolderDataset::allocateCrops(const std::vector<int64_t>& indices,
                                               const CropRecipe& recipe, bool pinned) const {
    const auto count = static_cast<int64_t>(indices.size());
    CutCropBatch batch;
    batch.finished = recipe.finishedInWorkers();
    const auto options =
        at::TensorOptions().dtype(batch.finished ? at::kFloat : at::kByte).pinned_memory(pinned);
    for (const int size : recipe.cutSizes())
        batch.crops.push_back(at::empty({count, 3, size, size}, options));
    batch.originalSizes = at::empty({count, 2}, at::kLong);
    batch.labels = at::empty({count}, at::kLong);
    batch.indices = at::empty({count}, at::kLong);
    return batch;
}

void ImageFolderDataset::fillCrops(CutCropBatch& batch, const std::vector<int64_t>& indices,
                                   size_t i, const CropRecipe& recipe) {
    const int64_t index = indices[i];
    std::vector<void*> out;
    for (auto& crop : batch.crops) {
        auto* base = static_cast<uint8_t*>(crop.data_ptr());
        out.push_back(base + static_cast<int64_t>(i) * crop[0].numel() * crop.element_size());
    }
    int originalSize[2] = {0, 0};
    // A stand-in gets the crops drawn for the requested index, from its own size.
    decodeOrStandIn(index, [&](const std::vector<uint8_t>& bytes) {
        return decodeCrops(bytes, recipe, index, out, originalSize);
    });
    auto* sizes = batch.originalSizes.data_ptr<int64_t>() + 2 * static_cast<int64_t>(i);
    sizes[0] = originalSize[0], sizes[1] = originalSize[1];
    batch.labels.data_ptr<int64_t>()[i] = m_listing->labels[static_cast<size_t>(index)];
    batch.indices.data_ptr<int64_t>()[i] = index;
}

size_t ImageFolderDataset::planDepth(int64_t bytesPerImage) const {
    // prefetch_images counts evaluation-size images; crops take their own bytes.
    const int64_t budget = m_prefetchImages * 3 * int64_t(m_side) * m_side;
    const int64_t batch = m_plan.empty() ? 1 : std::max<int64_t>(1, m_plan[0].size());
    return static_cast<size_t>(std::max<int64_t>(2, budget / (bytesPerImage * batch)));
}

void ImageFolderDataset::startPlan(PlanKind kind, const std::vector<std::vector<int64_t>>& batches,
                                   BatchFiller::Begin begin, BatchFiller::Fill fill) {
    std::vector<size_t> sizes;
    for (const auto& batch : batches)
        sizes.push_back(batch.size());
    m_planKind = kind;
    m_consumed = 0;
    int64_t bytesPerImage = 3 * int64_t(m_side) * m_side;
    if (kind == PlanKind::Crops) {
        bytesPerImage = 0;
        for (const int size : m_planRecipe->cutSizes())
            bytesPerImage += 3 * int64_t(size) * size * (m_planRecipe->finishedInWorkers() ? 4 : 1);
    }
    m_filler.start(std::move(sizes), planDepth(bytesPerImage), std::move(begin), std::move(fill));
}

bool ImageFolderDataset::takeNextPlanned(PlanKind kind, const std::vector<int64_t>& indices,
                                         size_t& batch) {
    if (m_planKind != kind || m_consumed >= m_plan.size() || m_plan[m_consumed] != indices)
        return false;
    batch = m_consumed++;
    try {
        m_filler.waitFor(batch);
    } catch (...) {
        m_filler.stop();
        m_planKind = PlanKind::None;
        throw;
    }
    m_filler.releaseBefore(batch + 1);
    return true;
}

ImageBatch ImageFolderDataset::gather(const std::vector<int64_t>& indices) {
    checkIndices(indices);
    size_t planned = 0;
    // Only the next planned batch comes from the filler; anything else (an evaluation pass in
    // between, say) is decoded here and leaves the plan alone.
    if (takeNextPlanned(PlanKind::Squares, indices, planned))
        return std::move(m_squareSlots[planned]);
    ImageBatch batch = allocateSquares(indices);
    for (size_t i = 0; i < indices.size(); ++i)
        fillSquare(batch, indices, i);
    return batch;
}

void ImageFolderDataset::prefetch(const std::vector<std::vector<int64_t>>& batches) {
    for (const auto& batch : batches)
        checkIndices(batch);
    m_filler.stop();
    m_plan = batches;
    m_planRecipe = nullptr;
    m_cropSlots.clear();
    m_squareSlots.assign(batches.size(), ImageBatch());
    startPlan(
        PlanKind::Squares, batches,
        [this](size_t b) { m_squareSlots[b] = allocateSquares(m_plan[b]); },
        [this](size_t b, size_t i) { fillSquare(m_squareSlots[b], m_plan[b], i); });
}

CutCropBatch ImageFolderDataset::gatherCrops(const std::vector<int64_t>& indices,
                                             const std::shared_ptr<const CropRecipe>& recipe) {
    checkIndices(indices);
    size_t planned = 0;
    if (takeNextPlanned(PlanKind::Crops, indices, planned))
        return std::move(m_cropSlots[planned]);
    CutCropBatch batch = allocateCrops(indices, *recipe, false);
    for (size_t i = 0; i < indices.size(); ++i)
        fillCrops(batch, indices, i, *recipe);
    return batch;
}

void ImageFolderDataset::prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                                       std::shared_ptr<const CropRecipe> recipe, bool pinned) {
    for (const auto& batch : batches)
        checkIndices(batch);
    m_filler.stop();
    m_plan = batches;
    m_planRecipe = std::move(recipe);
    m_squareSlots.clear();
    m_cropSlots.assign(batches.size(), CutCropBatch());
    startPlan(
        PlanKind::Crops, batches,
        [this, pinned](size_t b) {
            m_cropSlots[b] = allocateCrops(m_plan[b], *m_planRecipe, pinned);
        },
        [this](size_t b, size_t i) { fillCrops(m_cropSlots[b], m_plan[b], i, *m_planRecipe); });
}

at::Tensor ImageFolderDataset::original(int64_t index) {
    checkIndices({index});
    at::Tensor image;
    decodeOrStandIn(index, [&](const std::vector<uint8_t>& bytes) {
        image = decodeOriginalImage(bytes);
        return image.defined();
    });
    return image;
}

} // namespace

std::shared_ptr<Dataset> openImageFolder(std::shared_ptr<const ImageFolderListing> listing,
                                         int side, int prefetchImages, int threads) {
    return std::make_shared<ImageFolderDataset>(std::move(listing), side, prefetchImages, threads);
}

std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int side, int prefetchImages,
                                         int threads) {
    data::requireFolder(folder, "image-folder");
    return openImageFolder(std::make_shared<const ImageFolderListing>(listImageFolder(folder)),
                           side, prefetchImages, threads);
}

} // namespace swav
