#pragma once
// What a trained network makes of a set of images, row by row, for use outside the program:
// trunk features (exactly those evaluation uses), head embeddings, prototype scores or
// Sinkhorn codes, with each row's file name and label.

#include "eval/Features.h"
#include "util/Expected.h"

#include <optional>
#include <string>
#include <vector>

namespace swav {

enum class EmbedOutput { Features, Embeddings, Scores, Codes };

std::optional<EmbedOutput> parseEmbedOutput(const std::string& text);
const char* toString(EmbedOutput output);

struct EmbedRequest {
    std::string checkpoint;
    std::string expectedSha256; // the checkpoint's recorded digest; "" = none
    /// A folder of images (flat, or one sub-folder per class); "" = the run's own dataset.
    std::string imagesFolder;
    std::string split = "test"; // the run's dataset: "train" (whole labelled split) or "test"
    EmbedOutput what = EmbedOutput::Features;
    int batchSize = 0; // 0 = the run's eval.feature_batch_size (codes: its optim.batch_size)
    std::string device = "auto";
};

struct EmbedResult {
    at::Tensor values;              // float32 [N, D], CPU
    std::vector<std::string> names; // [N]: file relative to the folder, or "" (binary sets)
    std::vector<int64_t> labels;    // [N]: -1 where unknown
    std::vector<std::string> classNames;
    std::vector<bool> replaced; // [N]: the file failed to decode; the row is a stand-in's
    std::string source;         // the dataset's description
    std::string preprocessing;  // how images became network input, in words
};

/// Computes the rows; a cancel from `progress` returns the error "cancelled".
Expected<EmbedResult> embedImages(const EmbedRequest& request,
                                  const ProgressCallback& progress = {});

/// "x.npy" -> "x.csv": where the row names of an embedding go.
std::string embedNamesFile(const std::string& npyFile);

/// Throws UserError unless `npyFile` ends in .npy and, without `overwrite`, neither it nor its
/// names file exists (checked before the work, and again when writing).
void checkEmbeddingOutputs(const std::string& npyFile, bool overwrite);

/// Writes `values` to `npyFile` and the rows' "row,name,label,class,replaced" to its names file,
/// each atomically, after checkEmbeddingOutputs.
void writeEmbedding(const EmbedResult& result, const std::string& npyFile, bool overwrite);

} // namespace swav
