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
#include <iostream>

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

} // namespace

int run(int argc, char** argv) {
    // Named "swav" whatever the path it was started by: the help (and the man pages made from
    // it) show the installed command.
    CLI::App app{"swav: SwAV self-supervised training from the command line", "swav"};
    app.require_subcommand(1);
    app.set_version_flag("--version", SWAV_VERSION);

    auto* presets = app.add_subcommand("presets", "List the built-in presets");

    ConfigSource configSource;
    auto* config = app.add_subcommand("config", "Print the resolved configuration as JSON");
    configSource.addOptions(*config);

    TrainOptions trainOptions;
    auto* train = app.add_subcommand("train", "Train a SwAV model");
    trainOptions.source.addOptions(*train);
    train->add_option("--out", trainOptions.outDir,
                      "Run folder (default: a new folder in runs/ beside the run database)");
    train->add_option("--resume", trainOptions.resume,
                      "Continue a stopped or interrupted run (run id, run folder or checkpoint)");
    train->add_option("--db", trainOptions.database,
                      "Run database (default: " + store::defaultDatabasePath() + ")");
    train->add_flag("--no-store", trainOptions.noStore, "Do not record the run in the database");
    addLaunchOptions(*train, trainOptions.launch);
    trainOptions.launch.arguments.assign(argv, argv + argc);

    BenchOptions benchOptions;
    auto* bench = app.add_subcommand("bench", "Measure training speed and its time split");
    benchOptions.source.addOptions(*bench);
    addLaunchOptions(*bench, benchOptions.launch);
    benchOptions.launch.arguments.assign(argv, argv + argc);
    bench->add_option("--steps", benchOptions.steps, "Measured steps")->check(CLI::PositiveNumber);
    bench->add_option("--warmup", benchOptions.warmupSteps, "Steps run before measuring")
        ->check(CLI::NonNegativeNumber);
    bench->add_flag("--synthetic", benchOptions.synthetic,
                    "Synthetic images of the preset's size instead of its dataset");
    bench->add_flag("--by-layer", benchOptions.byLayer,
                    "Split the CPU time by kind of layer (convolution, batch norm, linear, "
                    "optimiser, ...) with LibTorch's operator profiler");
    bench->add_flag("--store", benchOptions.store,
                    "Record the steps into a scratch run database (to measure its cost)");
    auto* benchAugment = bench->add_subcommand("augment", "Measure the multi-crop pipeline alone");
    benchAugment->fallthrough();
    auto* benchData = bench->add_subcommand(
        "data", "Measure decoding and multi-crop from an image folder (images/s and per core)");
    benchData->fallthrough();
    benchData->add_option("--images", benchOptions.images, "Image folder (see `swav make-images`)")
        ->required();
    benchData->add_option("--threads", benchOptions.threads, "Decoding threads (0: one per core)")
        ->check(CLI::Range(0, 1024));
    auto* benchStore = bench->add_subcommand(
        "store", "Measure metric inserts and downsampled series reads of the run database");
    benchStore->add_option("--rows", benchOptions.rows, "Metric rows to insert")
        ->check(CLI::PositiveNumber);
    benchStore->add_option("--points", benchOptions.points, "Points of the downsampled series")
        ->check(CLI::PositiveNumber);

    EvalOptions evalOptions;
    auto* eval = app.add_subcommand("eval", "Evaluate a run's features: kNN and linear probe");
    addCheckpointChoice(*eval, evalOptions.runDir, evalOptions.database,
                        evalOptions.checkpointEpoch);
    eval->add_flag("--knn", evalOptions.knn, "Weighted kNN (default when nothing is chosen)");
    eval->add_flag("--linear", evalOptions.linear, "Linear probe on frozen features");
    eval->add_flag("--baselines", evalOptions.baselines,
                   "Also evaluate the random-init network and raw pixels");
    eval->add_flag("--json", evalOptions.json, "Print one JSON object (accuracies as fractions)");
    eval->add_flag("--no-cache", evalOptions.noCache, "Recompute features even when cached");
    eval->add_option("--device", evalOptions.device, "auto, cpu, cuda or cuda:N");
    eval->add_option("--set", evalOptions.overrides,
                     "Override an evaluation or dataset setting of the run's config, e.g. --set "
                     "eval.linear_lr=0.1 or --set dataset.path=FOLDER for imported weights (only "
                     "eval.* and dataset.* keys: the trained network stays as it was)")
        ->allow_extra_args(false);

    AnalyzeOptions analyzeOptions;
    auto* analyze = app.add_subcommand(
        "analyze", "Write the 2-D feature map, cluster gallery and prototype health as JSON");
    addCheckpointChoice(*analyze, analyzeOptions.runDir, analyzeOptions.database,
                        analyzeOptions.checkpointEpoch);
    analyze->add_option("--images", analyzeOptions.images, "Images in the 2-D map")
        ->check(CLI::PositiveNumber);
    analyze->add_option("--top", analyzeOptions.top, "Images kept per prototype")
        ->check(CLI::PositiveNumber);
    analyze->add_option("--space", analyzeOptions.space, "Map of trunk features or head embeddings")
        ->check(CLI::IsMember({"features", "embeddings"}));
    analyze->add_option("--device", analyzeOptions.device, "auto, cpu, cuda or cuda:N");
    analyze
        ->add_option("--set", analyzeOptions.overrides,
                     "Override a dataset setting of the run's config, e.g. --set "
                     "dataset.path=FOLDER (only dataset.* keys; imported weights need images)")
        ->allow_extra_args(false);

    SweepOptions sweepOptions;
    auto* sweep = app.add_subcommand(
        "sweep", "Train each variation of a configuration in turn, evaluate it, and tabulate");
    sweepOptions.source.addOptions(*sweep);
    sweep->add_option("--grid", sweepOptions.grids,
                      "key=v1,v2,...: one run per value (several grids: every combination)");
    sweep->add_option("--variant", sweepOptions.variants,
                      "\"key=value;key=value\": one more run with these settings (combined with "
                      "every grid point)");
    sweep->add_option("--tag", sweepOptions.tag, "Tag (and name prefix) of the sweep's runs")
        ->required();
    sweep->add_option("--db", sweepOptions.database,
                      "Run database (default: " + store::defaultDatabasePath() + ")");
    sweep->add_flag("--linear", sweepOptions.linear, "Also a linear probe after each run");
    sweep->add_flag("--dry-run", sweepOptions.dryRun, "List the runs without training");
    sweep->add_option("--table", sweepOptions.tableFile,
                      "Also write the results table (Markdown) to this file");
    sweep->add_flag("--overwrite", sweepOptions.overwrite, "Replace an existing --table file");

    EmbedOptions embedOptions;
    auto* embed = app.add_subcommand(
        "embed", "Write what a run's network makes of images as a NumPy .npy array (+ row names)");
    addCheckpointChoice(*embed, embedOptions.runDir, embedOptions.database,
                        embedOptions.checkpointEpoch);
    embed
        ->add_option("--images", embedOptions.images,
                     "Folder of images (flat, or one sub-folder per class)")
        ->check(CLI::ExistingDirectory);
    embed
        ->add_option("--dataset", embedOptions.dataset,
                     "The run's own dataset: train (the whole labelled split) or test")
        ->check(CLI::IsMember({"train", "test"}));
    embed
        ->add_option("--out", embedOptions.outFile,
                     "Output FILE.npy (float32 rows); the row names go to FILE.csv")
        ->required();
    embed
        ->add_option("--what", embedOptions.what,
                     "features (trunk, as kNN and the probe use), embeddings (normalised head "
                     "output), scores (against the prototypes) or codes (Sinkhorn per batch)")
        ->check(CLI::IsMember({"features", "embeddings", "scores", "codes"}));
    embed
        ->add_option("--batch", embedOptions.batchSize,
                     "Images per batch (default: eval.feature_batch_size; codes: the training "
                     "batch)")
        ->check(CLI::PositiveNumber);
    embed->add_option("--device", embedOptions.device, "auto, cpu, cuda or cuda:N");
    embed->add_flag("--overwrite", embedOptions.overwrite, "Replace existing output files");

    ExportOptions exportOptions;
    auto* exportCommand = app.add_subcommand(
        "export", "Write a run's trained trunk as a torchvision ResNet state dict for PyTorch");
    addCheckpointChoice(*exportCommand, exportOptions.runDir, exportOptions.database,
                        exportOptions.checkpointEpoch);
    exportCommand
        ->add_option("--format", exportOptions.format,
                     "pytorch (state dict for torch.load); torchscript is not available from C++")
        ->required()
        ->check(CLI::IsMember({"pytorch", "torchscript"}));
    exportCommand->add_option("--out", exportOptions.outFile,
                              "Output file (default: <run>/export/<checkpoint>-resnet.pt)");
    exportCommand->add_flag("--overwrite", exportOptions.overwrite,
                            "Replace an existing --out file");

    MakeImagesOptions makeImagesOptions;
    auto* makeImages = app.add_subcommand(
        "make-images",
        "Write a folder of ImageNet-like JPEGs cut from photographs (for benchmarks)");
    makeImages->add_option("--out", makeImagesOptions.outFolder, "New or empty folder")->required();
    makeImages->add_option("--count", makeImagesOptions.count, "Number of JPEGs")
        ->check(CLI::Range(1LL, 10000000LL));
    makeImages->add_option("--photos", makeImagesOptions.photoFolder,
                           "Folder of photographs (default: python3-skimage's, " +
                               skimagePhotoFolder() + ")");
    makeImages->add_option("--seed", makeImagesOptions.seed, "Seed of the crops");

    ImportOptions importOptions;
    auto* importCommand = app.add_subcommand(
        "import", "Make a run of released weights (SwAV release, torchvision ResNet, an export)");
    importCommand->add_option("file", importOptions.file, "State dict or checkpoint file")
        ->required()
        ->check(CLI::ExistingFile);
    // The configuration the weights belong to (default preset: imagenet-resnet50-800ep for
    // resnet50, else fashion-mnist).
    importOptions.config.addOptions(*importCommand);
    importCommand->add_option("--arch", importOptions.arch, "model.arch of the weights");
    importCommand->add_option("--name", importOptions.name, "Run name (default: the file's name)");
    importCommand->add_option("--db", importOptions.database,
                              "Run database (default: " + store::defaultDatabasePath() + ")");

    RunsOptions runsOptions;
    auto* runs = addRunsCommand(app, runsOptions);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ExitOk : ExitBadUsage;
    }

    // --run takes a folder or a run id of the database.
    for (auto [runDir, database] : {std::pair{&evalOptions.runDir, &evalOptions.database},
                                    std::pair{&analyzeOptions.runDir, &analyzeOptions.database},
                                    std::pair{&embedOptions.runDir, &embedOptions.database},
                                    std::pair{&exportOptions.runDir, &exportOptions.database}}) {
        if (runDir->empty())
            continue;
        auto folder = runFolderFor(*runDir, *database);
        if (!folder) {
            std::cerr << folder.error().message << "\n";
            return ExitBadUsage;
        }
        *runDir = *folder;
    }
    if (presets->parsed())
        return listPresets();
    if (config->parsed())
        return printConfig(configSource);
    if (analyze->parsed())
        return runAnalyze(analyzeOptions);
    if (sweep->parsed())
        return runSweep(sweepOptions);
    if (embed->parsed())
        return runEmbed(embedOptions);
    if (exportCommand->parsed())
        return runExport(exportOptions);
    if (importCommand->parsed())
        return runImport(importOptions);
    if (eval->parsed())
        return runEval(evalOptions);
    if (train->parsed())
        return runTrain(trainOptions);
    if (runs->parsed())
        return runRuns(*runs, runsOptions);
    if (benchAugment->parsed())
        return runAugmentBench(benchOptions);
    if (makeImages->parsed())
        return runMakeImages(makeImagesOptions);
    if (benchData->parsed())
        return runDataBench(benchOptions);
    if (benchStore->parsed())
        return runStoreBench(benchOptions);
    if (bench->parsed())
        return runBench(benchOptions);
    return ExitBadUsage;
}

} // namespace swav::cli
