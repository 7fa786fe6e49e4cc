#pragma once
// Batched multi-crop augmentation (SwAV's RandomResizedCrop -> flip -> colour jitter ->
// grayscale -> Gaussian blur -> normalise) as tensor operations on whatever device the batch is
// on. Random parameters are drawn on the CPU from one generator per image, so an image's crops
// depend only on its seed, never on the rest of the batch, the thread count or the device.

#include "config/ExperimentConfig.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace swav {

/// What was applied to one crop, one row per image (CPU tensors).
struct CropParams {
    int group = 0;            // index into MultiCropConfig::crops
    int size = 0;             // output side in pixels
    at::Tensor boxes;         // float32 [B, 4]: x, y, width, height in source pixels
    at::Tensor flipped;       // bool [B]
    at::Tensor jittered;      // bool [B]: colour jitter applied
    at::Tensor jitterFactors; // float32 [B, 4]: brightness, contrast, saturation, hue shift
    at::Tensor jitterOrder;   // int64 [B, 4]: the order of the four (indexes into the factors)
    at::Tensor grayscale;     // bool [B]
    at::Tensor blurSigma;     // float32 [B]: sigma in pixels, 0 = not blurred
};

struct MultiCropBatch {
    std::vector<at::Tensor> crops;  // per crop: float32 [B, C, size, size], normalised
    std::vector<CropParams> params; // per crop
};

class MultiCropAugmenter {
public:
    /// `mean`/`std` per channel (size = channels of the images later given to apply()).
    MultiCropAugmenter(std::vector<CropGroupConfig> groups, std::vector<double> mean,
                       std::vector<double> std);

    /// images: uint8 [B, C, H, W], C = 1 or 3, on any device; imageSeeds: one per image. Crops
    /// come back on that device. Thread: any; the object is immutable.
    MultiCropBatch apply(const at::Tensor& images, const std::vector<uint64_t>& imageSeeds) const;
    /// The same with image i seeded by mixSeed(seed, i).
    MultiCropBatch apply(const at::Tensor& images, uint64_t seed) const;
    /// Colour jitter, grayscale, blur and normalisation of crops already cut and resized (uint8
    /// [B, C, size, size] each, flips applied), as apply() does after cutting; on their device.
    MultiCropBatch finish(const std::vector<at::Tensor>& cutCrops,
                          std::vector<CropParams> params) const;

    /// Undoes the normalisation: float [B, C, s, s] -> values in [0, 1] (for display).
    at::Tensor denormalise(const at::Tensor& crops) const;

    int totalCrops() const;
    const std::vector<CropGroupConfig>& groups() const { return m_groups; }

private:
    /// The steps after cutting, on float crops in [0, 1].
    at::Tensor finishCrop(at::Tensor crop, const CropParams& params) const;

    std::vector<CropGroupConfig> m_groups;
    std::vector<double> m_mean;
    std::vector<double> m_std;
};

namespace augment {
// Building blocks, exposed for tests. All take float images in [0, 1], [B, C, H, W].

/// A small CPU tensor (parameters of a batch) on `device`, as `dtype`: on a GPU through pinned
/// memory and an asynchronous copy, so that the host does not wait for the GPU's queue.
at::Tensor parametersOn(const at::Tensor& cpu, at::Device device, at::ScalarType dtype);

/// Resized crops through an affine grid and bilinear sampling; boxes float32 [B, 4] (x, y, w, h
/// in pixels), flips bool [B].
at::Tensor resizedCrop(const at::Tensor& images, const at::Tensor& boxes, const at::Tensor& flips,
                       int size);
/// factors float32 [B, 4] (brightness, contrast, saturation, hue shift); 1-channel images only
/// get brightness and contrast. order int64 [B, 4] (CPU): each image's order of the four, as
/// indexes into the factors; undefined: brightness, contrast, saturation, hue.
at::Tensor colourJitter(const at::Tensor& images, const at::Tensor& factors,
                        const at::Tensor& order = {});
/// ITU-R 601 luma, keeping the channel count.
at::Tensor toGrayscale(const at::Tensor& images);
/// Per-image Gaussian blur, sigma float32 [B] in pixels (<= 0 leaves the image unchanged).
at::Tensor gaussianBlur(const at::Tensor& images, const at::Tensor& sigma, double maxSigma);
at::Tensor rgbToHsv(const at::Tensor& rgb);
at::Tensor hsvToRgb(const at::Tensor& hsv);
} // namespace augment

} // namespace swav
