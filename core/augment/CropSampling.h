#pragma once
// Draws the random parameters of one crop for a batch (CPU, own generator).

#include "augment/MultiCrop.h"

#include <random>

namespace swav {

/// Samples boxes (RandomResizedCrop with ratio 3/4..4/3, 10 tries then a centre crop), flips,
/// jitter factors, grayscale and blur decisions for `batch` images of `height` x `width`.
CropParams sampleCropParams(const CropGroupConfig& group, int groupIndex, int64_t batch, int height,
                            int width, std::mt19937_64& rng);

} // namespace swav
