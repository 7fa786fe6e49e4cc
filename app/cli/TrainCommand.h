#pragma once

#include "cli/ConfigSource.h"

#include <string>

namespace swav::cli {

struct TrainOptions {
    ConfigSource source;
    std::string outDir; // run folder; "" = a new folder under the data directory
    std::string resume; // run folder or checkpoint to continue
};

/// `swav train`: returns the process exit code.
int runTrain(const TrainOptions& options);

/// Default root of run folders: $XDG_DATA_HOME/swav-workbench/runs (or ~/.local/share/...).
std::string defaultRunsRoot();

} // namespace swav::cli
