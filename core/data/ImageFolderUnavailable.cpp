#include "data/Dataset.h"
#include "data/ImageFolderListing.h"

namespace swav {

std::shared_ptr<Dataset> openImageFolder(std::shared_ptr<const ImageFolderListing> listing, int,
                                         int, int) {
    throw UserError(listing->folder + ": image folders need OpenCV, and this build has none "
                                      "(configure with -DSWAV_WITH_OPENCV=ON)");
}

std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int, int, int) {
    throw UserError(folder + ": image folders need OpenCV, and this build has none "
                             "(configure with -DSWAV_WITH_OPENCV=ON)");
}

} // namespace swav
