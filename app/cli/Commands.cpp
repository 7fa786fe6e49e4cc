#include "cli/Commands.h"
#include "SwavVersion.h"

#include "cli/AnalyzeCommand.h"
#include "cli/BenchCommand.h"
#include "cli/ConfigSource.h"
#include "cli/DataBenchCommand.h"
#include "cli/EmbedCommand.h"
#include "cli/EvalCommand.h"
#include "cli/ExportCommand.h"
#include "cli/ImportCommand.h"
#include "cli/RunsCommand.h"
#include "cli/StoreLink.h"
#include "cli/SweepCommand.h"
#include "cli/TrainCommand.h"
#include "config/Presets.h"
#include "data/BenchImages.h"
#include "store/RunStore.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>

namespace swav::cli {

namespace {

int listPresets() {
    for (const auto& preset : allPresets())
        std::printf("%-32s %s\n", preset.name.c_str(), preset.description.c_str());
    return ExitOk;
}

int printConfig(const ConfigSource& source) {
    ValidationReport warnings;
    auto config = source.load(&warnings);
    if (!config) {
        std::cerr << config.error().message;
        return ExitBadUsage;
    }
    std::cerr << warnings.format();
    std::cout << toJson(*config).dump(2) << "\n";
    return ExitOk;
}

/// The multi-process options of train and bench (the launcher of dist/WorkerLauncher.h).
/// --run, --db and --checkpoint: which checkpoint of which run a command reads.
void addCheckpointChoice(CLI::App& command, std::string& runDir, std::string& database,
                         int& checkpointEpoch) {
    command.add_option("--run", runDir, "Run folder or run id")->required();
    command.add_option("--db", database, "Run database (for run ids, digests and records)");
    command.add_option("--checkpoint", checkpointEpoch,
                       "Epoch of the checkpoint (default: the newest)");
}

void addLaunchOptions(CLI::App& command, LaunchPlan& launch) {
    command
        .add_option("--nproc-per-node", launch.processesPerNode,
                    "Processes to start on this host, one GPU each (CPU: runtime.threads is "
                    "shared between them); optim.batch_size is per process")
        ->check(CLI::Range(1, 1024));
    command.add_option("--nnodes", launch.nodes, "Hosts taking part in the run")
        ->check(CLI::Range(1, 65536));
    command.add_option("--node-rank", launch.nodeRank,
                       "This host's index among them (0 hosts "
                       "the rendezvous)");
    command.add_option("--master-addr", launch.masterAddr,
                       "Address of the host of node 0 (default 127.0.0.1 on one host)");
    command
        .add_option("--master-port", launch.masterPort,
                    "Rendezvous port (default: a free port on one host; 29500 is usual)")
        ->check(CLI::Range(1, 65535));
}

/// The sub-commands, each with what runs it; the innermost one given runs.
class CommandTable {
public:
    void add(CLI::App* command, std::function<int()> run) { m_runners[command] = std::move(run); }

