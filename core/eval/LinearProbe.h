#pragma once
// Linear classifier on frozen, standardised features (the fast variant of the linear
// evaluation protocol): one linear layer, SGD with momentum, cosine learning rate.

#include "eval/Classification.h"
#include "eval/Features.h"

#include <cstdint>
#include <vector>

namespace swav {

struct LinearProbeOptions {
    int epochs = 100;
    double lr = 0.3; // at batch 256, scaled linearly with the batch size
    int batchSize = 256;
    double momentum = 0.9;
    double weightDecay = 1e-6;
    uint64_t seed = 0; // shuffling and initialisation
};

struct LinearProbeResult {
    ClassificationReport final; // after the last epoch
    double bestTop1 = 0;        // best test top-1 over the epochs
    int bestEpoch = 0;          // 1-based
    std::vector<double> top1PerEpoch;
};

/// train/test labels int64 in [0, classes). progress(epoch, epochs) may cancel.
LinearProbeResult trainLinearProbe(const FeatureSet& train, const FeatureSet& test, int classes,
                                   const LinearProbeOptions& options,
                                   const ProgressCallback& progress = {});

/// The official protocol: every epoch the training images pass through the frozen trunk (eval
/// mode, no gradient) as fresh random-resized crops (scale 0.08-1, ratio 3/4-4/3) with random
/// flips; test images use `transform`. Features are standardised with the statistics of the
/// un-augmented training images. Slower: one trunk pass per image and epoch.
LinearProbeResult trainLinearProbeOnImages(SwavModel& model, Dataset& train, const FeatureSet& test,
                                           int classes, const EvalTransform& transform,
                                           const LinearProbeOptions& options, at::Device device,
                                           const ProgressCallback& progress = {});

} // namespace swav
