#pragma once
// Trunk + projection head + prototypes, with the multi-resolution forward of the paper.
// Registered names ("trunk", "projection_head", "prototypes") are the checkpoint format.

#include "config/ExperimentConfig.h"
#include "model/ResNet.h"

#include <torch/nn/modules/linear.h>

#include <vector>

namespace swav {

struct SwavForward {
    at::Tensor features;   // float [N, featureDim]: pooled trunk output, crop-major rows
    at::Tensor embeddings; // float [N, D]: L2-normalised head output
    at::Tensor scores;     // float [N, K]: embeddings . prototypes^T (cosines)
};

class SwavModelImpl : public torch::nn::Module {
public:
    SwavModelImpl(const ModelConfig& config, int inChannels);

    /// crops: one float [B, C, s, s] tensor per crop, all with the same B. Consecutive crops of
    /// equal size share one trunk pass; the head runs once on all crops. Rows are crop-major:
    /// crop i occupies rows [i*B, (i+1)*B).
    SwavForward forward(const std::vector<at::Tensor>& crops);

    /// Trunk features only (evaluation), float [B, featureDim].
    at::Tensor trunkFeatures(const at::Tensor& images);
    /// Head + normalisation of trunk features.
    at::Tensor embed(const at::Tensor& features);

    /// Rescales each prototype to unit length in place (no grad). Called before every forward.
    void normalizePrototypes();

    ResNetTrunk& trunk() { return m_trunk; }
    torch::nn::Linear& prototypes() { return m_prototypes; }
    int embeddingDim() const { return m_embeddingDim; }
    int numPrototypes() const { return m_numPrototypes; }
    int featureDim() const { return m_trunk->featureDim(); }
    /// Feeds the trunk channels-last inputs (its 4-D weights should be converted too).
    void setChannelsLast(bool enabled) { m_channelsLast = enabled; }

private:
    ResNetTrunk m_trunk{nullptr};
    torch::nn::Sequential m_head{nullptr};
    torch::nn::Linear m_prototypes{nullptr};
    int m_embeddingDim = 0;
    int m_numPrototypes = 0;
    bool m_channelsLast = false;
};
TORCH_MODULE(SwavModel);

} // namespace swav
