#include "cli/TrainCommand.h"

#include "cli/Commands.h"
#include "cli/ProgressPrinter.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "data/Dataset.h"
#include "data/ImageFolderListing.h"
#include "dist/DistributedSetup.h"
#include "dist/ProcessGroupCollective.h"
#include "dist/RankPlacement.h"
#include "runtime/Checkpoint.h"
#include "store/RunRecorder.h"
#include "store/RunStore.h"
#include "workflow/TrainingRun.h"

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
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

extern "C" void onPauseSignal(int signal) {
    if (TrainingControl* control = g_control.load())
        control->setPausedFromSignal(signal == SIGUSR1);
}

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
    return planContinuation(record, resume);
}

/// --resume of a run id, a recorded run's folder or checkpoint, or any other checkpoint.
Expected<RunPlan> planResume(const TrainOptions& options, const std::string& database,
                             store::RunStore* runs) {
    const std::string& resume = options.resume;
    if (isRunId(resume) && !fs::exists(resume)) {
        if (!runs)
            return Error{"--resume " + resume +
                         ": a run id needs the run database (drop --no-store or give the run "
                         "folder)"};
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
    // Not a recorded run: the checkpoint's folder is not ours to write (it may be a download
    // folder). The continuation is a new run in a folder of its own.
    auto config = configFromCheckpoint(resume);
    if (!config)
        return config.error();
    auto plan = planNewRun(*config, "", database, options.outDir);
    if (!plan)
        return Error{(options.outDir.empty() ? "" : "--out: ") + plan.error().message};
    plan->resumeFrom = resume;
    if (runs)
        std::printf("%s is not part of a recorded run: continuing it as a new run in %s\n",
                    resume.c_str(), plan->runDir.c_str());
    else
        std::printf("continuing %s as a new, unrecorded run in %s\n", resume.c_str(),
                    plan->runDir.c_str());
    return plan;
}

Expected<RunPlan> planRun(const TrainOptions& options, const std::string& database,
                          store::RunStore* runs) {
    if (!options.resume.empty())
        return planResume(options, database, runs);
    ValidationReport warnings;
    auto config = options.source.load(&warnings);
    if (!config)
        return config.error();
    // Queue, K and tuned-batch warnings depend on the global batch.
    std::cerr
        << (options.worldSize > 1 ? validateConfig(*config, options.worldSize) : warnings).format();
    const bool fromConfig = options.outDir.empty() && !config->runtime.outDir.empty();
    const std::string outDir = fromConfig ? config->runtime.outDir : options.outDir;
    auto plan = planNewRun(*config, presetOf(options.source), database, outDir);
    if (!plan && !outDir.empty())
        return Error{std::string(fromConfig ? "runtime.out_dir: " : "--out: ") +
                     plan.error().message};
    return plan;
}

/// Returns ExitOk with `run` ready to train, or the exit code after printing why not.
/// How this process opens its data: what a long opening does goes to stderr.
DatasetOpening datasetOpening(int processesOnHost) {
    DatasetOpening opening;
    opening.processesOnHost = processesOnHost;
    opening.report = [](const std::string& text) { std::cerr << text << std::endl; };
    return opening;
}

int prepareRun(const TrainOptions& options, PreparedRun& run, int processesOnHost = 1) {
    // Without a store, new run folders still go where the database would be.
    const std::string database = databaseOrDefault(options.database);
    std::unique_ptr<store::RunStore> runs;
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
    auto prepared = swav::prepareRun(std::move(*plan), runs ? database : std::string(),
                                     datasetOpening(processesOnHost));
    if (!prepared) {
        std::cerr << prepared.error().message << "\n";
        return ExitBadUsage;
    }
    run = std::move(*prepared);
    for (const auto& notice : run.notices)
        std::cerr << notice << "\n";
    if (run.recorder)
        std::printf("run %lld recorded in %s\n", static_cast<long long>(run.plan.runId),
                    database.c_str());
    return ExitOk;
}

/// Trains with Ctrl-C, SIGTERM and SIGHUP turned into a stop with a checkpoint, SIGUSR1 into a
/// pause and SIGUSR2 into a resume (the workbench drives launched runs this way), progress on
/// stdout.
RunOutcome trainWithSignals(PreparedRun& run) {
    TrainingControl control;
    g_control = &control;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    std::signal(SIGHUP, onInterrupt); // the terminal closed: stop with a checkpoint too
    std::signal(SIGUSR1, onPauseSignal);
    std::signal(SIGUSR2, onPauseSignal);
    ProgressPrinter progress(stdout);
    std::string recordError;
    const RunOutcome outcome =
        trainPrepared(run, control, {&progress}, &recordError, [](const std::string& message) {
            std::fprintf(stderr, "\nwarning: %s\n", message.c_str());
        });
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2})
        std::signal(signal, SIG_DFL);
    g_control = nullptr;
    if (!recordError.empty())
        std::cerr << "warning: the run database missed some records: " << recordError << "\n";
    return outcome;
}

