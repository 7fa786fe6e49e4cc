#include "TestHarness.h"
#include "TinySynthetic.h"

#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "config/Presets.h"
#include "data/Dataset.h"
#include "eval/OnlineKnn.h"
#include "model/SwavModel.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"
#include "runtime/MemoryBudget.h"
#include "store/RunRecorder.h"
#include "store/RunStore.h"
#include "swav/PrototypeCosines.h"
#include "train/DurationEstimate.h"
#include "train/LossScaler.h"
#include "train/RunHealth.h"
#include "train/Trainer.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"
#include "util/Strings.h"
#include "util/SystemMemory.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <mutex>
#include <new>
#include <set>
#include <thread>

// Every fsync() of this program comes here first (the executable's definition wins over
// libc's), so the tests can see which files and folders reached the disk.
namespace {
std::mutex g_syncedMutex;
std::set<std::string> g_synced;
} // namespace

extern "C" int fsync(int fd) {
    char link[64], target[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t length = readlink(link, target, sizeof target - 1);
    if (length > 0) {
        std::lock_guard<std::mutex> lock(g_syncedMutex);
        g_synced.insert(std::string(target, static_cast<size_t>(length)));
    }
    return static_cast<int>(syscall(SYS_fsync, fd));
}

using namespace swav;

namespace {

ExperimentConfig tinyConfig() {
    ExperimentConfig c = test::tinyTrainingConfig();
    c.runtime.keepCheckpoints = 10;
    return c;
}

std::shared_ptr<Dataset> tinyData(int64_t count = 64) {
    return makeSyntheticShapes(count, 4, 16, 1, 5);
}

struct Recorder : TrainingObserver {
    std::vector<StepMetrics> steps;
    std::vector<EpochMetrics> epochs;
    std::vector<CheckpointSaved> checkpoints;
    RunStarted started;
    bool stopAfterFirstEpoch = false;
    TrainingControl* control = nullptr;
    void onStarted(const RunStarted& s) override { started = s; }
    void onStep(const StepMetrics& m) override { steps.push_back(m); }
    void onEpoch(const EpochMetrics& m) override {
        epochs.push_back(m);
        if (stopAfterFirstEpoch && m.epoch == 0)
            control->requestStop();
    }
    void onCheckpoint(const CheckpointSaved& c) override { checkpoints.push_back(c); }
};

RunOutcome train(const ExperimentConfig& config, Recorder& recorder, TrainerOptions options = {},
                 std::shared_ptr<Dataset> data = tinyData()) {
    Trainer trainer(config, data, options);
    trainer.addObserver(&recorder);
    TrainingControl control;
    recorder.control = &control;
    return trainer.run(control);
}

} // namespace

TEST(Trainer, LossDecreasesOnATinySeededRun) {
    auto config = tinyConfig();
    config.optim.epochs = 8;
    Recorder recorder;
    const auto outcome = train(config, recorder);
    ASSERT_TRUE(outcome.status == RunStatus::Finished) << outcome.message;
    ASSERT_EQ(recorder.epochs.size(), size_t(8));
    const double first = recorder.epochs.front().meanLoss;
    const double last = recorder.epochs.back().meanLoss;
    ASSERT_TRUE(last < first - 0.05) << "loss went from " << first << " to " << last;
    ASSERT_TRUE(std::isfinite(last));
    ASSERT_EQ(recorder.steps.size(), size_t(8 * 4)); // metrics_every 1, 64 / 16 steps per epoch
    const auto& e = recorder.epochs.back();
    ASSERT_EQ(e.prototypeUsage.size(), size_t(8));
    int64_t assigned = 0;
    for (auto count : e.prototypeUsage)
        assigned += count;
    ASSERT_EQ(assigned, int64_t(4 * 16 * 2)); // steps x batch x assignment crops
    ASSERT_TRUE(e.codeEntropy > 0 && e.codeEntropy <= 1.0 + 1e-9);
    ASSERT_TRUE(e.usageEntropy > 0 && e.usageEntropy <= 1.0 + 1e-9);
    ASSERT_TRUE(e.maxPrototypeCosine <= 1.0 + 1e-6);
    ASSERT_TRUE(e.embeddingStd > 0);
    // Each report carries the training device's memory (the process's on the CPU).
    const StepMetrics& s = recorder.steps.back();
    ASSERT_TRUE(s.memoryBytes > (int64_t(1) << 20));
    ASSERT_TRUE(s.memoryPeakBytes >= s.memoryBytes);
}

TEST(Trainer, CpuTrainsInBf16WhenAskedAndByDefaultWhereTheCpuHasIt) {
    auto config = tinyConfig();
    config.optim.epochs = 8;
    config.runtime.precision = "bf16";
    Recorder recorder;
    const auto outcome = train(config, recorder);
    ASSERT_TRUE(outcome.status == RunStatus::Finished) << outcome.message;
    ASSERT_EQ(recorder.started.precision, std::string("bf16"));
    const double first = recorder.epochs.front().meanLoss;
    const double last = recorder.epochs.back().meanLoss;
    ASSERT_TRUE(last < first - 0.05) << "bf16 loss went from " << first << " to " << last;

    RuntimeConfig runtime;
    runtime.device = "cpu";
    runtime.precision = "auto";
    ASSERT_EQ(setUpDevice(runtime).precision, std::string(cpuHasNativeBf16() ? "bf16" : "fp32"));
    runtime.precision = "fp16"; // needs a GPU's loss scaling and half kernels
    bool refused = false;
    try {
        setUpDevice(runtime);
    } catch (const UserError& e) {
        refused = std::string(e.what()).find("runtime.precision") != std::string::npos;
    }
    ASSERT_TRUE(refused);
}

TEST(Trainer, LossScalerUnscalesSkipsOverflowsAndGrowsAfterGoodSteps) {
    LossScaler scaler(1024);
    auto w = at::ones({3}).requires_grad_(true);
    scaler.scaled((w * 2).sum()).backward(); // gradient 2, scaled to 2048
    ASSERT_EQ(w.grad()[0].item<double>(), 2048.0);
    ASSERT_TRUE(scaler.unscaleAndUpdate({w}));
    ASSERT_TRUE(at::equal(w.grad(), at::full({3}, 2.0))); // divided back before the optimiser
    ASSERT_EQ(scaler.scale(), 1024.0);

    // An overflow: the step is skipped and the scale halves; an undefined gradient is ignored.
    w.mutable_grad()[1] = std::numeric_limits<float>::infinity();
    const auto noGradient = at::ones({2}).requires_grad_(true);
    ASSERT_TRUE(!scaler.unscaleAndUpdate({w, noGradient}));
    ASSERT_EQ(scaler.scale(), 512.0);

    // After kGrowthInterval good steps in a row the scale doubles, once.
    for (int i = 0; i < LossScaler::kGrowthInterval; ++i) {
        w.mutable_grad().fill_(1.0);
        ASSERT_TRUE(scaler.unscaleAndUpdate({w}));
    }
    ASSERT_EQ(scaler.scale(), 1024.0);
    w.mutable_grad().fill_(1.0);
    ASSERT_TRUE(scaler.unscaleAndUpdate({w}));
    ASSERT_EQ(scaler.scale(), 1024.0);
    scaler.restore(8.0); // a checkpoint's scale
    ASSERT_EQ(scaler.scale(), 8.0);
}

TEST(Trainer, SameSeedGivesTheSameRun) {
    Recorder a, b;
    train(tinyConfig(), a);
    train(tinyConfig(), b);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (size_t i = 0; i < a.steps.size(); ++i)
        ASSERT_EQ(a.steps[i].loss, b.steps[i].loss);
    auto other = tinyConfig();
    other.runtime.seed = 4;
    Recorder c;
    train(other, c);
    ASSERT_TRUE(c.steps.back().loss != a.steps.back().loss);
}

TEST(Trainer, StopAndResumeGivesTheSameFinalLoss) {
    swav::test::TempDir straightDir, resumedDir;
    auto config = tinyConfig();
    config.swav.queueLength = 32; // the queue must survive the checkpoint too
    config.swav.epochQueueStarts = 0;
    config.optim.optimizer = "lars";
    config.optim.baseLr = 0.5;
    Recorder straight;
    TrainerOptions straightOptions;
    straightOptions.runDir = straightDir.path();
    const auto full = train(config, straight, straightOptions);
    ASSERT_TRUE(full.status == RunStatus::Finished);

    Recorder first;
    TrainerOptions firstOptions;
    firstOptions.runDir = resumedDir.path();
    first.stopAfterFirstEpoch = true;
    const auto stopped = train(config, first, firstOptions);
    ASSERT_TRUE(stopped.status == RunStatus::Stopped) << stopped.message;
    ASSERT_TRUE(!stopped.lastCheckpoint.empty());

    Recorder second;
    TrainerOptions resumeOptions;
    resumeOptions.runDir = resumedDir.path();
    resumeOptions.resumeFrom = resumedDir.path();
    const auto resumed = train(config, second, resumeOptions);
    ASSERT_TRUE(resumed.status == RunStatus::Finished) << resumed.message;
    ASSERT_EQ(second.epochs.size(), size_t(1));
    ASSERT_NEAR(resumed.finalLoss, full.finalLoss, 1e-5);
    ASSERT_NEAR(second.steps.back().loss, straight.steps.back().loss, 1e-5);
}

TEST(Trainer, FrozenPrototypesDoNotMoveWhileTheTrunkDoes) {
    swav::test::TempDir dir;
    auto config = tinyConfig();
    config.optim.epochs = 1;
    config.swav.freezePrototypesNiters = 1000;
    Recorder recorder;
    TrainerOptions options;
    options.runDir = dir.path();
    ASSERT_TRUE(train(config, recorder, options).status == RunStatus::Finished);
    ASSERT_TRUE(recorder.steps.front().prototypesFrozen);

    at::manual_seed(config.runtime.seed);
    SwavModel initial(config.model, 1);
    const auto saved = loadCheckpoint(listCheckpoints(dir.path()).back());
    auto initialParams = initial->named_parameters();
    ASSERT_TRUE(at::allclose(saved.model.at("prototypes.weight"),
                             initialParams["prototypes.weight"], 0, 1e-6));
    ASSERT_TRUE(
        !at::allclose(saved.model.at("trunk.conv1.weight"), initialParams["trunk.conv1.weight"]));

    config.swav.freezePrototypesNiters = 0;
    swav::test::TempDir dir2;
    options.runDir = dir2.path();
    Recorder recorder2;
    train(config, recorder2, options);
    const auto moved = loadCheckpoint(listCheckpoints(dir2.path()).back());
    ASSERT_TRUE(!at::allclose(moved.model.at("prototypes.weight"),
                              initialParams["prototypes.weight"], 0, 1e-6));
}

TEST(Trainer, NanLossStopsTheRunWithAnExplanation) {
    auto config = tinyConfig();
    config.optim.optimizer = "sgd";
    config.optim.baseLr = 1e30; // the weights overflow float32 within a few steps
    config.optim.finalLr = 1e30;
    Recorder recorder;
    const auto outcome = train(config, recorder);
    ASSERT_TRUE(outcome.status == RunStatus::Failed);
    ASSERT_CONTAINS(outcome.message, "the loss became");
    ASSERT_CONTAINS(outcome.message, "a learning rate too high");
}

TEST(Trainer, CheckpointsAreKeptToTheConfiguredNumber) {
    swav::test::TempDir dir;
    auto config = tinyConfig();
    config.optim.epochs = 4;
    config.runtime.keepCheckpoints = 2;
    Recorder recorder;
    TrainerOptions options;
    options.runDir = dir.path();
    train(config, recorder, options);
    ASSERT_EQ(recorder.checkpoints.size(), size_t(4));
    const auto files = listCheckpoints(dir.path());
    ASSERT_EQ(files.size(), size_t(2));
    ASSERT_EQ(files.back(), recorder.checkpoints.back().path);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/checkpoints"))
        ASSERT_TRUE(entry.path().extension() == ".pt") << "left over: " << entry.path();
    // What the run wrote and deleted is reported, for the run database (issue 10).
    ASSERT_EQ(recorder.started.configFile, dir.file("config.json"));
    ASSERT_TRUE(std::filesystem::is_regular_file(recorder.started.configFile));
    ASSERT_TRUE(recorder.started.createdFolders.size() == 1); // checkpoints/ in the existing folder
    ASSERT_TRUE(recorder.checkpoints[1].pruned.empty());
    ASSERT_EQ(recorder.checkpoints[2].pruned,
              std::vector<std::string>{recorder.checkpoints[0].path});
    ASSERT_EQ(recorder.checkpoints[3].pruned,
              std::vector<std::string>{recorder.checkpoints[1].path});
}

TEST(Trainer, CorruptOrForeignCheckpointsAreRefused) {
    swav::test::TempDir dir;
    const auto corrupt = dir.file("bad.pt");
    std::ofstream(corrupt) << "not a checkpoint";
    ASSERT_THROWS_WITH(loadCheckpoint(corrupt), "bad.pt: not a torch.save file");

    auto config = tinyConfig();
    config.optim.epochs = 1;
    Recorder recorder;
    TrainerOptions options;
    options.runDir = dir.path();
    train(config, recorder, options);
    auto other = config;
    other.model.stageWidths = {12};
    TrainerOptions resume;
    resume.resumeFrom = dir.path();
    Recorder r2;
    const auto outcome = train(other, r2, resume);
    ASSERT_TRUE(outcome.status == RunStatus::Failed);
    ASSERT_CONTAINS(outcome.message, "another architecture");
    ASSERT_CONTAINS(outcome.message, "has shape");

    Recorder r3;
    TrainerOptions bad;
    bad.resumeFrom = corrupt;
    ASSERT_CONTAINS(train(config, r3, bad).message, "bad.pt: not a torch.save file");
}

TEST(Trainer, TooSmallDatasetIsAClearFailure) {
    Recorder recorder;
    const auto outcome = train(tinyConfig(), recorder, {}, tinyData(8));
    ASSERT_TRUE(outcome.status == RunStatus::Failed);
    ASSERT_CONTAINS(outcome.message, "fewer than one batch of 16");
}

TEST(Trainer, OnlineKnnMonitoringDoesNotChangeTraining) {
    auto config = tinyConfig();
    Recorder plain;
    train(config, plain);
    config.eval.knnEveryEpochs = 1;
    config.eval.knnK = 5;
    Recorder monitored;
    TrainerOptions options;
    const auto data = tinyData();
    std::string problem;
    options.evaluator =
        onlineKnnFor(config, DatasetSplit{data, makeSyntheticShapes(32, 4, 16, 1, 77)}, &problem);
    ASSERT_TRUE(options.evaluator) << problem;
    train(config, monitored, options, data);
    ASSERT_EQ(plain.steps.size(), monitored.steps.size());
    for (size_t i = 0; i < plain.steps.size(); ++i)
        ASSERT_EQ(plain.steps[i].loss, monitored.steps[i].loss);
    ASSERT_EQ(monitored.epochs.size(), size_t(2));
    for (const auto& e : monitored.epochs)
        ASSERT_TRUE(e.knnAccuracy >= 0 && e.knnAccuracy <= 1);
    ASSERT_EQ(plain.epochs.back().knnAccuracy, -1.0);
}

// Issue 29: reports of the epoch so far (runtime.statistics_every) come at the asked steps with
// the statistics of the steps trained until then, and leave the training itself unchanged.
TEST(Trainer, InterimEpochReportsShowTheEpochSoFarWithoutChangingTraining) {
    auto config = tinyConfig();
    config.eval.knnEveryEpochs = 1;
    config.eval.knnK = 5;
    const auto data = tinyData(144); // 9 steps of 16 per epoch
    std::string problem;
    const auto knn =
        onlineKnnFor(config, DatasetSplit{data, makeSyntheticShapes(32, 4, 16, 1, 77)}, &problem);
    ASSERT_TRUE(knn) << problem;
    auto trainWith = [&](int statisticsEvery, Recorder& recorder, const std::string& runDir) {
        config.runtime.statisticsEvery = statisticsEvery;
        TrainerOptions options;
        options.runDir = runDir;
        options.evaluator = knn;
        return train(config, recorder, options, data);
    };
    swav::test::TempDir plainDir, interimDir;
    Recorder plain, interim;
    const auto plainOutcome = trainWith(0, plain, plainDir.path());
    const auto interimOutcome = trainWith(3, interim, interimDir.path());
    ASSERT_TRUE(plainOutcome.status == RunStatus::Finished) << plainOutcome.message;
    ASSERT_TRUE(interimOutcome.status == RunStatus::Finished) << interimOutcome.message;

    // The same training, bit for bit.
    ASSERT_EQ(interimOutcome.finalLoss, plainOutcome.finalLoss);
    ASSERT_EQ(plain.steps.size(), size_t(18));
    ASSERT_EQ(interim.steps.size(), plain.steps.size());
    for (size_t i = 0; i < plain.steps.size(); ++i)
        ASSERT_EQ(interim.steps[i].loss, plain.steps[i].loss) << "step " << i;
    const auto plainWeights = loadCheckpoint(listCheckpoints(plainDir.path()).back()).model;
    const auto interimWeights = loadCheckpoint(listCheckpoints(interimDir.path()).back()).model;
    ASSERT_EQ(interimWeights.size(), plainWeights.size());
    for (const auto& [name, tensor] : plainWeights)
        ASSERT_TRUE(at::equal(interimWeights.at(name), tensor)) << name;

    // Every 3 steps within each epoch, its last step excepted: steps 3 and 6 of 9.
    ASSERT_EQ(plain.epochs.size(), size_t(2));
    ASSERT_EQ(interim.epochs.size(), size_t(6));
    const std::vector<int64_t> reportSteps{2, 5, 8, 11, 14, 17};
    for (size_t i = 0; i < interim.epochs.size(); ++i) {
        const EpochMetrics& e = interim.epochs[i];
        SCOPED_TRACE("report " + std::to_string(i));
        ASSERT_EQ(e.step, reportSteps[i]);
        ASSERT_EQ(e.epoch, int(i / 3));
        ASSERT_EQ(e.interim, i % 3 != 2);
        ASSERT_TRUE(e.knnAccuracy >= 0 && e.knnAccuracy <= 1);
        // The usage counts every assignment so far: steps x batch x assignment crops.
        const int64_t stepsSoFar = e.step - 9 * e.epoch + 1;
        int64_t assigned = 0;
        for (auto count : e.prototypeUsage)
            assigned += count;
        ASSERT_EQ(assigned, stepsSoFar * 16 * 2);
        // The mean loss of the steps so far (one step per metrics report here).
        double lossSum = 0;
        for (int64_t s = 9 * e.epoch; s <= e.step; ++s)
            lossSum += interim.steps[size_t(s)].loss;
        ASSERT_NEAR(e.meanLoss, lossSum / double(stepsSoFar), 1e-9);
    }
    // Within an epoch no count shrinks; a new epoch starts counting again.
    for (size_t i = 0; i < interim.epochs.size(); ++i)
        for (size_t k = 0; i % 3 != 0 && k < 8; ++k)
            ASSERT_TRUE(interim.epochs[i].prototypeUsage[k] >=
                        interim.epochs[i - 1].prototypeUsage[k]);
    // The end of each epoch reports as without the interim reports.
    for (int epoch = 0; epoch < 2; ++epoch) {
        const EpochMetrics& withInterim = interim.epochs[size_t(3 * epoch + 2)];
        const EpochMetrics& without = plain.epochs[size_t(epoch)];
        ASSERT_TRUE(!without.interim);
        ASSERT_EQ(withInterim.prototypeUsage, without.prototypeUsage);
        ASSERT_EQ(withInterim.meanLoss, without.meanLoss);
        ASSERT_EQ(withInterim.knnAccuracy, without.knnAccuracy);
    }
}

TEST(Trainer, PauseBlocksBetweenStepsUntilResumed) {
    auto config = tinyConfig();
    config.optim.epochs = 1;
    Trainer trainer(config, tinyData(), {});
    // Waits for the trainer's own "held" event instead of sleeping and hoping it got there.
    struct PauseOnFirstStep : TrainingObserver {
        TrainingControl* control = nullptr;
        std::atomic<int> steps{0};
        std::mutex mutex;
        std::condition_variable changed;
        int stepsWhenHeld = -1;
        void onStep(const StepMetrics&) override {
            if (++steps == 1)
                control->setPaused(true);
        }
        void onPaused(int64_t) override {
            std::lock_guard<std::mutex> lock(mutex);
            stepsWhenHeld = steps;
            changed.notify_all();
        }
    } observer;
    TrainingControl control;
    observer.control = &control;
    trainer.addObserver(&observer);
    RunOutcome outcome;
    std::thread worker([&] { outcome = trainer.run(control); });
    {
        std::unique_lock<std::mutex> lock(observer.mutex);
        observer.changed.wait(lock, [&] { return observer.stepsWhenHeld >= 0; });
    }
    // Held: no step runs until the pause is lifted, however long that takes.
    ASSERT_EQ(observer.stepsWhenHeld, 1);
    ASSERT_EQ(observer.steps.load(), 1);
    control.setPaused(false);
    worker.join();
    ASSERT_TRUE(outcome.status == RunStatus::Finished);
    ASSERT_EQ(observer.steps.load(), 4);
}

TEST(Trainer, SteppingRunsTheAskedStepsThenPausesWithTheirMetrics) {
    auto config = tinyConfig();
    config.optim.epochs = 1;
    config.runtime.metricsEvery = 100;          // reports come from the pauses only
    Trainer trainer(config, tinyData(256), {}); // 16 steps
    struct Reports : TrainingObserver {
        std::mutex mutex;
        std::condition_variable changed;
        std::vector<int64_t> steps;
        void onStep(const StepMetrics& m) override {
            std::lock_guard<std::mutex> lock(mutex);
            steps.push_back(m.step);
            changed.notify_all();
        }
        bool waitFor(size_t count) {
            std::unique_lock<std::mutex> lock(mutex);
            return changed.wait_for(lock, std::chrono::seconds(60),
                                    [&] { return steps.size() >= count; });
        }
    } reports;
    trainer.addObserver(&reports);
    TrainingControl control;
    control.stepThenPause(3);
    RunOutcome outcome;
    std::thread worker([&] { outcome = trainer.run(control); });
    ASSERT_TRUE(reports.waitFor(1));
    ASSERT_TRUE(control.paused());
    control.stepThenPause(2);
    ASSERT_TRUE(reports.waitFor(2));
    control.requestStop();
    worker.join();
    ASSERT_TRUE(reports.steps == std::vector<int64_t>({2, 4})); // after steps 0-2, then 3-4
    ASSERT_TRUE(outcome.status == RunStatus::Stopped);
    ASSERT_EQ(outcome.steps, int64_t(5)); // held at each pause until asked
}

TEST(Trainer, CheckpointListingIgnoresCachesAndPruningTakesThemAlong) {
    swav::test::TempDir dir;
    std::filesystem::create_directories(dir.file("checkpoints"));
    for (const char* name :
         {"epoch-0001-step-000000010.pt", "epoch-0001-step-000000010.pt.train.features",
          "epoch-0002-step-000000020.pt", "epoch-0002-step-000000020.pt.test.features", "notes.pt",
          "epoch-0001-step-000000010.pt.my-notes.txt", "epoch-best.pt"})
        std::ofstream(dir.file("checkpoints/") + name) << "x";
    const auto files = listCheckpoints(dir.path());
    ASSERT_EQ(files.size(), size_t(2));
    ASSERT_CONTAINS(files.back(), "epoch-0002-step-000000020.pt");
    // The deleted files are returned: the run database forgets them (issue 10).
    const auto pruned = pruneCheckpoints(dir.path(), 1);
    ASSERT_EQ(pruned.size(), size_t(2));
    ASSERT_EQ(pruned[0], dir.file("checkpoints/epoch-0001-step-000000010.pt"));
    ASSERT_EQ(pruned[1], dir.file("checkpoints/epoch-0001-step-000000010.pt.train.features"));
    ASSERT_TRUE(!std::filesystem::exists(
        dir.file("checkpoints/epoch-0001-step-000000010.pt.train.features")));
    // A user's checkpoint named like ours is not pruned (issue 10).
    ASSERT_TRUE(std::filesystem::exists(dir.file("checkpoints/epoch-best.pt")));
    // A user's file that merely starts with a checkpoint's name is not one of its caches.
    ASSERT_TRUE(
        std::filesystem::exists(dir.file("checkpoints/epoch-0001-step-000000010.pt.my-notes.txt")));
    ASSERT_TRUE(std::filesystem::exists(
        dir.file("checkpoints/epoch-0002-step-000000020.pt.test.features")));
    ASSERT_TRUE(std::filesystem::exists(dir.file("checkpoints/notes.pt")));
}

TEST(Trainer, HealthReadsTheKnownFailureModes) {
    EpochMetrics good;
    good.meanLoss = 2.0;
    good.embeddingStd = 0.2;
    good.embeddingStdReference = 0.25;
    ASSERT_TRUE(assessEpoch(good, 100).level == HealthLevel::Good);
    ASSERT_TRUE(assessEpoch(good, 100).hints.empty());

    EpochMetrics early = good;
    early.meanLoss = std::log(100.0) - 0.03; // near ln K, codes still peaked: learning
    early.codeEntropy = 0.95;
    ASSERT_TRUE(assessEpoch(early, 100).level == HealthLevel::Good);
    EpochMetrics stuck = good;
    stuck.meanLoss = std::log(100.0);
    stuck.codeEntropy = 0.999;
    const auto collapse = assessEpoch(stuck, 100);
    ASSERT_TRUE(collapse.level == HealthLevel::Bad);
    ASSERT_CONTAINS(collapse.hints.at(0), "ln K");

    EpochMetrics sparse = good;
    sparse.emptyPrototypes = 20;
    ASSERT_TRUE(assessEpoch(sparse, 100).level == HealthLevel::Warning);
    sparse.emptyPrototypes = 60;
    ASSERT_TRUE(assessEpoch(sparse, 100).level == HealthLevel::Bad);

    EpochMetrics twins = good;
    twins.nearDuplicatePrototypes = 3;
    ASSERT_TRUE(assessEpoch(twins, 100).level == HealthLevel::Warning);
    ASSERT_CONTAINS(assessEpoch(twins, 100).hints.at(0), "3 pairs");

    EpochMetrics broken = good;
    broken.meanLoss = std::nan("");
    ASSERT_TRUE(assessEpoch(broken, 100).level == HealthLevel::Bad);
    ASSERT_CONTAINS(assessEpoch(broken, 100).hints.at(0), "not a number");

    EpochMetrics point = good;
    point.embeddingStd = 0.001;
    ASSERT_TRUE(assessEpoch(point, 100).level == HealthLevel::Bad);
}

namespace {

// The tiny data, reporting files it could not read the way an image folder does.
class DatasetWithUnreadableFiles final : public Dataset {
public:
    explicit DatasetWithUnreadableFiles(std::shared_ptr<Dataset> inner)
        : m_inner(std::move(inner)) {}
    int64_t size() const override { return m_inner->size(); }
    int channels() const override { return m_inner->channels(); }
    int height() const override { return m_inner->height(); }
    int width() const override { return m_inner->width(); }
    const std::vector<std::string>& classNames() const override { return m_inner->classNames(); }
    at::Tensor labels() const override { return m_inner->labels(); }
    ImageBatch gather(const std::vector<int64_t>& indices) override {
        m_unreadable = 3;
        return m_inner->gather(indices);
    }
    std::string description() const override { return m_inner->description(); }
    int64_t skippedFiles() const override { return m_unreadable; }

private:
    std::shared_ptr<Dataset> m_inner;
    int64_t m_unreadable = 1;
};

// Trains `config` with checkpoints in `runDir`.
void trainInto(const std::string& runDir, const ExperimentConfig& config) {
    Recorder recorder;
    TrainerOptions options;
    options.runDir = runDir;
    train(config, recorder, options);
}

struct StartWatcher : Recorder {
    RunStarted started;
    void onStarted(const RunStarted& s) override { started = s; }
};

} // namespace

// Issue 10: corrupt image files were replaced silently; the run now reports how many.
TEST(Trainer, UnreadableDatasetFilesAreReported) {
    auto config = tinyConfig();
    config.optim.epochs = 1;
    StartWatcher recorder;
    const auto outcome =
        train(config, recorder, {}, std::make_shared<DatasetWithUnreadableFiles>(tinyData()));
    ASSERT_TRUE(outcome.status == RunStatus::Finished) << outcome.message;
    ASSERT_EQ(recorder.started.notes.size(), size_t(1));
    ASSERT_CONTAINS(recorder.started.notes[0], "1 dataset files are unreadable");
    ASSERT_EQ(recorder.epochs.back().unreadableFiles, int64_t(3));
    const auto hints = assessEpoch(recorder.epochs.back(), 8).hints;
    ASSERT_TRUE(std::any_of(hints.begin(), hints.end(), [](const std::string& hint) {
        return hint.find("3 image files could not be read") != std::string::npos;
    }));
}

// Issue 10: a negative or inconsistent position read before the batch order or trained past the
// schedule; now the resume fails naming the checkpoint.
TEST(Trainer, ResumeRefusesPositionsOffTheSchedule) {
    swav::test::TempDir dir;
    auto config = tinyConfig();
    config.optim.epochs = 1;
    trainInto(dir.path(), config);
    const auto good = listCheckpoints(dir.path()).back();
    struct Case {
        int epoch;
        int64_t step, iteration;
        const char* message;
    };
    for (const Case& c :
         {Case{5, 0, 20, "past the run's 1 epochs"}, Case{0, 9, 9, "past the epoch's 4 steps"},
          Case{1, 0, 3, "does not match epoch 1"}}) {
        auto state = loadCheckpoint(good);
        state.epoch = c.epoch;
        state.stepInEpoch = c.step;
        state.iteration = c.iteration;
        const auto crafted = dir.file("crafted.pt");
        saveCheckpoint(state, crafted);
        TrainerOptions resume;
        resume.resumeFrom = crafted;
        Recorder r;
        const auto outcome = train(config, r, resume);
        ASSERT_TRUE(outcome.status == RunStatus::Failed);
        ASSERT_CONTAINS(outcome.message, "crafted.pt");
        ASSERT_CONTAINS(outcome.message, c.message);
        ASSERT_TRUE(r.steps.empty());
    }
}

// Issue 10: a damaged newest checkpoint blocked resume although an older valid one existed.
TEST(Trainer, ResumeFallsBackToTheNewestValidCheckpoint) {
    swav::test::TempDir dir;
    auto config = tinyConfig();
    config.optim.epochs = 2;
    trainInto(dir.path(), config);
    auto files = listCheckpoints(dir.path());
    ASSERT_EQ(files.size(), size_t(2));
    std::ofstream(files.back(), std::ios::binary | std::ios::trunc) << "damaged";

    config.optim.epochs = 3;
    TrainerOptions resume;
    resume.runDir = dir.path();
    resume.resumeFrom = dir.path();
    StartWatcher r;
    const auto outcome = train(config, r, resume);
    ASSERT_TRUE(outcome.status == RunStatus::Finished) << outcome.message;
    ASSERT_EQ(r.started.startEpoch, 1);
    ASSERT_EQ(r.started.notes.size(), size_t(1));
    ASSERT_CONTAINS(r.started.notes[0], files.back());
    ASSERT_CONTAINS(r.started.notes[0], "using an older checkpoint");
}

// ---- hardening: set-up failures, memory, stop requests, durable writes ---------------------

namespace {

/// A dataset whose channel count throws, as an allocation deep in set-up might.
class ThrowingDataset : public InMemoryDataset {
public:
    ThrowingDataset(const InMemoryDataset& base, std::function<void()> thrower)
        : InMemoryDataset(base.images(), base.labels(), base.classNames(), "throwing")
        , m_thrower(std::move(thrower)) {}
    int channels() const override {
        m_thrower();
        return InMemoryDataset::channels();
    }

private:
    std::function<void()> m_thrower;
};

/// Counts gathers (one per step) and asks for a stop, as a signal handler would, after `stopAt`.
class StoppingDataset : public InMemoryDataset {
public:
    StoppingDataset(const InMemoryDataset& base, TrainingControl& control, int stopAt)
        : InMemoryDataset(base.images(), base.labels(), base.classNames(), "stopping")
        , m_control(control)
        , m_stopAt(stopAt) {}
    ImageBatch gather(const std::vector<int64_t>& indices) override {
        if (++gathers == m_stopAt)
            m_control.requestStopFromSignal();
        return InMemoryDataset::gather(indices);
    }
    int gathers = 0;

private:
    TrainingControl& m_control;
    int m_stopAt;
};

struct FinishCounter : TrainingObserver {
    int finished = 0;
    RunOutcome last;
    void onFinished(const RunOutcome& outcome) override {
        ++finished;
        last = outcome;
    }
};

int64_t parameterCount(const ExperimentConfig& config, int channels) {
    SwavModel model(config.model, channels);
    int64_t total = 0;
    for (const auto& p : model->parameters())
        total += p.numel();
    return total;
}

/// A trunk within every per-field bound whose weights alone would need hundreds of terabytes.
ExperimentConfig hugeModelConfig() {
    auto config = tinyConfig();
    config.dataset.syntheticSize = 16;
    config.dataset.syntheticChannels = 1;
    config.model.stageDepths = std::vector<int>(8, 256);
    config.model.stageWidths = std::vector<int>(8, 4096);
    config.model.stageStrides = std::vector<int>(8, 1);
    config.model.stemWidth = 4096;
    config.model.widthMultiplier = 16;
    return config;
}

} // namespace

TEST(Trainer, MemoryEstimateCountsTheModelsParametersExactly) {
    ExperimentConfig resnet18;
    resnet18.model.arch = "resnet18";
    resnet18.model.stem = "cifar";
    auto bottleneck = tinyConfig();
    bottleneck.model.block = "bottleneck";
    bottleneck.model.stageDepths = {2, 1};
    bottleneck.model.stageWidths = {8, 16};
    bottleneck.model.stageStrides = {1, 2};
    bottleneck.model.widthMultiplier = 1.5;
    bottleneck.model.head.kind = "linear";
    auto headless = tinyConfig();
    headless.model.stem = "imagenet";
    headless.model.head.kind = "none";
    auto featureLayer = tinyConfig();
    featureLayer.model.featureWidth = 40;
    for (const auto& [config, channels] : {std::pair{resnet18, 3}, std::pair{bottleneck, 1},
                                           std::pair{headless, 3}, std::pair{featureLayer, 1}}) {
        const auto estimate = estimateTrainingMemory(config, channels);
        ASSERT_EQ(estimate.parameters, parameterCount(config, channels));
        ASSERT_TRUE(estimate.parameterBytes >= 8.0 * estimate.parameters);
    }
    // torchvision's resnet18 without fc (11176512), a 3x3 stem instead of 7x7, the MLP head
    // (linear + BatchNorm + linear) and 3000 prototypes of 128.
    ASSERT_EQ(estimateTrainingMemory(resnet18, 3).parameters,
              int64_t(11176512 - 64 * 3 * (49 - 9) + 512 * 2048 + 3 * 2048 + 2048 * 128 + 128 +
                      128 * 3000));
}

TEST(Trainer, MemoryEstimateScalesWithTheStepAndRefusesWhatCannotFit) {
    auto config = tinyConfig();
    const auto base = estimateTrainingMemory(config, 1);
    config.optim.batchSize *= 2;
    const auto doubled = estimateTrainingMemory(config, 1);
    // All of it but the one block of prototype cosines of the epoch statistics.
    const double k = config.model.numPrototypes;
    const double cosines = 4 * std::min(k * k, double(kPrototypeCosineBlockValues));
    ASSERT_NEAR((doubled.activationBytes - cosines) / (base.activationBytes - cosines), 2.0, 1e-9);
    ASSERT_EQ(doubled.parameters, base.parameters);
    config.optim.optimizer = "adam";
    ASSERT_NEAR(estimateTrainingMemory(config, 1).optimizerBytes, 2 * doubled.optimizerBytes, 1);
    ASSERT_TRUE(estimateTrainingMemory(config, 1, "bf16").activationBytes <
                doubled.activationBytes);

    // The shipped presets fit an ordinary machine or GPU; the huge trunk fits nothing.
    MemoryLimits laptop{"cpu", 8.0 * (1 << 30), 8.0 * (1 << 30), false};
    for (const char* name : {"fashion-mnist", "fashion-mnist-quick", "cifar10-resnet18"}) {
        auto preset = loadPreset(name, {});
        ASSERT_TRUE(preset);
        const auto estimate = estimateTrainingMemory(*preset, datasetChannels(preset->dataset));
        ASSERT_TRUE(checkMemoryBudget(estimate, laptop).ok())
            << name << " needs " << formatBytes(estimate.deviceBytes());
    }
    MemoryLimits gpu{"cuda:0", 40.0 * (1 << 30), 64.0 * (1 << 30), true};
    auto imagenet = loadPreset("imagenet-resnet50-800ep", {"dataset.path=/data/imagenet/train"});
    ASSERT_TRUE(imagenet);

    const auto huge = estimateTrainingMemory(hugeModelConfig(), 1);
    ASSERT_TRUE(huge.parameters > int64_t(1e13));
    const auto report = checkMemoryBudget(huge, laptop);
    ASSERT_TRUE(!report.ok());
    const std::string message = report.format();
    ASSERT_CONTAINS(message, "error: memory: this configuration needs about ");
    ASSERT_CONTAINS(message, "PiB");
    ASSERT_CONTAINS(message, "but this machine has 8.0 GiB; reduce optim.batch_size");
    ASSERT_TRUE(!checkMemoryBudget(huge, gpu).ok());
    ASSERT_CONTAINS(checkMemoryBudget(huge, gpu).format(), "on cuda:0");
    ASSERT_TRUE(hostMemoryBytes() > 0);
}

TEST(Trainer, AConfigTooLargeForMemoryFailsBeforeAllocatingAndIsRecordedAsFailed) {
    // Passed validation, then aborted on an uncaught allocation error, leaving the run queued.
    const auto config = hugeModelConfig();
    ASSERT_TRUE(validateConfig(config).ok()) << validateConfig(config).format();
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    auto runs = store::RunStore::open(database);
    ASSERT_TRUE(runs);
    const int64_t id =
        (*runs)->createRun(store::newRunFor(config, "", store::ClaimedFolder{dir.file("run"), {}}));
    FinishCounter counter;
    RunOutcome outcome;
    {
        store::RunRecorder recorder(database, id);
        TrainerOptions options;
        options.runDir = dir.file("run");
        Trainer trainer(config, tinyData(), options);
        trainer.addObserver(&counter);
        trainer.addObserver(&recorder);
        TrainingControl control;
        outcome = trainer.run(control);
    }
    ASSERT_TRUE(outcome.status == RunStatus::Failed);
    ASSERT_CONTAINS(outcome.message, "memory: this configuration needs about ");
    ASSERT_TRUE(outcome.message.find('\n') == std::string::npos);
    ASSERT_EQ(counter.finished, 1);
    const auto record = (*runs)->run(id);
    ASSERT_TRUE(record);
    ASSERT_EQ(std::string(store::toString(record->status)), std::string("failed"));
    ASSERT_CONTAINS(record->message, "memory: this configuration needs about ");
}

TEST(Trainer, SetUpExceptionsEndTheRunAsFailedWithOneLine) {
    const auto base = tinyData();
    const auto& images = dynamic_cast<const InMemoryDataset&>(*base);
    const std::vector<std::pair<std::function<void()>, std::string>> cases{
        {[] { TORCH_CHECK(false, "tensor allocation refused\nsecond line"); },
         "tensor allocation refused"},
        {[] { throw std::bad_alloc(); }, "out of memory: an allocation failed"}};
    for (const auto& [thrower, expected] : cases) {
        FinishCounter counter;
        Trainer trainer(tinyConfig(), std::make_shared<ThrowingDataset>(images, thrower), {});
        trainer.addObserver(&counter);
        TrainingControl control;
        const RunOutcome outcome = trainer.run(control);
        ASSERT_TRUE(outcome.status == RunStatus::Failed);
        ASSERT_EQ(outcome.message.rfind(expected, 0), size_t(0));
        ASSERT_TRUE(outcome.message.find('\n') == std::string::npos) << outcome.message;
        ASSERT_EQ(counter.finished, 1);
        ASSERT_EQ(counter.last.message, outcome.message);
    }
}

TEST(Trainer, AStopFromASignalHandlerIsSeenWithinOneStep) {
    // metrics_every far beyond the run: no observer call can be what notices the stop.
    auto config = tinyConfig();
    config.runtime.metricsEvery = 1000000;
    config.optim.epochs = 50;
    const auto base = tinyData();
    test::TempDir dir;
    TrainingControl control;
    auto data =
        std::make_shared<StoppingDataset>(dynamic_cast<const InMemoryDataset&>(*base), control, 3);
    TrainerOptions options;
    options.runDir = dir.path();
    Trainer trainer(config, data, options);
    const RunOutcome outcome = trainer.run(control);
    ASSERT_TRUE(outcome.status == RunStatus::Stopped);
    ASSERT_EQ(outcome.steps, int64_t(3));
    ASSERT_EQ(data->gathers, 3);
    ASSERT_TRUE(!outcome.lastCheckpoint.empty());
    ASSERT_TRUE(std::filesystem::exists(outcome.lastCheckpoint));
}

/// Whether a temporary of an atomic write of `path` was synced (the caller holds the lock).
bool syncedTemporaryOf(const std::string& path) {
    const std::filesystem::path target(path);
    for (const auto& synced : g_synced) {
        const std::filesystem::path file(synced);
        if (file.parent_path() == target.parent_path() &&
            atomicTargetOf(file.filename().string()) == target.filename().string())
            return true;
    }
    return false;
}

TEST(Trainer, AtomicWritesSyncTheFileAndItsFolder) {
    test::TempDir dir;
    const std::string folder = std::filesystem::canonical(dir.path()).string();
    {
        std::lock_guard<std::mutex> lock(g_syncedMutex);
        g_synced.clear();
    }
    writeFileAtomically(folder + "/table.csv", "table", "a,b\n", 4);
    {
        std::lock_guard<std::mutex> lock(g_syncedMutex);
        ASSERT_TRUE(syncedTemporaryOf(folder + "/table.csv"));
        ASSERT_TRUE(g_synced.count(folder) == 1);
        g_synced.clear();
    }
    // Checkpoints go the same way.
    auto config = tinyConfig();
    config.optim.epochs = 1;
    Recorder recorder;
    TrainerOptions options;
    options.runDir = folder + "/run";
    const auto outcome = train(config, recorder, options);
    ASSERT_TRUE(outcome.status == RunStatus::Finished);
    std::lock_guard<std::mutex> lock(g_syncedMutex);
    ASSERT_TRUE(syncedTemporaryOf(outcome.lastCheckpoint)) << outcome.lastCheckpoint;
    ASSERT_TRUE(g_synced.count(folder + "/run/checkpoints") == 1);
}

// Issue 14: the expected duration comes from real steps of the configuration on its own data.
TEST(Trainer, StepTimeIsMeasuredOnTheConfigurationsOwnData) {
    ExperimentConfig config = tinyConfig();
    config.dataset.syntheticCount = 96;
    config.dataset.syntheticSize = 16;
    config.dataset.syntheticChannels = 1;
    config.eval.knnEveryEpochs = 1; // not run while measuring
    auto timing = measureStepTime(config, 2);
    ASSERT_TRUE(timing.hasValue()) << (timing ? "" : timing.error().message);
    ASSERT_EQ(timing->measuredSteps, 2);
    ASSERT_EQ(timing->stepsPerEpoch, int64_t(96 / 16));
    ASSERT_TRUE(timing->secondsPerStep > 0);
    ASSERT_TRUE(timing->device.find("cpu") != std::string::npos);
    config.optim.epochs = 6;
    const double six = expectedTrainingSeconds(config, *timing);
    ASSERT_NEAR(six, timing->secondsPerStep * 6 * 6, 1e-9);
    config.optim.epochs = 3;
    ASSERT_NEAR(expectedTrainingSeconds(config, *timing), six / 2, 1e-9);

    // What would stop the run stops the measurement, with the same reason.
    config.dataset.kind = "cifar10";
    config.dataset.path = "/nonexistent/cifar";
    const auto missing = measureStepTime(config, 2);
    ASSERT_TRUE(!missing.hasValue());
    ASSERT_TRUE(missing.error().message.find("/nonexistent/cifar") != std::string::npos);
    // A cancel ends it after the current step.
    config.dataset.kind = "synthetic";
    config.dataset.path.clear();
    ASSERT_TRUE(!measureStepTime(config, 2, [] { return true; }).hasValue());
}
