#include "eval/LabBatch.h"
#include "config/DatasetKinds.h"

#include "config/ConfigJson.h"
#include "data/Dataset.h"
#include "model/ModelState.h"
#include "model/SwavModel.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"
#include "runtime/HeldModel.h"
#include "runtime/MultiCropRecipe.h"
#include "util/TorchCompat.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

ExperimentConfig parseConfig(const std::string& json, const std::string& origin) {
    auto config = loadConfig(json, origin, {}, nullptr, DataUse::Later);
    if (!config)
        throw UserError(config.error().message);
    return *config;
}

/// `count` distinct positions of [0, size), a seeded choice.
std::vector<int64_t> chooseImages(int64_t size, int64_t count, uint64_t seed) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto order = at::randperm(size, generator, at::kLong).slice(0, 0, std::min(count, size));
    return {order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel()};
}

SwavModel buildModel(const LabModel& source, int channels) {
    at::manual_seed(static_cast<uint64_t>(source.config.runtime.seed)); // as the trainer does
    SwavModel model(source.config.model, channels);
    if (!source.state.empty())
        loadModelState(*model, source.state, source.origin);
    return model;
}

/// Scores of the pool images (evaluation transform, eval mode), float32 [pool, K].
at::Tensor poolScores(SwavModel& model, Dataset& data, const ExperimentConfig& config,
                      const std::vector<int64_t>& pool, const ProgressCallback& progress) {
    auto shared = std::shared_ptr<Dataset>(&data, [](Dataset*) {}); // borrowed for the view
    SubsetDataset subset(shared, pool, "lab pool");
    const auto features = extractFeatures(model, subset, evalTransformFor(config),
                                          config.eval.featureBatchSize, at::kCPU, progress);
    model->eval();
    const auto embeddings = model->embed(features.features);
    model->train();
    return at::mm(embeddings, model->prototypes()->weight.t()).contiguous();
}

} // namespace

Expected<LabModel> labModelFromCheckpoint(const std::string& path, const std::string& sha256) {
    return catchUserError([&] {
        auto saved = loadCheckpoint(path, sha256);
        LabModel model;
        model.config = parseConfig(saved.configJson, path);
        model.state = std::move(saved.model);
        model.epoch = saved.epoch;
        model.origin = path;
        return model;
    });
}

Expected<LabModel> labModelFromHeld(const HeldModel& held) {
    return catchUserError([&] {
        LabModel model;
        model.config = parseConfig(held.configJson, "the paused run");
        model.state = held.state;
        model.epoch = held.epoch;
        model.origin = "the paused run, before step " + std::to_string(shownStepNumber(held.step));
        return model;
    });
}

LabModel labModelAtStart(const ExperimentConfig& config) {
    LabModel model;
    model.config = config;
    model.origin = "initial weights (seed " + std::to_string(config.runtime.seed) + ")";
    return model;
}

at::Tensor LabBatch::cropScores(int crop) const {
    const int64_t b = batchSize();
    return scores.slice(0, crop * b, (crop + 1) * b);
}

LabBatch makeLabBatch(const LabModel& source, Dataset& data, const LabRequest& request,
                      const ProgressCallback& progress) {
    const ExperimentConfig& config = source.config;
    if (data.size() < 2)
        throw UserError("the lab needs at least 2 training images; the dataset has " +
                        std::to_string(data.size()));
    if (request.indices.empty() && request.images < 2)
        throw UserError("the lab batch needs at least 2 images (codes spread over a batch)");
    torch::NoGradGuard noGrad;
    SwavModel model = buildModel(source, data.channels());
    model->train(); // batch statistics, as in a training step

    LabBatch out;
    out.config = config;
    out.origin = source.origin;
    out.indices = request.indices.empty() ? chooseImages(data.size(), request.images, request.seed)
                                          : request.indices;
    for (int64_t index : out.indices)
        if (index < 0 || index >= data.size())
            throw UserError("image " + std::to_string(index) + " is not in the training set (" +
                            std::to_string(data.size()) + " images)");
    if (out.indices.size() < 2)
        throw UserError("the lab batch needs at least 2 images (codes spread over a batch)");
    const at::Tensor labels = data.labels();
    for (int64_t index : out.indices)
        out.labels.push_back(labels.defined() ? int(labels[index].item<int64_t>()) : -1);

    const Normalisation norm = resolveNormalisation(config, data.channels());
    const MultiCropAugmenter augmenter(config.multicrop.crops, norm.mean, norm.std);
    const auto seed = static_cast<uint64_t>(config.runtime.seed);
    std::shared_ptr<MultiCropRecipe> recipe;
    if (data.cutsCropsFromOriginals())
        recipe = trainingRecipe(config.multicrop.crops, norm.mean, norm.std, seed, source.epoch,
                                finishCropsInWorkers(config.dataset.cropFinish, false));
    const MultiCropBatch crops =
        trainingCrops(data, out.indices, augmenter, recipe, seed, source.epoch, at::kCPU);
    for (const auto& crop : crops.crops)
        out.crops.push_back(augmenter.denormalise(crop).clamp(0, 1).contiguous());

    model->normalizePrototypes();
    SwavForward forward;
    {
        // The trunk in the precision the trainer uses on the CPU (fp16 exists on GPUs only).
        const bool bf16 =
            config.runtime.precision != "fp16" &&
            resolvePrecision(config.runtime.precision, at::Device(at::kCPU)) == "bf16";
        const compat::AutocastGuard autocast(bf16, at::kCPU, at::kBFloat16);
        forward = model->forward(crops.crops);
    }
    out.scores = forward.scores.to(at::kFloat).contiguous();
    const int64_t b = out.batchSize();
    out.swapped = swappedPrediction(out.scores, b, config.swav);
    out.loss = swavLoss(out.scores, forward.embeddings, b, config.swav, nullptr,
                        model->prototypes()->weight)
                   .loss.item<double>();

    out.poolIndices = chooseImages(data.size(), request.poolImages, request.seed + 1);
    out.poolScores = poolScores(model, data, config, out.poolIndices, progress);
    return out;
}

