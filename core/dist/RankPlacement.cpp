#include "dist/RankPlacement.h"

#include "util/SystemMemory.h"

#include <algorithm>

namespace swav {

void placeRank(RuntimeConfig& runtime, const DistributedSetup& setup, int cudaDevices) {
    const bool wantsCuda =
        runtime.device.rfind("cuda", 0) == 0 || (runtime.device == "auto" && cudaDevices > 0);
    if (wantsCuda && cudaDevices > 0)
        runtime.device = "cuda:" + std::to_string(setup.localRank % cudaDevices);
    const int threads = runtime.threads > 0 ? runtime.threads : hardwareThreads();
    runtime.threads = std::max(1, threads / std::max(1, setup.localWorldSize));
}

} // namespace swav
