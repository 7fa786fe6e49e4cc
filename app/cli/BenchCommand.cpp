#include "cli/BenchCommand.h"

#include "augment/MultiCrop.h"
#include "cli/Commands.h"
#include "cli/ScratchRun.h"
#include "config/ConfigJson.h"
#include "data/Dataset.h"
#include "train/DeviceSetup.h"
#include "train/Trainer.h"
#include "util/Strings.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace swav::cli {

namespace {

/// The dataset to benchmark on: the configured one, or synthetic images of the same geometry
/// (also used when the configured data is not on this machine).
Expected<std::shared_ptr<Dataset>> benchDataset(ExperimentConfig& config, bool synthetic,
                                                int64_t images) {
    if (!synthetic) {
        auto split = openDataset(config.dataset);
        if (split)
            return split->train;
        std::fprintf(stderr, "%s\nusing synthetic images instead\n", split.error().message.c_str());
    }
    const int side = datasetImageSide(config.dataset);
    const int channels = datasetChannels(config.dataset);
    std::vector<double> mean, stdev;
    defaultNormalisation(config.dataset, mean, stdev);
    if (config.multicrop.mean.empty())
        config.multicrop.mean = mean;
    if (config.multicrop.std.empty())
        config.multicrop.std = stdev;
    return std::shared_ptr<Dataset>(makeSyntheticShapes(images, 4, side, channels, 1));
}

} // namespace

int runBench(const BenchOptions& options) {
    auto config = options.source.load();
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    const int64_t batch = config->optim.batchSize;
    auto dataset =
        benchDataset(*config, options.synthetic, batch * (options.steps + options.warmupSteps + 1));
    if (!dataset) {
        std::cerr << dataset.error().message << "\n";
        return ExitBadUsage;
    }
    // Stay in the warm-up-free part of the schedule: only speed is measured here.
    config->swav.freezePrototypesNiters = 0;

    TrainerOptions trainerOptions;
    trainerOptions.maxSteps = options.steps + options.warmupSteps;
    trainerOptions.untimedSteps = options.warmupSteps;
    trainerOptions.profile = true;
    Trainer trainer(*config, *dataset, trainerOptions);
    std::unique_ptr<ScratchRun> scratch;
    std::unique_ptr<TimedObserver> timedRecorder;
    if (options.store) {
        scratch = std::make_unique<ScratchRun>();
        timedRecorder = std::make_unique<TimedObserver>(scratch->recorder());
        trainer.addObserver(timedRecorder.get());
    }
    TrainingControl control;
    const auto outcome = trainer.run(control);
    double recordingSeconds = -1; // -1: not recorded
    if (scratch) {
        std::printf("recorded %lld metric rows in a scratch run database\n",
                    static_cast<long long>(scratch->rowsRecorded()));
        recordingSeconds = timedRecorder->seconds();
    }
    if (outcome.status == RunStatus::Failed) {
        std::cerr << "benchmark failed: " << outcome.message << "\n";
        return ExitRunFailed;
    }
    const auto device = setUpDevice(config->runtime);
    const auto& times = trainer.phaseTimes();
    const double totalMs = times.totalMilliseconds();
    const double imagesPerSecond = batch * options.steps / (totalMs / 1000.0);
    std::printf("preset %s on %s, batch %lld, %d crops, %d measured steps\n", config->name.c_str(),
                device.description.c_str(), static_cast<long long>(batch), config->totalCrops(),
                options.steps);
    std::printf("images/s: %.1f   (crops/s: %.0f, %.1f ms per step)\n", imagesPerSecond,
                imagesPerSecond * config->totalCrops(), totalMs / options.steps);
    for (int p = 0; p < static_cast<int>(Phase::Count); ++p) {
        const auto phase = static_cast<Phase>(p);
        std::printf("  %-10s %8.1f ms/step  %5.1f %%\n", phaseName(phase),
                    times.milliseconds(phase) / options.steps,
                    100.0 * times.milliseconds(phase) / totalMs);
    }
    if (recordingSeconds >= 0)
        std::printf("recording on the training thread: %.3f ms in all, %.4f %% of the measured "
                    "time (commits happen on the recorder's own thread)\n",
                    recordingSeconds * 1000.0, 100.0 * recordingSeconds * 1000.0 / totalMs);
    const double augmentAndSinkhorn =
        times.milliseconds(Phase::Augment) + times.milliseconds(Phase::Sinkhorn);
    std::printf("augment + sinkhorn: %.1f %% of the step\n", 100.0 * augmentAndSinkhorn / totalMs);
    if (device.device.is_cuda())
        std::printf("peak GPU memory: %s\n",
                    formatBytes(static_cast<double>(peakCudaMemoryBytes(device.device))).c_str());
    return ExitOk;
}

int runAugmentBench(const BenchOptions& options) {
    auto config = options.source.load();
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    const int64_t batch = config->optim.batchSize;
    auto dataset = benchDataset(*config, options.synthetic, batch * 4);
    if (!dataset) {
        std::cerr << dataset.error().message << "\n";
        return ExitBadUsage;
    }
    const auto device = setUpDevice(config->runtime);
    std::vector<double> mean = config->multicrop.mean, stdev = config->multicrop.std;
    if (mean.empty() || stdev.empty())
        defaultNormalisation(config->dataset, mean, stdev);
    MultiCropAugmenter augmenter(config->multicrop.crops, mean, stdev);
    std::vector<int64_t> indices(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i)
        indices[static_cast<size_t>(i)] = i % (*dataset)->size();
    auto images = (*dataset)->gather(indices).images.to(device.device);

    for (int i = 0; i < options.warmupSteps; ++i)
        augmenter.apply(images, i);
    PhaseTimer timer(device.device, true);
    timer.start();
    for (int i = 0; i < options.steps; ++i)
        augmenter.apply(images, 1000 + i);
    timer.mark(Phase::Augment);
    const double seconds = timer.milliseconds(Phase::Augment) / 1000.0;
    const double imagesPerSecond = batch * options.steps / seconds;
    std::printf("preset %s on %s: multi-crop of %lld images x %d crops\n", config->name.c_str(),
                device.description.c_str(), static_cast<long long>(batch), config->totalCrops());
    std::printf("images/s: %.0f   crops/s: %.0f   %.1f ms per batch\n", imagesPerSecond,
                imagesPerSecond * config->totalCrops(), 1000.0 * seconds / options.steps);
    return ExitOk;
}

} // namespace swav::cli
