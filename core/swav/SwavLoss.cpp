#include "swav/SwavLoss.h"

#include "swav/EmbeddingQueue.h"
#include "swav/Sinkhorn.h"
#include "util/Expected.h"
#include "util/PhaseTimer.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

SwavLossOutput swavLoss(const at::Tensor& scores, const at::Tensor& embeddings, int64_t batch,
                        const SwavConfig& config, EmbeddingQueue* queue,
                        const at::Tensor& prototypes, Collective* collective, PhaseTimer* timer) {
    const int64_t crops = scores.size(0) / batch;
    if (crops * batch != scores.size(0) || crops < 2)
        throw UserError("swavLoss: scores have " + std::to_string(scores.size(0)) +
                        " rows, not a multiple >= 2 of the batch " + std::to_string(batch));
    // log-softmax in fp32 even under mixed precision.
    const at::Tensor logProbs = at::log_softmax(scores.to(at::kFloat) / config.temperature, 1);

    SwavLossOutput out;
    const bool useQueue = queue && queue->full();
    out.queueUsed = useQueue;
    at::Tensor total = at::zeros({}, logProbs.options());
    for (size_t a = 0; a < config.cropsForAssign.size(); ++a) {
        const int64_t crop = config.cropsForAssign[a];
        at::Tensor codes;
        if (timer)
            timer->mark(Phase::Loss);
        {
            torch::NoGradGuard noGrad;
            at::Tensor assignScores = scores.slice(0, crop * batch, (crop + 1) * batch).detach();
            if (useQueue) {
                const at::Tensor queued = at::mm(queue->rows(static_cast<int>(a)),
                                                 prototypes.detach().to(at::kFloat).t());
                assignScores = at::cat({queued, assignScores.to(at::kFloat)}, 0);
            }
            codes = assignmentCodes(assignScores, config, collective);
            codes = codes.slice(0, codes.size(0) - batch, codes.size(0));
            if (timer)
                timer->mark(Phase::Sinkhorn);
        }
        at::Tensor subLoss = at::zeros({}, logProbs.options());
        for (int64_t v = 0; v < crops; ++v) {
            if (v == crop)
                continue;
            const at::Tensor predicted = logProbs.slice(0, v * batch, (v + 1) * batch);
            subLoss = subLoss - (codes * predicted).sum(1).mean();
        }
        total = total + subLoss / static_cast<double>(crops - 1);
        out.codes.push_back(codes);
    }
    out.loss = total / static_cast<double>(config.cropsForAssign.size());

    if (queue && queue->exists()) {
        std::vector<at::Tensor> newest;
        for (const int crop : config.cropsForAssign)
            newest.push_back(embeddings.slice(0, crop * batch, (crop + 1) * batch));
        queue->push(newest);
    }
    if (timer)
        timer->mark(Phase::Loss);
    return out;
}

at::Tensor assignmentCodes(const at::Tensor& scores, const SwavConfig& config,
                           Collective* collective) {
    if (config.assignment == "softmax") {
        torch::NoGradGuard noGrad;
        return at::softmax(scores.detach().to(at::kFloat) / config.epsilon, 1);
    }
    return sinkhornCodes(scores, config.epsilon, config.sinkhornIterations, collective);
}

SwappedPrediction swappedPrediction(const at::Tensor& scores, int64_t batch,
                                    const SwavConfig& config) {
    torch::NoGradGuard noGrad;
    const int64_t crops = scores.size(0) / batch;
    if (crops * batch != scores.size(0) || crops < 2)
        throw UserError("swappedPrediction: scores have " + std::to_string(scores.size(0)) +
                        " rows, not a multiple >= 2 of the batch " + std::to_string(batch));
    const auto scores32 = scores.detach().to(at::kFloat);
    const auto logProbs = at::log_softmax(scores32 / config.temperature, 1)
                              .view({crops, batch, scores.size(1)}); // [V, B, K]
    SwappedPrediction out;
    out.predictions = logProbs.exp();
    const auto assigned = static_cast<int64_t>(config.cropsForAssign.size());
    out.crossEntropy = at::empty({batch, assigned, crops}, scores32.options());
    out.imageLoss = at::zeros({batch}, scores32.options());
    for (int64_t a = 0; a < assigned; ++a) {
        const int crop = config.cropsForAssign[static_cast<size_t>(a)];
        const auto codes =
            assignmentCodes(scores32.slice(0, crop * batch, (crop + 1) * batch), config);
        // [V, B]: every crop's cross-entropy against this code.
        const auto entropy = -(codes.unsqueeze(0) * logProbs).sum(2);
        auto own = entropy.clone();
        own[crop].fill_(std::nan(""));
        out.crossEntropy.select(1, a).copy_(own.t());
        out.imageLoss += (entropy.sum(0) - entropy[crop]) / static_cast<double>(crops - 1);
        out.assignCrops.push_back(crop);
        out.codes.push_back(codes);
    }
    out.imageLoss /= static_cast<double>(assigned);
    return out;
}

} // namespace swav
