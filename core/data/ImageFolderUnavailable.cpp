#include "data/Dataset.h"

namespace swav {

std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int, int, int) {
    throw UserError(folder + ": image folders need OpenCV, and this build has none "
                             "(configure with -DSWAV_WITH_OPENCV=ON)");
}

} // namespace swav