/// Tells how to continue a stopped run; returns the exit code.
int finishRun(const PreparedRun& run, const RunOutcome& outcome, const std::string& command) {
    if (outcome.status == RunStatus::Stopped) {
        if (run.recorder)
            std::printf("resume with: %s --resume %lld\n", command.c_str(),
                        static_cast<long long>(run.plan.runId));
        else // unrecorded: the continuation gets a new folder, as for any unrecorded checkpoint
            std::printf("resume with: %s --no-store --resume %s\n", command.c_str(),
                        run.plan.runDir.c_str());
    }
    return outcome.status == RunStatus::Failed ? ExitRunFailed : ExitOk;
}

int runSingleProcess(const TrainOptions& options) {
    PreparedRun run;
    if (const int code = prepareRun(options, run); code != ExitOk)
        return code;
    return finishRun(run, trainWithSignals(run), "swav train");
}

/// The command that continues a stopped multi-process run with the same processes.
std::string relaunchCommand(const DistributedSetup& setup) {
    if (setup.launcher == "torchrun")
        return "torchrun (as before) --no-python swav train";
    if (setup.launcher == "slurm")
        return "srun (as before) swav train";
    const int nodes = setup.worldSize / setup.localWorldSize;
    return "swav train --nproc-per-node " + std::to_string(setup.localWorldSize) +
           (nodes > 1 ? " --nnodes " + std::to_string(nodes) + " (on every host)" : std::string());
}

std::string rankLogPath(const std::string& runDir, int rank) {
    return (fs::path(runDir) / ("rank-" + std::to_string(rank) + ".log")).string();
}

/// Rank 0 makes the other ranks' log files, so that they are recorded as the run's own.
std::vector<std::string> createRankLogs(const std::string& runDir, int worldSize) {
    std::vector<std::string> logs;
    for (int rank = 1; rank < worldSize; ++rank) {
        const std::string path = rankLogPath(runDir, rank);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        if (fd >= 0) {
            ::close(fd);
            logs.push_back(path);
        }
    }
    return logs;
}

/// Sends this rank's output to its log in the run folder.
void logToFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW);
    if (fd < 0)
        return;
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
}

/// The configuration before rank 0 shares its own: enough for the timeout and the device.
ExperimentConfig configGiven(const TrainOptions& options) {
    if (options.resume.empty())
        if (auto config = options.source.load(nullptr))
            return *config;
    return ExperimentConfig();
}

/// Rank 0 plans the run and shares the folder, the resolved configuration and the listing of an
/// image folder, which the others then need not make.
int prepareAsRankZero(const TrainOptions& options, ProcessGroupCollective& collective,
                      PreparedRun& run, int processesOnHost) {
    const int code = prepareRun(options, run, processesOnHost);
    nlohmann::json shared = {{"ok", code == ExitOk}};
    if (code == ExitOk) {
        // Made before the others learn the folder: they append to them.
        const auto logs = createRankLogs(run.plan.runDir, collective.worldSize());
        run.trainerOptions.ownFiles.insert(run.trainerOptions.ownFiles.end(), logs.begin(),
                                           logs.end());
        shared["run_dir"] = run.plan.runDir;
        shared["resume_from"] = run.plan.resumeFrom;
        shared["config"] = toJson(run.plan.config).dump();
        shared["listing"] = run.split.listing != nullptr;
        if (run.split.listing)
            collective.publish("listing", encodeListing(*run.split.listing));
    }
    collective.publish("run", shared.dump());
    return code;
}

