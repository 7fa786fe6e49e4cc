#include "cli/TrainCommand.h"

#include "cli/Commands.h"
#include "cli/ProgressPrinter.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "data/Dataset.h"
#include "store/CheckpointDigests.h"
#include "store/RunRecorder.h"
#include "train/Checkpoint.h"
#include "train/Trainer.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace swav::cli {

namespace fs = std::filesystem;

namespace {

std::atomic<int> g_interrupts{0};
// The run's control, for the signal handler: set before the handler is installed.
std::atomic<TrainingControl*> g_control{nullptr};
static_assert(std::atomic<TrainingControl*>::is_always_lock_free);

extern "C" void onInterrupt(int) {
    // Second Ctrl-C: leave now, without a checkpoint.
    if (g_interrupts.fetch_add(1) >= 1)
        _exit(130);
    // Async-signal-safe: a lock-free store the trainer reads before every step.
    if (TrainingControl* control = g_control.load())
        control->requestStopFromSignal();
    static const char message[] = "\nstopping after this step (checkpoint first); press Ctrl-C "
                                  "again to abort\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
}

/// What to train: the configuration, the run folder and (with a store) the run's record.
struct RunPlan {
    ExperimentConfig config;
    std::string runDir;
    store::ClaimedFolder claimed; // the folder made for a new run; empty when continuing one
    std::string resumeFrom;       // checkpoint or run folder; "" = fresh
    std::string preset;           // recorded with a new run
    int64_t runId = 0;            // the recorded run continued; 0 = a new run
};

std::string presetOf(const ConfigSource& source) {
    if (!source.configFile.empty())
        return "";
    return source.preset.empty() ? "fashion-mnist" : source.preset;
}

/// A recorded run continues in its own folder, as the same run.
Expected<RunPlan> continueRecorded(const store::RunRecord& record, const std::string& resume,
                                   const TrainOptions& options) {
    if (!options.outDir.empty())
        return Error{"--out: run " + std::to_string(record.id) + " continues in its own folder " +
                     record.runDir + "; leave out --out"};
    // Opening the database has marked dead writers; a run still active has a live one.
    if (store::isActive(record.status))
        return Error{"run " + std::to_string(record.id) + " is " + store::toString(record.status) +
                     " in another process (pid " + std::to_string(record.process.pid) + " on " +
                     record.process.host + "); stop it before resuming"};
    auto config = configFromCheckpoint(resume);
    if (!config)
        return config.error();
    RunPlan plan;
    plan.config = *config;
    plan.resumeFrom = resume;
    plan.runDir = record.runDir;
    plan.runId = record.id;
    return plan;
}

Expected<RunPlan> planRun(const TrainOptions& options, const std::string& database,
                          store::RunStore* runs) {
    RunPlan plan;
    std::string outDir = options.outDir;
    const char* outOrigin = "--out";
    if (!options.resume.empty()) {
        const std::string& resume = options.resume;
        if (isRunId(resume) && !fs::exists(resume)) {
            if (!runs)
                return Error{"--resume " + resume +
                             ": a run id needs the run database (drop "
                             "--no-store or give the run folder)"};
            const auto record = runs->run(std::stoll(resume));
            if (!record)
                return Error{runs->path() + ": no run with id " + resume + " (see swav runs list)"};
            return continueRecorded(*record, record->runDir, options);
        }
        if (runs) {
            const auto record =
                fs::is_directory(resume) ? runs->runByDir(resume) : runs->runOfCheckpoint(resume);
            if (record)
                return continueRecorded(*record, resume, options);
        }
        // Not a recorded run: the checkpoint's folder is not ours to write (it may be a
        // download folder). The continuation is a new run in a folder of its own.
        auto config = configFromCheckpoint(resume);
        if (!config)
            return config.error();
        plan.config = *config;
        plan.resumeFrom = resume;
    } else {
        ValidationReport warnings;
        auto config = options.source.load(&warnings);
        if (!config)
            return config.error();
        std::cerr << warnings.format();
        plan.config = *config;
        plan.preset = presetOf(options.source);
        if (outDir.empty()) {
            outDir = plan.config.runtime.outDir;
            outOrigin = "runtime.out_dir";
        }
    }
    auto claimed = outDir.empty() ? store::newRunFolder(database, plan.config.name)
                                  : store::claimRunFolder(outDir);
    if (!claimed)
        return Error{(outDir.empty() ? std::string() : std::string(outOrigin) + ": ") +
                     claimed.error().message};
    plan.claimed = *claimed;
    plan.runDir = claimed->path;
    if (!plan.resumeFrom.empty() && runs)
        std::printf("%s is not part of a recorded run: continuing it as a new run in %s\n",
                    plan.resumeFrom.c_str(), plan.runDir.c_str());
    else if (!plan.resumeFrom.empty())
        std::printf("continuing %s as a new, unrecorded run in %s\n", plan.resumeFrom.c_str(),
                    plan.runDir.c_str());
    return plan;
}

} // namespace

