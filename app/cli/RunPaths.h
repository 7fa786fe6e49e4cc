#pragma once
// Locating a run's checkpoints from the command line.

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

} // namespace swav::cli
