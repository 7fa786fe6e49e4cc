#include "runtime/CheckpointFiles.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>

namespace swav {

namespace fs = std::filesystem;

std::vector<std::string> listCheckpoints(const std::string& runDir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(runDir) / "checkpoints", ec)) {
        const auto name = entry.path().filename().string();
        // Only our own names: caches and a user's files (epoch-best.pt) may sit beside them.
        static const std::regex own(R"(epoch-\d{4,}-step-\d{9,}\.pt)");
        if (entry.is_regular_file(ec) && std::regex_match(name, own))
            files.push_back(entry.path().string());
    }
    // Zero-padded names sort chronologically.
    std::sort(files.begin(), files.end());
    return files;
}

std::string runDirOfCheckpoint(const std::string& checkpoint) {
    const fs::path folder = fs::absolute(checkpoint).lexically_normal().parent_path();
    return folder.filename() == "checkpoints" ? folder.parent_path().string() : std::string();
}

std::string checkpointPath(const std::string& runDir, int epoch, int64_t iteration) {
    char name[64];
    std::snprintf(name, sizeof name, "epoch-%04d-step-%09lld.pt", epoch,
                  static_cast<long long>(iteration));
    return (fs::path(runDir) / "checkpoints" / name).string();
}

std::vector<std::string> pruneCheckpoints(const std::string& runDir, int keep) {
    auto files = listCheckpoints(runDir);
    std::vector<std::string> removed;
    std::error_code ec;
    const auto endsWith = [](const std::string& text, const std::string& tail) {
        return text.size() >= tail.size() &&
               text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
    };
    for (size_t i = 0; i + static_cast<size_t>(keep) < files.size(); ++i) {
        if (fs::remove(files[i], ec))
            removed.push_back(files[i]);
        // Its feature caches ("<checkpoint>.train.features", ...) go with it; other files
        // that happen to share the prefix stay.
        const auto prefix = fs::path(files[i]).filename().string() + ".";
        std::vector<fs::path> derived;
        for (const auto& entry : fs::directory_iterator(fs::path(files[i]).parent_path(), ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind(prefix, 0) == 0 && endsWith(name, ".features"))
                derived.push_back(entry.path());
        }
        for (const auto& path : derived)
            if (fs::remove(path, ec))
                removed.push_back(path.string());
    }
    return removed;
}

} // namespace swav
