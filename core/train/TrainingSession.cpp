#include "train/TrainingSession.h"

#include "config/ConfigJson.h"
#include "dist/EpochShards.h"
#include "dist/GradientReducer.h"
#include "model/ModelState.h"
#include "model/SyncBatchNorm.h"
#include "runtime/Checkpoint.h"
#include "runtime/HeldModel.h"
#include "runtime/MemoryBudget.h"
#include "swav/SwavLoss.h"
#include "train/OpProfile.h"
#include "train/ReplicaSync.h"
#include "util/AtomicFile.h"
#include "util/SystemMemory.h"
#include "util/TorchCompat.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace swav {

namespace fs = std::filesystem;

namespace {

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

double millisecondsBetween(std::chrono::steady_clock::time_point from,
                           std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

} // namespace

TrainingSession::TrainingSession(const ExperimentConfig& config,
                                 const std::shared_ptr<Dataset>& dataset,
                                 const TrainerOptions& options,
                                 const std::vector<TrainingObserver*>& observers, PhaseTimer& timer)
    : m_cfg(config)
    , m_dataset(dataset)
    , m_data(*dataset)
    , m_options(options)
    , m_observers(observers)
    , m_timer(timer)
    , m_collective(options.collective ? *options.collective : m_single)
    , m_distributed(options.collective != nullptr)
    , m_world(m_collective.worldSize())
    , m_rank(m_collective.rank())
    , m_batch(config.optim.batchSize)
    , m_lastFiniteLoss(std::nan("")) {}

TrainingSession::~TrainingSession() = default;

RunOutcome TrainingSession::run(TrainingControl& control) {
    setUpDevice();
    checkDataFitsConfig();
    checkMemoryBudget();
    buildModel();
    std::vector<std::string> notes;
    resume(notes);
    joinReplicas();
    announceStart(std::move(notes));

    m_windowLoss = at::zeros({}, at::TensorOptions().device(m_device.device).dtype(at::kDouble));
    m_windowStart = Clock::now();
    for (int epoch = m_startEpoch; epoch < m_cfg.optim.epochs; ++epoch)
        if (!trainEpoch(epoch, control))
            return m_outcome;
    m_outcome.status = RunStatus::Finished;
    m_outcome.message = "finished " + std::to_string(m_outcome.epochsCompleted) + " epochs";
    return m_outcome;
}

// ---- set-up ----

void TrainingSession::setUpDevice() {
    m_device = swav::setUpDevice(m_cfg.runtime);
    m_timer = PhaseTimer(m_device.device, m_options.profile);
}

void TrainingSession::checkDataFitsConfig() {
    // Each rank takes its shard's full batches; the last partial batch is dropped.
    m_stepsPerEpoch = stepsPerEpoch(m_data.size(), m_world, m_batch);
    if (m_stepsPerEpoch < 1)
        throw RunFailure("the dataset has " + std::to_string(m_data.size()) + " images" +
                         (m_world > 1 ? ", " + std::to_string(shardSize(m_data.size(), m_world)) +
                                            " for each of " + std::to_string(m_world) + " processes"
                                      : std::string()) +
                         ", fewer than one batch of " + std::to_string(m_batch));
    m_totalSteps = m_stepsPerEpoch * m_cfg.optim.epochs;
    m_channels = m_cfg.model.inChannels > 0 ? m_cfg.model.inChannels : m_data.channels();
    if (m_channels != m_data.channels())
        throw RunFailure("model.in_channels is " + std::to_string(m_channels) +
                         " but the images have " + std::to_string(m_data.channels()) + " channels");
    // Readers that cut crops from the originals enlarge small ones as torchvision does.
    if (m_data.cutsCropsFromOriginals())
        return;
    for (const auto& group : m_cfg.multicrop.crops)
        if (group.size > std::min(m_data.height(), m_data.width()))
            throw RunFailure("crop size " + std::to_string(group.size) + " is larger than the " +
                             std::to_string(m_data.height()) + "x" +
                             std::to_string(m_data.width()) + " images");
}

void TrainingSession::checkMemoryBudget() {
    // Refuse what cannot fit before allocating any of it.
    const at::Device device = m_device.device;
    MemoryLimits limits;
    limits.deviceName = device.str();
    limits.hostBytes = hostMemoryBytes();
    limits.separateDevice = device.is_cuda();
    limits.deviceBytes = device.is_cuda() ? cudaDeviceMemoryBytes(device) : limits.hostBytes;
    const ValidationReport budget = swav::checkMemoryBudget(
        estimateTrainingMemory(m_cfg, m_channels, m_device.precision), limits);
    if (!budget.ok())
        throw RunFailure(budget.errors.front().path + ": " + budget.errors.front().message);
}

void TrainingSession::buildModel() {
    m_normalisation = resolveNormalisation(m_cfg, m_channels);
    m_augmenter.emplace(m_cfg.multicrop.crops, m_normalisation->mean, m_normalisation->std);

    // Same seed, same initial weights.
    at::manual_seed(static_cast<uint64_t>(m_cfg.runtime.seed));
    m_model = SwavModel(m_cfg.model, m_channels);
    m_model->to(m_device.device);
    // Faster on both devices: tensor cores on CUDA, oneDNN kernels on the CPU.
    if (m_cfg.model.channelsLast) {
        m_model->setChannelsLast(true);
        torch::NoGradGuard noGrad;
        for (auto& p : m_model->parameters())
            if (p.dim() == 4)
                p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
    for (const auto& item : m_model->named_parameters())
        m_parameters.push_back({item.key(), item.value(), item.value().dim() <= 1});
    m_optimizer = makeOptimizer(m_cfg.optim, m_parameters);
    m_schedule.emplace(m_cfg.optim, m_stepsPerEpoch);
    const int64_t globalBatch = m_batch * m_world;
    m_queueLength = m_cfg.swav.queueLength > 0
                        ? m_cfg.swav.queueLength - m_cfg.swav.queueLength % globalBatch
                        : 0;
}

void TrainingSession::resume(std::vector<std::string>& notes) {
    if (m_options.resumeFrom.empty())
        return;
    auto loaded = loadNewestCheckpoint(m_options.resumeFrom, m_options.checkpointDigests, &notes);
    if (!loaded)
        throw RunFailure(loaded.error().message);
    const std::string& path = loaded->path;
    auto& saved = loaded->state;
    // The position is checked against the schedule of the processes that wrote it.
    const int64_t savedStepsPerEpoch = stepsPerEpoch(m_data.size(), saved.worldSize, m_batch);
    if (auto problem = checkResumePosition(saved, savedStepsPerEpoch, m_cfg.optim.epochs);
        !problem.empty())
        throw RunFailure(path + ": " + problem);
    loadModelState(*m_model, saved.model, path);
    m_optimizer->loadState(saved.optimizer);
    m_startEpoch = saved.epoch;
    m_startStepInEpoch = saved.stepInEpoch;
    m_outcome.steps = m_iteration = saved.iteration;
    if (saved.lossScale > 0)
        m_scaler.restore(saved.lossScale);
    if (saved.worldSize == m_world) {
        if (saved.queue.defined()) {
            const int64_t length = saved.queue.size(1) / m_world;
            m_queue.restore(saved.queue.narrow(1, m_rank * length, length).to(m_device.device),
                            saved.queueFilled);
        }
        // The epoch's sums so far were gathered on rank 0 when saved.
        if (m_rank == 0)
            m_resumedAccumulators = saved.epochAccumulators;
        return;
    }
    m_startStepInEpoch =
        stepInEpochForWorld(saved.stepInEpoch, saved.worldSize, m_world, m_batch, m_stepsPerEpoch);
    m_outcome.steps = m_iteration = m_startEpoch * m_stepsPerEpoch + m_startStepInEpoch;
    notes.push_back(path + " was written by " + std::to_string(saved.worldSize) +
                    " processes and this run has " + std::to_string(m_world) +
                    ": the global batch is now " + std::to_string(m_batch * m_world) +
                    ", the rest of epoch " + std::to_string(m_startEpoch + 1) +
                    " is dealt out differently (some of its images may be seen twice or not at "
                    "all), the step count continues at " +
                    std::to_string(m_iteration) +
                    (saved.queue.defined() ? ", and the queues start empty" : std::string()));
}

// Batch norm spans every rank, or each group of sync_batchnorm_group consecutive ranks (a
// process group of its own, made once per run).
Collective* TrainingSession::batchNormCollective() {
    const int group = m_cfg.model.syncBatchnormGroup;
    if (group <= 0 || group >= m_collective.worldSize())
        return &m_collective;
    m_batchNormGroup = m_collective.subgroup(group);
    if (!m_batchNormGroup)
        throw UserError("model.sync_batchnorm_group: this run's processes cannot form groups");
    return m_batchNormGroup.get();
}

void TrainingSession::joinReplicas() {
    if (!m_distributed)
        return;
    broadcastModel(m_model, m_collective);
    if (m_cfg.model.syncBatchnorm)
        setBatchNormCollective(*m_model, batchNormCollective());
    std::vector<at::Tensor> tensors;
    for (const auto& p : m_parameters)
        tensors.push_back(p.tensor);
    m_gradientReducer = std::make_unique<GradientReducer>(tensors, m_collective,
                                                          int64_t(m_cfg.runtime.gradBucketMb) << 20,
                                                          m_cfg.runtime.gradOverlap);
}

void TrainingSession::announceStart(std::vector<std::string> notes) {
    RunStarted started;
    started.runDir = m_options.runDir;
    started.device = describeWorld(m_device.description, m_collective);
    started.worldSize = m_world;
    started.ownFiles = m_options.ownFiles;
    started.precision = m_device.precision;
    started.datasetSize = m_data.size();
    started.stepsPerEpoch = m_stepsPerEpoch;
    started.totalSteps = m_totalSteps;
    started.startEpoch = m_startEpoch;
    started.startStep = m_iteration;
    started.epochs = m_cfg.optim.epochs;
    started.numPrototypes = m_cfg.model.numPrototypes;
    started.notes = std::move(notes);
    if (const int64_t unreadable = m_data.skippedFiles())
        started.notes.push_back(std::to_string(unreadable) +
                                " dataset files are unreadable and were left out");

    if (!m_options.runDir.empty() && m_rank == 0) {
        // The front ends hand over a folder made for the run; whatever is made here is reported
        // so that it is recorded with the run's files.
        const fs::path runDir(m_options.runDir);
        std::error_code ec;
        for (const fs::path& folder : {runDir, runDir / "checkpoints"}) {
            const bool existed = fs::is_directory(folder, ec);
            fs::create_directories(folder, ec);
            if (ec)
                throw RunFailure(folder.string() +
                                 ": cannot create the run folder: " + ec.message());
            if (!existed)
                started.createdFolders.push_back(folder.string());
        }
        started.configFile = (runDir / "config.json").string();
        writeFileAtomically(started.configFile, "run configuration",
                            [&](std::ostream& out) { out << toJson(m_cfg).dump(2) << "\n"; });
    }
    notify([&](TrainingObserver& o) { o.onStarted(started); });
    m_stats.emplace(m_cfg.model.numPrototypes, m_model->embeddingDim(), m_device.device);
    m_stats->restore(m_resumedAccumulators);
}

// ---- training ----

bool TrainingSession::trainEpoch(int epoch, TrainingControl& control) {
    const auto epochStart = Clock::now();
    if (m_queueLength > 0 && epoch >= m_cfg.swav.epochQueueStarts && !m_queue.exists())
        m_queue = EmbeddingQueue(static_cast<int>(m_cfg.swav.cropsForAssign.size()),
                                 m_queueLength / m_world, m_model->embeddingDim(), m_device.device);
    const int64_t firstStep = epoch == m_startEpoch ? m_startStepInEpoch : 0;
    const auto batches = planEpoch(epoch, firstStep);
    if (epoch != m_startEpoch)
        m_stats.emplace(m_cfg.model.numPrototypes, m_model->embeddingDim(), m_device.device);

    for (int64_t stepInEpoch = firstStep; stepInEpoch < m_stepsPerEpoch; ++stepInEpoch) {
        switch (obeyControl(control, epoch)) {
        case Control::Stop:
            stop("stopped at epoch " + std::to_string(epoch + 1) + ", step " +
                     std::to_string(m_iteration),
                 epoch, stepInEpoch, true);
            return false;
        case Control::StepLimit:
            stop("reached the step limit", epoch, stepInEpoch, false);
            return false;
        case Control::CheckpointThenTrain:
            saveCheckpoint(epoch, stepInEpoch);
            break;
        case Control::Train:
            break;
        }
        trainStep(epoch, stepInEpoch, batches[static_cast<size_t>(stepInEpoch - firstStep)],
                  control);
        if (interimReportDue(stepInEpoch))
            reportEpochSoFar(epoch, epochStart);
    }
    finishEpoch(epoch, epochStart);
    return true;
}

std::vector<std::vector<int64_t>> TrainingSession::planEpoch(int epoch, int64_t firstStep) {
    // This rank's shard of the epoch's permutation, which depends on (seed, epoch) only.
    const auto seed = static_cast<uint64_t>(m_cfg.runtime.seed);
    const auto shard = rankShard(epochOrder(m_data.size(), seed, epoch), m_rank, m_world);
    std::vector<std::vector<int64_t>> batches;
    for (int64_t s = firstStep; s < m_stepsPerEpoch; ++s)
        batches.emplace_back(shard.begin() + s * m_batch, shard.begin() + (s + 1) * m_batch);
    if (!m_data.cutsCropsFromOriginals()) {
        m_data.prefetch(batches);
        return batches;
    }
    const bool cuda = m_device.device.is_cuda();
    m_recipe = trainingRecipe(m_cfg.multicrop.crops, m_normalisation->mean, m_normalisation->std,
                              seed, epoch, finishCropsInWorkers(m_cfg.dataset.cropFinish, cuda));
    m_data.prefetchCrops(batches, m_recipe, cuda);
    return batches;
}

TrainingSession::Control TrainingSession::obeyControl(TrainingControl& control, int epoch) {
    // Data-parallel ranks agree every runtime.control_every_steps only: the agreement is an
    // all-reduce read on the host and a store write, a round trip that also waits for the device.
    if (m_distributed && m_iteration % std::max(1, m_cfg.runtime.controlEverySteps) != 0)
        return m_options.maxSteps >= 0 && m_stepsThisRun >= m_options.maxSteps ? Control::StepLimit
                                                                               : Control::Train;
    // Every rank pauses and stops at the same step: a request on any rank counts. Rank 0's clock
    // says when a timed checkpoint is due.
    m_collective.noteProgress(m_iteration);
    auto ask = [&] {
        return anyRank(m_collective, {control.stopRequested() ? 1 : 0, control.paused() ? 1 : 0,
                                      m_rank == 0 && timedCheckpointDue() ? 1 : 0});
    };
    auto flags = ask();
    if (flags[1] && !flags[0]) {
        // The model first: an observer told of the pause may look at it at once.
        shareHeldModel(epoch);
        notify([&](TrainingObserver& o) { o.onPaused(m_iteration); });
        while (flags[1] && !flags[0]) {
            // Polled: a pause may be lifted from a signal handler, which cannot wake a waiting
            // thread; other ranks are asked again meanwhile.
            control.waitWhilePausedFor(std::chrono::milliseconds(200));
            flags = ask();
        }
        m_windowStart = Clock::now();
        m_windowDataMs = m_windowComputeMs = 0;
    }
    if (flags[0])
        return Control::Stop;
    if (m_options.maxSteps >= 0 && m_stepsThisRun >= m_options.maxSteps)
        return Control::StepLimit;
    return flags[2] ? Control::CheckpointThenTrain : Control::Train;
}

void TrainingSession::trainStep(int epoch, int64_t stepInEpoch, const std::vector<int64_t>& indices,
                                TrainingControl& control) {
    const auto stepStart = Clock::now();
    m_timer.start();
    auto dataDone = Clock::now();
    MultiCropBatch crops =
        trainingCrops(m_data, indices, *m_augmenter, m_recipe,
                      static_cast<uint64_t>(m_cfg.runtime.seed), epoch, m_device.device, [&] {
                          m_timer.mark(Phase::Data);
                          dataDone = Clock::now();
                      });
    m_timer.mark(Phase::Augment);

    m_model->normalizePrototypes();
    SwavForward forward;
    {
        compat::AutocastGuard autocast(m_device.autocast, m_device.device.type(),
                                       m_device.autocastType);
        forward = m_model->forward(crops.crops);
    }
    m_timer.mark(Phase::Forward);
    auto lossOut = swavLoss(forward.scores, forward.embeddings, m_batch, m_cfg.swav,
                            m_queue.exists() ? &m_queue : nullptr, m_model->prototypes()->weight,
                            m_distributed ? &m_collective : nullptr, &m_timer);

    m_optimizer->zeroGrad();
    if (m_gradientReducer)
        m_gradientReducer->prepare();
    (m_device.lossScaling ? m_scaler.scaled(lossOut.loss) : lossOut.loss).backward();
    if (m_gradientReducer)
        m_gradientReducer->finish(); // the mean gradient over ranks
    if (m_iteration < m_cfg.swav.freezePrototypesNiters)
        m_model->prototypes()->weight.mutable_grad() = at::Tensor();
    m_timer.mark(Phase::Backward);

    const bool stepTaken =
        !m_device.lossScaling || m_scaler.unscaleAndUpdate(m_model->parameters());
    const double lr = m_schedule->at(m_iteration);
    if (stepTaken) {
        RECORD_USER_SCOPE(kOptimiserScope); // the profiler's "optimiser" share
        m_optimizer->step(lr);
    }
    m_timer.mark(Phase::Optimizer);

    m_stats->add(lossOut.codes, forward.embeddings.slice(0, 0, m_batch).detach(),
                 lossOut.loss.detach());
    m_windowLoss += lossOut.loss.detach().to(at::kDouble);
    ++m_windowSteps;
    m_outcome.steps = ++m_iteration;
    if (++m_stepsThisRun == m_options.untimedSteps)
        m_timer.reset();
    const auto stepEnd = Clock::now();
    m_windowDataMs += millisecondsBetween(stepStart, dataDone);
    m_windowComputeMs += millisecondsBetween(dataDone, stepEnd);

    const bool lastOfEpoch = stepInEpoch + 1 == m_stepsPerEpoch;
    // Stepping through training (one process): the metrics so far, then a pause.
    const bool steppedToPause = !m_distributed && control.stepDone();
    const bool report =
        m_windowSteps >= std::max(1, m_cfg.runtime.metricsEvery) || lastOfEpoch || steppedToPause;
    // The CPU waits for every step anyway; a GPU is synchronised only when reporting.
    if (!m_device.device.is_cuda() || report)
        checkLossIsFinite(lossOut.loss.item<double>(), epoch);
    if (report)
        reportStepWindow(epoch, stepInEpoch, lr, lossOut.queueUsed);
}

void TrainingSession::checkLossIsFinite(double loss, int epoch) {
    if (std::isfinite(loss)) {
        m_lastFiniteLoss = loss;
        return;
    }
    std::ostringstream why;
    why << "the loss became " << loss << " at step " << m_iteration << " (epoch " << epoch + 1
        << "); last finite loss " << m_lastFiniteLoss
        << ". Likely causes: a learning rate too high for this batch (the weights grew without "
           "bound), or fp16 overflowing in the trunk (bf16 or fp32 keep float32's range).";
    if (!m_outcome.lastCheckpoint.empty())
        why << " The last good checkpoint is kept: " << m_outcome.lastCheckpoint;
    throw RunFailure(why.str());
}

void TrainingSession::reportStepWindow(int epoch, int64_t stepInEpoch, double lr, bool queueUsed) {
    if (m_distributed) { // the mean over ranks
        m_collective.allReduceSum(m_windowLoss);
        m_windowLoss.div_(m_world);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - m_windowStart).count();
    StepMetrics m;
    m.step = m_iteration - 1;
    m.epoch = epoch;
    m.stepInEpoch = stepInEpoch;
    m.stepsPerEpoch = m_stepsPerEpoch;
    m.loss = m_windowLoss.item<double>() / m_windowSteps;
    m.lr = lr;
    m.imagesPerSecond = seconds > 0 ? m_windowSteps * m_batch * m_world / seconds : 0;
    m.dataMs = m_windowDataMs / m_windowSteps;
    m.computeMs = m_windowComputeMs / m_windowSteps;
    m.etaSeconds = seconds / m_windowSteps * static_cast<double>(m_totalSteps - m_iteration);
    m.prototypesFrozen = m_iteration - 1 < m_cfg.swav.freezePrototypesNiters;
    m.queueActive = queueUsed;
    const DeviceMemoryUse memory = deviceMemoryUse(m_device.device);
    m.memoryBytes = memory.inUse;
    m.memoryPeakBytes = memory.peak;
    notify([&](TrainingObserver& o) { o.onStep(m); });
    m_windowLoss.zero_();
    m_windowSteps = 0;
    m_windowDataMs = m_windowComputeMs = 0;
    m_windowStart = Clock::now();
}

// Every rank decides alike (the statistics are summed over ranks).
bool TrainingSession::interimReportDue(int64_t stepInEpoch) const {
    const int every = m_cfg.runtime.statisticsEvery;
    const int64_t stepsDone = stepInEpoch + 1;
    // The epoch's last step gets the end-of-epoch report instead.
    return every > 0 && stepsDone % every == 0 && stepsDone < m_stepsPerEpoch;
}

void TrainingSession::reportEpochSoFar(int epoch, Clock::time_point started) {
    const auto reportStart = Clock::now();
    EpochMetrics em = measureEpoch(epoch, started);
    em.interim = true;
    notify([&](TrainingObserver& o) { o.onEpoch(em); });
    // The report (the kNN above all) is not training: keep it out of the step window's speed.
    m_windowStart += Clock::now() - reportStart;
}

void TrainingSession::finishEpoch(int epoch, Clock::time_point started) {
    const EpochMetrics em = measureEpoch(epoch, started);
    m_outcome.finalLoss = em.meanLoss;
    m_outcome.epochsCompleted = epoch + 1;
    notify([&](TrainingObserver& o) { o.onEpoch(em); });
    const bool lastEpoch = epoch + 1 == m_cfg.optim.epochs;
    if (lastEpoch || (epoch + 1) % std::max(1, m_cfg.runtime.checkpointEveryEpochs) == 0)
        saveCheckpoint(epoch + 1, 0);
}

/// The epoch's statistics up to the step just trained (a collective call; the accumulators go on
/// accumulating) and, on rank 0, the online kNN when the evaluator runs for this epoch.
EpochMetrics TrainingSession::measureEpoch(int epoch, Clock::time_point started) {
    EpochMetrics em;
    em.epoch = epoch;
    em.step = m_iteration - 1;
    // Loss and embedding statistics are means over ranks, usage histograms sums.
    m_stats->summedOver(m_collective).finish(m_model->prototypes()->weight, em);
    em.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    em.queueActive = m_queue.full();
    em.unreadableFiles = m_data.skippedFiles();
    if (m_rank == 0 && m_options.evaluator)
        if (const auto accuracy =
                m_options.evaluator->afterEpoch(m_model, epoch + 1, m_device.device))
            em.knnAccuracy = *accuracy;
    return em;
}

void TrainingSession::stop(const std::string& why, int epoch, int64_t stepInEpoch,
                           bool checkpoint) {
    m_outcome.status = RunStatus::Stopped;
    m_outcome.message = why;
    if (checkpoint)
        saveCheckpoint(epoch, stepInEpoch);
    m_outcome.steps = m_iteration;
}

// ---- checkpoints ----

bool TrainingSession::timedCheckpointDue() const {
    const double minutes = m_cfg.runtime.checkpointEveryMinutes;
    return minutes > 0 && !m_options.runDir.empty() &&
           std::chrono::duration<double>(Clock::now() - m_lastCheckpointAt).count() >= minutes * 60;
}

// Rank 0 writes the checkpoint; every rank takes part in gathering the queues and the statistics,
// then waits until it is written, so that no rank runs ahead of a checkpoint that failed or reads
// one that is not there yet.
void TrainingSession::saveCheckpoint(int epoch, int64_t stepInEpoch) {
    if (m_options.runDir.empty())
        return;
    const at::Tensor queues = m_queue.exists() ? gatherQueues(m_queue, m_collective) : at::Tensor();
    auto accumulators = stepInEpoch > 0 ? m_stats->summedOver(m_collective).state()
                                        : std::map<std::string, at::Tensor>();
    std::string failure;
    if (m_rank == 0) {
        try {
            writeCheckpoint(epoch, stepInEpoch, queues, std::move(accumulators));
        } catch (const std::exception& e) {
            failure = describeException(e);
        }
    }
    if (m_distributed) {
        auto written = at::full({1}, failure.empty() ? 1 : 0, at::kLong);
        m_collective.broadcast(written);
        if (failure.empty() && written.item<int64_t>() == 0)
            failure =
                m_collective.describeRank(0) + " could not write the checkpoint (its log says why)";
    }
    if (!failure.empty())
        throw RunFailure(failure);
    m_lastCheckpointAt = Clock::now();
}

void TrainingSession::writeCheckpoint(int epoch, int64_t stepInEpoch, const at::Tensor& queues,
                                      std::map<std::string, at::Tensor> accumulators) {
    CheckpointState s;
    s.worldSize = m_world;
    s.configJson = toJson(m_cfg).dump();
    s.epoch = epoch;
    s.stepInEpoch = stepInEpoch;
    s.iteration = m_iteration;
    s.model = modelState(*m_model);
    s.optimizer = m_optimizer->state();
    if (m_queue.exists()) {
        s.queue = queues;
        s.queueFilled = m_queue.filled();
    }
    s.epochAccumulators = std::move(accumulators);
    s.lossScale = m_device.lossScaling ? m_scaler.scale() : 0;
    const auto path = checkpointPath(m_options.runDir, epoch, m_iteration);
    swav::saveCheckpoint(s, path);
    // Brace order is evaluation order: the size is read before pruning.
    CheckpointSaved saved{path, epoch, m_iteration, static_cast<int64_t>(fs::file_size(path)),
                          pruneCheckpoints(m_options.runDir, m_cfg.runtime.keepCheckpoints)};
    notify([&](TrainingObserver& o) { o.onCheckpoint(saved); });
    m_outcome.lastCheckpoint = path;
}

/// A CPU copy of the model for the observers that want one (copied only then: it costs a model's
/// worth of memory and, on a GPU, a transfer).
void TrainingSession::shareHeldModel(int epoch) {
    if (std::none_of(m_observers.begin(), m_observers.end(),
                     [](const TrainingObserver* o) { return o->wantsHeldModel(); }))
        return;
    auto held = std::make_shared<HeldModel>();
    held->step = m_iteration;
    held->epoch = epoch;
    held->configJson = toJson(m_cfg).dump();
    for (const auto& [name, tensor] : modelState(*m_model))
        held->state[name] = tensor.detach().to(at::kCPU).clone();
    std::shared_ptr<const HeldModel> shared = std::move(held);
    for (auto* observer : m_observers)
        if (observer->wantsHeldModel())
            observer->onModelHeld(shared);
}

} // namespace swav
