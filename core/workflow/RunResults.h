#pragma once
// Evaluation and analysis results kept beside the run they are of, for every front end: JSON
// files in the run folder (<runDir>/evaluations, <runDir>/analysis, named after the checkpoint)
// and, when the run database knows the run, their records (evaluations, artifacts, run files).

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

namespace store {
class RunStore;
}

/// Files a result was written to, and folders made for them (recorded with the run's files, so
/// that deleting the run removes them).
struct SavedResult {
    std::string checkpoint;
    std::vector<std::string> files;
    std::vector<std::string> createdFolders;
    std::string problem; // why the result's own file is missing ("" = written)
};

/// "<runDir>/<folder>/<checkpoint stem>-<suffix>", making the folder; when made here it is added
/// to `createdFolders`.
std::string runOutputPath(const std::string& runDir, const std::string& folder,
                          const std::string& checkpoint, const std::string& suffix,
                          std::vector<std::string>& createdFolders);

/// Writes an evaluation of `checkpoint` (from eval/Evaluation.h) to
/// <runDir>/evaluations/<checkpoint stem>-<time>.json (with "-2", "-3", ... when that name is
/// taken: an evaluation replaces no file), atomically; `alsoWritten` (feature caches
/// made by the evaluation) are kept in the result's files. A file that cannot be written is
/// reported in `problem`, as is a checkpoint outside a run folder (`runDir` ""): the evaluation
/// is still worth recording.
SavedResult saveEvaluation(const std::string& runDir, const std::string& checkpoint,
                           const nlohmann::json& result,
                           const std::vector<std::string>& alsoWritten = {});

/// Records a saved evaluation with run `runId`: its files and the evaluation row.
void recordEvaluation(store::RunStore& runs, int64_t runId, const SavedResult& saved,
                      const nlohmann::json& result);

/// The parts of an analysis (eval/AnalyzeCheckpoint.h) kept as files, in this order.
const std::vector<std::string>& analysisParts();

/// Writes each part of an analysis of `checkpoint` to
/// <runDir>/analysis/<checkpoint stem>-<part>.json, atomically, with the checkpoint and the class
/// names. A file already there is replaced only when it is an earlier analysis of the same
/// checkpoint (the folder may be any the user named). What could not be written is named in
/// `problem` (the parts written before stay listed).
SavedResult saveAnalysis(const std::string& runDir, const std::string& checkpoint,
                         const nlohmann::json& analysis);

/// Records a saved analysis with run `runId`: its files, and each part as an artifact.
void recordAnalysis(store::RunStore& runs, int64_t runId, const SavedResult& saved);

} // namespace swav
