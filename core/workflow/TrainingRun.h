#pragma once
// Starting and continuing a training run, for every front end: the run's folder, its record in
// the run database, the data, the online kNN and the checkpoint digests, and what is undone when
// a step fails. The window's worker thread and `swav train` both go through here.

#include "config/ExperimentConfig.h"
#include "data/Dataset.h"
#include "store/RunFolders.h"
#include "train/Trainer.h"
#include "util/Expected.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace swav {

namespace store {
struct RunRecord;
class RunRecorder;
} // namespace store

/// What to train: a configuration, its run folder and, when continuing, what and which record.
struct RunPlan {
    ExperimentConfig config;
    std::string runDir;
    store::ClaimedFolder claimed; // the folder made for a new run; empty when continuing one
    std::string resumeFrom;       // checkpoint or run folder; "" = fresh
    std::string preset;           // recorded with a new run
    int64_t runId = 0;            // the recorded run continued; 0 = a new run
    bool startsOver = false;      // continued, but it stopped before its first checkpoint
};

/// A new run in a folder of its own: claimed at `outDir`, or made beside `database` when
/// `outDir` is "". The error names the folder and why it cannot be used.
Expected<RunPlan> planNewRun(const ExperimentConfig& config, const std::string& preset,
                             const std::string& database, const std::string& outDir = {});

/// Why recorded run `record` cannot continue here, "" when it can: it is live in another process
/// (named by pid and host), or it holds imported weights without training state.
std::string whyNotResumable(const store::RunRecord& record);

/// Continuing recorded run `record` in its own folder from `resumeFrom` (its folder or one of its
/// checkpoints; "" = its folder), with the configuration it was recorded with. A run that
/// stopped before its first checkpoint starts again from its first step, as the same run.
Expected<RunPlan> planContinuation(const store::RunRecord& record,
                                   const std::string& resumeFrom = {});

/// A run ready to train.
struct PreparedRun {
    RunPlan plan;
    std::string database;                         // "" = unrecorded
    DatasetSplit split;                           // the training images (and any hold-out)
    std::unique_ptr<store::RunRecorder> recorder; // null = unrecorded
    TrainerOptions trainerOptions;                // folder, resume, digests, online kNN
    std::vector<std::string> notices;             // worth telling the user ("online kNN is off")
    PreparedRun();
    PreparedRun(PreparedRun&&) noexcept;
    PreparedRun& operator=(PreparedRun&&) noexcept;
    ~PreparedRun();
};

/// Where a run keeps the listing of its image folder: <runDir>/image-folder-listing.
std::string imageFolderListingPath(const std::string& runDir);

/// Opens the dataset (an image folder's listing kept in the run's folder, from `opening` or
/// made and kept now), records a new run (or takes over the record being continued) in
/// `database` ("" = unrecorded) and sets the trainer's options. On failure nothing is left
/// behind: the folder claimed for a new run is released and a record made here is marked failed.
Expected<PreparedRun> prepareRun(RunPlan plan, const std::string& database,
                                 DatasetOpening opening = {});

/// Trains the prepared run (config: `run.plan.config`) with `observers` and its recorder, then
/// commits the record; `recordError` gets the first write the database missed ("" when none).
/// Never throws; thread: the caller's, blocking until the run ends.
/// While the run database cannot be written (a full disk) the records wait in memory;
/// `recordTrouble` hears when that starts and ends, and the run stops with a checkpoint when too
/// much waits.
RunOutcome trainPrepared(PreparedRun& run, TrainingControl& control,
                         const std::vector<TrainingObserver*>& observers,
                         std::string* recordError = nullptr,
                         const std::function<void(const std::string&)>& recordTrouble = {});

} // namespace swav
