#pragma once
// Locating a run's checkpoints and output folders from the command line.

#include "train/Checkpoint.h"
#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav::cli {

/// The checkpoint of `epoch` in a run folder, or the newest readable one when epoch < 0 (each
/// damaged newer one named on stderr). Files with a digest in the run database must match it.
/// Returned loaded, so that a command reads the file once more at most.
Expected<LoadedCheckpoint> chooseCheckpoint(const std::string& runDir, int epoch,
                                            const std::string& database);

/// "<runDir>/<folder>/<checkpoint stem>-<suffix>", creating the folder; when made here it is
/// added to `createdFolders` (recorded with the run's files, so that deleting the run removes
/// it when empty).
std::string runOutputPath(const std::string& runDir, const std::string& folder,
                          const std::string& checkpoint, const std::string& suffix,
                          std::vector<std::string>& createdFolders);

} // namespace swav::cli
