#pragma once
// Configurable ResNet trunk. Parameter names follow torchvision (conv1, bn1, layer1.0.conv1,
// layer1.0.downsample.0, ...) so weights can travel to and from PyTorch; they are also the
// checkpoint format, so do not rename them. The optional feature layer (feature_conv, feature_bn)
// has no torchvision counterpart; it exists only when model.feature_width > 0.

#include "config/ExperimentConfig.h"
#include "model/SyncBatchNorm.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace swav {

/// A fully resolved trunk description (named architectures expanded).
struct ResNetSpec {
    std::string block = "basic";   // basic or bottleneck
    std::vector<int> depths;       // blocks per stage
    std::vector<int> widths;       // base width per stage (bottleneck output = 4x)
    std::vector<int> strides;      // stride of each stage's first block
    std::string stem = "imagenet"; // imagenet or cifar
    int stemWidth = 64;
    int inChannels = 3;
    int featureWidth = 0; // 0: none; else a 1x1 conv + BN + ReLU to this many channels
};

/// Expands `config.arch` (resnet18/34/50, fashion-mnist, custom) with the width multiplier.
ResNetSpec resolveResNetSpec(const ModelConfig& config, int inChannels);

class BasicBlockImpl : public torch::nn::Module {
public:
    static constexpr int expansion = 1;
    BasicBlockImpl(int inPlanes, int planes, int stride);
    at::Tensor forward(const at::Tensor& x);

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
    SyncBatchNorm m_bn1{nullptr}, m_bn2{nullptr};
    torch::nn::Sequential m_downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public torch::nn::Module {
public:
    static constexpr int expansion = 4;
    BottleneckImpl(int inPlanes, int planes, int stride);
    at::Tensor forward(const at::Tensor& x);

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_conv3{nullptr};
    SyncBatchNorm m_bn1{nullptr}, m_bn2{nullptr}, m_bn3{nullptr};
    torch::nn::Sequential m_downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

/// Input float [B, C, H, W] -> global-average-pooled features float [B, featureDim()].
class ResNetTrunkImpl : public torch::nn::Module {
public:
    explicit ResNetTrunkImpl(const ResNetSpec& spec);
    at::Tensor forward(const at::Tensor& x);
    /// Feature map before pooling, [B, featureDim, h, w].
    at::Tensor featureMap(const at::Tensor& x);
    int featureDim() const { return m_featureDim; }
    const ResNetSpec& spec() const { return m_spec; }

private:
    ResNetSpec m_spec;
    int m_featureDim = 0;
    torch::nn::Conv2d m_conv1{nullptr};
    SyncBatchNorm m_bn1{nullptr};
    std::vector<torch::nn::Sequential> m_stages;
    torch::nn::Conv2d m_featureConv{nullptr};
    SyncBatchNorm m_featureBn{nullptr};
};
TORCH_MODULE(ResNetTrunk);

} // namespace swav
