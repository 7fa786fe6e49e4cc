#pragma once
// The multi-crop recipe of a run for readers that cut crops from full-resolution originals
// (image folders): which boxes to cut, and the colour steps when the decoding threads finish
// the crops themselves.

#include "augment/MultiCrop.h"
#include "data/Dataset.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace swav {

class MultiCropRecipe final : public CropRecipe {
public:
    /// `seedOf(index)`: the crop seed of the image at `index` (imageCropSeed in training), so an
    /// image gets the crops apply() would draw from the same seed on an image of its size.
    MultiCropRecipe(std::vector<CropGroupConfig> groups, std::vector<double> mean,
                    std::vector<double> std, std::function<uint64_t(int64_t)> seedOf,
                    bool finishInWorkers);

    std::vector<CropCut> cuts(int height, int width, int64_t index) const override;
    std::vector<int> cutSizes() const override;
    bool finishedInWorkers() const override { return m_finishInWorkers; }
    void finish(int64_t index, int height, int width, const std::vector<const uint8_t*>& cutPixels,
                const std::vector<float*>& out) const override;

    /// The parameters of each crop of a gathered batch (drawn again from the same seeds).
    std::vector<CropParams> params(const CutCropBatch& batch) const;
    const std::vector<CropGroupConfig>& groups() const { return m_groups; }

private:
    std::vector<CropGroupConfig> m_groups;
    std::vector<double> m_mean;
    std::vector<double> m_std;
    std::function<uint64_t(int64_t)> m_seedOf;
    bool m_finishInWorkers;
    std::vector<int> m_cutSizes; // groups[g].size, count times each
};

/// Whether a run on `device` finishes image-folder crops on the decoding threads, from
/// dataset.crop_finish ("auto": on CPU runs).
bool finishCropsInWorkers(const std::string& cropFinish, bool deviceIsCuda);

/// The network's crops from a gathered batch, on `device`: crops finished by the workers are
/// copied there (asynchronously from pinned memory), cut crops are copied and finished by
/// `augmenter` on the device.
MultiCropBatch cropsForNetwork(const MultiCropAugmenter& augmenter, const MultiCropRecipe& recipe,
                               const CutCropBatch& batch, at::Device device);

/// The recipe of `epoch` in a run seeded `seed`: image i gets imageCropSeed(seed, epoch, i).
std::shared_ptr<MultiCropRecipe> trainingRecipe(std::vector<CropGroupConfig> groups,
                                                std::vector<double> mean, std::vector<double> std,
                                                uint64_t seed, int epoch, bool finishInWorkers);

/// The crops training feeds the network for the images `indices` of `epoch`, on `device`: cut
/// from the originals by `recipe` (image folders, prefetched or not), or, without a recipe, made
/// by `augmenter` from the stored images seeded imageCropSeed(seed, epoch, index).
/// `onGathered` runs once the images (or cut crops) are read, before any augmentation.
MultiCropBatch trainingCrops(Dataset& data, const std::vector<int64_t>& indices,
                             const MultiCropAugmenter& augmenter,
                             const std::shared_ptr<MultiCropRecipe>& recipe, uint64_t seed,
                             int epoch, at::Device device,
                             const std::function<void()>& onGathered = {});

} // namespace swav
