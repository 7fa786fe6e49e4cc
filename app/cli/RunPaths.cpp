#include "cli/RunPaths.h"

#include "cli/StoreLink.h"
#include "train/Checkpoint.h"

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

std::string runOutputPath(const std::string& runDir, const std::string& folder,
                          const std::string& checkpoint, const std::string& suffix,
                          std::vector<std::string>& createdFolders) {
    const auto dir = fs::path(runDir) / folder;
    std::error_code ec;
    if (fs::create_directory(dir, ec))
        createdFolders.push_back(dir.string());
    return (dir / (fs::path(checkpoint).stem().string() + "-" + suffix)).string();
}

} // namespace swav::cli
