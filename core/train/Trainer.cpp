#include "train/Trainer.h"

#include "augment/MultiCrop.h"
#include "config/ConfigJson.h"
#include "dist/Collective.h"
#include "dist/EpochShards.h"
#include "dist/GradientReducer.h"
#include "eval/Features.h"
#include "eval/Knn.h"
#include "model/ModelState.h"
#include "model/SwavModel.h"
#include "model/SyncBatchNorm.h"
#include "optim/LrSchedule.h"
#include "optim/Optimizer.h"
#include "swav/EmbeddingQueue.h"
#include "swav/SwavLoss.h"
#include "train/Checkpoint.h"
#include "train/DeviceSetup.h"
#include "train/EpochStatistics.h"
#include "train/HeldModel.h"
#include "train/LossScaler.h"
#include "train/MemoryBudget.h"
#include "train/MultiCropRecipe.h"
#include "train/OpProfile.h"
#include "util/AtomicFile.h"
#include "util/ErrorText.h"
#include "util/SeedMix.h"
#include "util/SystemMemory.h"
#include "util/TorchCompat.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <nlohmann/json.hpp>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>

namespace swav {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// Online kNN accuracy of `monitor` against up to 10000 training images (fixed, seeded choice).
double monitorKnn(SwavModel& model, const std::shared_ptr<Dataset>& train, Dataset& monitor,
                  const ExperimentConfig& cfg, at::Device device) {
    std::vector<int64_t> positions(static_cast<size_t>(train->size()));
    std::iota(positions.begin(), positions.end(), 0);
    std::mt19937_64 rng(mixSeed(static_cast<uint64_t>(cfg.runtime.seed), 99u));
    std::shuffle(positions.begin(), positions.end(), rng);
    positions.resize(std::min<size_t>(positions.size(), 10000));
    SubsetDataset bank(train, positions, "kNN bank");
    const auto transform = evalTransformFor(cfg);
    const auto bankFeatures =
        extractFeatures(model, bank, transform, cfg.eval.featureBatchSize, device);
    const auto queryFeatures =
        extractFeatures(model, monitor, transform, cfg.eval.featureBatchSize, device);
    const int classes = static_cast<int>(std::max(bankFeatures.labels.max().item<int64_t>(),
                                                  queryFeatures.labels.max().item<int64_t>()) +
                                         1);
    KnnOptions options;
    options.k = cfg.eval.knnK;
    options.temperature = cfg.eval.knnTemperature;
    const auto predictions = knnPredict(bankFeatures.features, bankFeatures.labels,
                                        queryFeatures.features, classes, options);
    return predictions.eq(queryFeatures.labels).to(at::kDouble).mean().item<double>();
}

/// A CPU copy of the model for the observers that want one (copied only then: it costs a
/// model's worth of memory and, on a GPU, a transfer).
void shareHeldModel(const std::vector<TrainingObserver*>& observers, const ExperimentConfig& config,
                    SwavModelImpl& model, int64_t step, int epoch) {
    if (std::none_of(observers.begin(), observers.end(),
                     [](const TrainingObserver* o) { return o->wantsHeldModel(); }))
        return;
    auto held = std::make_shared<HeldModel>();
    held->step = step;
    held->epoch = epoch;
    held->configJson = toJson(config).dump();
    for (const auto& [name, tensor] : modelState(model))
        held->state[name] = tensor.detach().to(at::kCPU).clone();
    std::shared_ptr<const HeldModel> shared = std::move(held);
    for (auto* observer : observers)
        if (observer->wantsHeldModel())
            observer->onModelHeld(shared);
}

} // namespace

struct Trainer::State {
    ExperimentConfig config;
    std::shared_ptr<Dataset> dataset;
    TrainerOptions options;
    std::vector<TrainingObserver*> observers;
    DeviceChoice device;
    PhaseTimer timer{at::kCPU, false};
    bool finishReported = false; // onFinished went out for the current run()

