#pragma once
// Starts the processes of a data-parallel run on this host and supervises them, as torchrun
// does: each worker is this program again with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT set. SIGINT, SIGTERM and SIGHUP are passed on to every worker (a stop
// with a checkpoint; a second one aborts), and so are SIGUSR1 (pause) and SIGUSR2 (resume). When a
// worker fails the others get a short grace to report, then are terminated; no worker outlives the
// launcher (they die with it).

#include "dist/DistributedSetup.h"
#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav {

struct LaunchPlan {
    std::vector<std::string> arguments; // argv of each worker (argv[0] included)
    int processesPerNode = 0;           // 0 = not asked for (no launcher unless several hosts)
    int nodes = 1;
    int nodeRank = 0;
    std::string masterAddr;                  // "" = 127.0.0.1 (single node only)
    int masterPort = 0;                      // 0 = a free port on the loopback (single node only)
    int graceSeconds = 5;                    // after a failure, before the others are terminated
    std::vector<std::string> setEnvironment; // extra NAME=VALUE for every worker
};

/// Whether the options ask for the launcher: --nproc-per-node given (1 included: world size 1
/// through the process group, e.g. NCCL on one GPU) or several hosts.
inline bool wantsLauncher(const LaunchPlan& plan) {
    return plan.processesPerNode > 0 || plan.nodes > 1;
}

/// The problem, or "", when this process's environment makes it a rank (torchrun's or srun's
/// variables, or ones left over in the shell) while its command line asks for launch options
/// (--nproc-per-node, --nnodes, --node-rank, --master-addr, --master-port): one must go. The
/// workers of swav's own launcher, which carry both, are not a conflict.
std::string launchConflict(const DistributedSetup& environment, const LaunchPlan& plan);

/// Checks the plan and picks the port; errors name the option.
Expected<LaunchPlan> resolveLaunchPlan(LaunchPlan plan);

/// Runs the workers to the end; returns the exit code: 0 when every worker succeeded, else the
/// first failed worker's code (128 + signal when killed). Prints one line per failed worker.
int launchWorkers(const LaunchPlan& plan);

/// resolveLaunchPlan, one line saying what starts, then launchWorkers; a bad plan prints its
/// error and returns 2.
int launchFromOptions(const LaunchPlan& plan);

/// A TCP port free on 127.0.0.1 now (for single-host runs).
int freeLoopbackPort();

} // namespace swav
