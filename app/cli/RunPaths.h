#pragma once
// Locating a run's checkpoints from the command line.

#include "config/ExperimentConfig.h"
#include "runtime/Checkpoint.h"
#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav::cli {

/// The checkpoint of `epoch` in a run folder, or the newest readable one when epoch < 0 (each
/// damaged newer one named on stderr). Files with a digest in the run database must match it.
/// Returned loaded, so that a command reads the file once more at most.
Expected<LoadedCheckpoint> chooseCheckpoint(const std::string& runDir, int epoch,
                                            const std::string& database);

/// The configuration recorded in `chosen` with `overrides` applied, each of which must start with
/// one of `allowed` ("eval.", "dataset.": the trained network stays as it was); the images may
/// be named later. Errors name `command` and the offending override.
Expected<ExperimentConfig> checkpointConfig(const LoadedCheckpoint& chosen,
                                            const std::vector<std::string>& overrides,
                                            const std::vector<std::string>& allowed,
                                            const std::string& command);

} // namespace swav::cli