    template <class F> void notify(F&& call) {
        for (auto* observer : observers)
            call(*observer);
    }
    void finish(const RunOutcome& outcome) {
        if (finishReported)
            return;
        finishReported = true;
        notify([&](TrainingObserver& o) { o.onFinished(outcome); });
    }
};

Trainer::Trainer(ExperimentConfig config, std::shared_ptr<Dataset> dataset, TrainerOptions options)
    : m_state(std::make_unique<State>()) {
    m_state->config = std::move(config);
    m_state->dataset = std::move(dataset);
    m_state->options = std::move(options);
}

Trainer::~Trainer() = default;

void Trainer::addObserver(TrainingObserver* observer) {
    m_state->observers.push_back(observer);
}

const PhaseTimer& Trainer::phaseTimes() const {
    return m_state->timer;
}

namespace {

std::string describeRunDevice(const DeviceChoice& device) {
    return device.description;
}

// A checkpoint's position must lie on this run's schedule, or resuming would index outside the
// epoch's batch order or train past the end.
std::string checkResumePosition(const CheckpointState& saved, int64_t stepsPerEpoch, int epochs) {
    if (saved.epoch > epochs)
        return "checkpoint epoch " + std::to_string(saved.epoch) + " is past the run's " +
               std::to_string(epochs) + " epochs";
    if (saved.stepInEpoch > stepsPerEpoch)
        return "checkpoint step " + std::to_string(saved.stepInEpoch) + " is past the epoch's " +
               std::to_string(stepsPerEpoch) + " steps";
    if (saved.iteration != saved.epoch * stepsPerEpoch + saved.stepInEpoch)
        return "checkpoint iteration " + std::to_string(saved.iteration) +
               " does not match epoch " + std::to_string(saved.epoch) + ", step " +
               std::to_string(saved.stepInEpoch) + " at " + std::to_string(stepsPerEpoch) +
               " steps per epoch (was the dataset or batch size changed?)";
    return {};
}

/// "cpu (4 threads)" or, for several processes, "cpu (1 thread) in each of 2 processes on h1".
std::string describeWorld(const DeviceChoice& device, Collective& collective) {
    if (collective.worldSize() == 1)
        return describeRunDevice(device);
    std::string hosts;
    for (const auto& host : collective.hosts())
        if (hosts.find(host) == std::string::npos)
            hosts += (hosts.empty() ? "" : ", ") + host;
    return describeRunDevice(device) + " in each of " + std::to_string(collective.worldSize()) +
           " processes on " + hosts;
}

/// Rank 0's parameters and buffers everywhere, so that every rank starts from the same model.
void broadcastModel(SwavModel& model, Collective& collective) {
    torch::NoGradGuard noGrad;
    auto share = [&](at::Tensor tensor) {
        auto dense = tensor.contiguous();
        collective.broadcast(dense);
        if (!dense.is_same(tensor))
            tensor.copy_(dense);
    };
    for (auto& p : model->parameters())
        share(p.data());
    for (auto& b : model->buffers())
        share(b);
}

/// Every rank's queue in rank order, [crops, world * length, D] (a collective call).
at::Tensor gatherQueues(const EmbeddingQueue& queue, Collective& collective) {
    const auto& own = queue.state();
    if (collective.worldSize() == 1)
        return own;
    const int64_t length = own.size(1);
    auto all =
        at::zeros({own.size(0), length * collective.worldSize(), own.size(2)}, own.options());
    all.narrow(1, collective.rank() * length, length).copy_(own);
    collective.allReduceSum(all);
    return all;
}

/// Where a checkpoint written by `savedWorld` processes continues with `world` processes: the
/// images of the epoch already seen are kept, counted in global batches of the new size.
int64_t stepInEpochForWorld(int64_t savedStep, int savedWorld, int world, int64_t batch,
                            int64_t stepsPerEpoch) {
    const int64_t imagesSeen = savedStep * batch * savedWorld;
    return std::min(stepsPerEpoch, imagesSeen / (batch * world));
}

} // namespace

