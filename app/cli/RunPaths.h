#pragma once
// Locating a run's checkpoints and output folders from the command line.

#include "util/Expected.h"

#include <string>

namespace swav::cli {

/// The checkpoint of `epoch` in a run folder, or the newest one when epoch < 0.
Expected<std::string> chooseCheckpoint(const std::string& runDir, int epoch);

/// "<runDir>/<folder>/<checkpoint stem>-<suffix>", creating the folder.
std::string runOutputPath(const std::string& runDir, const std::string& folder,
                          const std::string& checkpoint, const std::string& suffix);

} // namespace swav::cli
