#pragma once
// Where a process stands in a data-parallel run: its rank, the world size and the rendezvous.
// Filled from the command line, from the environment torchrun sets (RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or from the one SLURM's srun sets
// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE; MASTER_ADDR and MASTER_PORT
// come from the batch script).

#include "util/Expected.h"

#include <functional>
#include <optional>
#include <string>

namespace swav {

struct DistributedSetup {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;      // index among the processes of this host (picks the GPU)
    int localWorldSize = 1; // processes on this host (share the CPU threads)
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    int timeoutSeconds = 120;       // a collective waiting longer fails the run
    int setupTimeoutSeconds = 1800; // the rendezvous and rank 0's plan and listing
    std::string launcher;           // "swav", "torchrun" or "slurm": where the values came from
};

using EnvironmentLookup = std::function<const char*(const char*)>;

/// The setup that torchrun or srun gave this process, or nullopt when neither started it.
/// Errors name the variable and what was expected.
Expected<std::optional<DistributedSetup>>
distributedSetupFromEnvironment(const EnvironmentLookup& lookup);

/// The same, from this process's environment.
Expected<std::optional<DistributedSetup>> distributedSetupOfThisProcess();

/// Checks ranks, sizes and the port. Returns an error naming the field.
Expected<DistributedSetup> validateDistributedSetup(DistributedSetup setup);

/// True for addresses that stay on this machine (127.0.0.0/8, ::1, localhost).
bool isLoopbackAddress(const std::string& address);

} // namespace swav
