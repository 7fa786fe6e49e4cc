// Where each dataset kind lives by default and its usual normalisation statistics.
#include "data/Dataset.h"

#include <cstdlib>

namespace swav {
namespace {

/// $XDG_DATA_HOME/swav-workbench/datasets, falling back to ~/.local/share/...
std::string userDatasetFolder() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && *xdg)
        return std::string(xdg) + "/swav-workbench/datasets";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/share/swav-workbench/datasets";
}

} // namespace

std::string defaultDatasetPath(const std::string& kind) {
    if (kind == "fashion-mnist")
        return "/usr/share/datasets/fashion-mnist"; // Debian package dataset-fashion-mnist
    if (kind == "mnist")
        return "/usr/share/datasets/mnist";
    // The folder names the official binary archives unpack to.
    if (kind == "cifar10")
        return userDatasetFolder() + "/cifar-10-batches-bin";
    if (kind == "cifar100")
        return userDatasetFolder() + "/cifar-100-binary";
    if (kind == "stl10")
        return userDatasetFolder() + "/stl10_binary";
    return {}; // image-folder needs a path; synthetic needs none
}

void defaultNormalisation(const DatasetConfig& config, std::vector<double>& mean,
                          std::vector<double>& std) {
    const std::string& kind = config.kind;
    if (kind == "fashion-mnist") {
        mean = {0.2860};
        std = {0.3530};
    } else if (kind == "mnist") {
        mean = {0.1307};
        std = {0.3081};
    } else if (kind == "cifar10") {
        mean = {0.4914, 0.4822, 0.4465};
        std = {0.2470, 0.2435, 0.2616};
    } else if (kind == "cifar100") {
        mean = {0.5071, 0.4865, 0.4409};
        std = {0.2673, 0.2564, 0.2762};
    } else if (kind == "stl10") {
        mean = {0.4467, 0.4398, 0.4066};
        std = {0.2603, 0.2566, 0.2713};
    } else if (kind == "image-folder") {
        mean = {0.485, 0.456, 0.406}; // ImageNet
        std = {0.228, 0.224, 0.225};
    } else {
        const size_t channels = kind == "synthetic" && config.syntheticChannels == 1 ? 1 : 3;
        mean.assign(channels, 0.5);
        std.assign(channels, 0.25);
    }
}

} // namespace swav
