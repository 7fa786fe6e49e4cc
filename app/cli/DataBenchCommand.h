#pragma once

#include "cli/BenchCommand.h"

#include <cstdint>
#include <string>

namespace swav::cli {

/// `swav bench data --images DIR`: images/s of decoding and multi-crop from an image folder.
int runDataBench(const BenchOptions& options);

struct MakeImagesOptions {
    std::string outFolder;
    std::string photoFolder; // empty: python3-skimage's photographs
    long long count = 1000;
    long long seed = 0;
};

/// `swav make-images`: a folder of ImageNet-like JPEGs for the data benchmark.
int runMakeImages(const MakeImagesOptions& options);

} // namespace swav::cli
