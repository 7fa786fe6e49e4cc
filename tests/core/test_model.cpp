#include "TestHarness.h"

#include "model/SwavModel.h"
#include "util/TorchCompat.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <map>

using namespace swav;

namespace {

ModelConfig smallConfig() {
    ModelConfig config;
    config.arch = "fashion-mnist";
    config.stem = "cifar";
    config.head.hiddenDim = 32;
    config.head.outputDim = 16;
    config.numPrototypes = 10;
    return config;
}

int64_t parameterCount(torch::nn::Module& module) {
    int64_t total = 0;
    for (const auto& p : module.parameters())
        total += p.numel();
    return total;
}

} // namespace

TEST(Model, NamedArchitecturesHaveTorchvisionParameterCounts) {
    // torchvision: resnet18 11,689,512 and resnet50 25,557,032 parameters including the
    // 1000-class fc layer (512*1000+1000 and 2048*1000+1000).
    ModelConfig config;
    config.arch = "resnet18";
    ResNetTrunk r18(resolveResNetSpec(config, 3));
    ASSERT_EQ(parameterCount(*r18), int64_t(11689512 - 513000));
    ASSERT_EQ(r18->featureDim(), 512);
    config.arch = "resnet50";
    ResNetTrunk r50(resolveResNetSpec(config, 3));
    ASSERT_EQ(parameterCount(*r50), int64_t(25557032 - 2049000));
    ASSERT_EQ(r50->featureDim(), 2048);
    std::map<std::string, at::Tensor> named;
    for (const auto& item : r50->named_parameters())
        named[item.key()] = item.value();
    ASSERT_TRUE(named.count("conv1.weight"));
    ASSERT_TRUE(named.count("layer1.0.downsample.0.weight"));
    ASSERT_TRUE(named.count("layer4.2.bn3.bias"));
}

TEST(Model, FashionMnistTrunkMatchesThePresetDescription) {
    SwavModel model(smallConfig(), 1);
    auto features = model->trunkFeatures(at::randn({2, 1, 28, 28}));
    ASSERT_TRUE(features.sizes() == at::IntArrayRef({2, 128}));
    auto conv1 = model->trunk()->named_parameters()["conv1.weight"];
    ASSERT_TRUE(conv1.sizes() == at::IntArrayRef({16, 1, 3, 3}));
}

TEST(Model, TheFeatureLayerWidensTheFeaturesOnTheLastMap) {
    auto config = smallConfig();
    config.featureWidth = 96;
    SwavModel model(config, 1);
    ASSERT_EQ(model->featureDim(), 96);
    const auto map = model->trunk()->featureMap(at::randn({3, 1, 28, 28}));
    ASSERT_TRUE(map.sizes() == at::IntArrayRef({3, 96, 4, 4}));
    ASSERT_TRUE(map.min().item<float>() >= 0); // after its ReLU
    auto named = model->trunk()->named_parameters();
    ASSERT_TRUE(named["feature_conv.weight"].sizes() == at::IntArrayRef({96, 128, 1, 1}));
    ASSERT_TRUE(named.contains("feature_bn.weight"));
    ASSERT_EQ(parameterCount(*model->trunk()),
              parameterCount(*SwavModel(smallConfig(), 1)->trunk()) + 128 * 96 + 2 * 96);
    // The head reads the wider features.
    ASSERT_TRUE(model->trunkFeatures(at::randn({2, 1, 28, 28})).sizes() ==
                at::IntArrayRef({2, 96}));
    ASSERT_TRUE(
        !SwavModel(smallConfig(), 1)->trunk()->named_parameters().contains("feature_conv.weight"));
}

TEST(Model, InitialisationIsKaimingFanOutAndUnitBatchNorm) {
    ModelConfig config;
    config.arch = "resnet18";
    ResNetTrunk trunk(resolveResNetSpec(config, 3));
    auto w = trunk->named_parameters()["layer3.0.conv2.weight"]; // 256 out, 3x3
    const double expectedStd = std::sqrt(2.0 / (256 * 9));
    ASSERT_NEAR(w.std().item<double>(), expectedStd, 0.05 * expectedStd);
    auto bnWeight = trunk->named_parameters()["layer3.0.bn2.weight"];
    ASSERT_TRUE(at::equal(bnWeight, at::ones_like(bnWeight)));
}

TEST(Model, EmbeddingsAreUnitLengthAndScoresAreCosines) {
    SwavModel model(smallConfig(), 1);
    auto out = model->forward({at::randn({4, 1, 28, 28}), at::randn({4, 1, 28, 28})});
    ASSERT_TRUE(out.embeddings.sizes() == at::IntArrayRef({8, 16}));
    ASSERT_TRUE(out.scores.sizes() == at::IntArrayRef({8, 10}));
    ASSERT_TRUE((out.embeddings.norm(2, 1) - 1).abs().max().item<double>() < 1e-5);
    ASSERT_TRUE(out.scores.abs().max().item<double>() <= 1.0 + 1e-5);
    auto w = model->prototypes()->weight;
    ASSERT_TRUE((w.norm(2, 1) - 1).abs().max().item<double>() < 1e-5);
}

