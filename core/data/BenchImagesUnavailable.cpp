#include "data/BenchImages.h"

#include "util/Expected.h"

namespace swav {

std::string skimagePhotoFolder() {
    return "/usr/lib/python3/dist-packages/skimage/data";
}

BenchImagesReport writeBenchImages(const std::string&, const std::string& outFolder, int64_t,
                                   uint64_t) {
    throw UserError(outFolder + ": writing JPEGs needs OpenCV, and this build has none "
                                "(configure with -DSWAV_WITH_OPENCV=ON)");
}

} // namespace swav
