#include "cli/TrainCommand.h"

#include "cli/Commands.h"
#include "cli/ProgressPrinter.h"
#include "cli/RunPaths.h"
#include "data/Dataset.h"
#include "train/Trainer.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace swav::cli {

namespace {

std::atomic<int> g_interrupts{0};

extern "C" void onInterrupt(int) {
    // Second Ctrl-C: leave now, without a checkpoint.
    if (g_interrupts.fetch_add(1) >= 1)
        _exit(130);
    static const char message[] = "\nstopping after this step (checkpoint first); press Ctrl-C "
                                  "again to abort\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
}

/// Turns the signal flag into a stop request between steps.
class InterruptWatcher : public TrainingObserver {
public:
    explicit InterruptWatcher(TrainingControl& control)
        : m_control(control) {}
    void onStep(const StepMetrics&) override {
        if (g_interrupts.load() > 0)
            m_control.requestStop();
    }

private:
    TrainingControl& m_control;
};

} // namespace

std::string defaultRunsRoot() {
    namespace fs = std::filesystem;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "swav-workbench" / "runs").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : ".") / ".local" / "share" / "swav-workbench" / "runs").string();
}

int runTrain(const TrainOptions& options) {
    ValidationReport warnings;
    Expected<ExperimentConfig> config = Error{""};
    std::string runDir = options.outDir;
    if (!options.resume.empty()) {
        // Resuming continues the same run with the configuration it was started with.
        config = configFromCheckpoint(options.resume);
        if (config && runDir.empty())
            runDir =
                std::filesystem::is_directory(options.resume)
                    ? options.resume
                    : std::filesystem::path(options.resume).parent_path().parent_path().string();
    } else {
        config = options.source.load(&warnings);
    }
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    std::cerr << warnings.format();
    if (runDir.empty())
        runDir = config->runtime.outDir;
    if (runDir.empty())
        runDir = (std::filesystem::path(defaultRunsRoot()) /
                  ((config->name.empty() ? "run" : config->name) + "-" + timestampNow()))
                     .string();

    auto split = openDataset(config->dataset);
    if (!split) {
        std::cerr << split.error().message << "\n";
        return ExitBadUsage;
    }

    TrainerOptions trainerOptions;
    trainerOptions.runDir = runDir;
    if (config->eval.knnEveryEpochs > 0) {
        // Online kNN on the hold-out images, else on the test split.
        trainerOptions.monitor = split->holdout;
        if (!trainerOptions.monitor) {
            auto test = openTestSplit(config->dataset);
            if (test)
                trainerOptions.monitor = *test;
            else
                std::cerr << "online kNN is off: " << test.error().message << "\n";
        }
    }
    trainerOptions.resumeFrom = options.resume;
    Trainer trainer(*config, split->train, trainerOptions);
    TrainingControl control;
    ProgressPrinter progress(stdout);
    InterruptWatcher watcher(control);
    trainer.addObserver(&progress);
    trainer.addObserver(&watcher);

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const RunOutcome outcome = trainer.run(control);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    if (outcome.status == RunStatus::Stopped)
        std::printf("resume with: swav train --resume %s\n", runDir.c_str());
    return outcome.status == RunStatus::Failed ? ExitRunFailed : ExitOk;
}

} // namespace swav::cli