    int dispatch(CLI::App& app) const {
        CLI::App* innermost = &app;
        while (!innermost->get_subcommands().empty())
            innermost = innermost->get_subcommands().front();
        const auto runner = m_runners.find(innermost);
        return runner == m_runners.end() ? ExitBadUsage : runner->second();
    }

private:
    std::map<const CLI::App*, std::function<int()>> m_runners;
};

/// Runs `command` with --run resolved in place: a folder as given, or a run id of the database.
int withRunFolder(std::string& runDir, const std::string& database,
                  const std::function<int()>& command) {
    if (!runDir.empty()) {
        auto folder = runFolderFor(runDir, database);
        if (!folder) {
            std::cerr << folder.error().message << "\n";
            return ExitBadUsage;
        }
        runDir = *folder;
    }
    return command();
}

void addPresetsAndConfigCommands(CLI::App& app, CommandTable& table) {
    table.add(app.add_subcommand("presets", "List the built-in presets"), listPresets);
    auto source = std::make_shared<ConfigSource>();
    auto* config = app.add_subcommand("config", "Print the resolved configuration as JSON");
    source->addOptions(*config);
    table.add(config, [source] { return printConfig(*source); });
}

void addTrainCommand(CLI::App& app, CommandTable& table, int argc, char** argv) {
    auto options = std::make_shared<TrainOptions>();
    auto* train = app.add_subcommand("train", "Train a SwAV model");
    options->source.addOptions(*train);
    train->add_option("--out", options->outDir,
                      "Run folder (default: a new folder in runs/ beside the run database)");
    train->add_option("--resume", options->resume,
                      "Continue a stopped or interrupted run (run id, run folder or checkpoint)");
    train->add_option("--db", options->database,
                      "Run database (default: " + store::defaultDatabasePath() + ")");
    train->add_flag("--no-store", options->noStore, "Do not record the run in the database");
    addLaunchOptions(*train, options->launch);
    options->launch.arguments.assign(argv, argv + argc);
    table.add(train, [options] { return runTrain(*options); });
}

void addBenchCommands(CLI::App& app, CommandTable& table, int argc, char** argv) {
    auto options = std::make_shared<BenchOptions>();
    auto* bench = app.add_subcommand("bench", "Measure training speed and its time split");
    options->source.addOptions(*bench);
    addLaunchOptions(*bench, options->launch);
    options->launch.arguments.assign(argv, argv + argc);
    bench->add_option("--steps", options->steps, "Measured steps")->check(CLI::PositiveNumber);
    bench->add_option("--warmup", options->warmupSteps, "Steps run before measuring")
        ->check(CLI::NonNegativeNumber);
    bench->add_flag("--synthetic", options->synthetic,
                    "Synthetic images of the preset's size instead of its dataset");
    bench->add_flag("--by-layer", options->byLayer,
                    "Split the CPU time by kind of layer (convolution, batch norm, linear, "
                    "optimiser, ...) with LibTorch's operator profiler");
    bench->add_flag("--store", options->store,
                    "Record the steps into a scratch run database (to measure its cost)");
    table.add(bench, [options] { return runBench(*options); });

    auto* augment = bench->add_subcommand("augment", "Measure the multi-crop pipeline alone");
    augment->fallthrough();
    table.add(augment, [options] { return runAugmentBench(*options); });

    auto* data = bench->add_subcommand(
        "data", "Measure decoding and multi-crop from an image folder (images/s and per core)");
    data->fallthrough();
    data->add_option("--images", options->images, "Image folder (see `swav make-images`)")
        ->required();
    data->add_option("--threads", options->threads, "Decoding threads (0: one per core)")
        ->check(CLI::Range(0, 1024));
    table.add(data, [options] { return runDataBench(*options); });

    auto* storeBench = bench->add_subcommand(
        "store", "Measure metric inserts and downsampled series reads of the run database");
    storeBench->add_option("--rows", options->rows, "Metric rows to insert")
        ->check(CLI::PositiveNumber);
    storeBench->add_option("--points", options->points, "Points of the downsampled series")
        ->check(CLI::PositiveNumber);
    table.add(storeBench, [options] { return runStoreBench(*options); });
}

void addEvalCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<EvalOptions>();
    auto* eval = app.add_subcommand("eval", "Evaluate a run's features: kNN and linear probe");
    addCheckpointChoice(*eval, options->runDir, options->database, options->checkpointEpoch);
    eval->add_flag("--knn", options->knn, "Weighted kNN (default when nothing is chosen)");
    eval->add_flag("--linear", options->linear, "Linear probe on frozen features");
    eval->add_flag("--baselines", options->baselines,
                   "Also evaluate the random-init network and raw pixels");
    eval->add_flag("--json", options->json, "Print one JSON object (accuracies as fractions)");
    eval->add_flag("--no-cache", options->noCache, "Recompute features even when cached");
    eval->add_option("--device", options->device, "auto, cpu, cuda or cuda:N");
    eval->add_option("--set", options->overrides,
                     "Override an evaluation or dataset setting of the run's config, e.g. --set "
                     "eval.linear_lr=0.1 or --set dataset.path=FOLDER for imported weights (only "
                     "eval.* and dataset.* keys: the trained network stays as it was)")
        ->allow_extra_args(false);
    table.add(eval, [options] {
        return withRunFolder(options->runDir, options->database, [&] { return runEval(*options); });
    });
}

void addAnalyzeCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<AnalyzeOptions>();
    auto* analyze = app.add_subcommand(
        "analyze", "Write the 2-D feature map, cluster gallery and prototype health as JSON");
    addCheckpointChoice(*analyze, options->runDir, options->database, options->checkpointEpoch);
    analyze->add_option("--images", options->images, "Images in the 2-D map")
        ->check(CLI::PositiveNumber);
    analyze->add_option("--top", options->top, "Images kept per prototype")
        ->check(CLI::PositiveNumber);
    analyze->add_option("--space", options->space, "Map of trunk features or head embeddings")
        ->check(CLI::IsMember({"features", "embeddings"}));
    analyze->add_option("--device", options->device, "auto, cpu, cuda or cuda:N");
    analyze
        ->add_option("--set", options->overrides,
                     "Override a dataset setting of the run's config, e.g. --set "
                     "dataset.path=FOLDER (only dataset.* keys; imported weights need images)")
        ->allow_extra_args(false);
    table.add(analyze, [options] {
        return withRunFolder(options->runDir, options->database,
                             [&] { return runAnalyze(*options); });
    });
}

void addSweepCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<SweepOptions>();
    auto* sweep = app.add_subcommand(
        "sweep", "Train each variation of a configuration in turn, evaluate it, and tabulate");
    options->source.addOptions(*sweep);
    sweep->add_option("--grid", options->grids,
                      "key=v1,v2,...: one run per value (several grids: every combination)");
    sweep->add_option("--variant", options->variants,
                      "\"key=value;key=value\": one more run with these settings (combined with "
                      "every grid point)");
    sweep->add_option("--tag", options->tag, "Tag (and name prefix) of the sweep's runs")
        ->required();
    sweep->add_option("--db", options->database,
                      "Run database (default: " + store::defaultDatabasePath() + ")");
    sweep->add_flag("--linear", options->linear, "Also a linear probe after each run");
    sweep->add_flag("--dry-run", options->dryRun, "List the runs without training");
    sweep->add_option("--table", options->tableFile,
                      "Also write the results table (Markdown) to this file");
    sweep->add_flag("--overwrite", options->overwrite, "Replace an existing --table file");
    table.add(sweep, [options] { return runSweep(*options); });
}

void addEmbedCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<EmbedOptions>();
    auto* embed = app.add_subcommand(
        "embed", "Write what a run's network makes of images as a NumPy .npy array (+ row names)");
    addCheckpointChoice(*embed, options->runDir, options->database, options->checkpointEpoch);
    embed
        ->add_option("--images", options->images,
                     "Folder of images (flat, or one sub-folder per class)")
        ->check(CLI::ExistingDirectory);
    embed
        ->add_option("--dataset", options->dataset,
                     "The run's own dataset: train (the whole labelled split) or test")
        ->check(CLI::IsMember({"train", "test"}));
    embed
        ->add_option("--out", options->outFile,
                     "Output FILE.npy (float32 rows); the row names go to FILE.csv")
        ->required();
    embed
        ->add_option("--what", options->what,
                     "features (trunk, as kNN and the probe use), embeddings (normalised head "
                     "output), scores (against the prototypes) or codes (Sinkhorn per batch)")
        ->check(CLI::IsMember({"features", "embeddings", "scores", "codes"}));
    embed
        ->add_option("--batch", options->batchSize,
                     "Images per batch (default: eval.feature_batch_size; codes: the training "
                     "batch)")
        ->check(CLI::PositiveNumber);
    embed->add_option("--device", options->device, "auto, cpu, cuda or cuda:N");
    embed->add_flag("--overwrite", options->overwrite, "Replace existing output files");
    table.add(embed, [options] {
        return withRunFolder(options->runDir, options->database,
                             [&] { return runEmbed(*options); });
    });
}

void addExportCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<ExportOptions>();
    auto* exportCommand = app.add_subcommand(
        "export", "Write a run's trained trunk as a torchvision ResNet state dict for PyTorch");
    addCheckpointChoice(*exportCommand, options->runDir, options->database,
                        options->checkpointEpoch);
    exportCommand
        ->add_option("--format", options->format,
                     "pytorch (state dict for torch.load); torchscript is not available from C++")
        ->required()
        ->check(CLI::IsMember({"pytorch", "torchscript"}));
    exportCommand->add_option("--out", options->outFile,
                              "Output file (default: <run>/export/<checkpoint>-resnet.pt)");
    exportCommand->add_flag("--overwrite", options->overwrite, "Replace an existing --out file");
    table.add(exportCommand, [options] {
        return withRunFolder(options->runDir, options->database,
                             [&] { return runExport(*options); });
    });
}

void addMakeImagesCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<MakeImagesOptions>();
    auto* makeImages = app.add_subcommand(
        "make-images",
        "Write a folder of ImageNet-like JPEGs cut from photographs (for benchmarks)");
    makeImages->add_option("--out", options->outFolder, "New or empty folder")->required();
    makeImages->add_option("--count", options->count, "Number of JPEGs")
        ->check(CLI::Range(1LL, 10000000LL));
    makeImages->add_option("--photos", options->photoFolder,
                           "Folder of photographs (default: python3-skimage's, " +
                               skimagePhotoFolder() + ")");
    makeImages->add_option("--seed", options->seed, "Seed of the crops");
    table.add(makeImages, [options] { return runMakeImages(*options); });
}

void addImportCommand(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<ImportOptions>();
    auto* importCommand = app.add_subcommand(
        "import", "Make a run of released weights (SwAV release, torchvision ResNet, an export)");
    importCommand->add_option("file", options->file, "State dict or checkpoint file")
        ->required()
        ->check(CLI::ExistingFile);
    // The configuration the weights belong to (default preset: imagenet-resnet50-800ep for
    // resnet50, else fashion-mnist).
    options->config.addOptions(*importCommand);
    importCommand->add_option("--arch", options->arch, "model.arch of the weights");
    importCommand->add_option("--name", options->name, "Run name (default: the file's name)");
    importCommand->add_option("--db", options->database,
                              "Run database (default: " + store::defaultDatabasePath() + ")");
    table.add(importCommand, [options] { return runImport(*options); });
}

void addRunsCommands(CLI::App& app, CommandTable& table) {
    auto options = std::make_shared<RunsOptions>();
    CLI::App* runs = addRunsCommand(app, *options);
    const auto run = [runs, options] { return runRuns(*runs, *options); };
    table.add(runs, run);
    for (CLI::App* sub : runs->get_subcommands({}))
        table.add(sub, run);
}

} // namespace

int run(int argc, char** argv) {
    // Named "swav" whatever the path it was started by: the help (and the man pages made from
    // it) show the installed command.
    CLI::App app{"swav: SwAV self-supervised training from the command line", "swav"};
    app.require_subcommand(1);
    app.set_version_flag("--version", SWAV_VERSION);
    CommandTable table;
    addPresetsAndConfigCommands(app, table);
    addTrainCommand(app, table, argc, argv);
    addBenchCommands(app, table, argc, argv);
    addEvalCommand(app, table);
    addAnalyzeCommand(app, table);
    addSweepCommand(app, table);
    addEmbedCommand(app, table);
    addExportCommand(app, table);
    addMakeImagesCommand(app, table);
    addImportCommand(app, table);
    addRunsCommands(app, table);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ExitOk : ExitBadUsage;
    }
    return table.dispatch(app);
}

} // namespace swav::cli
