#include "workflow/TrainingRun.h"

#include "config/ConfigJson.h"
#include "eval/OnlineKnn.h"
#include "runtime/CheckpointFiles.h"
#include "store/CheckpointDigests.h"
#include "store/RunRecorder.h"
#include "store/RunStore.h"
#include "util/ErrorText.h"

#include <filesystem>
#include <unistd.h>

namespace swav {

PreparedRun::PreparedRun() = default;
PreparedRun::PreparedRun(PreparedRun&&) noexcept = default;
PreparedRun& PreparedRun::operator=(PreparedRun&&) noexcept = default;
PreparedRun::~PreparedRun() = default;

Expected<RunPlan> planNewRun(const ExperimentConfig& config, const std::string& preset,
                             const std::string& database, const std::string& outDir) {
    auto claimed =
        outDir.empty() ? store::newRunFolder(database, config.name) : store::claimRunFolder(outDir);
    if (!claimed)
        return claimed.error();
    RunPlan plan;
    plan.config = config;
    plan.preset = preset;
    plan.claimed = *claimed;
    plan.runDir = claimed->path;
    return plan;
}

std::string whyNotResumable(const store::RunRecord& record) {
    const std::string run = "run " + std::to_string(record.id);
    // Opening the database has marked dead writers; a run still active has a live one.
    if (store::isActive(record.status))
        return run + " is " + store::toString(record.status) + " in another process (pid " +
               std::to_string(record.process.pid) + " on " + record.process.host +
               "); stop it before resuming";
    if (record.status == store::RunState::Imported)
        return run + " holds imported weights: it has no training state to continue";
    return {};
}

Expected<RunPlan> planContinuation(const store::RunRecord& record, const std::string& resumeFrom) {
    if (auto why = whyNotResumable(record); !why.empty())
        return Error{why};
    // The configuration recorded with the run is the one in its checkpoints; no checkpoint needs
    // reading here (the window plans on its GUI thread).
    auto config = loadConfig(record.configJson, "run " + std::to_string(record.id), {});
    if (!config)
        return Error{"run " + std::to_string(record.id) +
                     " cannot be resumed: " + config.error().message};
    RunPlan plan;
    plan.config = *config;
    plan.runDir = record.runDir;
    plan.resumeFrom = resumeFrom.empty() ? record.runDir : resumeFrom;
    plan.runId = record.id;
    std::error_code error;
    if (std::filesystem::is_directory(plan.resumeFrom, error) &&
        listCheckpoints(plan.resumeFrom).empty()) {
        plan.resumeFrom.clear();
        plan.startsOver = true;
    }
    return plan;
}

namespace {

/// Creates the record of a new run (or takes the continued one) and its recorder. Throws
/// UserError; a record made here is marked failed first.
std::unique_ptr<store::RunRecorder> recordRun(RunPlan& plan, store::RunStore& runs,
                                              const std::string& database) {
    bool created = false;
    try {
        if (plan.runId == 0) {
            plan.runId = runs.createRun(store::newRunFor(plan.config, plan.preset, plan.claimed));
            created = true;
        }
        return std::make_unique<store::RunRecorder>(database, plan.runId);
    } catch (const UserError& e) {
        // A run recorded here but never started must not stay queued.
        if (created)
            try {
                runs.setStatus(plan.runId, store::RunState::Failed, e.what());
            } catch (const UserError&) {
            }
        throw;
    }
}

TrainerOptions trainerOptionsFor(PreparedRun& run, store::RunStore* runs) {
    TrainerOptions options;
    options.runDir = run.plan.runDir;
    options.resumeFrom = run.plan.resumeFrom;
    if (runs && run.plan.runId > 0 && !run.plan.resumeFrom.empty())
        options.checkpointDigests = store::checkpointDigests(*runs, run.plan.runId);
    std::string problem;
    options.evaluator = onlineKnnFor(run.plan.config, run.split, &problem);
    if (!problem.empty())
        run.notices.push_back("online kNN is off: " + problem);
    return options;
}

} // namespace

std::string imageFolderListingPath(const std::string& runDir) {
    return runDir + "/image-folder-listing";
}

Expected<PreparedRun> prepareRun(RunPlan plan, const std::string& database,
                                 DatasetOpening opening) {
    const store::ClaimedFolder claimed = plan.claimed;
    PreparedRun run;
    run.plan = std::move(plan);
    run.database = database;
    if (run.plan.startsOver)
        run.notices.push_back("run " + std::to_string(run.plan.runId) +
                              " stopped before its first checkpoint: it starts again from its "
                              "first step, as the same run");
    try {
        if (opening.listingFile.empty() && !run.plan.runDir.empty() &&
            run.plan.config.dataset.kind == "image-folder")
            opening.listingFile = imageFolderListingPath(run.plan.runDir);
        auto split = openDataset(run.plan.config.dataset, opening);
        if (!split)
            throw UserError(split.error().message);
        run.split = std::move(*split);
        std::unique_ptr<store::RunStore> runs;
        if (!database.empty()) {
            auto opened = store::RunStore::open(database);
            if (!opened)
                throw UserError(opened.error().message);
            runs = std::move(*opened);
        }
        run.trainerOptions = trainerOptionsFor(run, runs.get());
        if (!run.split.listingFileWritten.empty())
            run.trainerOptions.ownFiles.push_back(run.split.listingFileWritten);
        if (runs) // last: nothing after it can fail and leave the record queued
            run.recorder = recordRun(run.plan, *runs, database);
    } catch (const std::exception& e) {
        // Opening the data can run out of memory as well as fail on a bad file. The listing
        // written here goes too, so that a new folder is left empty and released.
        if (!run.split.listingFileWritten.empty())
            ::unlink(run.split.listingFileWritten.c_str());
        store::releaseRunFolder(claimed);
        return Error{describeException(e)};
    }
    return run;
}

RunOutcome trainPrepared(PreparedRun& run, TrainingControl& control,
                         const std::vector<TrainingObserver*>& observers, std::string* recordError,
                         const std::function<void(const std::string&)>& recordTrouble) {
    Trainer trainer(run.plan.config, run.split.train, run.trainerOptions);
    for (auto* observer : observers)
        trainer.addObserver(observer);
    if (run.recorder) {
        trainer.addObserver(run.recorder.get());
        run.recorder->setTroubleHandler([&](const std::string& message, bool stopRun) {
            if (recordTrouble)
                recordTrouble(message);
            if (stopRun)
                control.requestStop();
        });
    }
    const RunOutcome outcome = trainer.run(control); // never throws
    if (run.recorder) {
        run.recorder->setTroubleHandler({}); // `control` is the caller's
        run.recorder->flush();
        if (recordError)
            *recordError = run.recorder->firstError();
    }
    return outcome;
}

} // namespace swav
