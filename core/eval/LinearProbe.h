#pragma once
// Linear classifier on frozen features: one linear layer, SGD with momentum, cosine learning rate;
// on cached standardised features (fast), or as the authors' eval_linear.py on fresh crops.

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

/// The authors' eval_linear.py: every epoch the training images pass through the frozen trunk
/// (eval mode, no gradient) as fresh random-resized crops (scale 0.08-1, ratio 3/4-4/3, the
/// largest crop's size) with random flips; test images use `transform`. The features go to the
/// layer as they are; SGD (momentum, weight decay on weight and bias) at `lr` as given, on a
/// cosine per epoch to 0; every image every epoch (the last batch may be partial). Slower: one
/// trunk pass per image and epoch.
LinearProbeResult trainLinearProbeOnImages(SwavModel& model, Dataset& train, const FeatureSet& test,
                                           int classes, const EvalTransform& transform,
                                           const LinearProbeOptions& options, at::Device device,
                                           const ProgressCallback& progress = {});

} // namespace swav
