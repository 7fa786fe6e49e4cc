#include "eval/Evaluation.h"

#include "config/ConfigJson.h"
#include "model/ModelState.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"

#include <ATen/ATen.h>

#include <chrono>
#include <filesystem>

namespace swav {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int classCount(const FeatureSet& train, const FeatureSet& test) {
    return static_cast<int>(
        std::max(train.labels.max().item<int64_t>(), test.labels.max().item<int64_t>()) + 1);
}

} // namespace

EvaluationSplits openEvaluationSplits(const DatasetConfig& dataset) {
    // The whole labelled train split, whatever subset trained the model.
    DatasetConfig trainData = dataset;
    trainData.subset = 0;
    trainData.holdout = 0;
    if (trainData.split == "train+unlabeled" || trainData.split == "unlabeled")
        trainData.split = "train";
    auto split = openDataset(trainData);
    if (!split)
        throw UserError(split.error().message);
    auto test = openTestSplit(dataset);
    if (!test)
        throw UserError(test.error().message);
    return {split->train, *test};
}

EvalRequest evalRequestFor(const ExperimentConfig& config) {
    EvalRequest r;
    r.knnOptions.k = config.eval.knnK;
    r.knnOptions.temperature = config.eval.knnTemperature;
    r.linearOptions.epochs = config.eval.linearEpochs;
    r.linearOptions.lr = config.eval.linearLr;
    r.linearOptions.batchSize = config.eval.linearBatchSize;
    r.linearOptions.weightDecay = config.eval.linearWeightDecay;
    r.linearOptions.seed = static_cast<uint64_t>(config.runtime.seed);
    r.linearProtocol = config.eval.linearProtocol;
    r.featureBatchSize = config.eval.featureBatchSize;
    r.device = config.runtime.device;
    return r;
}

namespace {

/// What every step of one evaluation shares.
struct EvalRun {
    const std::string& checkpoint;
    const EvalRequest& request;
    const EvalProgress& progress;
    ExperimentConfig config;
    at::Device device = at::kCPU;
    EvalTransform transform;
    std::vector<std::string>* filesWritten = nullptr;

    ProgressCallback stage(const std::string& name) const {
        return [this, name](int64_t done, int64_t total) {
            return !progress || progress(name, done, total);
        };
    }
};

struct Candidate {
    std::string name;
    FeatureSet train, test;
    SwavModel* network; // null for raw pixels
};

/// The checkpoint's configuration with the request's images, if any.
ExperimentConfig evaluatedConfig(const CheckpointState& saved, const EvalRun& run) {
    auto parsed = loadConfig(saved.configJson, run.checkpoint, {}, nullptr, DataUse::Later);
    if (!parsed)
        throw UserError(parsed.error().message);
    ExperimentConfig config = *parsed;
    if (run.request.dataset)
        config.dataset = *run.request.dataset;
    return config;
}

/// Features of `data`, from the cache next to the checkpoint when it holds them, else extracted
/// (and cached when asked).
FeatureSet cachedFeatures(const EvalRun& run, SwavModel& model, Dataset& data,
                          const std::string& name, const std::string& cachePath) {
    const std::string key = fileIdentity(run.checkpoint) + "|" + data.description() + "|" +
                            std::to_string(data.size()) + "|" + std::to_string(run.transform.side);
    FeatureSet set;
    const CachedFeaturesShape shape{data.size(), model->featureDim(), data.labels()};
    if (run.request.useCache && loadCachedFeatures(cachePath, key, shape, set))
        return set;
    set = extractFeatures(model, data, run.transform, run.request.featureBatchSize, run.device,
                          run.stage(name));
    if (run.request.writeCache) {
        saveCachedFeatures(cachePath, key, set);
        if (run.filesWritten)
            run.filesWritten->push_back(cachePath);
    }
    return set;
}

/// The same network at the run's own initial weights, and raw pixels.
std::vector<Candidate> baselines(const EvalRun& run, SwavModel& random, Dataset& train,
                                 Dataset& test) {
    const int batch = run.request.featureBatchSize;
    // The run's own initial weights: the trainer seeds the same way before building.
    at::manual_seed(static_cast<uint64_t>(run.config.runtime.seed));
    random = SwavModel(run.config.model, train.channels());
    random->to(run.device);
    std::vector<Candidate> out;
    out.push_back(
        {"random_init",
         extractFeatures(random, train, run.transform, batch, run.device, run.stage("random init")),
         extractFeatures(random, test, run.transform, batch, run.device, run.stage("random init")),
         &random});
    out.push_back({"raw_pixels",
                   rawPixelFeatures(train, run.transform, batch, run.stage("raw pixels")),
                   rawPixelFeatures(test, run.transform, batch, run.stage("raw pixels")), nullptr});
    return out;
}

void addKnn(const EvalRun& run, const std::vector<Candidate>& candidates, int classes,
            const std::vector<std::string>& classNames, nlohmann::json& result,
            nlohmann::json& details) {
    const auto& options = run.request.knnOptions;
    for (const auto& c : candidates) {
        const auto predictions =
            knnPredict(c.train.features, c.train.labels, c.test.features, classes, options);
        const auto report = classificationReport(predictions, c.test.labels, classes);
        result["knn"][c.name] = report.top1;
        details["knn"][c.name] = toJson(report, classNames);
        if (run.progress && !run.progress("knn", 1, 1))
            throw Cancelled();
    }
    result["knn_settings"] = {{"k", options.k}, {"temperature", options.temperature}};
}

void addLinear(const EvalRun& run, const std::vector<Candidate>& candidates, Dataset& train,
               int classes, nlohmann::json& result, nlohmann::json& details) {
    const auto& options = run.request.linearOptions;
    for (const auto& c : candidates) {
        const bool official = run.request.linearProtocol == "official" && c.network;
        const auto probe =
            official ? trainLinearProbeOnImages(*c.network, train, c.test, classes, run.transform,
                                                options, run.device, run.stage("linear"))
                     : trainLinearProbe(c.train, c.test, classes, options, run.stage("linear"));
        result["linear"][c.name] = probe.final.top1;
        result["linear_best"][c.name] = probe.bestTop1;
        details["linear"][c.name] = toJson(probe.final, train.classNames());
        details["linear"][c.name]["best_epoch"] = probe.bestEpoch;
    }
    result["linear_settings"] = {{"epochs", options.epochs},
                                 {"lr", options.lr},
                                 {"batch_size", options.batchSize},
                                 {"weight_decay", options.weightDecay},
                                 {"protocol", run.request.linearProtocol}};
}

} // namespace

