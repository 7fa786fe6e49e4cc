#include "store/CheckpointDigests.h"

namespace swav::store {

std::map<std::string, std::string> checkpointDigests(RunStore& runs, int64_t run) {
    std::map<std::string, std::string> digests;
    for (const auto& checkpoint : runs.checkpoints(run))
        if (!checkpoint.sha256.empty())
            digests[checkpoint.path] = checkpoint.sha256;
    return digests;
}

std::string recordedDigest(RunStore& runs, int64_t run, const std::string& checkpoint) {
    if (run <= 0)
        return {};
    try {
        const auto digests = checkpointDigests(runs, run);
        const auto it = digests.find(checkpoint);
        return it == digests.end() ? std::string() : it->second;
    } catch (const UserError&) {
        return {};
    }
}

} // namespace swav::store
