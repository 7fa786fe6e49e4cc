#include "augment/MultiCrop.h"

#include "augment/CropSampling.h"
#include "util/Expected.h"
#include "util/SeedMix.h"

#include <ATen/ATen.h>

#include <random>

namespace swav {

MultiCropAugmenter::MultiCropAugmenter(std::vector<CropGroupConfig> groups,
                                       std::vector<double> mean, std::vector<double> std)
    : m_groups(std::move(groups))
    , m_mean(std::move(mean))
    , m_std(std::move(std)) {}

int MultiCropAugmenter::totalCrops() const {
    int total = 0;
    for (const auto& group : m_groups)
        total += group.count;
    return total;
}

MultiCropBatch MultiCropAugmenter::apply(const at::Tensor& images, uint64_t seed) const {
    std::vector<uint64_t> imageSeeds(images.dim() > 0 ? static_cast<size_t>(images.size(0)) : 0);
    for (size_t i = 0; i < imageSeeds.size(); ++i)
        imageSeeds[i] = mixSeed(seed, i);
    return apply(images, imageSeeds);
}

MultiCropBatch MultiCropAugmenter::apply(const at::Tensor& images,
                                         const std::vector<uint64_t>& imageSeeds) const {
    if (images.dim() != 4 || images.scalar_type() != at::kByte)
        throw UserError("multi-crop input must be uint8 [B, C, H, W]");
    const auto batch = images.size(0);
    const int channels = static_cast<int>(images.size(1));
    const int height = static_cast<int>(images.size(2));
    const int width = static_cast<int>(images.size(3));
    if (static_cast<int>(m_mean.size()) != channels || static_cast<int>(m_std.size()) != channels)
        throw UserError("normalisation has " + std::to_string(m_mean.size()) +
                        " channels, the images have " + std::to_string(channels));
    if (static_cast<int64_t>(imageSeeds.size()) != batch)
        throw UserError("multi-crop got " + std::to_string(imageSeeds.size()) + " seeds for " +
                        std::to_string(batch) + " images");

    const auto source = images.to(at::kFloat).div_(255.0);
    std::vector<std::mt19937_64> imageRngs(imageSeeds.begin(), imageSeeds.end());
    MultiCropBatch out;
    for (size_t g = 0; g < m_groups.size(); ++g) {
        const auto& group = m_groups[g];
        for (int c = 0; c < group.count; ++c) {
            auto params = sampleCropParams(group, static_cast<int>(g), height, width, imageRngs);
            auto crop = augment::resizedCrop(source, params.boxes, params.flipped, group.size);
            out.crops.push_back(finishCrop(std::move(crop), params));
            out.params.push_back(std::move(params));
        }
    }
    return out;
}

MultiCropBatch MultiCropAugmenter::finish(const std::vector<at::Tensor>& cutCrops,
                                          std::vector<CropParams> params) const {
    if (cutCrops.size() != params.size() || static_cast<int>(cutCrops.size()) != totalCrops())
        throw UserError("multi-crop finish got " + std::to_string(cutCrops.size()) + " crops for " +
                        std::to_string(totalCrops()));
    MultiCropBatch out;
    for (size_t c = 0; c < cutCrops.size(); ++c) {
        const auto& crop = cutCrops[c];
        if (crop.dim() != 4 || crop.scalar_type() != at::kByte ||
            crop.size(1) != static_cast<int64_t>(m_mean.size()))
            throw UserError("multi-crop finish needs uint8 [B, " + std::to_string(m_mean.size()) +
                            ", size, size] crops");
        out.crops.push_back(finishCrop(crop.to(at::kFloat).div_(255.0), params[c]));
    }
    out.params = std::move(params);
    return out;
}

at::Tensor MultiCropAugmenter::finishCrop(at::Tensor crop, const CropParams& params) const {
    const auto batch = crop.size(0);
    const int channels = static_cast<int>(crop.size(1));
    const auto& group = m_groups[static_cast<size_t>(params.group)];
    const auto mean =
        augment::parametersOn(at::tensor(m_mean, at::kDouble), crop.device(), at::kFloat)
            .view({1, channels, 1, 1});
    const auto invStd =
        augment::parametersOn(1.0 / at::tensor(m_std, at::kDouble), crop.device(), at::kFloat)
            .view({1, channels, 1, 1});
    // The decisions are read from the CPU parameters: no device synchronisation.
    if (params.jittered.any().item<bool>())
        crop = augment::colourJitter(crop, params.jitterFactors, params.jitterOrder);
    if (channels > 1 && params.grayscale.any().item<bool>()) {
        auto mask = augment::parametersOn(params.grayscale, crop.device(), at::kBool)
                        .view({batch, 1, 1, 1});
        crop = at::where(mask, augment::toGrayscale(crop), crop);
    }
    if ((params.blurSigma > 0).any().item<bool>())
        crop = augment::gaussianBlur(crop, params.blurSigma, group.blurSigmaMax);
    return ((crop - mean) * invStd).contiguous();
}

at::Tensor MultiCropAugmenter::denormalise(const at::Tensor& crops) const {
    const int channels = static_cast<int>(crops.size(1));
    const auto options = crops.options().dtype(at::kFloat);
    const auto mean = at::tensor(m_mean, at::kDouble).to(options).view({1, channels, 1, 1});
    const auto std = at::tensor(m_std, at::kDouble).to(options).view({1, channels, 1, 1});
    return (crops * std + mean).clamp(0.0, 1.0);
}

} // namespace swav