Expected<nlohmann::json> evaluateCheckpoint(const std::string& checkpointPath,
                                            const EvalRequest& request,
                                            const EvalProgress& progress,
                                            std::vector<std::string>* filesWritten) {
    return catchUserError([&]() -> nlohmann::json {
        const auto saved = loadCheckpoint(checkpointPath, request.expectedSha256);
        EvalRun run{checkpointPath, request, progress};
        run.config = evaluatedConfig(saved, run);
        run.filesWritten = filesWritten;
        RuntimeConfig runtime = run.config.runtime;
        runtime.device = request.device;
        runtime.precision = "auto";
        run.device = setUpDevice(runtime).device;
        run.transform = evalTransformFor(run.config);

        const EvaluationSplits splits = openEvaluationSplits(run.config.dataset);
        Dataset& train = *splits.train;
        Dataset& test = *splits.test;
        if (!train.labels().defined() || !test.labels().defined())
            throw UserError("evaluation needs labelled images; " + train.description() +
                            " has none");

        nlohmann::json result;
        result["checkpoint"] = checkpointPath;
        result["dataset"] = {{"train", train.description()},
                             {"test", test.description()},
                             {"train_images", train.size()},
                             {"test_images", test.size()}};
        nlohmann::json seconds, details;
        details["class_names"] = train.classNames();

        // Trained features, cached next to the checkpoint.
        auto start = Clock::now();
        SwavModel model(run.config.model, train.channels());
        loadModelState(*model, saved.model, checkpointPath);
        model->to(run.device);
        std::vector<Candidate> candidates{
            {"trained",
             cachedFeatures(run, model, train, "features train",
                            checkpointPath + ".train.features"),
             cachedFeatures(run, model, test, "features test", checkpointPath + ".test.features"),
             &model}};
        seconds["features"] = secondsSince(start);
        const int classes = classCount(candidates[0].train, candidates[0].test);

        SwavModel random{nullptr};
        if (request.baselines) {
            start = Clock::now();
            for (auto& baseline : baselines(run, random, train, test))
                candidates.push_back(std::move(baseline));
            seconds["baseline_features"] = secondsSince(start);
        }
        if (request.knn) {
            start = Clock::now();
            addKnn(run, candidates, classes, train.classNames(), result, details);
            seconds["knn"] = secondsSince(start);
        }
        if (request.linear) {
            start = Clock::now();
            addLinear(run, candidates, train, classes, result, details);
            seconds["linear"] = secondsSince(start);
        }
        result["details"] = details;
        result["seconds"] = seconds;
        return result;
    });
}

std::string evaluationKind(const nlohmann::json& result) {
    if (!result.contains("linear"))
        return "knn";
    return result.contains("knn") ? "knn+linear" : "linear";
}

} // namespace swav
