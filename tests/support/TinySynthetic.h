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

} // namespace swav::test
