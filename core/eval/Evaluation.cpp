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

Expected<nlohmann::json> evaluateCheckpoint(const std::string& checkpointPath,
                                            const EvalRequest& request,
                                            const EvalProgress& progress,
                                            std::vector<std::string>* filesWritten) {
    return catchUserError([&]() -> nlohmann::json {
        const auto saved = loadCheckpoint(checkpointPath, request.expectedSha256);
        auto parsed = loadConfig(saved.configJson, checkpointPath, {}, nullptr, DataUse::Later);
        if (!parsed)
            throw UserError(parsed.error().message);
        ExperimentConfig config = *parsed;
        if (request.dataset)
            config.dataset = *request.dataset;

        RuntimeConfig runtime = config.runtime;
        runtime.device = request.device;
        runtime.precision = "auto";
        const auto device = setUpDevice(runtime).device;

        const EvaluationSplits splits = openEvaluationSplits(config.dataset);
        Dataset& train = *splits.train;
        Dataset& test = *splits.test;
        if (!train.labels().defined() || !test.labels().defined())
            throw UserError("evaluation needs labelled images; " + train.description() +
                            " has none");

        const auto transform = evalTransformFor(config);
        auto stage = [&](const std::string& name) -> ProgressCallback {
            return [&, name](int64_t done, int64_t total) {
                return !progress || progress(name, done, total);
            };
        };

        nlohmann::json result;
        result["checkpoint"] = checkpointPath;
        result["dataset"] = {{"train", train.description()},
                             {"test", test.description()},
                             {"train_images", train.size()},
                             {"test_images", test.size()}};
        nlohmann::json seconds;

        // Trained features, cached next to the checkpoint.
        auto start = Clock::now();
        SwavModel model(config.model, train.channels());
        loadModelState(*model, saved.model, checkpointPath);
        model->to(device);
        auto featuresOf = [&](SwavModel& m, Dataset& data, const std::string& name,
                              const std::string& cachePath) {
            const std::string key = fileIdentity(checkpointPath) + "|" + data.description() + "|" +
                                    std::to_string(data.size()) + "|" +
                                    std::to_string(transform.side);
            FeatureSet set;
            if (!cachePath.empty() && request.useCache && loadCachedFeatures(cachePath, key, set))
                return set;
            set =
                extractFeatures(m, data, transform, request.featureBatchSize, device, stage(name));
            if (!cachePath.empty() && request.writeCache) {
                saveCachedFeatures(cachePath, key, set);
                if (filesWritten)
                    filesWritten->push_back(cachePath);
            }
            return set;
        };
        const FeatureSet trainFeatures =
            featuresOf(model, train, "features train", checkpointPath + ".train.features");
        const FeatureSet testFeatures =
            featuresOf(model, test, "features test", checkpointPath + ".test.features");
        seconds["features"] = secondsSince(start);
        const int classes = classCount(trainFeatures, testFeatures);

        struct Candidate {
            std::string name;
            FeatureSet train, test;
            SwavModel* network; // null for raw pixels
        };
        std::vector<Candidate> candidates{{"trained", trainFeatures, testFeatures, &model}};
        SwavModel random{nullptr};
        if (request.baselines) {
            start = Clock::now();
            // The run's own initial weights: the trainer seeds the same way before building.
            at::manual_seed(static_cast<uint64_t>(config.runtime.seed));
            random = SwavModel(config.model, train.channels());
            random->to(device);
            candidates.push_back(
                {"random_init",
                 extractFeatures(random, train, transform, request.featureBatchSize, device,
                                 stage("random init")),
                 extractFeatures(random, test, transform, request.featureBatchSize, device,
                                 stage("random init")),
                 &random});
            candidates.push_back(
                {"raw_pixels",
                 rawPixelFeatures(train, transform, request.featureBatchSize, stage("raw pixels")),
                 rawPixelFeatures(test, transform, request.featureBatchSize, stage("raw pixels")),
                 nullptr});
            seconds["baseline_features"] = secondsSince(start);
        }

        nlohmann::json details;
        details["class_names"] = train.classNames();
        if (request.knn) {
            start = Clock::now();
            for (const auto& c : candidates) {
                const auto predictions = knnPredict(c.train.features, c.train.labels,
                                                    c.test.features, classes, request.knnOptions);
                const auto report = classificationReport(predictions, c.test.labels, classes);
                result["knn"][c.name] = report.top1;
                details["knn"][c.name] = toJson(report, train.classNames());
                if (progress && !progress("knn", 1, 1))
                    throw Cancelled();
            }
            result["knn_settings"] = {{"k", request.knnOptions.k},
                                      {"temperature", request.knnOptions.temperature}};
            seconds["knn"] = secondsSince(start);
        }
        if (request.linear) {
            start = Clock::now();
            for (const auto& c : candidates) {
                const bool official = request.linearProtocol == "official" && c.network;
                const auto probe =
                    official
                        ? trainLinearProbeOnImages(*c.network, train, c.test, classes, transform,
                                                   request.linearOptions, device, stage("linear"))
                        : trainLinearProbe(c.train, c.test, classes, request.linearOptions,
                                           stage("linear"));
                result["linear"][c.name] = probe.final.top1;
                result["linear_best"][c.name] = probe.bestTop1;
                details["linear"][c.name] = toJson(probe.final, train.classNames());
                details["linear"][c.name]["best_epoch"] = probe.bestEpoch;
            }
            result["linear_settings"] = {{"epochs", request.linearOptions.epochs},
                                         {"lr", request.linearOptions.lr},
                                         {"batch_size", request.linearOptions.batchSize},
                                         {"weight_decay", request.linearOptions.weightDecay},
                                         {"protocol", request.linearProtocol}};
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
