#pragma once
// The SHA-256 the run database recorded for each checkpoint of a run, for verifying files before
// they are trusted (resume, evaluation, export, analysis).

#include "store/RunStore.h"

#include <map>
#include <string>

namespace swav::store {

/// Path -> lower-case hex SHA-256 of the run's recorded checkpoints (those with a digest).
std::map<std::string, std::string> checkpointDigests(RunStore& runs, int64_t run);

} // namespace swav::store