int runTrain(const TrainOptions& options) {
    std::unique_ptr<store::RunStore> runs;
    const std::string database = databaseOrDefault(options.database);
    if (!options.noStore) {
        auto opened = store::RunStore::open(database);
        if (!opened) {
            std::cerr << opened.error().message
                      << "\n(choose another file with --db, or train without recording: "
                         "--no-store)\n";
            return ExitBadUsage;
        }
        runs = std::move(*opened);
    }
    auto plan = planRun(options, database, runs.get());
    if (!plan) {
        std::cerr << plan.error().message << "\n";
        return ExitBadUsage;
    }
    const ExperimentConfig& config = plan->config;

    auto split = openDataset(config.dataset);
    if (!split) {
        store::releaseRunFolder(plan->claimed);
        std::cerr << split.error().message << "\n";
        return ExitBadUsage;
    }

    std::unique_ptr<store::RunRecorder> recorder;
    if (runs) {
        bool created = false;
        try {
            if (plan->runId == 0) {
                plan->runId =
                    runs->createRun(store::newRunFor(config, plan->preset, plan->claimed));
                created = true;
            }
            recorder = std::make_unique<store::RunRecorder>(database, plan->runId);
        } catch (const UserError& e) {
            // A run recorded here but never started must not stay queued.
            if (created)
                try {
                    runs->setStatus(plan->runId, store::RunState::Failed, e.what());
                } catch (const UserError&) {
                }
            store::releaseRunFolder(plan->claimed);
            std::cerr << e.what() << "\n";
            return ExitBadUsage;
        }
        std::printf("run %lld recorded in %s\n", static_cast<long long>(plan->runId),
                    database.c_str());
    }

    TrainerOptions trainerOptions;
    trainerOptions.runDir = plan->runDir;
    if (config.eval.knnEveryEpochs > 0) {
        std::string problem;
        trainerOptions.monitor = knnMonitorSet(config.dataset, *split, &problem);
        if (!trainerOptions.monitor)
            std::cerr << "online kNN is off: " << problem << "\n";
    }
    trainerOptions.resumeFrom = plan->resumeFrom;
    if (runs && plan->runId > 0 && !plan->resumeFrom.empty())
        trainerOptions.checkpointDigests = store::checkpointDigests(*runs, plan->runId);
    Trainer trainer(config, split->train, trainerOptions);
    TrainingControl control;
    ProgressPrinter progress(stdout);
    trainer.addObserver(&progress);
    if (recorder)
        trainer.addObserver(recorder.get());

    g_control = &control;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const RunOutcome outcome = trainer.run(control);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    g_control = nullptr;

    if (recorder) {
        recorder->flush();
        if (const std::string error = recorder->firstError(); !error.empty())
            std::cerr << "warning: the run database missed some records: " << error << "\n";
    }
    if (outcome.status == RunStatus::Stopped) {
        if (recorder)
            std::printf("resume with: swav train --resume %lld\n",
                        static_cast<long long>(plan->runId));
        else // unrecorded: the continuation gets a new folder, as for any unrecorded checkpoint
            std::printf("resume with: swav train --no-store --resume %s\n", plan->runDir.c_str());
    }
    return outcome.status == RunStatus::Failed ? ExitRunFailed : ExitOk;
}

} // namespace swav::cli