AssignmentSummary summariseAssignment(const at::Tensor& assignment) {
    const auto rows = assignment.to(at::kDouble);
    const auto q = rows / rows.sum(1, true).clamp_min(1e-300);
    const double logK = std::log(double(q.size(1)));
    auto entropy = [](const at::Tensor& p) { return -(p * p.clamp_min(1e-300).log()).sum(-1); };
    AssignmentSummary summary;
    summary.codeEntropy = entropy(q).mean().item<double>() / logK;
    summary.usageEntropy = entropy(q.mean(0)).item<double>() / logK;
    summary.prototypesUsed = int(std::get<0>(at::_unique(q.argmax(1))).numel());
    return summary;
}

double largestDeviation(const at::Tensor& mass, double target) {
    return (mass.to(at::kDouble) - target).abs().max().item<double>();
}

double LabSinkhorn::columnTarget() const {
    return 1.0 / double(scores.size(1));
}

double LabSinkhorn::rowTarget() const {
    return 1.0 / double(queueRows + scores.size(0));
}

int LabSinkhorn::firstIterationWithin(double relative) const {
    for (int i = 0; i < iterations(); ++i)
        if (columnDeviation[size_t(i)] <= relative * columnTarget() &&
            rowDeviation[size_t(i)] <= relative * rowTarget())
            return i + 1;
    return 0;
}

LabSinkhorn labSinkhorn(const LabBatch& batch, int assignCrop, int64_t queueRows, double epsilon,
                        int iterations) {
    const auto& assign = batch.swapped.assignCrops;
    if (std::find(assign.begin(), assign.end(), assignCrop) == assign.end())
        throw UserError("crop " + std::to_string(assignCrop + 1) + " is not an assignment crop");
    LabSinkhorn out;
    out.scores = batch.cropScores(assignCrop);
    out.queueRows = std::clamp<int64_t>(queueRows, 0, batch.poolScores.size(0));
    const int64_t n = out.queueRows, b = out.scores.size(0);
    // As swavLoss does with its queue: the queue's rows first, only the batch's rows kept.
    const at::Tensor rows =
        n > 0 ? at::cat({batch.poolScores.slice(0, 0, n), out.scores}, 0) : out.scores;
    out.trace = sinkhornTrace(rows, epsilon, iterations);
    for (SinkhornStep& step : out.trace.steps) {
        if (step.kind == SinkhornStep::Kind::Prototypes)
            out.rowDeviation.push_back(largestDeviation(step.sampleMass, out.rowTarget()));
        else if (step.kind == SinkhornStep::Kind::Samples)
            out.columnDeviation.push_back(largestDeviation(step.prototypeMass, out.columnTarget()));
        if (n > 0)
            step.q = step.q.slice(0, n, n + b).contiguous();
    }
    if (n > 0) {
        out.trace.exponentiated = out.trace.exponentiated.slice(0, n, n + b).contiguous();
        out.trace.codes = out.trace.codes.slice(0, n, n + b).contiguous();
    }
    return out;
}

std::vector<int64_t> typicalImages(const LabBatch& batch, int prototype, int count) {
    const auto column = batch.poolScores.select(1, prototype);
    const auto order = std::get<1>(column.topk(std::min<int64_t>(count, column.numel())));
    std::vector<int64_t> images;
    for (int64_t i = 0; i < order.numel(); ++i)
        images.push_back(batch.poolIndices[size_t(order[i].item<int64_t>())]);
    return images;
}

} // namespace swav
