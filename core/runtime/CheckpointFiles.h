#pragma once
// Where a run keeps its checkpoints and what they are called: <runDir>/checkpoints/
// epoch-EEEE-step-SSSSSSSSS.pt. File names only, no LibTorch: the run store uses them too.

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

/// Checkpoint files of a run folder (<runDir>/checkpoints/*.pt), oldest first.
std::vector<std::string> listCheckpoints(const std::string& runDir);

/// The run folder a checkpoint file lies in as <runDir>/checkpoints/<file>; "" for a file in
/// any other folder (its grandparent is no run folder: ~/Downloads/x.pt is not in ~).
std::string runDirOfCheckpoint(const std::string& checkpoint);

/// "<runDir>/checkpoints/epoch-0003-step-000000702.pt"
std::string checkpointPath(const std::string& runDir, int epoch, int64_t iteration);

/// Deletes all but the newest `keep` checkpoints, with their feature caches
/// ("<checkpoint>.train.features", ...). Returns the files it deleted.
std::vector<std::string> pruneCheckpoints(const std::string& runDir, int keep);

} // namespace swav
