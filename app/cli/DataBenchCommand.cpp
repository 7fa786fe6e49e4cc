#include "cli/DataBenchCommand.h"
#include "config/DatasetKinds.h"

#include "augment/MultiCrop.h"
#include "cli/Commands.h"
#include "data/BenchImages.h"
#include "data/Dataset.h"
#include "dist/EpochShards.h"
#include "runtime/DeviceSetup.h"
#include "runtime/MultiCropRecipe.h"
#include "util/Strings.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

namespace swav::cli {

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// `steps` batches of `batch` positions from the epoch order of `size` images, cycling.
std::vector<std::vector<int64_t>> benchBatches(int64_t size, int64_t batch, int steps,
                                               uint64_t seed) {
    const auto order = epochOrder(size, seed, 0);
    std::vector<std::vector<int64_t>> batches(static_cast<size_t>(steps));
    int64_t next = 0;
    for (auto& indices : batches)
        for (int64_t i = 0; i < batch; ++i)
            indices.push_back(order[static_cast<size_t>(next++ % size)]);
    return batches;
}

} // namespace

int runDataBench(const BenchOptions& options) {
    if (options.images.empty()) {
        std::cerr << "bench data: --images DIR is required (see `swav make-images`)\n";
        return ExitBadUsage;
    }
    ConfigSource source = options.source;
    // The folder and a device that exists here come first; the user's --set still wins.
    source.overrides.insert(source.overrides.begin(),
                            {"dataset.kind=image-folder", "dataset.path=" + options.images,
                             "runtime.device=auto",
                             "dataset.decode_threads=" + std::to_string(options.threads)});
    auto config = source.load();
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    DatasetOpening opening;
    opening.report = [](const std::string& text) { std::cerr << text << std::endl; };
    const auto openStart = Clock::now();
    auto split = openDataset(config->dataset, opening);
    const double openMs = millisecondsSince(openStart);
    if (!split) {
        std::cerr << split.error().message << "\n";
        return ExitBadUsage;
    }
    Dataset& data = *split->train;
    const DeviceChoice device = setUpDevice(config->runtime);
    const Normalisation normalisation = resolveNormalisation(*config, data.channels());
    const auto& mean = normalisation.mean;
    const auto& stdev = normalisation.std;
    const MultiCropAugmenter augmenter(config->multicrop.crops, mean, stdev);
    const bool inWorkers =
        finishCropsInWorkers(config->dataset.cropFinish, device.device.is_cuda());
    const auto seed = static_cast<uint64_t>(config->runtime.seed);
    auto recipe = std::make_shared<MultiCropRecipe>(
        config->multicrop.crops, mean, stdev,
        [seed](int64_t index) { return imageCropSeed(seed, 0, index); }, inWorkers);

    const int64_t batch = config->optim.batchSize;
    const int total = options.warmupSteps + options.steps;
    const auto batches = benchBatches(data.size(), batch, total, seed);
    const int threads = options.threads > 0
                            ? options.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const auto start = Clock::now();
    data.prefetchCrops(batches, recipe, device.device.is_cuda());
    double waitMs = 0, finishMs = 0;
    Clock::time_point measuredStart = start;
    for (int step = 0; step < total; ++step) {
        if (step == options.warmupSteps) {
            measuredStart = Clock::now();
            waitMs = finishMs = 0;
        }
        const auto stepStart = Clock::now();
        const CutCropBatch cut = data.gatherCrops(batches[static_cast<size_t>(step)], recipe);
        waitMs += millisecondsSince(stepStart);
        const auto finishStart = Clock::now();
        const auto crops = cropsForNetwork(augmenter, *recipe, cut, device.device);
        if (device.device.is_cuda())
            crops.crops.back().sum().item<double>(); // the copies and kernels have run
        finishMs += millisecondsSince(finishStart);
    }
    const double measuredMs = millisecondsSince(measuredStart);
    const double imagesPerSecond = batch * options.steps / (measuredMs / 1000.0);
    std::printf("preset %s: %s\n", config->name.c_str(), data.description().c_str());
    std::printf("opened in %.3f s: %lld files listed by name, none read; %lld images decoded "
                "since (%d batches)\n",
                openMs / 1000.0, static_cast<long long>(data.size()),
                static_cast<long long>(batch * total), total);
    std::printf("%d crops per image (", config->totalCrops());
    for (size_t g = 0; g < config->multicrop.crops.size(); ++g)
        std::printf("%s%dx%d", g ? " + " : "", config->multicrop.crops[g].count,
                    config->multicrop.crops[g].size);
    std::printf("), batch %lld, %d measured batches after %d\n", static_cast<long long>(batch),
                options.steps, options.warmupSteps);
    std::printf("decoding threads: %d; colour, blur and normalisation on %s\n", threads,
                inWorkers ? "the decoding threads" : device.description.c_str());
    std::printf("images/s: %.1f   per decoding thread: %.1f   (%.1f ms per batch)\n",
                imagesPerSecond, imagesPerSecond / threads, measuredMs / options.steps);
    std::printf("  %-22s %8.1f ms/batch  %5.1f %%\n", "data wait", waitMs / options.steps,
                100.0 * waitMs / measuredMs);
    std::printf("  %-22s %8.1f ms/batch  %5.1f %%\n", "augmentation (device)",
                finishMs / options.steps, 100.0 * finishMs / measuredMs);
    if (const int64_t skipped = data.skippedFiles())
        std::printf("unreadable files skipped: %lld\n", static_cast<long long>(skipped));
    return ExitOk;
}

int runMakeImages(const MakeImagesOptions& options) {
    const std::string photos =
        options.photoFolder.empty() ? skimagePhotoFolder() : options.photoFolder;
    auto report = catchUserError([&] {
        return writeBenchImages(photos, options.outFolder, options.count,
                                static_cast<uint64_t>(options.seed));
    });
    if (!report) {
        std::cerr << report.error().message << "\n";
        return ExitBadUsage;
    }
    std::printf("wrote %lld JPEGs (%s) in %zu classes to %s, from the photographs of %s\n",
                static_cast<long long>(report->images),
                formatBytes(static_cast<double>(report->bytes)).c_str(), report->photos.size(),
                options.outFolder.c_str(), photos.c_str());
    return ExitOk;
}

} // namespace swav::cli