/// The other ranks take rank 0's plan and image-folder listing and log to their file in the run
/// folder.
int prepareAsOtherRank(ProcessGroupCollective& collective, PreparedRun& run, int processesOnHost) {
    const auto shared = nlohmann::json::parse(collective.lookup("run"));
    if (!shared.at("ok").get<bool>())
        return ExitBadUsage; // rank 0 said why
    run.plan.runDir = shared.at("run_dir").get<std::string>();
    run.plan.resumeFrom = shared.at("resume_from").get<std::string>();
    auto config = loadConfig(shared.at("config").get<std::string>(), "rank 0's configuration", {});
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    run.plan.config = *config;
    logToFile(rankLogPath(run.plan.runDir, collective.rank()));
    DatasetOpening opening = datasetOpening(processesOnHost);
    if (shared.value("listing", false))
        opening.listing = std::make_shared<const ImageFolderListing>(
            decodeListing(collective.lookup("listing"), "rank 0's image-folder listing"));
    auto split = openDataset(run.plan.config.dataset, opening);
    if (!split) {
        std::cerr << split.error().message << "\n";
        return ExitBadUsage;
    }
    run.split = std::move(*split);
    run.trainerOptions.runDir = run.plan.runDir;
    run.trainerOptions.resumeFrom = run.plan.resumeFrom;
    return ExitOk;
}

/// One rank of a multi-process run (started by swav train --nproc-per-node, torchrun or srun).
int runTrainRank(TrainOptions options, DistributedSetup setup) {
    options.worldSize = setup.worldSize;
    ExperimentConfig given = configGiven(options);
    setup.timeoutSeconds = given.runtime.distTimeoutSeconds;
    setup.setupTimeoutSeconds = given.runtime.distSetupTimeoutSeconds;
    const int cudaDevices = static_cast<int>(torch::cuda::device_count());
    placeRank(given.runtime, setup, cudaDevices);
    const bool cuda = given.runtime.device.rfind("cuda", 0) == 0;
    std::unique_ptr<ProcessGroupCollective> collective;
    try {
        collective = ProcessGroupCollective::connect(setup, cuda ? c10::Device(given.runtime.device)
                                                                 : c10::Device(c10::kCPU));
    } catch (const std::exception& e) {
        std::cerr << describeException(e) << "\n";
        return ExitBadUsage;
    }
    PreparedRun run;
    const int code = setup.rank == 0
                         ? prepareAsRankZero(options, *collective, run, setup.localWorldSize)
                         : prepareAsOtherRank(*collective, run, setup.localWorldSize);
    if (code != ExitOk)
        return code;
    collective->finishSetup();
    if (setup.rank == 0)
        std::printf("%d processes (%s), rendezvous at %s:%d\n", setup.worldSize,
                    collective->backendName().c_str(), setup.masterAddr.c_str(), setup.masterPort);

    placeRank(run.plan.config.runtime, setup, cudaDevices);
    run.trainerOptions.collective = collective.get();
    const RunOutcome outcome = trainWithSignals(run);
    if (setup.rank == 0)
        return finishRun(run, outcome, relaunchCommand(setup));
    return outcome.status == RunStatus::Failed ? ExitRunFailed : ExitOk;
}

} // namespace

int runTrain(const TrainOptions& options) {
    auto environment = distributedSetupOfThisProcess();
    if (!environment) {
        std::cerr << environment.error().message << "\n";
        return ExitBadUsage;
    }
    if (*environment) {
        if (const std::string conflict = launchConflict(**environment, options.launch);
            !conflict.empty()) {
            std::cerr << conflict << "\n";
            return ExitBadUsage;
        }
        return runTrainRank(options, **environment);
    }
    if (wantsLauncher(options.launch)) // this process starts and supervises this host's ranks
        return launchFromOptions(options.launch);
    return runSingleProcess(options);
}

} // namespace swav::cli
