#include "cli/BenchCommand.h"
#include "config/DatasetKinds.h"

#include "augment/MultiCrop.h"
#include "cli/Commands.h"
#include "cli/ScratchRun.h"
#include "config/ConfigJson.h"
#include "data/Dataset.h"
#include "dist/DistributedSetup.h"
#include "dist/ProcessGroupCollective.h"
#include "dist/RankPlacement.h"
#include "runtime/DeviceSetup.h"
#include "train/OpProfile.h"
#include "train/Trainer.h"
#include "util/Strings.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

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
    return std::shared_ptr<Dataset>(makeSyntheticShapes(images, 4, side, channels, 1));
}

/// Profiles the operators of the steps after the warm-up (the profiler follows the training
/// thread, where the trainer reports each step).
class LayerTimer : public TrainingObserver {
public:
    explicit LayerTimer(int warmupSteps)
        : m_warmupSteps(warmupSteps) {
        if (warmupSteps <= 0)
            m_profile = std::make_unique<OpProfile>();
    }
    void onStep(const StepMetrics& m) override {
        if (!m_profile && m.step + 1 == m_warmupSteps)
            m_profile = std::make_unique<OpProfile>();
    }
    std::vector<KindTime> finish() {
        return m_profile ? m_profile->finish() : std::vector<KindTime>{};
    }
    std::vector<KindTime> operators() const {
        return m_profile ? m_profile->operators() : std::vector<KindTime>{};
    }

private:
    int m_warmupSteps;
    std::unique_ptr<OpProfile> m_profile;
};

void printTimes(const std::vector<KindTime>& kinds, int steps, size_t rows) {
    double total = 0;
    for (const KindTime& k : kinds)
        total += k.milliseconds;
    for (size_t i = 0; i < kinds.size() && i < rows; ++i) {
        const KindTime& k = kinds[i];
        std::printf("  %-44s %8.1f ms/step  %5.1f %%  (%lld calls/step)\n", k.kind.c_str(),
                    k.milliseconds / steps, total > 0 ? 100.0 * k.milliseconds / total : 0.0,
                    k.calls / std::max(1, steps));
    }
}

void printLayerTimes(LayerTimer& layers, int steps) {
    const std::vector<KindTime> kinds = layers.finish();
    std::printf("CPU time by kind of layer (self time of LibTorch operators, forward and "
                "backward; profiled steps run slower):\n");
    printTimes(kinds, steps, kinds.size());
    std::printf("the 12 costliest operators:\n");
    printTimes(layers.operators(), steps, 12);
}

/// Times the calls that block on other ranks (a reduction started during the backward pass
/// counts only for its wait), from the first measured step on.
class TimedCollective : public Collective {
public:
    TimedCollective(Collective& inner, int64_t firstMeasuredStep)
        : m_inner(inner)
        , m_firstMeasuredStep(firstMeasuredStep) {}
    int rank() const override { return m_inner.rank(); }
    int worldSize() const override { return m_inner.worldSize(); }
    void allReduceSum(at::Tensor& tensor) override {
        timed([&] { m_inner.allReduceSum(tensor); });
    }
    std::unique_ptr<PendingReduction> allReduceSumAsync(at::Tensor& tensor) override {
        std::unique_ptr<PendingReduction> pending;
        timed([&] { pending = m_inner.allReduceSumAsync(tensor); });
        return std::make_unique<TimedWait>(*this, std::move(pending));
    }
    void allReduceMax(at::Tensor& tensor) override {
        timed([&] { m_inner.allReduceMax(tensor); });
    }
    void broadcast(at::Tensor& tensor) override {
        timed([&] { m_inner.broadcast(tensor); });
    }
    void noteProgress(int64_t step) override {
        if (step == m_firstMeasuredStep)
            m_seconds = 0;
        m_inner.noteProgress(step);
    }
    std::vector<std::string> hosts() const override { return m_inner.hosts(); }
    std::unique_ptr<Collective> subgroup(int size) override { return m_inner.subgroup(size); }
    double seconds() const { return m_seconds; }

private:
    struct TimedWait : PendingReduction {
        TimedWait(TimedCollective& owner, std::unique_ptr<PendingReduction> inner)
            : owner(owner)
            , inner(std::move(inner)) {}
        void wait() override {
            owner.timed([&] { inner->wait(); });
        }
        TimedCollective& owner;
        std::unique_ptr<PendingReduction> inner;
    };
    template <class F> void timed(F&& call) {
        const auto start = std::chrono::steady_clock::now();
        call();
        m_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    Collective& m_inner;
    int64_t m_firstMeasuredStep;
    double m_seconds = 0;
};

/// This rank's part of `swav bench --nproc-per-node N` (started by the launcher).
struct BenchRank {
    std::unique_ptr<ProcessGroupCollective> group;
    std::unique_ptr<TimedCollective> timed;
};

Expected<BenchRank> joinBench(DistributedSetup setup, ExperimentConfig& config, int warmupSteps) {
    setup.timeoutSeconds = config.runtime.distTimeoutSeconds;
    setup.setupTimeoutSeconds = config.runtime.distSetupTimeoutSeconds;
    placeRank(config.runtime, setup, static_cast<int>(torch::cuda::device_count()));
    const bool cuda = config.runtime.device.rfind("cuda", 0) == 0;
    return catchUserError([&] {
        BenchRank rank;
        rank.group = ProcessGroupCollective::connect(
            setup, cuda ? c10::Device(config.runtime.device) : c10::Device(c10::kCPU));
        rank.group->finishSetup(); // no plan to wait for: collectives from here
        rank.timed = std::make_unique<TimedCollective>(*rank.group, warmupSteps);
        if (setup.rank != 0) // only rank 0 reports
            std::freopen("/dev/null", "w", stdout);
        return rank;
    });
}

} // namespace

