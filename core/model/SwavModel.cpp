#include "model/SwavModel.h"

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/nn/modules/activation.h>
#include <torch/utils.h>

namespace swav {

SwavModelImpl::SwavModelImpl(const ModelConfig& config, int inChannels)
    : m_numPrototypes(config.numPrototypes) {
    m_trunk = register_module("trunk", ResNetTrunk(resolveResNetSpec(config, inChannels)));
    const int featureDim = m_trunk->featureDim();
    if (config.head.kind == "mlp") {
        m_head =
            torch::nn::Sequential(torch::nn::Linear(featureDim, config.head.hiddenDim),
                                  SyncBatchNorm(config.head.hiddenDim), torch::nn::ReLU(),
                                  torch::nn::Linear(config.head.hiddenDim, config.head.outputDim));
        m_embeddingDim = config.head.outputDim;
    } else if (config.head.kind == "linear") {
        m_head = torch::nn::Sequential(torch::nn::Linear(featureDim, config.head.outputDim));
        m_embeddingDim = config.head.outputDim;
    } else {
        m_embeddingDim = featureDim;
    }
    if (m_head)
        register_module("projection_head", m_head);
    m_prototypes = register_module(
        "prototypes",
        torch::nn::Linear(
            torch::nn::LinearOptions(m_embeddingDim, config.numPrototypes).bias(false)));
    normalizePrototypes();
}

void SwavModelImpl::normalizePrototypes() {
    torch::NoGradGuard noGrad;
    auto& w = m_prototypes->weight;
    w.div_(w.norm(2, 1, true).clamp_min(1e-12));
}

at::Tensor SwavModelImpl::trunkFeatures(const at::Tensor& images) {
    return m_trunk->forward(m_channelsLast ? images.contiguous(at::MemoryFormat::ChannelsLast)
                                           : images);
}

at::Tensor SwavModelImpl::embed(const at::Tensor& features) {
    auto z = m_head ? m_head->forward(features) : features;
    // Normalise in fp32: un-normalised embeddings are the classic source of NaN in SwAV.
    z = z.to(at::kFloat);
    return z / z.norm(2, 1, true).clamp_min(1e-12);
}

SwavForward SwavModelImpl::forward(const std::vector<at::Tensor>& crops) {
    std::vector<at::Tensor> featureGroups;
    size_t start = 0;
    while (start < crops.size()) {
        size_t end = start + 1;
        while (end < crops.size() && crops[end].size(-1) == crops[start].size(-1))
            ++end;
        std::vector<at::Tensor> group(crops.begin() + start, crops.begin() + end);
        featureGroups.push_back(trunkFeatures(at::cat(group, 0)));
        start = end;
    }
    SwavForward out;
    out.features = at::cat(featureGroups, 0).to(at::kFloat);
    {
        // Autocast covers the trunk only. The head is about 1 % of the step, and its output
        // decides the cosines that Sinkhorn divides by epsilon: in bf16 (8-bit mantissa) they
        // carry errors of about 0.004, a third of epsilon 0.0125, and learning measurably
        // suffers (the authors keep scores in fp32; queue rows are rescored in fp32 anyway).
        const c10::impl::ExcludeDispatchKeyGuard noAutocast(c10::autocast_dispatch_keyset);
        out.embeddings = embed(out.features);
        out.scores = m_prototypes(out.embeddings);
    }
    return out;
}

} // namespace swav
