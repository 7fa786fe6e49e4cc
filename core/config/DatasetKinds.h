#pragma once
// Every dataset kind in one table: where its files are by default, how they are read, its image
// size and channels, and its usual normalisation. Whatever depends on the kind looks it up here.

#include "config/ExperimentConfig.h"

#include <string>
#include <vector>

namespace swav {

enum class DatasetReader { Idx, Cifar10, Cifar100, Stl10, ImageFolder, Synthetic };

struct DatasetKind {
    std::string name; // the value of dataset.kind
    DatasetReader reader;
    int side = 0;     // image side in pixels; 0 = from the config (synthetic_size, image_size)
    int channels = 0; // 0 = from the config (synthetic_channels)
    std::vector<double> mean, std;       // per channel; empty = 0.5 and 0.25 for each channel
    std::string systemFolder;            // default location, absolute ("" = none)
    std::string userFolder;              // default location under the user's dataset folder
    std::string package;                 // the Debian package that installs it ("" = none)
    std::vector<std::string> classNames; // "" = the reader's (numbers, or the archive's names)
};

/// The kinds, in the order the form and the help list them.
const std::vector<DatasetKind>& datasetKinds();

/// The kind named `name`; throws UserError naming dataset.kind and the kinds there are.
const DatasetKind& datasetKind(const std::string& name);

/// Side of the images `dataset` describes (before any crop), in pixels.
int datasetImageSide(const DatasetConfig& dataset);
/// Channels of the images `dataset` describes.
int datasetChannels(const DatasetConfig& dataset);

/// Whether `dataset` says where its images are: every kind but image-folder has a default place.
bool imagesNamed(const DatasetConfig& dataset);

/// Default location of a dataset kind: fashion-mnist and mnist in /usr/share/datasets/<kind>
/// (Debian's dataset-fashion-mnist installs the former); cifar10, cifar100 and stl10 in
/// ${XDG_DATA_HOME:-~/.local/share}/swav-workbench/datasets/ under the folder names their
/// binary archives unpack to (cifar-10-batches-bin, cifar-100-binary, stl10_binary);
/// "" for image-folder (needs a path) and synthetic.
std::string defaultDatasetPath(const std::string& kind);

/// Per-channel statistics the pixels (scaled to [0, 1]) are normalised with.
struct Normalisation {
    std::vector<double> mean;
    std::vector<double> std;
};

/// The usual statistics of `dataset`'s kind, one value per channel.
Normalisation datasetNormalisation(const DatasetConfig& dataset);

/// What training, evaluation, the crop views and the benchmarks normalise with: multicrop.mean
/// and multicrop.std where given, else the kind's statistics; a single value given for several
/// channels applies to each. `channels` 0 = the dataset's.
Normalisation resolveNormalisation(const ExperimentConfig& config, int channels = 0);

} // namespace swav
