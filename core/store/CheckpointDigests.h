#pragma once
// The SHA-256 the run database recorded for each checkpoint of a run, for verifying files before
// they are trusted (resume, evaluation, export, analysis).

#include "store/RunStore.h"

#include <map>
#include <string>

namespace swav::store {

/// Path -> lower-case hex SHA-256 of the run's recorded checkpoints (those with a digest).
std::map<std::string, std::string> checkpointDigests(RunStore& runs, int64_t run);

/// The recorded SHA-256 of one checkpoint of `run`; "" when unknown or the database cannot be
/// read (the file is then still read safely, only not compared).
std::string recordedDigest(RunStore& runs, int64_t run, const std::string& checkpoint);

} // namespace swav::store
