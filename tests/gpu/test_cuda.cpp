// The same engine on a CUDA device agrees with the CPU (label gpu; skipped without a device).
#include "TestHarness.h"

#include "model/SwavModel.h"
#include "util/TorchCompat.h"

#include "augment/MultiCrop.h"
#include "data/Dataset.h"
#include "swav/Sinkhorn.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>
#include <torch/cuda.h>

using namespace swav;

namespace {

ExperimentConfig tinyGpuConfig(const std::string& precision) {
    ExperimentConfig c;
    c.dataset.kind = "synthetic";
    c.model.arch = "resnet18";
    c.model.stem = "cifar";
    c.model.head.hiddenDim = 256;
    c.model.numPrototypes = 30;
    CropGroupConfig large;
    large.count = 2, large.size = 32, large.minScale = 0.14, large.blurProb = 0;
    CropGroupConfig small = large;
    small.count = 4, small.size = 16, small.minScale = 0.05, small.maxScale = 0.14;
    c.multicrop.crops = {large, small};
    c.optim.epochs = 6;
    c.optim.batchSize = 64;
    c.optim.baseLr = 0.6;
    c.optim.finalLr = 0.0006;
    c.optim.warmupEpochs = 0;
    c.swav.freezePrototypesNiters = 4;
    c.runtime.device = "cuda";
    c.runtime.precision = precision;
    c.runtime.metricsEvery = 4;
    return c;
}

struct EpochLosses : TrainingObserver {
    std::vector<double> losses;
    void onEpoch(const EpochMetrics& m) override { losses.push_back(m.meanLoss); }
};

} // namespace

/// Every case needs a CUDA device; without one it is reported as skipped.
class Cuda : public testing::Test {
protected:
    void SetUp() override {
        if (!torch::cuda::is_available())
            GTEST_SKIP() << "no CUDA device (or LibTorch built without CUDA)";
    }
};

TEST_F(Cuda, SinkhornOnGpuMatchesCpu) {
    at::manual_seed(1);
    auto scores = at::rand({512, 300}) * 2 - 1;
    auto cpu = sinkhornCodes(scores, 0.05, 3);
    auto gpu = sinkhornCodes(scores.to(at::kCUDA).to(at::kHalf), 0.05, 3).to(at::kCPU);
    ASSERT_TRUE(gpu.scalar_type() == at::kFloat);
    // Half-precision scores round to ~1e-3; the codes stay close and rows still sum to 1.
    ASSERT_TRUE((gpu.sum(1) - 1).abs().max().item<double>() < 1e-4);
    auto exact = sinkhornCodes(scores.to(at::kCUDA), 0.05, 3).to(at::kCPU);
    ASSERT_TRUE((exact - cpu).abs().max().item<double>() < 1e-4);
}

TEST_F(Cuda, AugmentationOnGpuMatchesCpu) {
    CropGroupConfig g;
    g.count = 2, g.size = 24;
    MultiCropAugmenter augmenter({g}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
    at::manual_seed(2);
    auto images = at::randint(0, 256, {16, 3, 32, 32}, at::kByte);
    auto cpu = augmenter.apply(images, 9);
    auto gpu = augmenter.apply(images.to(at::kCUDA), 9);
    for (size_t i = 0; i < cpu.crops.size(); ++i)
        ASSERT_TRUE((gpu.crops[i].to(at::kCPU) - cpu.crops[i]).abs().max().item<double>() < 1e-3);
}

TEST_F(Cuda, MixedPrecisionTrainingLearnsOnGpu) {
    for (const std::string precision : {"bf16", "fp16", "fp32"}) {
        auto data = makeSyntheticShapes(1024, 4, 32, 3, 7);
        Trainer trainer(tinyGpuConfig(precision), data, {});
        EpochLosses losses;
        trainer.addObserver(&losses);
        TrainingControl control;
        const auto outcome = trainer.run(control);
        ASSERT_TRUE(outcome.status == RunStatus::Finished) << precision << ": " << outcome.message;
        ASSERT_TRUE(losses.losses.back() < losses.losses.front() - 0.05)
            << precision << ": loss " << losses.losses.front() << " -> " << losses.losses.back();
    }
}

TEST_F(Cuda, CodesUnderBf16AutocastMatchFp32) {
    // Autocast covers the trunk and head; the scores, Sinkhorn and the loss stay fp32. Same
    // weights, same crops: the bf16 trunk moves the embeddings a little, and the codes stay
    // within 0.02 of the fp32 run's (stated tolerance).
    ExperimentConfig config = tinyGpuConfig("bf16");
    SwavModel model(config.model, 3);
    model->to(at::kCUDA);
    model->eval(); // batch statistics of one batch, the same in both passes
    at::manual_seed(6);
    const std::vector<at::Tensor> crops{at::rand({128, 3, 32, 32}, at::kCUDA),
                                        at::rand({128, 3, 32, 32}, at::kCUDA)};
    torch::NoGradGuard noGrad;
    const auto exact = model->forward(crops);
    SwavForward mixed;
    {
        compat::AutocastGuard autocast(true, at::kCUDA, at::kBFloat16);
        mixed = model->forward(crops);
    }
    ASSERT_TRUE(mixed.scores.scalar_type() == at::kFloat);
    ASSERT_TRUE(mixed.embeddings.scalar_type() == at::kFloat);
    const auto exactCodes = sinkhornCodes(exact.scores.slice(0, 0, 128), 0.05, 3);
    const auto mixedCodes = sinkhornCodes(mixed.scores.slice(0, 0, 128), 0.05, 3);
    const double difference = (mixedCodes - exactCodes).abs().max().item<double>();
    ASSERT_TRUE(difference < 0.02) << "codes differ by " + std::to_string(difference);
    // The scores were computed in fp32 from the fp32 embeddings, not rounded to bf16.
    const auto rescored = at::mm(mixed.embeddings, model->prototypes()->weight.t());
    ASSERT_TRUE((mixed.scores - rescored).abs().max().item<double>() < 1e-5);
}
