#pragma once
// Draws the random parameters of multi-crop augmentation (CPU, one generator per image).

#include "augment/MultiCrop.h"

#include <cstdint>
#include <random>
#include <vector>

namespace swav {

/// The random parameters of one crop of one image.
struct CropDraw {
    float box[4] = {0, 0, 0, 0};     // x, y, width, height in source pixels
    bool flipped = false;            // horizontal flip
    bool jittered = false;           // colour jitter applied
    float factors[4] = {1, 1, 1, 0}; // brightness, contrast, saturation, hue shift
    uint8_t order[4] = {0, 1, 2, 3}; // the order the four are applied in (as factors' indexes)
    bool grayscale = false;          // converted to grey
    float blurSigma = 0;             // Gaussian blur sigma in pixels, 0 = none
};

/// Draws one crop of an image of `height` x `width`: RandomResizedCrop's box (ratio 3/4..4/3,
/// 10 tries then a centre crop), flip, jitter factors, grayscale, blur and the jitter's order (a
/// new permutation per crop, as torchvision's ColorJitter draws one per call), in that order.
CropDraw drawCrop(const CropGroupConfig& group, int height, int width, std::mt19937_64& rng);

/// Every crop of one image (groups in order, `count` crops each) from one generator seeded by
/// `seed`: the same draws as sampleCropParams gives that image, whoever cuts the crops.
std::vector<CropDraw> drawImageCrops(const std::vector<CropGroupConfig>& groups, int height,
                                     int width, uint64_t seed);

/// Samples the crop for a batch; row i draws from imageRngs[i] only, so an image's crops do not
/// depend on the rest of the batch.
CropParams sampleCropParams(const CropGroupConfig& group, int groupIndex, int height, int width,
                            std::vector<std::mt19937_64>& imageRngs);

/// Crop `crop` (position among all crops) of each image's draws, as the rows of CropParams.
CropParams cropParamsFromDraws(const std::vector<CropGroupConfig>& groups, int crop,
                               const std::vector<std::vector<CropDraw>>& imageDraws);

} // namespace swav
