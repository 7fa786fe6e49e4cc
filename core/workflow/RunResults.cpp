#include "workflow/RunResults.h"

#include "eval/Evaluation.h"
#include "store/RunStore.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace swav {

namespace fs = std::filesystem;

std::string runOutputPath(const std::string& runDir, const std::string& folder,
                          const std::string& checkpoint, const std::string& suffix,
                          std::vector<std::string>& createdFolders) {
    const auto dir = fs::path(runDir) / folder;
    std::error_code ec;
    if (fs::create_directory(dir, ec))
        createdFolders.push_back(dir.string());
    return (dir / (fs::path(checkpoint).stem().string() + "-" + suffix)).string();
}

namespace {

std::string outputPath(const std::string& runDir, const std::string& folder,
                       const std::string& suffix, SavedResult& saved) {
    return runOutputPath(runDir, folder, saved.checkpoint, suffix, saved.createdFolders);
}

std::string notInRunFolder(const std::string& checkpoint) {
    return checkpoint + " is not in a run folder: the result is not kept as a file";
}

void writeJson(const std::string& path, const char* what, const nlohmann::json& value, int indent) {
    writeFileAtomically(path, what, [&](std::ostream& out) { out << value.dump(indent) << "\n"; });
}

/// "<base>.json", or "<base>-2.json", "-3", ... when taken: an evaluation never replaces a file
/// (two in the same second, or a user's file of that name).
std::string unusedPath(const std::string& base) {
    std::error_code ec;
    std::string path = base + ".json";
    for (int n = 2; fs::exists(fs::symlink_status(path, ec)); ++n)
        path = base + "-" + std::to_string(n) + ".json";
    return path;
}

/// True when `path` holds an analysis part this program wrote of `checkpoint`: only such a file
/// is replaced, since a folder named on the command line may hold a user's file of that name.
bool holdsAnalysisOf(const std::string& path, const std::string& checkpoint) {
    std::ifstream in(path);
    const auto onDisk = nlohmann::json::parse(in, nullptr, false);
    // Compared as JSON: a "checkpoint" of another type is simply not this one.
    return onDisk.is_object() && onDisk.contains("checkpoint") &&
           onDisk.at("checkpoint") == checkpoint && onDisk.contains("class_names");
}

void checkReplaceable(const std::string& path, const std::string& checkpoint) {
    std::error_code ec;
    const auto status = fs::symlink_status(path, ec);
    if (!fs::exists(status))
        return;
    if (!fs::is_regular_file(status) || !holdsAnalysisOf(path, checkpoint))
        throw UserError(path + " exists and is not an analysis of " + checkpoint +
                        " written by this program: left as it is, the analysis is not saved");
}

} // namespace

SavedResult saveEvaluation(const std::string& runDir, const std::string& checkpoint,
                           const nlohmann::json& result,
                           const std::vector<std::string>& alsoWritten) {
    SavedResult saved;
    saved.checkpoint = checkpoint;
    saved.files = alsoWritten;
    if (runDir.empty()) {
        saved.problem = notInRunFolder(checkpoint);
        return saved;
    }
    const std::string file = unusedPath(outputPath(runDir, "evaluations", timestampNow(), saved));
    try {
        writeJson(file, "evaluation", result, 2);
        saved.files.push_back(file);
    } catch (const UserError& e) {
        saved.problem = e.what();
    }
    return saved;
}

void recordEvaluation(store::RunStore& runs, int64_t runId, const SavedResult& saved,
                      const nlohmann::json& result) {
    runs.addRunFiles(runId, saved.files, saved.createdFolders);
    runs.addEvaluation(runId, saved.checkpoint, evaluationKind(result), result.dump());
}

const std::vector<std::string>& analysisParts() {
    static const std::vector<std::string> parts = {"projection", "gallery", "prototype_health"};
    return parts;
}

SavedResult saveAnalysis(const std::string& runDir, const std::string& checkpoint,
                         const nlohmann::json& analysis) {
    SavedResult saved;
    saved.checkpoint = checkpoint;
    if (runDir.empty()) {
        saved.problem = notInRunFolder(checkpoint);
        return saved;
    }
    try {
        for (const auto& part : analysisParts()) {
            nlohmann::json out = analysis.at(part);
            out["checkpoint"] = checkpoint;
            out["class_names"] = analysis.at("class_names");
            const auto file = outputPath(runDir, "analysis", part + ".json", saved);
            checkReplaceable(file, checkpoint);
            writeJson(file, "analysis", out, 1);
            saved.files.push_back(file);
        }
    } catch (const UserError& e) {
        saved.problem = e.what();
    }
    return saved;
}

void recordAnalysis(store::RunStore& runs, int64_t runId, const SavedResult& saved) {
    runs.addRunFiles(runId, saved.files, saved.createdFolders);
    const auto& parts = analysisParts();
    for (size_t i = 0; i < saved.files.size() && i < parts.size(); ++i)
        runs.addArtifact(runId, saved.checkpoint, parts[i], saved.files[i]);
}

} // namespace swav
