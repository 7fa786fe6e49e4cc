#pragma once
// Runs SwAV training epochs over a dataset. Every front end (GUI worker, CLI, tests, benchmark)
// drives this one class; it reports through TrainingObserver and obeys a TrainingControl.

#include "config/ExperimentConfig.h"
#include "data/Dataset.h"
#include "runtime/Checkpoint.h"
#include "train/TrainingObserver.h"
#include "util/PhaseTimer.h"

#include <ATen/Device.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace swav {

class Collective;
class SwavModel;

/// Scores the features while training (the online kNN of eval/OnlineKnn.h). Rank 0 calls it
/// after every epoch, on the training thread; it must leave the training itself unchanged
/// (eval mode, no gradient, its own random stream).
class EpochEvaluator {
public:
    virtual ~EpochEvaluator() = default;
    /// Top-1 accuracy in [0, 1] after `epochsDone` epochs, or nothing when this epoch is skipped.
    virtual std::optional<double> afterEpoch(SwavModel& model, int epochsDone,
                                             at::Device device) = 0;
};

struct TrainerOptions {
    std::string runDir;     // checkpoints in <runDir>/checkpoints; "" = no checkpoints
    std::string resumeFrom; // checkpoint file or run folder (its newest checkpoint); "" = fresh
    CheckpointDigests checkpointDigests; // recorded SHA-256 by path, checked on resume
    int64_t maxSteps = -1;    // stop after this many steps without a checkpoint (benchmarks)
    bool profile = false;     // synchronise the device at phase boundaries to time them
    int64_t untimedSteps = 0; // first steps left out of phaseTimes() (warm-up)
    Collective* collective = nullptr; // multi-process training; null = single process
    std::vector<std::string>
        ownFiles; // files made for the run before it starts (rank 0: the other
                  // ranks' logs; the image-folder listing), recorded as its own
    std::shared_ptr<EpochEvaluator> evaluator; // online evaluation after epochs; null = none
};

class Trainer {
public:
    /// `dataset` must hold images matching the config (channels, size >= largest crop).
    Trainer(ExperimentConfig config, std::shared_ptr<Dataset> dataset, TrainerOptions options);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    /// Observers are called on the training thread, in the order added.
    void addObserver(TrainingObserver* observer);

    /// Trains until the schedule ends, a stop is requested (seen before the next step; a
    /// checkpoint is written first), maxSteps is reached, or a failure (NaN loss, bad
    /// checkpoint, I/O error, a configuration too large for the memory, an allocation failure)
    /// happens. Never throws: every failure, set-up included, comes back as RunStatus::Failed
    /// with a one-line reason, and observers get onFinished exactly once.
    /// Thread: any single thread; blocks until done.
    RunOutcome run(TrainingControl& control);

    /// Per-phase time accumulated over the run (meaningful with options.profile).
    const PhaseTimer& phaseTimes() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace swav
