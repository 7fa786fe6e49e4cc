#pragma once
// The swapped-prediction loss of SwAV.

#include "config/ExperimentConfig.h"

#include <ATen/Tensor.h>

#include <vector>

namespace swav {

class Collective;
class EmbeddingQueue;
class PhaseTimer;

struct SwavLossOutput {
    at::Tensor loss;               // scalar float32, differentiable w.r.t. the scores
    std::vector<at::Tensor> codes; // per assignment crop: float32 [B, K], no gradient
    bool queueUsed = false;        // the queue's rows took part in the codes
};

/// scores: [crops*B, K] crop-major (crop i = rows [i*B, (i+1)*B)), embeddings: [crops*B, D].
/// For each assignment crop i the codes q_i = Sinkhorn(scores_i) (with the queue's rescored rows
/// prepended when the queue is full; only the batch rows kept); every other crop v contributes
/// -mean_b sum_k q_i log softmax(scores_v / tau); each sub-loss is divided by (crops - 1) and the
/// loss averages the assignment crops. Afterwards the batch embeddings are pushed into the queue.
/// prototypes: [K, D] current (normalised) prototype weights, used to rescore the queue.
SwavLossOutput swavLoss(const at::Tensor& scores, const at::Tensor& embeddings, int64_t batch,
                        const SwavConfig& config, EmbeddingQueue* queue,
                        const at::Tensor& prototypes, Collective* collective = nullptr,
                        PhaseTimer* timer = nullptr);

/// The codes of one assignment crop's scores [B, K], without gradient: Sinkhorn-Knopp (equal
/// partition), or softmax(score / epsilon) for the swav.assignment = "softmax" ablation.
at::Tensor assignmentCodes(const at::Tensor& scores, const SwavConfig& config,
                           Collective* collective = nullptr);

/// The swapped prediction of one batch image by image (one process, no queue), for teaching.
struct SwappedPrediction {
    std::vector<int> assignCrops;  // crops whose codes are the targets
    std::vector<at::Tensor> codes; // per assignment crop: float32 [B, K]
    at::Tensor predictions;        // float32 [crops, B, K]: softmax(score / temperature)
    at::Tensor crossEntropy;       // float32 [B, assignment crops, crops]: -sum_k q log p; NaN
                                   // where the crop would predict its own code
    at::Tensor imageLoss;          // float32 [B]: each image's share; their mean is the loss
};

/// scores as for swavLoss; the mean of imageLoss equals swavLoss's loss without a queue.
SwappedPrediction swappedPrediction(const at::Tensor& scores, int64_t batch,
                                    const SwavConfig& config);

} // namespace swav
