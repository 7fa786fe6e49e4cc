#pragma once
// Training checkpoints: everything needed to continue a run exactly. Stored as a pickled
// dictionary (readable by Python's torch.load), written to a temporary file and renamed so
// that a crash never leaves a half-written checkpoint behind.

#include "config/ExperimentConfig.h"
#include "runtime/CheckpointFiles.h"
#include "util/Expected.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace swav {

constexpr int kCheckpointFormatVersion = 1;

/// SHA-256 (lower-case hex) of checkpoint files by path, as the run database recorded them.
using CheckpointDigests = std::map<std::string, std::string>;

struct CheckpointState {
    std::string configJson;                      // the run's full configuration
    int epoch = 0;                               // epoch to continue in (0-based)
    int64_t stepInEpoch = 0;                     // steps of that epoch already done
    int64_t iteration = 0;                       // global steps done
    std::map<std::string, at::Tensor> model;     // parameters and buffers by registered name
    std::map<std::string, at::Tensor> optimizer; // optimiser buffers
    at::Tensor queue; // [crops, length, D] or undefined; multi-process: every rank's, in order
    int64_t queueFilled = 0;
    std::map<std::string, at::Tensor> epochAccumulators; // metrics of the unfinished epoch
    double lossScale = 0;                                // fp16 loss scale (0 = unused)
    int worldSize = 1; // processes that trained it (files without the field: 1)
};

/// Writes atomically (temp + rename); tensors are moved to the CPU. Throws UserError.
void saveCheckpoint(const CheckpointState& state, const std::string& path);

/// Reads a checkpoint with the bounded reader (util/TorchFile), checking every field's type and
/// range; with `expectedSha256` the file's digest must match first. Throws UserError naming the
/// file for a missing, damaged, changed or foreign file or an unknown format version.
CheckpointState loadCheckpoint(const std::string& path, const std::string& expectedSha256 = {});

struct LoadedCheckpoint {
    std::string path;
    CheckpointState state;
};

/// A checkpoint file as given, or the newest checkpoint of a run folder that loads and matches
/// its recorded digest; damaged newer ones are skipped, each with a line in `skipped`.
Expected<LoadedCheckpoint> loadNewestCheckpoint(const std::string& checkpointOrRunDir,
                                                const CheckpointDigests& digests = {},
                                                std::vector<std::string>* skipped = nullptr);

/// The configuration stored in a checkpoint (file or run folder), to resume with.
Expected<ExperimentConfig> configFromCheckpoint(const std::string& checkpointOrRunDir);

} // namespace swav