TEST(Model, PrototypeRenormalisationIsInPlaceAndWithoutGradient) {
    SwavModel model(smallConfig(), 1);
    auto& w = model->prototypes()->weight;
    const auto* storage = w.data_ptr<float>();
    {
        torch::NoGradGuard noGrad;
        w.mul_(3.0);
    }
    model->normalizePrototypes();
    ASSERT_TRUE(w.data_ptr<float>() == storage);
    ASSERT_TRUE((w.norm(2, 1) - 1).abs().max().item<double>() < 1e-5);
    ASSERT_TRUE(!w.grad().defined());
}

TEST(Model, MultiResolutionForwardEqualsSeparatePasses) {
    // In eval mode BatchNorm uses running statistics, so grouping crops must not change results.
    SwavModel model(smallConfig(), 1);
    model->eval();
    std::vector<at::Tensor> crops{at::randn({3, 1, 28, 28}), at::randn({3, 1, 28, 28}),
                                  at::randn({3, 1, 14, 14}), at::randn({3, 1, 14, 14}),
                                  at::randn({3, 1, 14, 14})};
    auto out = model->forward(crops);
    ASSERT_TRUE(out.scores.sizes() == at::IntArrayRef({15, 10}));
    for (size_t i = 0; i < crops.size(); ++i) {
        auto alone = model->embed(model->trunkFeatures(crops[i]));
        auto rows = out.embeddings.slice(0, int64_t(i) * 3, int64_t(i + 1) * 3);
        ASSERT_TRUE((alone - rows).abs().max().item<double>() < 1e-5);
    }
}

TEST(Model, HeadVariants) {
    auto config = smallConfig();
    config.head.kind = "linear";
    SwavModel linear(config, 1);
    ASSERT_EQ(linear->embeddingDim(), 16);
    config.head.kind = "none";
    SwavModel none(config, 1);
    ASSERT_EQ(none->embeddingDim(), 128);
    auto out = none->forward({at::randn({2, 1, 28, 28}), at::randn({2, 1, 28, 28})});
    ASSERT_TRUE(out.scores.sizes() == at::IntArrayRef({4, 10}));
}

TEST(Model, ImagenetStemAndBottleneckShapes) {
    ModelConfig config;
    config.arch = "custom";
    config.block = "bottleneck";
    config.stageDepths = {1, 1};
    config.stageWidths = {8, 16};
    config.stageStrides = {1, 2};
    config.stemWidth = 8;
    config.stem = "imagenet";
    ResNetTrunk trunk(resolveResNetSpec(config, 3));
    ASSERT_EQ(trunk->featureDim(), 64);
    auto map = trunk->featureMap(at::randn({1, 3, 64, 64}));
    // 64 -> conv/2 -> 32 -> pool/2 -> 16 -> stage 2 /2 -> 8
    ASSERT_TRUE(map.sizes() == at::IntArrayRef({1, 64, 8, 8}));
}

TEST(Model, AutocastCoversTheTrunkOnly) {
    // The trunk runs in bf16 (the speed), the head and the prototype scores in fp32: Sinkhorn's
    // exp(score / eps) and the loss need fp32 cosines (bf16 rounds them to about 0.004).
    SwavModel model(smallConfig(), 1);
    at::manual_seed(4);
    const std::vector<at::Tensor> crops{at::randn({4, 1, 28, 28}), at::randn({4, 1, 28, 28})};
    SwavForward out;
    at::ScalarType trunkType;
    {
        const compat::AutocastGuard autocast(true, at::kCPU, at::kBFloat16);
        trunkType = model->trunk()->forward(crops[0]).scalar_type();
        out = model->forward(crops);
    }
    ASSERT_TRUE(!at::autocast::is_cpu_enabled()); // the guard switched it off again
    ASSERT_TRUE(trunkType == at::kBFloat16);
    ASSERT_TRUE(out.features.scalar_type() == at::kFloat);
    ASSERT_TRUE(out.embeddings.scalar_type() == at::kFloat);
    ASSERT_TRUE(out.scores.scalar_type() == at::kFloat);
    // Outside autocast the head gives the same embeddings to the last bit: it ran in fp32.
    ASSERT_TRUE(at::equal(model->embed(out.features), out.embeddings));
    const auto expected = at::mm(out.embeddings, model->prototypes()->weight.t());
    const double difference = (out.scores - expected).abs().max().item<double>();
    ASSERT_TRUE(difference < 1e-6) << "scores differ from fp32 by " + std::to_string(difference);
}
