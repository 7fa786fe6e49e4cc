#include "dist/DistributedSetup.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace swav {

namespace {

/// A non-negative integer from the environment, or an error naming the variable.
int environmentInt(const EnvironmentLookup& lookup, const char* name) {
    const char* text = lookup(name);
    if (!text || !*text)
        throw UserError(std::string(name) + " is not set");
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 0 || value > 1'000'000)
        throw UserError(std::string(name) + " must be a whole number from 0 to 1000000, got '" +
                        text + "'");
    return static_cast<int>(value);
}

int environmentIntOr(const EnvironmentLookup& lookup, const char* name, int fallback) {
    const char* text = lookup(name);
    return text && *text ? environmentInt(lookup, name) : fallback;
}

std::string environmentText(const EnvironmentLookup& lookup, const char* name,
                            const std::string& fallback) {
    const char* text = lookup(name);
    return text && *text ? std::string(text) : fallback;
}

DistributedSetup fromTorchrun(const EnvironmentLookup& lookup) {
    DistributedSetup setup;
    // swav train --nproc-per-node sets the same variables as torchrun, and says so.
    const char* launcher = lookup("SWAV_LAUNCHER");
    setup.launcher = launcher && std::string(launcher) == "swav" ? "swav" : "torchrun";
    setup.rank = environmentInt(lookup, "RANK");
    setup.worldSize = environmentInt(lookup, "WORLD_SIZE");
    setup.localRank = environmentIntOr(lookup, "LOCAL_RANK", 0);
    setup.localWorldSize = environmentIntOr(lookup, "LOCAL_WORLD_SIZE", 1);
    setup.masterAddr = environmentText(lookup, "MASTER_ADDR", setup.masterAddr);
    setup.masterPort = environmentIntOr(lookup, "MASTER_PORT", setup.masterPort);
    return setup;
}

DistributedSetup fromSlurm(const EnvironmentLookup& lookup) {
    DistributedSetup setup;
    setup.launcher = "slurm";
    setup.rank = environmentInt(lookup, "SLURM_PROCID");
    setup.worldSize = environmentInt(lookup, "SLURM_NTASKS");
    setup.localRank = environmentIntOr(lookup, "SLURM_LOCALID", 0);
    // SLURM_NTASKS_PER_NODE may read "4" or "4(x2)"; the leading number is this node's count.
    const std::string perNode = environmentText(lookup, "SLURM_NTASKS_PER_NODE", "1");
    setup.localWorldSize = std::max(1, std::atoi(perNode.c_str()));
    if (setup.worldSize > 1 && !lookup("MASTER_ADDR"))
        throw UserError("MASTER_ADDR is not set: under SLURM, export the first node's host name "
                        "in the batch script (see experiments/slurm/swav-train.sbatch)");
    setup.masterAddr = environmentText(lookup, "MASTER_ADDR", setup.masterAddr);
    setup.masterPort = environmentIntOr(lookup, "MASTER_PORT", setup.masterPort);
    return setup;
}

} // namespace

Expected<std::optional<DistributedSetup>>
distributedSetupFromEnvironment(const EnvironmentLookup& lookup) {
    return catchUserError([&]() -> std::optional<DistributedSetup> {
        std::optional<DistributedSetup> setup;
        if (lookup("RANK") && lookup("WORLD_SIZE"))
            setup = fromTorchrun(lookup);
        else if (lookup("SLURM_PROCID") && lookup("SLURM_NTASKS"))
            setup = fromSlurm(lookup);
        // A one-task SLURM job is an ordinary process (its port may be taken by a neighbour).
        if (setup && setup->launcher == "slurm" && setup->worldSize == 1)
            return std::nullopt;
        if (!setup)
            return std::nullopt;
        auto checked = validateDistributedSetup(*setup);
        if (!checked)
            throw UserError(setup->launcher + " environment: " + checked.error().message);
        return *checked;
    });
}

Expected<std::optional<DistributedSetup>> distributedSetupOfThisProcess() {
    return distributedSetupFromEnvironment([](const char* name) { return std::getenv(name); });
}

Expected<DistributedSetup> validateDistributedSetup(DistributedSetup setup) {
    if (setup.worldSize < 1)
        return Error{"the world size must be at least 1, got " + std::to_string(setup.worldSize)};
    if (setup.rank < 0 || setup.rank >= setup.worldSize)
        return Error{"rank " + std::to_string(setup.rank) + " is outside 0.." +
                     std::to_string(setup.worldSize - 1)};
    if (setup.localWorldSize < 1 || setup.localRank < 0 || setup.localRank >= setup.localWorldSize)
        return Error{"local rank " + std::to_string(setup.localRank) + " is outside 0.." +
                     std::to_string(setup.localWorldSize - 1)};
    if (setup.masterPort < 1 || setup.masterPort > 65535)
        return Error{"the master port must be 1 to 65535, got " + std::to_string(setup.masterPort)};
    if (setup.masterAddr.empty())
        return Error{"the master address is empty"};
    if (setup.timeoutSeconds < 1)
        return Error{"the timeout must be at least 1 second"};
    return setup;
}

bool isLoopbackAddress(const std::string& address) {
    return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

} // namespace swav
