#include "runtime/MultiCropRecipe.h"

#include "augment/CropPixels.h"
#include "augment/CropSampling.h"
#include "dist/EpochShards.h"

#include <ATen/ATen.h>

namespace swav {

MultiCropRecipe::MultiCropRecipe(std::vector<CropGroupConfig> groups, std::vector<double> mean,
                                 std::vector<double> std, std::function<uint64_t(int64_t)> seedOf,
                                 bool finishInWorkers)
    : m_groups(std::move(groups))
    , m_mean(std::move(mean))
    , m_std(std::move(std))
    , m_seedOf(std::move(seedOf))
    , m_finishInWorkers(finishInWorkers) {
    for (const auto& group : m_groups)
        m_cutSizes.insert(m_cutSizes.end(), static_cast<size_t>(group.count), group.size);
    if (m_mean.size() != 3 || m_std.size() != 3)
        throw UserError("image-folder crops are RGB: the normalisation needs 3 means and 3 "
                        "standard deviations");
}

std::vector<CropCut> MultiCropRecipe::cuts(int height, int width, int64_t index) const {
    const auto draws = drawImageCrops(m_groups, height, width, m_seedOf(index));
    std::vector<CropCut> out(draws.size());
    for (size_t c = 0; c < draws.size(); ++c) {
        const auto& d = draws[c];
        out[c] = CropCut{d.box[0], d.box[1], d.box[2], d.box[3], m_cutSizes[c], d.flipped};
    }
    return out;
}

std::vector<int> MultiCropRecipe::cutSizes() const {
    return m_cutSizes;
}

void MultiCropRecipe::finish(int64_t index, int height, int width,
                             const std::vector<const uint8_t*>& cutPixels,
                             const std::vector<float*>& out) const {
    thread_local CropPixelScratch scratch;
    const auto draws = drawImageCrops(m_groups, height, width, m_seedOf(index));
    size_t c = 0;
    for (const auto& group : m_groups)
        for (int k = 0; k < group.count; ++k, ++c)
            finishCropPixels(cutPixels[c], group.size, 3, draws[c], group.blurSigmaMax,
                             m_mean.data(), m_std.data(), out[c], scratch);
}

std::vector<CropParams> MultiCropRecipe::params(const CutCropBatch& batch) const {
    const auto count = batch.indices.size(0);
    const auto* sizes = batch.originalSizes.data_ptr<int64_t>();
    const auto* indices = batch.indices.data_ptr<int64_t>();
    std::vector<std::vector<CropDraw>> draws(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        draws[static_cast<size_t>(i)] =
            drawImageCrops(m_groups, static_cast<int>(sizes[2 * i]),
                           static_cast<int>(sizes[2 * i + 1]), m_seedOf(indices[i]));
    std::vector<CropParams> params;
    const int total = static_cast<int>(m_cutSizes.size());
    for (int c = 0; c < total; ++c)
        params.push_back(cropParamsFromDraws(m_groups, c, draws));
    return params;
}

bool finishCropsInWorkers(const std::string& cropFinish, bool deviceIsCuda) {
    if (cropFinish == "workers")
        return true;
    if (cropFinish == "device")
        return false;
    return !deviceIsCuda;
}

MultiCropBatch cropsForNetwork(const MultiCropAugmenter& augmenter, const MultiCropRecipe& recipe,
                               const CutCropBatch& batch, at::Device device) {
    std::vector<at::Tensor> onDevice;
    for (const auto& crop : batch.crops)
        onDevice.push_back(crop.device() == device ? crop : crop.to(device, /*non_blocking=*/true));
    if (batch.finished) {
        MultiCropBatch out;
        out.crops = std::move(onDevice);
        return out; // parameters are drawn again only when someone asks (recipe.params)
    }
    return augmenter.finish(onDevice, recipe.params(batch));
}

std::shared_ptr<MultiCropRecipe> trainingRecipe(std::vector<CropGroupConfig> groups,
                                                std::vector<double> mean, std::vector<double> std,
                                                uint64_t seed, int epoch, bool finishInWorkers) {
    return std::make_shared<MultiCropRecipe>(
        std::move(groups), std::move(mean), std::move(std),
        [seed, epoch](int64_t index) { return imageCropSeed(seed, epoch, index); },
        finishInWorkers);
}

MultiCropBatch trainingCrops(Dataset& data, const std::vector<int64_t>& indices,
                             const MultiCropAugmenter& augmenter,
                             const std::shared_ptr<MultiCropRecipe>& recipe, uint64_t seed,
                             int epoch, at::Device device,
                             const std::function<void()>& onGathered) {
    if (recipe) {
        const CutCropBatch cut = data.gatherCrops(indices, recipe);
        if (onGathered)
            onGathered();
        return cropsForNetwork(augmenter, *recipe, cut, device);
    }
    at::Tensor input = data.gather(indices).images;
    if (device.is_cuda())
        input = input.pin_memory().to(device, /*non_blocking=*/true);
    if (onGathered)
        onGathered();
    // An image's crops depend on (seed, epoch, index) only, whichever rank draws it.
    std::vector<uint64_t> cropSeeds(indices.size());
    for (size_t i = 0; i < indices.size(); ++i)
        cropSeeds[i] = imageCropSeed(seed, epoch, indices[i]);
    return augmenter.apply(input, cropSeeds);
}

} // namespace swav
