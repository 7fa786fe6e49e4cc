#include "store/CheckpointDigests.h"

namespace swav::store {

std::map<std::string, std::string> checkpointDigests(RunStore& runs, int64_t run) {
    std::map<std::string, std::string> digests;
    for (const auto& checkpoint : runs.checkpoints(run))
        if (!checkpoint.sha256.empty())
            digests[checkpoint.path] = checkpoint.sha256;
    return digests;
}

} // namespace swav::store
