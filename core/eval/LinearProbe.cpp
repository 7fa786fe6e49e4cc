#include "eval/LinearProbe.h"

#include "eval/LinearClassifier.h"

#include "augment/MultiCrop.h"
#include "runtime/MultiCropRecipe.h"
#include "util/Expected.h"
#include "util/SeedMix.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

namespace {

/// Records one epoch's test accuracy; throws Cancelled when the caller asked to stop.
void recordEpoch(LinearProbeResult& result, const at::Tensor& predictions, const at::Tensor& labels,
                 int classes, int epoch, int epochs, const ProgressCallback& progress) {
    const double top1 = predictions.eq(labels.to(at::kLong)).to(at::kDouble).mean().item<double>();
    result.top1PerEpoch.push_back(top1);
    if (top1 > result.bestTop1 || epoch == 0) {
        result.bestTop1 = top1;
        result.bestEpoch = epoch + 1;
    }
    if (epoch + 1 == epochs)
        result.final = classificationReport(predictions, labels, classes);
    if (progress && !progress(epoch + 1, epochs))
        throw Cancelled();
}

/// The epoch loop both variants share: shuffled batches of positions (own generator), announced
/// per epoch through `planEpoch(epoch, batches)`, one classifier step each via
/// `stepOn(classifier, index, epoch, batch)`, test accuracy per epoch.
template <class PlanEpoch, class StepOn>
LinearProbeResult trainEpochs(int64_t n, int64_t dim, int classes, const at::Tensor& xTest,
                              const at::Tensor& testLabels, const LinearProbeOptions& options,
                              const ProbeSchedule& schedule, const ProgressCallback& progress,
                              PlanEpoch&& planEpoch, StepOn&& stepOn) {
    const int64_t stepsPerEpoch = schedule.stepsPerEpoch(n, options.batchSize);
    LinearClassifier classifier(classes, dim, options, schedule, stepsPerEpoch);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed + 1);
    LinearProbeResult result;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const auto order = at::randperm(n, generator, at::kLong);
        std::vector<at::Tensor> steps;
        std::vector<std::vector<int64_t>> batches;
        for (int64_t s = 0; s < stepsPerEpoch; ++s) {
            steps.push_back(
                order.slice(0, s * options.batchSize, std::min(n, (s + 1) * options.batchSize)));
            const auto* first = steps.back().data_ptr<int64_t>();
            batches.emplace_back(first, first + steps.back().numel());
        }
        planEpoch(epoch, batches);
        for (int64_t s = 0; s < stepsPerEpoch; ++s)
            stepOn(classifier, steps[static_cast<size_t>(s)], epoch, s);
        recordEpoch(result, classifier.predict(xTest), testLabels, classes, epoch, options.epochs,
                    progress);
    }
    return result;
}

} // namespace

LinearProbeResult trainLinearProbe(const FeatureSet& train, const FeatureSet& test, int classes,
                                   const LinearProbeOptions& options,
                                   const ProgressCallback& progress) {
    if (!train.labels.defined() || !test.labels.defined())
        throw UserError("the linear probe needs labelled train and test images");
    // Standardise with the training statistics so one learning rate suits every feature scale.
    const auto mean = train.features.mean(0, true);
    const auto std = train.features.std(0, true, true).clamp_min(1e-6);
    const auto x = (train.features - mean) / std;
    const auto y = train.labels.to(at::kLong);
    const auto xTest = (test.features - mean) / std;

    return trainEpochs(
        x.size(0), x.size(1), classes, xTest, test.labels, options, ProbeSchedule{}, progress,
        [](int, const std::vector<std::vector<int64_t>>&) {},
        [&](LinearClassifier& classifier, const at::Tensor& index, int, int64_t) {
            classifier.step(x.index_select(0, index), y.index_select(0, index));
        });
}

LinearProbeResult trainLinearProbeOnImages(SwavModel& model, Dataset& train, const FeatureSet& test,
                                           int classes, const EvalTransform& transform,
                                           const LinearProbeOptions& options, at::Device device,
                                           const ProgressCallback& progress) {
    if (!train.labels().defined() || !test.labels.defined())
        throw UserError("the linear probe needs labelled train and test images");
    const auto labels = train.labels().to(at::kLong);

    CropGroupConfig crop;
    crop.count = 1;
    crop.size = transform.side > 0 ? transform.side : std::min(train.height(), train.width());
    crop.minScale = 0.08;
    crop.maxScale = 1.0;
    crop.flipProb = 0.5;
    crop.jitterProb = crop.grayscaleProb = crop.blurProb = 0;
    const MultiCropAugmenter augmenter({crop}, transform.mean, transform.std);

    // Eval mode for the whole probe, restored even when the probe is cancelled.
    struct RestoreMode {
        SwavModel& model;
        bool training;
        ~RestoreMode() { model->train(training); }
    } restore{model, model->is_training()};
    model->eval();
    // Image folders: RandomResizedCrop from the full-resolution originals, each epoch's batches
    // decoded ahead on the reader's threads.
    std::shared_ptr<MultiCropRecipe> recipe;
    auto planEpoch = [&](int epoch, const std::vector<std::vector<int64_t>>& batches) {
        if (!train.cutsCropsFromOriginals())
            return;
        const uint64_t epochSeed = options.seed * 1000003u + epoch * 7919u;
        recipe = std::make_shared<MultiCropRecipe>(
            std::vector<CropGroupConfig>{crop}, transform.mean, transform.std,
            [epochSeed](int64_t index) { return mixSeed(epochSeed, static_cast<uint64_t>(index)); },
            !device.is_cuda());
        train.prefetchCrops(batches, recipe, device.is_cuda());
    };
    return trainEpochs(
        train.size(), test.features.size(1), classes, test.features, test.labels, options,
        ProbeSchedule{true}, progress, planEpoch,
        [&](LinearClassifier& classifier, const at::Tensor& index, int epoch, int64_t s) {
            const std::vector<int64_t> positions(index.data_ptr<int64_t>(),
                                                 index.data_ptr<int64_t>() + index.numel());
            at::Tensor features;
            {
                torch::NoGradGuard noGrad;
                const MultiCropBatch crops =
                    recipe ? cropsForNetwork(augmenter, *recipe,
                                             train.gatherCrops(positions, recipe), device)
                           : augmenter.apply(train.gather(positions).images.to(device),
                                             options.seed * 1000003u + epoch * 7919u + s);
                features = model->trunkFeatures(crops.crops[0]).to(at::kCPU, at::kFloat);
            }
            classifier.step(features, labels.index_select(0, index));
        });
}

} // namespace swav
