#include "cli/RunPaths.h"

#include "train/Checkpoint.h"
#include "train/Trainer.h"

#include <cstdio>
#include <filesystem>

namespace swav::cli {

namespace fs = std::filesystem;

Expected<std::string> chooseCheckpoint(const std::string& runDir, int epoch) {
    if (epoch < 0)
        return resolveCheckpoint(runDir);
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "epoch-%04d-", epoch);
    for (const auto& file : listCheckpoints(runDir))
        if (fs::path(file).filename().string().rfind(prefix, 0) == 0)
            return file;
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
