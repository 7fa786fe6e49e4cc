#pragma once
// Where one rank of a data-parallel run computes: GPU number `local rank` when the run uses
// CUDA, or a share of this host's CPU threads otherwise.

#include "config/ExperimentConfig.h"
#include "dist/DistributedSetup.h"

namespace swav {

/// Rewrites runtime.device ("cuda:<local rank>") and runtime.threads (the host's threads, or
/// the configured count, divided among the host's processes; at least 1).
/// cudaDevices: GPUs visible here (0 = none).
void placeRank(RuntimeConfig& runtime, const DistributedSetup& setup, int cudaDevices);

} // namespace swav
