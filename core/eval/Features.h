#pragma once
// Frozen-trunk features of a dataset, the raw-pixel baseline, and a cache next to checkpoints.

#include "data/Dataset.h"
#include "model/SwavModel.h"

#include <ATen/Tensor.h>

#include <functional>
#include <string>
#include <vector>

namespace swav {

/// Progress of a long computation: (done, total); returning false cancels it.
using ProgressCallback = std::function<bool(int64_t, int64_t)>;

/// Thrown when a ProgressCallback asked to stop.
struct Cancelled : std::runtime_error {
    Cancelled()
        : std::runtime_error("cancelled") {}
};

struct FeatureSet {
    at::Tensor features; // float32 [N, D], CPU
    at::Tensor labels;   // int64 [N], CPU; undefined when the data has no labels
};

/// How images become network input for evaluation: scaled to [0, 1], centre-cropped to `side`
/// when larger, normalised per channel.
struct EvalTransform {
    int side = 0;             // 0 = keep the image size
    std::vector<double> mean; // per channel
    std::vector<double> std;

    at::Tensor apply(const at::Tensor& images) const; // uint8 [B,C,H,W] -> float [B,C,s,s]
};

/// The transform matching a run's config: the largest crop size, the run's normalisation.
EvalTransform evalTransformFor(const ExperimentConfig& config);

/// uint8 images [B, C, H, W] -> float rows [B, D].
using RowFunction = std::function<at::Tensor(const at::Tensor&)>;

/// `embed` of every image in dataset order, batch by batch, without gradient; rows on the CPU
/// as float32, labels from the dataset.
FeatureSet extractRows(Dataset& data, int batchSize, const RowFunction& embed,
                       const ProgressCallback& progress = {});

/// Global-average-pooled trunk features of every image, in dataset order; the model is put in
/// eval mode (its previous mode is restored) and no gradient is recorded.
FeatureSet extractFeatures(SwavModel& model, Dataset& data, const EvalTransform& transform,
                           int batchSize, at::Device device, const ProgressCallback& progress = {});

/// Normalised pixels, average-pooled to at most 32 px a side, flattened: the baseline every
/// learned representation must beat.
FeatureSet rawPixelFeatures(Dataset& data, const EvalTransform& transform, int batchSize,
                            const ProgressCallback& progress = {});

/// What a feature cache must hold to be used: one finite row of `width` features per image of the
/// dataset, and exactly the dataset's labels (none when it has none).
struct CachedFeaturesShape {
    int64_t rows = 0;
    int64_t width = 0;
    at::Tensor labels; // undefined: the dataset has no labels
};

/// Features cached in a file; reused when `key` (checkpoint identity + dataset identity) matches
/// and the contents have `shape`. Returns false when absent, stale or damaged in any way: the
/// file is untrusted, and a wrong cache would silently give wrong accuracies.
bool loadCachedFeatures(const std::string& path, const std::string& key,
                        const CachedFeaturesShape& shape, FeatureSet& out);
void saveCachedFeatures(const std::string& path, const std::string& key, const FeatureSet& set);

/// "size:mtime" of a file, for cache keys; "" when it does not exist.
std::string fileIdentity(const std::string& path);

} // namespace swav
