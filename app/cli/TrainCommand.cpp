#include "cli/TrainCommand.h"

#include "cli/Commands.h"
#include "cli/ProgressPrinter.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "data/Dataset.h"
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

bool isRunId(const std::string& text) {
    // 18 digits at most: longer ones overflow an int64 and cannot be an id.
    return !text.empty() && text.size() <= 18 &&
           text.find_first_not_of("0123456789") == std::string::npos;
}

/// What to train: the configuration, the run folder and (with a store) the run's record.
struct RunPlan {
    ExperimentConfig config;
    std::string runDir;
    std::string resumeFrom; // checkpoint or run folder; "" = fresh
    int64_t runId = 0;      // 0 = not recorded
};

Expected<RunPlan> planRun(const TrainOptions& options, const std::string& database,
                          store::RunStore* runs) {
    RunPlan plan;
    plan.runDir = options.outDir;
    std::string resume = options.resume;
    if (isRunId(resume) && !fs::exists(resume)) {
        if (!runs)
            return Error{"--resume " + resume +
                         ": a run id needs the run database (drop "
                         "--no-store or give the run folder)"};
        const auto record = runs->run(std::stoll(resume));
        if (!record)
            return Error{runs->path() + ": no run with id " + resume + " (see swav runs list)"};
        plan.runId = record->id;
        resume = record->runDir;
        if (plan.runDir.empty())
            plan.runDir = resume;
    }
    if (!resume.empty()) {
        // Resuming continues the same run with the configuration it was started with.
        auto config = configFromCheckpoint(resume);
        if (!config)
            return config.error();
        plan.config = *config;
        plan.resumeFrom = resume;
        if (plan.runDir.empty())
            plan.runDir = fs::is_directory(resume) ? resume : runDirOfCheckpoint(resume);
        if (runs && plan.runId == 0)
            if (const auto record = runs->runByDir(plan.runDir))
                plan.runId = record->id;
        // Opening the database has marked dead writers; a run still active has a live one.
        if (runs && plan.runId > 0)
            if (const auto record = runs->run(plan.runId);
                record && store::isActive(record->status))
                return Error{"run " + std::to_string(plan.runId) + " is " +
                             store::toString(record->status) + " in another process (pid " +
                             std::to_string(record->process.pid) + " on " + record->process.host +
                             "); stop it before resuming"};
        return plan;
    }
    ValidationReport warnings;
    auto config = options.source.load(&warnings);
    if (!config)
        return config.error();
    std::cerr << warnings.format();
    plan.config = *config;
    if (plan.runDir.empty())
        plan.runDir = plan.config.runtime.outDir;
    if (plan.runDir.empty())
        plan.runDir = store::newRunFolder(database, plan.config.name);
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
        std::cerr << split.error().message << "\n";
        return ExitBadUsage;
    }

    std::unique_ptr<store::RunRecorder> recorder;
    if (runs) {
        try {
            if (plan->runId == 0) {
                const std::string preset = !options.source.configFile.empty() ? ""
                                           : options.source.preset.empty()    ? "fashion-mnist"
                                                                           : options.source.preset;
                plan->runId = runs->createRun(store::newRunFor(config, preset, plan->runDir));
            }
            recorder = std::make_unique<store::RunRecorder>(database, plan->runId);
        } catch (const UserError& e) {
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
    if (outcome.status == RunStatus::Stopped)
        std::printf("resume with: swav train --resume %s\n",
                    recorder ? std::to_string(plan->runId).c_str() : plan->runDir.c_str());
    return outcome.status == RunStatus::Failed ? ExitRunFailed : ExitOk;
}

} // namespace swav::cli
