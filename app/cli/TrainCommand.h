#pragma once

#include "cli/ConfigSource.h"
#include "dist/WorkerLauncher.h"

#include <string>

namespace swav::cli {

struct TrainOptions {
    ConfigSource source;
    std::string outDir;   // run folder; "" = a new folder under the data directory
    std::string resume;   // run id, run folder or checkpoint to continue
    std::string database; // run database; "" = the default one
    bool noStore = false; // do not record the run in the database
    LaunchPlan launch;    // --nproc-per-node, --nnodes, ...; arguments = this program's argv
    int worldSize = 1;    // processes of the run (set by each rank)
};

/// `swav train`: returns the process exit code.
int runTrain(const TrainOptions& options);

} // namespace swav::cli
