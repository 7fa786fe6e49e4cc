#pragma once
// Evaluates a checkpoint the standard ways (weighted kNN, linear probe) next to the baselines
// it must beat (same network at random initialisation, raw pixels).

#include "eval/Features.h"
#include "eval/Knn.h"
#include "eval/LinearProbe.h"
#include "util/Expected.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace swav {

struct EvalRequest {
    bool knn = true;
    bool linear = false;
    bool baselines = false;
    bool useCache = true;   // reuse features cached next to the checkpoint
    bool writeCache = true; // write them there (false leaves the checkpoint's folder untouched)
    KnnOptions knnOptions;  // defaults from the run's eval config when built by the front end
    LinearProbeOptions linearOptions;
    /// eval.linear_protocol: "cached" (features of the centre crops, fast) or "official" (the
    /// authors' eval_linear.py; raw pixels keep the cached variant).
    std::string linearProtocol = "cached";
    int featureBatchSize = 512;
    std::string device = "auto";
    std::string expectedSha256; // the checkpoint's recorded digest, checked first; "" = none
    std::optional<DatasetConfig> dataset; // the images; unset = the run's own dataset
};

/// (stage, done, total) -> false cancels. Stages: "features train", "features test",
/// "random init", "raw pixels", "knn", "linear".
using EvalProgress = std::function<bool(const std::string&, int64_t, int64_t)>;

/// Result JSON: {"checkpoint", "dataset", "knn": {"trained", "random_init", "raw_pixels"},
/// "linear": {...same keys, final top-1...}, "linear_best": {...}, "details": {per-class,
/// confusion matrices, class names}, "seconds": {...}}; accuracies are fractions and keys
/// appear for what was asked. The feature caches it writes are added to `filesWritten`.
Expected<nlohmann::json> evaluateCheckpoint(const std::string& checkpointPath,
                                            const EvalRequest& request,
                                            const EvalProgress& progress = {},
                                            std::vector<std::string>* filesWritten = nullptr);

/// "knn", "linear" or "knn+linear": what a result of evaluateCheckpoint holds (the kind
/// recorded in the run database).
std::string evaluationKind(const nlohmann::json& result);

/// The images a run is evaluated on: the whole labelled train split of its dataset (whatever
/// subset or hold-out trained it) and the test split. Throws UserError naming what is missing.
struct EvaluationSplits {
    std::shared_ptr<Dataset> train;
    std::shared_ptr<Dataset> test;
};
EvaluationSplits openEvaluationSplits(const DatasetConfig& dataset);

/// An EvalRequest filled from a run's eval config.
EvalRequest evalRequestFor(const ExperimentConfig& config);

} // namespace swav
