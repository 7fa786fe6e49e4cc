#pragma once
// One call of Trainer::run, from set-up to the last checkpoint, in named steps. Internal to the
// trainer: front ends use train/Trainer.h.

#include "augment/MultiCrop.h"
#include "config/DatasetKinds.h"
#include "dist/Collective.h"
#include "model/SwavModel.h"
#include "optim/LrSchedule.h"
#include "optim/Optimizer.h"
#include "runtime/DeviceSetup.h"
#include "runtime/MultiCropRecipe.h"
#include "swav/EmbeddingQueue.h"
#include "train/EpochStatistics.h"
#include "train/LossScaler.h"
#include "train/Trainer.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace swav {

class GradientReducer;

/// A failure that ends the run with this one-line reason (bad data, checkpoint, NaN loss, ...).
struct RunFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class TrainingSession {
public:
    TrainingSession(const ExperimentConfig& config, const std::shared_ptr<Dataset>& dataset,
                    const TrainerOptions& options, const std::vector<TrainingObserver*>& observers,
                    PhaseTimer& timer);
    ~TrainingSession();

    /// Sets up, trains the remaining epochs and returns the outcome (finished or stopped); a
    /// failure throws (RunFailure or any std::exception) with outcome() still describing the run.
    RunOutcome run(TrainingControl& control);

    /// Steps done and the last checkpoint so far: what a failure's outcome reports.
    const RunOutcome& outcome() const { return m_outcome; }

private:
    using Clock = std::chrono::steady_clock;

    // Set-up, in order.
    void setUpDevice();
    void checkDataFitsConfig();
    void checkMemoryBudget();
    void buildModel();
    void resume(std::vector<std::string>& notes);
    void joinReplicas();
    Collective* batchNormCollective();
    void announceStart(std::vector<std::string> notes);

    // Training.
    bool trainEpoch(int epoch, TrainingControl& control); // false: stopped
    std::vector<std::vector<int64_t>> planEpoch(int epoch, int64_t firstStep);
    enum class Control { Train, CheckpointThenTrain, Stop, StepLimit };
    Control obeyControl(TrainingControl& control, int epoch);
    /// runtime.checkpoint_every_minutes have passed since the last checkpoint (or the start).
    bool timedCheckpointDue() const;
    void trainStep(int epoch, int64_t stepInEpoch, const std::vector<int64_t>& indices,
                   TrainingControl& control);
    void checkLossIsFinite(double loss, int epoch);
    void reportStepWindow(int epoch, int64_t stepInEpoch, double lr, bool queueUsed);
    bool interimReportDue(int64_t stepInEpoch) const;
    void reportEpochSoFar(int epoch, Clock::time_point started);
    void finishEpoch(int epoch, Clock::time_point started);
    EpochMetrics measureEpoch(int epoch, Clock::time_point started);
    void stop(const std::string& why, int epoch, int64_t stepInEpoch, bool checkpoint);

    // Checkpoints.
    void saveCheckpoint(int epoch, int64_t stepInEpoch);
    void writeCheckpoint(int epoch, int64_t stepInEpoch, const at::Tensor& queues,
                         std::map<std::string, at::Tensor> accumulators);
    void shareHeldModel(int epoch);

    template <class F> void notify(F&& call) {
        for (auto* observer : m_observers)
            call(*observer);
    }

    const ExperimentConfig& m_cfg;
    std::shared_ptr<Dataset> m_dataset;
    Dataset& m_data;
    const TrainerOptions& m_options;
    const std::vector<TrainingObserver*>& m_observers;
    PhaseTimer& m_timer;

    LocalCollective m_single;
    Collective& m_collective;
    const bool m_distributed; // a process group, even of one process, takes this path
    const int m_world, m_rank;
    const int64_t m_batch; // per process

    DeviceChoice m_device;
    int m_channels = 0;
    int64_t m_stepsPerEpoch = 0;
    int64_t m_totalSteps = 0;
    std::optional<Normalisation> m_normalisation;
    std::optional<MultiCropAugmenter> m_augmenter;
    SwavModel m_model{nullptr};
    std::vector<NamedParameter> m_parameters;
    std::unique_ptr<Optimizer> m_optimizer;
    std::optional<LrSchedule> m_schedule;
    std::unique_ptr<GradientReducer> m_gradientReducer;
    std::unique_ptr<Collective> m_batchNormGroup; // sync_batchnorm_group's ranks, when a subset
    EmbeddingQueue m_queue;
    int64_t m_queueLength = 0;
    LossScaler m_scaler;
    std::optional<EpochStatistics> m_stats;
    std::map<std::string, at::Tensor> m_resumedAccumulators;

    int m_startEpoch = 0;
    int64_t m_startStepInEpoch = 0;
    int64_t m_iteration = 0;
    int64_t m_stepsThisRun = 0;
    std::shared_ptr<MultiCropRecipe> m_recipe; // this epoch's, for readers cutting originals

    // The window of steps since the last metrics report.
    at::Tensor m_windowLoss;
    int64_t m_windowSteps = 0;
    double m_windowDataMs = 0, m_windowComputeMs = 0;
    Clock::time_point m_windowStart;
    Clock::time_point m_lastCheckpointAt = Clock::now(); // or the start: timed checkpoints
    double m_lastFiniteLoss;

    RunOutcome m_outcome;
};

} // namespace swav
