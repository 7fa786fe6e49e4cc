#include "config/DatasetKinds.h"

#include "util/Expected.h"
#include "util/Strings.h"

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

std::vector<double> eachChannel(const std::vector<double>& given, size_t channels,
                                double fallback) {
    if (given.size() == channels)
        return given;
    return std::vector<double>(channels, given.empty() ? fallback : given[0]);
}

} // namespace

const std::vector<DatasetKind>& datasetKinds() {
    using R = DatasetReader;
    // The folder names are those the official binary archives unpack to.
    static const std::vector<DatasetKind> kinds = {
        {"fashion-mnist",
         R::Idx,
         28,
         1,
         {0.2860},
         {0.3530},
         "/usr/share/datasets/fashion-mnist",
         "",
         "dataset-fashion-mnist",
         {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"}},
        {"mnist", R::Idx, 28, 1, {0.1307}, {0.3081}, "/usr/share/datasets/mnist", "", ""},
        {"cifar10",
         R::Cifar10,
         32,
         3,
         {0.4914, 0.4822, 0.4465},
         {0.2470, 0.2435, 0.2616},
         "",
         "cifar-10-batches-bin",
         ""},
        {"cifar100",
         R::Cifar100,
         32,
         3,
         {0.5071, 0.4865, 0.4409},
         {0.2673, 0.2564, 0.2762},
         "",
         "cifar-100-binary",
         ""},
        {"stl10",
         R::Stl10,
         96,
         3,
         {0.4467, 0.4398, 0.4066},
         {0.2603, 0.2566, 0.2713},
         "",
         "stl10_binary",
         ""},
        // ImageNet's statistics.
        {"image-folder",
         R::ImageFolder,
         0,
         3,
         {0.485, 0.456, 0.406},
         {0.228, 0.224, 0.225},
         "",
         "",
         ""},
        {"synthetic", R::Synthetic, 0, 0, {}, {}, "", "", ""},
    };
    return kinds;
}

const Choices& datasetKindNames() {
    static const Choices names = [] {
        Choices out;
        for (const auto& kind : datasetKinds())
            out.push_back(kind.name);
        return out;
    }();
    return names;
}

const DatasetKind& datasetKind(const std::string& name) {
    for (const auto& kind : datasetKinds())
        if (kind.name == name)
            return kind;
    throw UserError("dataset.kind: '" + name + "' is not a dataset kind (expected " +
                    joinAlternatives(datasetKindNames()) + ")");
}

int datasetImageSide(const DatasetConfig& dataset) {
    const DatasetKind& kind = datasetKind(dataset.kind);
    if (kind.side > 0)
        return kind.side;
    return kind.reader == DatasetReader::Synthetic ? dataset.syntheticSize : dataset.imageSize;
}

int datasetChannels(const DatasetConfig& dataset) {
    const DatasetKind& kind = datasetKind(dataset.kind);
    return kind.channels > 0 ? kind.channels : dataset.syntheticChannels;
}

bool imagesNamed(const DatasetConfig& dataset) {
    return dataset.kind != "image-folder" || !dataset.path.empty();
}

std::string defaultDatasetPath(const std::string& name) {
    const DatasetKind& kind = datasetKind(name);
    if (!kind.systemFolder.empty())
        return kind.systemFolder;
    if (!kind.userFolder.empty())
        return userDatasetFolder() + "/" + kind.userFolder;
    return {}; // image-folder needs a path; synthetic needs none
}

Normalisation datasetNormalisation(const DatasetConfig& dataset) {
    const DatasetKind& kind = datasetKind(dataset.kind);
    const auto channels = static_cast<size_t>(datasetChannels(dataset));
    return {eachChannel(kind.mean, channels, 0.5), eachChannel(kind.std, channels, 0.25)};
}

Normalisation resolveNormalisation(const ExperimentConfig& config, int channels) {
    const auto count =
        static_cast<size_t>(channels > 0 ? channels : datasetChannels(config.dataset));
    const Normalisation usual = datasetNormalisation(config.dataset);
    const auto& mean = config.multicrop.mean.empty() ? usual.mean : config.multicrop.mean;
    const auto& std = config.multicrop.std.empty() ? usual.std : config.multicrop.std;
    return {eachChannel(mean, count, 0.5), eachChannel(std, count, 0.25)};
}

} // namespace swav
