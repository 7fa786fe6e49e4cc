#include "model/ResNet.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <cmath>

namespace swav {

namespace {

torch::nn::Conv2d conv(int in, int out, int kernel, int stride, int padding) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

torch::nn::Sequential downsampleIfNeeded(int inPlanes, int outPlanes, int stride) {
    if (stride == 1 && inPlanes == outPlanes)
        return torch::nn::Sequential(nullptr);
    return torch::nn::Sequential(conv(inPlanes, outPlanes, 1, stride, 0), SyncBatchNorm(outPlanes));
}

int scaled(int width, double multiplier) {
    return std::max(1, static_cast<int>(std::lround(width * multiplier)));
}

} // namespace

ResNetSpec resolveResNetSpec(const ModelConfig& config, int inChannels) {
    ResNetSpec spec;
    spec.stem = config.stem;
    spec.inChannels = config.inChannels > 0 ? config.inChannels : inChannels;
    if (config.arch == "resnet18") {
        spec.block = "basic", spec.depths = {2, 2, 2, 2};
    } else if (config.arch == "resnet34") {
        spec.block = "basic", spec.depths = {3, 4, 6, 3};
    } else if (config.arch == "resnet50") {
        spec.block = "bottleneck", spec.depths = {3, 4, 6, 3};
    } else if (config.arch == "fashion-mnist") {
        // Four basic blocks of widths 16/32/64/128 after a 3x3 stem of 16 channels.
        spec.block = "basic", spec.depths = {1, 1, 1, 1};
        spec.widths = {16, 32, 64, 128};
        spec.stemWidth = 16;
    } else if (config.arch == "custom") {
        spec.block = config.block;
        spec.depths = config.stageDepths;
        spec.widths = config.stageWidths;
        spec.strides = config.stageStrides;
        spec.stemWidth = config.stemWidth;
    } else {
        throw UserError("model.arch: unknown architecture '" + config.arch + "'");
    }
    if (spec.widths.empty())
        spec.widths = {64, 128, 256, 512};
    if (spec.strides.empty())
        spec.strides = {1, 2, 2, 2};
    for (auto& width : spec.widths)
        width = scaled(width, config.widthMultiplier);
    spec.stemWidth = scaled(spec.stemWidth, config.widthMultiplier);
    spec.featureWidth = config.featureWidth;
    return spec;
}

BasicBlockImpl::BasicBlockImpl(int inPlanes, int planes, int stride)
    : m_conv1(register_module("conv1", conv(inPlanes, planes, 3, stride, 1)))
    , m_conv2(register_module("conv2", conv(planes, planes, 3, 1, 1)))
    , m_bn1(register_module("bn1", SyncBatchNorm(planes)))
    , m_bn2(register_module("bn2", SyncBatchNorm(planes))) {
    m_downsample = downsampleIfNeeded(inPlanes, planes, stride);
    if (m_downsample)
        register_module("downsample", m_downsample);
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
    // In place as torchvision does: batch norm's backward needs its input, not its output, so
    // the ReLU and the residual sum can reuse the output's memory (one allocation and pass less).
    auto out = m_bn1(m_conv1(x)).relu_();
    out = m_bn2(m_conv2(out));
    out += m_downsample ? m_downsample->forward(x) : x;
    return at::relu_(out);
}

BottleneckImpl::BottleneckImpl(int inPlanes, int planes, int stride)
    : m_conv1(register_module("conv1", conv(inPlanes, planes, 1, 1, 0)))
    , m_conv2(register_module("conv2", conv(planes, planes, 3, stride, 1)))
    , m_conv3(register_module("conv3", conv(planes, planes * expansion, 1, 1, 0)))
    , m_bn1(register_module("bn1", SyncBatchNorm(planes)))
    , m_bn2(register_module("bn2", SyncBatchNorm(planes)))
    , m_bn3(register_module("bn3", SyncBatchNorm(planes * expansion))) {
    m_downsample = downsampleIfNeeded(inPlanes, planes * expansion, stride);
    if (m_downsample)
        register_module("downsample", m_downsample);
}

at::Tensor BottleneckImpl::forward(const at::Tensor& x) {
    auto out = m_bn1(m_conv1(x)).relu_();
    out = m_bn2(m_conv2(out)).relu_();
    out = m_bn3(m_conv3(out));
    out += m_downsample ? m_downsample->forward(x) : x;
    return at::relu_(out);
}

ResNetTrunkImpl::ResNetTrunkImpl(const ResNetSpec& spec)
    : m_spec(spec) {
    const bool imagenetStem = spec.stem == "imagenet";
    m_conv1 =
        register_module("conv1", imagenetStem ? conv(spec.inChannels, spec.stemWidth, 7, 2, 3)
                                              : conv(spec.inChannels, spec.stemWidth, 3, 1, 1));
    m_bn1 = register_module("bn1", SyncBatchNorm(spec.stemWidth));

    const bool bottleneck = spec.block == "bottleneck";
    const int expansion = bottleneck ? BottleneckImpl::expansion : BasicBlockImpl::expansion;
    int inPlanes = spec.stemWidth;
    for (size_t stage = 0; stage < spec.depths.size(); ++stage) {
        torch::nn::Sequential layer;
        for (int b = 0; b < spec.depths[stage]; ++b) {
            const int stride = b == 0 ? spec.strides[stage] : 1;
            if (bottleneck)
                layer->push_back(Bottleneck(inPlanes, spec.widths[stage], stride));
            else
                layer->push_back(BasicBlock(inPlanes, spec.widths[stage], stride));
            inPlanes = spec.widths[stage] * expansion;
        }
        m_stages.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    m_featureDim = inPlanes;
    if (spec.featureWidth > 0) {
        m_featureConv = register_module("feature_conv", conv(inPlanes, spec.featureWidth, 1, 1, 0));
        m_featureBn = register_module("feature_bn", SyncBatchNorm(spec.featureWidth));
        m_featureDim = spec.featureWidth;
    }

    // Kaiming normal (fan_out, ReLU) for convolutions; BatchNorm weight 1, bias 0.
    for (auto& module : modules(/*include_self=*/false)) {
        if (auto* c = module->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        } else if (auto* bn = module->as<SyncBatchNorm>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        }
    }
}

at::Tensor ResNetTrunkImpl::featureMap(const at::Tensor& x) {
    auto out = m_bn1(m_conv1(x)).relu_();
    if (m_spec.stem == "imagenet")
        out = at::max_pool2d(out, {3, 3}, {2, 2}, {1, 1});
    for (auto& stage : m_stages)
        out = stage->forward(out);
    if (m_featureConv)
        out = m_featureBn(m_featureConv(out)).relu_();
    return out;
}

at::Tensor ResNetTrunkImpl::forward(const at::Tensor& x) {
    return featureMap(x).mean({2, 3});
}

} // namespace swav
