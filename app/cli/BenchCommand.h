#pragma once

#include "cli/ConfigSource.h"
#include "dist/WorkerLauncher.h"

namespace swav::cli {

struct BenchOptions {
    ConfigSource source;
    int steps = 20;           // measured steps
    int warmupSteps = 3;      // steps run before measuring
    bool synthetic = false;   // synthetic images of the preset's geometry instead of the dataset
    bool store = false;       // record the measured steps into a scratch run database
    bool byLayer = false;     // split the measured steps' CPU time by kind of layer
    long long rows = 1000000; // `bench store`: metric rows to insert
    int points = 2000;        // `bench store`: points of the downsampled series
    LaunchPlan launch;        // --nproc-per-node: benchmark data-parallel training
    std::string images;       // `bench data`: the image folder
    int threads = 0;          // `bench data`: decoding threads, 0 = one per core
};

/// `swav bench`: images/s and the time split of a training step, no run written.
int runBench(const BenchOptions& options);

/// `swav bench augment`: crops/s of the multi-crop pipeline alone.
int runAugmentBench(const BenchOptions& options);

/// `swav bench store`: metric insert rate and downsampled series reads of the run database.
int runStoreBench(const BenchOptions& options);

} // namespace swav::cli
