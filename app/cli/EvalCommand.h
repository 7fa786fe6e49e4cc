#pragma once

#include <string>
#include <vector>

namespace swav::cli {

struct EvalOptions {
    std::string runDir;       // run folder or run id
    std::string database;     // run database; "" = the default one
    int checkpointEpoch = -1; // -1 = newest checkpoint
    bool knn = false;
    bool linear = false;
    bool baselines = false;
    bool json = false;
    bool noCache = false;
    std::string device = "auto";
    std::vector<std::string> overrides; // "eval.key=value": the evaluation's own settings
};

/// `swav eval`: kNN / linear probe of a run's checkpoint, with baselines; returns the exit code.
int runEval(const EvalOptions& options);

} // namespace swav::cli
