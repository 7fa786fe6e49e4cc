#pragma once
// Runs SwAV training epochs over a dataset. Every front end (GUI worker, CLI, tests, benchmark)
// drives this one class; it reports through TrainingObserver and obeys a TrainingControl.

#include "config/ExperimentConfig.h"
#include "data/Dataset.h"
#include "train/Checkpoint.h"
#include "train/TrainingObserver.h"
#include "util/PhaseTimer.h"

#include <memory>
#include <string>
#include <vector>

namespace swav {

class Collective;

struct TrainerOptions {
    std::string runDir;     // checkpoints in <runDir>/checkpoints; "" = no checkpoints
    std::string resumeFrom; // checkpoint file or run folder (its newest checkpoint); "" = fresh
    CheckpointDigests checkpointDigests; // recorded SHA-256 by path, checked on resume
    int64_t maxSteps = -1;    // stop after this many steps without a checkpoint (benchmarks)
    bool profile = false;     // synchronise the device at phase boundaries to time them
    int64_t untimedSteps = 0; // first steps left out of phaseTimes() (warm-up)
    Collective* collective = nullptr;      // multi-process training; null = single process
    std::vector<std::string> rankLogFiles; // rank 0: the other ranks' logs, recorded as the run's
    /// Labelled images kept out of training: with eval.knn_every_epochs > 0 they are classified
    /// by kNN against (up to 10000) training images every N epochs, in eval mode and without
    /// gradient, so the training itself is unchanged.
    std::shared_ptr<Dataset> monitor;
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
    RunOutcome train(TrainingControl& control);

    struct State;
    std::unique_ptr<State> m_state;
};

/// The configuration stored in a checkpoint (file or run folder), to resume with.
Expected<ExperimentConfig> configFromCheckpoint(const std::string& checkpointOrRunDir);

} // namespace swav
