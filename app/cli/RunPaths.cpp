#include "cli/RunPaths.h"

#include "cli/StoreLink.h"
#include "runtime/Checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace swav::cli {

namespace fs = std::filesystem;

Expected<LoadedCheckpoint> chooseCheckpoint(const std::string& runDir, int epoch,
                                            const std::string& database) {
    const auto digests = recordedDigests(database, runDir);
    if (epoch < 0) {
        std::vector<std::string> skipped;
        auto chosen = loadNewestCheckpoint(runDir, digests, &skipped);
        for (const auto& note : skipped)
            std::cerr << "warning: " << note << "\n";
        return chosen;
    }
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "epoch-%04d-", epoch);
    for (const auto& file : listCheckpoints(runDir))
        if (fs::path(file).filename().string().rfind(prefix, 0) == 0)
            return loadNewestCheckpoint(file, digests);
    return Error{runDir + ": no checkpoint of epoch " + std::to_string(epoch) +
                 " (see the checkpoints folder)"};
}

} // namespace swav::cli
