#pragma once
// One crop's colour augmentation and normalisation on the CPU, pixel by pixel: what
// MultiCropAugmenter does to a batch of tensors, for decoding threads that finish crops
// themselves (a batch of tensor operations on the CPU is several times slower).

#include "augment/CropSampling.h"

#include <cstdint>
#include <vector>

namespace swav {

/// Reusable buffers of finishCropPixels, one per thread.
struct CropPixelScratch {
    std::vector<float> planes;
    std::vector<float> blurred;
};

/// Finishes one cut crop: colour jitter (brightness, contrast, saturation, hue, in the draw's
/// order), grayscale, Gaussian blur (radius ceil(3 * blurSigmaMax), reflected borders), then (x -
/// mean) / std per channel. `hwc`: size x size pixels of `channels` (1 or 3) interleaved uint8
/// values, flip already applied; `out`: channels x size x size floats, channels first. Matches the
/// tensor operations of augment:: within float rounding.
void finishCropPixels(const uint8_t* hwc, int size, int channels, const CropDraw& draw,
                      double blurSigmaMax, const double* mean, const double* std, float* out,
                      CropPixelScratch& scratch);

} // namespace swav
