#pragma once
// A folder of realistic JPEGs for benchmarks that anyone can make: ImageNet-like sizes cut from
// photographs on this machine (for instance those python3-skimage ships), one class per photo.

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

struct BenchImagesReport {
    std::vector<std::string> photos; // the photographs used, one class each
    int64_t images = 0;
    int64_t bytes = 0;
};

/// Writes `count` JPEGs (quality 90) into `outFolder`/<photo name>/NNNNNN.jpg: random crops of
/// 35-100 % of a photograph's area, flipped half the time, resized so that the longer side is
/// 500 and the shorter 333..500 (mostly 500 x 375 or 375 x 500), as ImageNet photos are. Uses the
/// colour photographs of at least 256 px a side in `photoFolder` (grey images, drawings and
/// test patterns are left out). `outFolder` must not exist or
/// be empty: nothing of the user's is overwritten. Deterministic for `seed`. Throws UserError
/// naming the folder or file; needs OpenCV.
BenchImagesReport writeBenchImages(const std::string& photoFolder, const std::string& outFolder,
                                   int64_t count, uint64_t seed);

/// Where python3-skimage keeps its sample photographs.
std::string skimagePhotoFolder();

} // namespace swav
