#pragma once
// One batch through SwAV's own mechanics, for the teaching lab: the trainer's crops of a few
// images, the model's prototype scores on them (as in a training step), the swapped prediction
// image by image, and the scores of a wider pool of images so that each prototype can show the
// images it gathers.

#include "config/ExperimentConfig.h"
#include "eval/Features.h"
#include "swav/Sinkhorn.h"
#include "swav/SwavLoss.h"
#include "util/Expected.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace swav {

class Dataset;
struct HeldModel;

/// The model a lab batch goes through, with the configuration it was trained with.
struct LabModel {
    ExperimentConfig config;
    std::map<std::string, at::Tensor> state; // empty: fresh weights seeded by runtime.seed
    int epoch = 0;                           // the epoch whose crops the batch gets
    std::string origin;                      // for the window: where the weights come from
};

/// The weights of a checkpoint file; `sha256`, when given, is checked first.
Expected<LabModel> labModelFromCheckpoint(const std::string& path, const std::string& sha256 = {});
/// The weights a paused trainer shared.
Expected<LabModel> labModelFromHeld(const HeldModel& held);
/// The weights a run of `config` starts from.
LabModel labModelAtStart(const ExperimentConfig& config);

struct LabRequest {
    int64_t images = 16;          // B: the batch the codes are computed over
    uint64_t seed = 1;            // which images (a seeded choice from the training set)
    std::vector<int64_t> indices; // these images instead of a seeded choice
    int64_t poolImages = 1024;    // images scored so that each prototype shows its typical images
};

struct LabBatch {
    ExperimentConfig config;
    std::string origin;
    std::vector<int64_t> indices;  // dataset positions of the batch
    std::vector<int> labels;       // per image; -1 without labels
    std::vector<at::Tensor> crops; // per crop: float32 [B, C, s, s] in [0, 1], for display
    at::Tensor scores;             // float32 [crops * B, K], crop-major, CPU
    SwappedPrediction swapped;     // with the run's swav settings
    double loss = 0;               // swavLoss of these scores, as a training step (no queue)
    std::vector<int64_t> poolIndices;
    at::Tensor poolScores; // float32 [pool, K]: evaluation-transform images

    int64_t batchSize() const { return static_cast<int64_t>(indices.size()); }
    int cropCount() const { return static_cast<int>(crops.size()); }
    /// The scores of one crop of every image, float32 [B, K].
    at::Tensor cropScores(int crop) const;
};

/// Draws request.images images of `data` (the run's training set), makes their crops with the
/// trainer's own augmentation for model.epoch, and scores them as a training step does (train
/// mode, fresh batch statistics, no gradient, on the CPU). Throws UserError.
LabBatch makeLabBatch(const LabModel& model, Dataset& data, const LabRequest& request,
                      const ProgressCallback& progress = {});

/// How an assignment spreads: rows of `assignment` [B, K] are normalised to distributions.
struct AssignmentSummary {
    double codeEntropy = 0;  // mean entropy of a row / ln K (0 = one-hot, 1 = uniform)
    double usageEntropy = 0; // entropy of the mean row / ln K (1 = every prototype equally)
    int prototypesUsed = 0;  // prototypes that are the argmax of some row
};
AssignmentSummary summariseAssignment(const at::Tensor& assignment);

/// The most Sinkhorn iterations the lab traces: the run's own few may leave the marginals far
/// from their targets, and the view shows how many more it takes.
constexpr int kLabSinkhornIterations = 50;

/// Sinkhorn-Knopp on one assignment crop of a lab batch, iterate by iterate, with how far the
/// marginals are from their targets after each iteration. Any thread; CPU only.
struct LabSinkhorn {
    int64_t queueRows = 0; // pool images' scores before the batch's rows, as SwAV's queue
    at::Tensor scores;     // float32 [B, K]: the crop's scores
    /// Over [queueRows + B, K]; every step's q keeps only the batch's B rows (the masses keep
    /// all rows), so that many iterations of a large queue stay small.
    SinkhornTrace trace;
    /// Per iteration i (index i - 1): the largest |column sum - 1/K| after its row step, i.e.
    /// in the codes of a run stopping after i iterations.
    std::vector<double> columnDeviation;
    /// Per iteration: the largest |row sum - 1/(queueRows + B)| after its column step.
    std::vector<double> rowDeviation;

    int iterations() const { return static_cast<int>(columnDeviation.size()); }
    double columnTarget() const;
    double rowTarget() const;
    /// The first iteration after which both deviations are within `relative` of their targets;
    /// 0 when none of the traced iterations is.
    int firstIterationWithin(double relative) const;
};

/// `queueRows` (clamped to the pool) of the pool's scores join the partition as SwAV's queue
/// does. Throws UserError for a crop that is not an assignment crop.
LabSinkhorn labSinkhorn(const LabBatch& batch, int assignCrop, int64_t queueRows, double epsilon,
                        int iterations = kLabSinkhornIterations);

/// The largest |value - target| of a mass vector.
double largestDeviation(const at::Tensor& mass, double target);

/// The pool images scoring highest on `prototype`, best first.
std::vector<int64_t> typicalImages(const LabBatch& batch, int prototype, int count);

} // namespace swav
