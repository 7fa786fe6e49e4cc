#pragma once

#include "cli/ConfigSource.h"

#include <string>
#include <vector>

namespace swav::cli {

struct SweepOptions {
    ConfigSource source;               // the base configuration
    std::vector<std::string> grids;    // "key=v1,v2"
    std::vector<std::string> variants; // "key=v;key=v"
    std::string tag;                   // every run of the sweep carries it
    std::string database;              // "" = the default one
    bool linear = false;               // also a linear probe after each run
    bool dryRun = false;               // list the runs, train nothing
    std::string tableFile;             // also write the results table (Markdown) here
    bool overwrite = false;            // replace an existing table file
};

/// `swav sweep`: trains each variation of a configuration in turn (each as `swav train` would,
/// recorded with the sweep's tag), evaluates it, and prints a table of the results.
int runSweep(const SweepOptions& options);

} // namespace swav::cli
