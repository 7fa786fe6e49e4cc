#pragma once
// Draws the random parameters of one crop for a batch (CPU, one generator per image).

#include "augment/MultiCrop.h"

#include <random>
#include <vector>

namespace swav {

/// Samples boxes (RandomResizedCrop with ratio 3/4..4/3, 10 tries then a centre crop), flips,
/// jitter factors, grayscale and blur decisions for images of `height` x `width`; row i draws
/// from imageRngs[i] only, so an image's crops do not depend on the rest of the batch.
CropParams sampleCropParams(const CropGroupConfig& group, int groupIndex, int height, int width,
                            std::vector<std::mt19937_64>& imageRngs);

} // namespace swav