/// The figures of a measured benchmark: images/s, the time split of a step, the ranks' waiting,
/// the recorder's cost and, when asked, the time by kind of layer.
void printBenchFigures(const ExperimentConfig& config, const BenchOptions& options,
                       const PhaseTimer& times, const BenchRank* rank, double recordingSeconds,
                       LayerTimer* layers) {
    const int world = rank ? rank->group->worldSize() : 1;
    const int64_t batch = config.optim.batchSize;
    const auto device = setUpDevice(config.runtime);
    const double totalMs = times.totalMilliseconds();
    const double imagesPerSecond = batch * world * options.steps / (totalMs / 1000.0);
    std::printf("preset %s on %s, batch %lld, %d crops, %d measured steps\n", config.name.c_str(),
                device.description.c_str(), static_cast<long long>(batch), config.totalCrops(),
                options.steps);
    if (rank) {
        const double waitMs = rank->timed->seconds() * 1000.0;
        std::printf("%d processes (%s), global batch %lld; gradient buckets of %d MiB, %s the "
                    "backward pass\n",
                    world, rank->group->backendName().c_str(),
                    static_cast<long long>(batch * world), config.runtime.gradBucketMb,
                    config.runtime.gradOverlap ? "all-reduced during" : "all-reduced after");
        std::printf("waiting on the other ranks (all-reduce, sync batch norm, Sinkhorn, flags): "
                    "%.1f ms/step, %.1f %% of the step\n",
                    waitMs / options.steps, 100.0 * waitMs / totalMs);
    }
    std::printf("images/s: %.1f   (crops/s: %.0f, %.1f ms per step)\n", imagesPerSecond,
                imagesPerSecond * config.totalCrops(), totalMs / options.steps);
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
    if (layers)
        printLayerTimes(*layers, options.steps);
    if (device.device.is_cuda())
        std::printf("peak GPU memory: %s\n",
                    formatBytes(static_cast<double>(peakCudaMemoryBytes(device.device))).c_str());
}

int runBench(const BenchOptions& options) {
    auto environment = distributedSetupOfThisProcess();
    if (!environment) {
        std::cerr << environment.error().message << "\n";
        return ExitBadUsage;
    }
    const bool isRank = environment->has_value();
    if (isRank) {
        if (const std::string conflict = launchConflict(**environment, options.launch);
            !conflict.empty()) {
            std::cerr << conflict << "\n";
            return ExitBadUsage;
        }
    } else if (wantsLauncher(options.launch)) {
        return launchFromOptions(options.launch);
    }
    auto config = options.source.load();
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    std::optional<BenchRank> rank;
    if (isRank) {
        auto joined = joinBench(**environment, *config, options.warmupSteps);
        if (!joined) {
            std::cerr << joined.error().message << "\n";
            return ExitBadUsage;
        }
        rank = std::move(*joined);
    }
    const int world = rank ? rank->group->worldSize() : 1;
    const int64_t batch = config->optim.batchSize;
    auto dataset = benchDataset(*config, options.synthetic,
                                batch * world * (options.steps + options.warmupSteps + 1));
    if (!dataset) {
        std::cerr << dataset.error().message << "\n";
        return ExitBadUsage;
    }
    // Stay in the warm-up-free part of the schedule: only speed is measured here.
    config->swav.freezePrototypesNiters = 0;
    if (options.byLayer)
        config->runtime.metricsEvery = 1; // a report after every step starts the profile on time

    TrainerOptions trainerOptions;
    trainerOptions.maxSteps = options.steps + options.warmupSteps;
    trainerOptions.untimedSteps = options.warmupSteps;
    trainerOptions.profile = true;
    trainerOptions.collective = rank ? rank->timed.get() : nullptr;
    Trainer trainer(*config, *dataset, trainerOptions);
    std::unique_ptr<ScratchRun> scratch;
    std::unique_ptr<TimedObserver> timedRecorder;
    if (options.store) {
        scratch = std::make_unique<ScratchRun>();
        timedRecorder = std::make_unique<TimedObserver>(scratch->recorder());
        trainer.addObserver(timedRecorder.get());
    }
    std::unique_ptr<LayerTimer> layers;
    if (options.byLayer) {
        layers = std::make_unique<LayerTimer>(options.warmupSteps);
        trainer.addObserver(layers.get());
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
    printBenchFigures(*config, options, trainer.phaseTimes(), rank ? &*rank : nullptr,
                      recordingSeconds, layers.get());
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
    const Normalisation normalisation = resolveNormalisation(*config, (*dataset)->channels());
    MultiCropAugmenter augmenter(config->multicrop.crops, normalisation.mean, normalisation.std);
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