RunOutcome Trainer::run(TrainingControl& control) {
    m_state->finishReported = false;
    try {
        return train(control);
    } catch (const std::exception& e) {
        // Set-up allocations (model, optimiser state, queue, statistics) can fail outside the
        // guarded step loop; the run still ends as failed, with a readable reason.
        RunOutcome outcome;
        outcome.status = RunStatus::Failed;
        outcome.message = describeException(e);
        m_state->finish(outcome);
        return outcome;
    } catch (...) {
        RunOutcome outcome;
        outcome.status = RunStatus::Failed;
        outcome.message = "unexpected error (not a std::exception)";
        m_state->finish(outcome);
        return outcome;
    }
}

RunOutcome Trainer::train(TrainingControl& control) {
    auto& st = *m_state;
    const auto& cfg = st.config;
    RunOutcome outcome;
    auto fail = [&](const std::string& message) {
        outcome.status = RunStatus::Failed;
        outcome.message = message;
        st.finish(outcome);
        return outcome;
    };

    try {
        st.device = setUpDevice(cfg.runtime);
    } catch (const std::exception& e) {
        return fail(describeException(e));
    }
    const at::Device device = st.device.device;
    st.timer = PhaseTimer(device, st.options.profile);
    LocalCollective single;
    Collective& collective = st.options.collective ? *st.options.collective : single;
    const int world = collective.worldSize();
    const int rank = collective.rank();
    // A process group, even of one process (NCCL checks), takes the data-parallel path.
    const bool distributed = st.options.collective != nullptr;

    Dataset& data = *st.dataset;
    const int64_t batch = cfg.optim.batchSize; // per process
    // Each rank takes its shard's full batches; the last partial batch is dropped.
    const int64_t stepsPerEpoch = swav::stepsPerEpoch(data.size(), world, batch);
    if (stepsPerEpoch < 1)
        return fail("the dataset has " + std::to_string(data.size()) + " images" +
                    (world > 1 ? ", " + std::to_string(shardSize(data.size(), world)) +
                                     " for each of " + std::to_string(world) + " processes"
                               : std::string()) +
                    ", fewer than one batch of " + std::to_string(batch));
    const int channels = cfg.model.inChannels > 0 ? cfg.model.inChannels : data.channels();
    if (channels != data.channels())
        return fail("model.in_channels is " + std::to_string(channels) + " but the images have " +
                    std::to_string(data.channels()) + " channels");
    // Readers that cut crops from the originals enlarge small ones as torchvision does.
    const bool cutFromOriginals = data.cutsCropsFromOriginals();
    for (const auto& group : cfg.multicrop.crops)
        if (!cutFromOriginals && group.size > std::min(data.height(), data.width()))
            return fail("crop size " + std::to_string(group.size) + " is larger than the " +
                        std::to_string(data.height()) + "x" + std::to_string(data.width()) +
                        " images");

    // Refuse what cannot fit before allocating any of it.
    MemoryLimits limits;
    limits.deviceName = device.str();
    limits.hostBytes = hostMemoryBytes();
    limits.separateDevice = device.is_cuda();
    limits.deviceBytes = device.is_cuda() ? cudaDeviceMemoryBytes(device) : limits.hostBytes;
    const ValidationReport budget =
        checkMemoryBudget(estimateTrainingMemory(cfg, channels, st.device.precision), limits);
    if (!budget.ok())
        return fail(budget.errors.front().path + ": " + budget.errors.front().message);

    const Normalisation normalisation = trainingNormalisation(cfg, channels);
    const std::vector<double>& mean = normalisation.mean;
    const std::vector<double>& stdev = normalisation.std;
    const MultiCropAugmenter augmenter(cfg.multicrop.crops, mean, stdev);

    // Same seed, same initial weights.
    at::manual_seed(static_cast<uint64_t>(cfg.runtime.seed));
    SwavModel model(cfg.model, channels);
    model->to(device);
    // Faster on both devices: tensor cores on CUDA, oneDNN kernels on the CPU.
    if (cfg.model.channelsLast) {
        model->setChannelsLast(true);
        torch::NoGradGuard noGrad;
        for (auto& p : model->parameters())
            if (p.dim() == 4)
                p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }

    std::vector<NamedParameter> parameters;
    for (const auto& item : model->named_parameters())
        parameters.push_back({item.key(), item.value(), item.value().dim() <= 1});
    std::unique_ptr<Optimizer> optimizer;
    try {
        optimizer = makeOptimizer(cfg.optim, parameters);
    } catch (const std::exception& e) {
        return fail(describeException(e));
    }
    const LrSchedule schedule(cfg.optim, stepsPerEpoch);

    EmbeddingQueue queue;
    const int64_t queueLength = cfg.swav.queueLength > 0
                                    ? cfg.swav.queueLength - cfg.swav.queueLength % (batch * world)
                                    : 0;
    auto makeQueue = [&] {
        queue = EmbeddingQueue(static_cast<int>(cfg.swav.cropsForAssign.size()),
                               queueLength / world, model->embeddingDim(), device);
    };

    int startEpoch = 0;
    int64_t startStepInEpoch = 0;
    int64_t iteration = 0;
    LossScaler scaler;
    std::map<std::string, at::Tensor> resumedAccumulators;
    std::vector<std::string> resumeNotes;
    if (!st.options.resumeFrom.empty()) {
        try {
            auto loaded = loadNewestCheckpoint(st.options.resumeFrom, st.options.checkpointDigests,
                                               &resumeNotes);
            if (!loaded)
                return fail(loaded.error().message);
            const std::string* path = &loaded->path;
            auto& saved = loaded->state;
            // The position is checked against the schedule of the processes that wrote it.
            const int64_t savedStepsPerEpoch =
                swav::stepsPerEpoch(data.size(), saved.worldSize, batch);
            if (auto problem = checkResumePosition(saved, savedStepsPerEpoch, cfg.optim.epochs);
                !problem.empty())
                return fail(*path + ": " + problem);
            loadModelState(*model, saved.model, *path);
            optimizer->loadState(saved.optimizer);
            startEpoch = saved.epoch;
            startStepInEpoch = saved.stepInEpoch;
            iteration = saved.iteration;
            if (saved.worldSize == world) {
                if (saved.queue.defined()) {
                    const int64_t length = saved.queue.size(1) / world;
                    queue.restore(saved.queue.narrow(1, rank * length, length).to(device),
                                  saved.queueFilled);
                }
                // The epoch's sums so far were gathered on rank 0 when saved.
                if (rank == 0)
                    resumedAccumulators = saved.epochAccumulators;
            } else {
                startStepInEpoch = stepInEpochForWorld(saved.stepInEpoch, saved.worldSize, world,
                                                       batch, stepsPerEpoch);
                iteration = startEpoch * stepsPerEpoch + startStepInEpoch;
                resumeNotes.push_back(
                    *path + " was written by " + std::to_string(saved.worldSize) +
                    " processes and this run has " + std::to_string(world) +
                    ": the global batch is now " + std::to_string(batch * world) +
                    ", the rest of epoch " + std::to_string(startEpoch + 1) +
                    " is dealt out differently (some of its images may be seen twice or not at "
                    "all), the step count continues at " +
                    std::to_string(iteration) +
                    (saved.queue.defined() ? ", and the queues start empty" : std::string()));
            }
            if (saved.lossScale > 0)
                scaler.restore(saved.lossScale);
        } catch (const std::exception& e) {
            return fail(describeException(e));
        }
    }

    if (distributed) {
        broadcastModel(model, collective);
        if (cfg.model.syncBatchnorm)
            setBatchNormCollective(*model, &collective);
    }
    std::unique_ptr<GradientReducer> gradientReducer;
    if (distributed) {
        std::vector<at::Tensor> tensors;
        for (const auto& p : parameters)
            tensors.push_back(p.tensor);
        gradientReducer = std::make_unique<GradientReducer>(
            tensors, collective, int64_t(cfg.runtime.gradBucketMb) << 20, cfg.runtime.gradOverlap);
    }

    const int64_t totalSteps = stepsPerEpoch * cfg.optim.epochs;
    RunStarted started;
    started.runDir = st.options.runDir;
    started.device = describeWorld(st.device, collective);
    started.worldSize = world;
    started.logFiles = st.options.rankLogFiles;
    started.precision = st.device.precision;
    started.datasetSize = data.size();
    started.stepsPerEpoch = stepsPerEpoch;
    started.totalSteps = totalSteps;
    started.startEpoch = startEpoch;
    started.startStep = iteration;
    started.epochs = cfg.optim.epochs;
    started.numPrototypes = cfg.model.numPrototypes;
    started.notes = resumeNotes;
    if (const int64_t unreadable = data.skippedFiles())
        started.notes.push_back(std::to_string(unreadable) +
                                " dataset files are unreadable and were left out");

    if (!st.options.runDir.empty() && rank == 0) {
        // The front ends hand over a folder made for the run; whatever is made here is reported
        // so that it is recorded with the run's files.
        const fs::path runDir(st.options.runDir);
        std::error_code ec;
        for (const fs::path& folder : {runDir, runDir / "checkpoints"}) {
            const bool existed = fs::is_directory(folder, ec);
            fs::create_directories(folder, ec);
            if (ec)
                return fail(folder.string() + ": cannot create the run folder: " + ec.message());
            if (!existed)
                started.createdFolders.push_back(folder.string());
        }
        started.configFile = (runDir / "config.json").string();
        try {
            writeFileAtomically(started.configFile, "run configuration",
                                [&](std::ostream& out) { out << toJson(cfg).dump(2) << "\n"; });
        } catch (const UserError& e) {
            return fail(e.what());
        }
    }
    st.notify([&](TrainingObserver& o) { o.onStarted(started); });

    EpochStatistics stats(cfg.model.numPrototypes, model->embeddingDim(), device);
    stats.restore(resumedAccumulators);

    // Rank 0 writes the checkpoint; every rank takes part in gathering the queues and the
    // statistics, then waits until it is written, so that no rank runs ahead of a checkpoint
    // that failed or reads one that is not there yet.
    auto writeCheckpoint = [&](int epoch, int64_t stepInEpoch, const at::Tensor& queues,
                               std::map<std::string, at::Tensor> accumulators) {
        CheckpointState s;
        s.worldSize = world;
        s.configJson = toJson(cfg).dump();
        s.epoch = epoch;
        s.stepInEpoch = stepInEpoch;
        s.iteration = iteration;
        s.model = modelState(*model);
        s.optimizer = optimizer->state();
        if (queue.exists()) {
            s.queue = queues;
            s.queueFilled = queue.filled();
        }
        s.epochAccumulators = std::move(accumulators);
        s.lossScale = st.device.lossScaling ? scaler.scale() : 0;
        const auto path = checkpointPath(st.options.runDir, epoch, iteration);
        saveCheckpoint(s, path);
        // Brace order is evaluation order: the size is read before pruning.
        CheckpointSaved saved{path, epoch, iteration, static_cast<int64_t>(fs::file_size(path)),
                              pruneCheckpoints(st.options.runDir, cfg.runtime.keepCheckpoints)};
        st.notify([&](TrainingObserver& o) { o.onCheckpoint(saved); });
        outcome.lastCheckpoint = path;
    };
    auto saveAt = [&](int epoch, int64_t stepInEpoch) {
        if (st.options.runDir.empty())
            return;
        const at::Tensor queues = queue.exists() ? gatherQueues(queue, collective) : at::Tensor();
        auto accumulators = stepInEpoch > 0 ? stats.summedOver(collective).state()
                                            : std::map<std::string, at::Tensor>();
        std::string failure;
        if (rank == 0) {
            try {
                writeCheckpoint(epoch, stepInEpoch, queues, std::move(accumulators));
            } catch (const std::exception& e) {
                failure = describeException(e);
            }
        }
        if (!distributed) {
            if (!failure.empty())
                throw UserError(failure);
            return;
        }
        auto written = at::full({1}, failure.empty() ? 1 : 0, at::kLong);
        collective.broadcast(written);
        if (!failure.empty())
            throw UserError(failure);
        if (written.item<int64_t>() == 0)
            throw UserError(collective.describeRank(0) +
                            " could not write the checkpoint (its log says why)");
    };

    const bool syncEveryStep = !device.is_cuda();
    const int metricsEvery = std::max(1, cfg.runtime.metricsEvery);
    double lastFiniteLoss = std::nan("");
    at::Tensor windowLoss = at::zeros({}, at::TensorOptions().device(device).dtype(at::kDouble));
    int64_t windowSteps = 0;
    double windowDataMs = 0, windowComputeMs = 0;
    auto windowStart = Clock::now();
    int64_t stepsThisRun = 0;

    try {
        for (int epoch = startEpoch; epoch < cfg.optim.epochs; ++epoch) {
            const auto epochStart = Clock::now();
            if (queueLength > 0 && epoch >= cfg.swav.epochQueueStarts && !queue.exists())
                makeQueue();

            // This rank's shard of the epoch's permutation, which depends on (seed, epoch) only.
            const auto shard =
                rankShard(epochOrder(data.size(), static_cast<uint64_t>(cfg.runtime.seed), epoch),
                          rank, world);
            const int64_t firstStep = epoch == startEpoch ? startStepInEpoch : 0;
            std::vector<std::vector<int64_t>> batches;
            for (int64_t s = firstStep; s < stepsPerEpoch; ++s)
                batches.emplace_back(shard.begin() + s * batch, shard.begin() + (s + 1) * batch);
            std::shared_ptr<MultiCropRecipe> recipe;
            if (cutFromOriginals) {
                recipe = trainingRecipe(
                    cfg.multicrop.crops, mean, stdev, static_cast<uint64_t>(cfg.runtime.seed),
                    epoch, finishCropsInWorkers(cfg.dataset.cropFinish, device.is_cuda()));
                data.prefetchCrops(batches, recipe, device.is_cuda());
            } else {
                data.prefetch(batches);
            }
            if (epoch != startEpoch)
                stats = EpochStatistics(cfg.model.numPrototypes, model->embeddingDim(), device);

            for (int64_t stepInEpoch = firstStep; stepInEpoch < stepsPerEpoch; ++stepInEpoch) {
                // Every rank pauses and stops at the same step: a request on any rank counts.
                collective.noteProgress(iteration);
                auto flags = anyRank(collective,
                                     {control.stopRequested() ? 1 : 0, control.paused() ? 1 : 0});
                if (flags[1] && !flags[0]) {
                    // The model first: an observer told of the pause may look at it at once.
                    shareHeldModel(st.observers, cfg, *model, iteration, epoch);
                    st.notify([&](TrainingObserver& o) { o.onPaused(iteration); });
                    while (flags[1] && !flags[0]) {
                        // Polled: a pause may be lifted from a signal handler, which cannot
                        // wake a waiting thread; other ranks are asked again meanwhile.
                        control.waitWhilePausedFor(std::chrono::milliseconds(200));
                        flags = anyRank(collective, {control.stopRequested() ? 1 : 0,
                                                     control.paused() ? 1 : 0});
                    }
                    windowStart = Clock::now();
                    windowDataMs = windowComputeMs = 0;
                }
                if (flags[0]) {
                    outcome.status = RunStatus::Stopped;
                    outcome.message = "stopped at epoch " + std::to_string(epoch + 1) + ", step " +
                                      std::to_string(iteration);
                    saveAt(epoch, stepInEpoch);
                    outcome.steps = iteration;
                    st.finish(outcome);
                    return outcome;
                }
                if (st.options.maxSteps >= 0 && stepsThisRun >= st.options.maxSteps) {
                    outcome.status = RunStatus::Stopped;
                    outcome.message = "reached the step limit";
                    outcome.steps = iteration;
                    st.finish(outcome);
                    return outcome;
                }

                // ---- one SwAV step ----
                const auto stepStart = Clock::now();
                st.timer.start();
                const auto& indices = batches[static_cast<size_t>(stepInEpoch - firstStep)];
                auto dataDone = Clock::now();
                MultiCropBatch crops =
                    trainingCrops(data, indices, augmenter, recipe,
                                  static_cast<uint64_t>(cfg.runtime.seed), epoch, device, [&] {
                                      st.timer.mark(Phase::Data);
                                      dataDone = Clock::now();
                                  });
                st.timer.mark(Phase::Augment);

                model->normalizePrototypes();
                SwavForward forward;
                {
                    compat::AutocastGuard autocast(st.device.autocast, st.device.device.type(),
                                                   st.device.autocastType);
                    forward = model->forward(crops.crops);
                }
                st.timer.mark(Phase::Forward);
                auto lossOut =
                    swavLoss(forward.scores, forward.embeddings, batch, cfg.swav,
                             queue.exists() ? &queue : nullptr, model->prototypes()->weight,
                             distributed ? &collective : nullptr, &st.timer);

                optimizer->zeroGrad();
                if (gradientReducer)
                    gradientReducer->prepare();
                if (st.device.lossScaling)
                    scaler.scaled(lossOut.loss).backward();
                else
                    lossOut.loss.backward();
                if (gradientReducer)
                    gradientReducer->finish(); // the mean gradient over ranks
                if (iteration < cfg.swav.freezePrototypesNiters)
                    model->prototypes()->weight.mutable_grad() = at::Tensor();
                st.timer.mark(Phase::Backward);

                const bool stepTaken =
                    !st.device.lossScaling || scaler.unscaleAndUpdate(model->parameters());
                const double lr = schedule.at(iteration);
                if (stepTaken) {
                    RECORD_USER_SCOPE(kOptimiserScope); // the profiler's "optimiser" share
                    optimizer->step(lr);
                }
                st.timer.mark(Phase::Optimizer);

                stats.add(lossOut.codes, forward.embeddings.slice(0, 0, batch).detach(),
                          lossOut.loss.detach());
                windowLoss += lossOut.loss.detach().to(at::kDouble);
                ++windowSteps;
                ++iteration;
                ++stepsThisRun;
                if (stepsThisRun == st.options.untimedSteps)
                    st.timer.reset();
                const auto stepEnd = Clock::now();
                windowDataMs +=
                    std::chrono::duration<double, std::milli>(dataDone - stepStart).count();
                windowComputeMs +=
                    std::chrono::duration<double, std::milli>(stepEnd - dataDone).count();

                const bool lastOfEpoch = stepInEpoch + 1 == stepsPerEpoch;
                // Stepping through training (one process): the metrics so far, then a pause.
                const bool steppedToPause = !distributed && control.stepDone();
                if (syncEveryStep || windowSteps >= metricsEvery || lastOfEpoch || steppedToPause) {
                    const double stepLoss = lossOut.loss.item<double>();
                    if (!std::isfinite(stepLoss)) {
                        std::ostringstream why;
                        why << "the loss became " << stepLoss << " at step " << iteration
                            << " (epoch " << epoch + 1 << "); last finite loss " << lastFiniteLoss
                            << ". Likely causes: a learning rate too high for this batch, "
                               "epsilon too small for exp(score / epsilon) in fp32, Sinkhorn "
                               "run in half precision, or embeddings not L2-normalised.";
                        if (!outcome.lastCheckpoint.empty())
                            why << " The last good checkpoint is kept: " << outcome.lastCheckpoint;
                        outcome.steps = iteration;
                        return fail(why.str());
                    }
                    lastFiniteLoss = stepLoss;
                }
                if (windowSteps >= metricsEvery || lastOfEpoch || steppedToPause) {
                    if (distributed) { // the mean over ranks
                        collective.allReduceSum(windowLoss);
                        windowLoss.div_(world);
                    }
                    const double seconds =
                        std::chrono::duration<double>(stepEnd - windowStart).count();
                    StepMetrics m;
                    m.step = iteration - 1;
                    m.epoch = epoch;
                    m.stepInEpoch = stepInEpoch;
                    m.stepsPerEpoch = stepsPerEpoch;
                    m.loss = windowLoss.item<double>() / windowSteps;
                    m.lr = lr;
                    m.imagesPerSecond = seconds > 0 ? windowSteps * batch * world / seconds : 0;
                    m.dataMs = windowDataMs / windowSteps;
                    m.computeMs = windowComputeMs / windowSteps;
                    m.etaSeconds =
                        seconds / windowSteps * static_cast<double>(totalSteps - iteration);
                    m.prototypesFrozen = iteration - 1 < cfg.swav.freezePrototypesNiters;
                    m.queueActive = lossOut.queueUsed;
                    const DeviceMemoryUse memory = deviceMemoryUse(device);
                    m.memoryBytes = memory.inUse;
                    m.memoryPeakBytes = memory.peak;
                    st.notify([&](TrainingObserver& o) { o.onStep(m); });
                    windowLoss.zero_();
                    windowSteps = 0;
                    windowDataMs = windowComputeMs = 0;
                    windowStart = Clock::now();
                }
            }

            EpochMetrics em;
            em.epoch = epoch;
            em.step = iteration - 1;
            // Loss and embedding statistics are means over ranks, usage histograms sums.
            stats.summedOver(collective).finish(model->prototypes()->weight, em);
            em.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
            em.queueActive = queue.full();
            em.unreadableFiles = data.skippedFiles();
            const bool monitorNow =
                rank == 0 && cfg.eval.knnEveryEpochs > 0 && st.options.monitor &&
                (epoch + 1) % cfg.eval.knnEveryEpochs == 0 && data.labels().defined() &&
                st.options.monitor->labels().defined();
            if (monitorNow)
                em.knnAccuracy = monitorKnn(model, st.dataset, *st.options.monitor, cfg, device);
            outcome.finalLoss = em.meanLoss;
            outcome.epochsCompleted = epoch + 1;
            st.notify([&](TrainingObserver& o) { o.onEpoch(em); });
            const bool lastEpoch = epoch + 1 == cfg.optim.epochs;
            if (lastEpoch || (epoch + 1) % std::max(1, cfg.runtime.checkpointEveryEpochs) == 0)
                saveAt(epoch + 1, 0);
        }
    } catch (const std::exception& e) {
        outcome.steps = iteration;
        return fail(describeException(e));
    }

    outcome.status = RunStatus::Finished;
    outcome.steps = iteration;
    outcome.message = "finished " + std::to_string(outcome.epochsCompleted) + " epochs";
    st.finish(outcome);
    return outcome;
}

Expected<ExperimentConfig> configFromCheckpoint(const std::string& checkpointOrRunDir) {
    auto loaded = loadNewestCheckpoint(checkpointOrRunDir);
    if (!loaded)
        return loaded.error();
    return catchUserError([&]() -> ExperimentConfig {
        auto config = loadConfig(loaded->state.configJson, loaded->path, {});
        if (!config)
            throw UserError(config.error().message);
        return *config;
    });
}

} // namespace swav
