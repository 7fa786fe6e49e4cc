#pragma once
// The smallest useful experiment: 16 px grey synthetic shapes through a one-stage custom ResNet
// of 8 channels, a 16-16-8 head and 8 prototypes. Trains an epoch in well under a second, so
// tests of the trainer's users (evaluation, the workbench) stay fast. Header-only: the GUI tests
// do not link the core test harness.

#include "config/ExperimentConfig.h"

#include <cstdint>

namespace swav::test {

inline ExperimentConfig tinySyntheticConfig(int64_t images) {
    ExperimentConfig c;
    c.dataset.kind = "synthetic";
    c.dataset.syntheticCount = int(images);
    c.dataset.syntheticSize = 16;
    c.dataset.syntheticChannels = 1;
    c.model.arch = "custom";
    c.model.block = "basic";
    c.model.stem = "cifar";
    c.model.stageDepths = {1};
    c.model.stageWidths = {8};
    c.model.stageStrides = {1};
    c.model.stemWidth = 8;
    c.model.head.hiddenDim = 16;
    c.model.head.outputDim = 8;
    c.model.numPrototypes = 8;
    return c;
}

/// The tiny experiment ready to train in a test: two 16 px and two 8 px crops, SGD without
/// warm-up, 2 epochs of batch 16 on one CPU thread in fp32, metrics after every step. Tests
/// change only what they are about.
inline ExperimentConfig tinyTrainingConfig(int64_t images = 64) {
    ExperimentConfig c = tinySyntheticConfig(images);
    c.name = "tiny";
    CropGroupConfig large;
    large.count = 2, large.size = 16, large.minScale = 0.3, large.maxScale = 1.0;
    large.blurProb = 0;
    CropGroupConfig small = large;
    small.count = 2, small.size = 8, small.minScale = 0.1, small.maxScale = 0.3;
    c.multicrop.crops = {large, small};
    c.optim.optimizer = "sgd";
    c.optim.epochs = 2;
    c.optim.batchSize = 16;
    c.optim.baseLr = 0.1;
    c.optim.finalLr = 0.01;
    c.optim.startWarmup = 0.1;
    c.optim.warmupEpochs = 0;
    c.swav.freezePrototypesNiters = 0;
    c.runtime.device = "cpu";
    c.runtime.threads = 1;
    c.runtime.precision = "fp32";
    c.runtime.seed = 3;
    c.runtime.metricsEvery = 1;
    return c;
}

} // namespace swav::test
