#pragma once

#include <string>
#include <vector>

namespace swav::cli {

struct AnalyzeOptions {
    std::string runDir;   // run folder or run id
    std::string database; // run database; "" = the default one
    int checkpointEpoch = -1;
    int64_t images = 2000;
    int top = 16;
    std::string space = "features";
    std::string device = "auto";
    std::vector<std::string> overrides; // dataset.* only
};

/// `swav analyze`: projection, cluster gallery and prototype health as JSON files.
int runAnalyze(const AnalyzeOptions& options);

} // namespace swav::cli
