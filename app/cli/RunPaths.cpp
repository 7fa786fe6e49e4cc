#include "cli/RunPaths.h"

#include "cli/StoreLink.h"
#include "config/ConfigJson.h"
#include "runtime/Checkpoint.h"
#include "util/Strings.h"

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

Expected<ExperimentConfig> checkpointConfig(const LoadedCheckpoint& chosen,
                                            const std::vector<std::string>& overrides,
                                            const std::vector<std::string>& allowed,
                                            const std::string& command) {
    std::string keys;
    for (size_t i = 0; i < allowed.size(); ++i)
        keys += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i] + "*";
    for (const auto& assignment : overrides) {
        bool permitted = false;
        for (const auto& prefix : allowed)
            permitted = permitted || startsWith(assignment, prefix);
        if (!permitted)
            return Error{"--set " + assignment + ": " + command + " changes only " + keys +
                         " settings (the checkpoint fixes the rest)"};
    }
    return loadConfig(chosen.state.configJson, chosen.path, overrides, nullptr, DataUse::Later);
}

} // namespace swav::cli
