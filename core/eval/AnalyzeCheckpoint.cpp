#include "eval/AnalyzeCheckpoint.h"

#include "swav/Sinkhorn.h"

#include "config/ConfigJson.h"
#include "model/ModelState.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

namespace {

/// {"image": [[prototype, probability] x 5]} for the rows of `distributions` (one per image).
nlohmann::json topPrototypes(const at::Tensor& distributions, const std::vector<int64_t>& images) {
    const auto top = distributions.topk(std::min<int64_t>(5, distributions.size(1)), 1);
    const auto values = std::get<0>(top).contiguous();
    const auto indices = std::get<1>(top).contiguous();
    nlohmann::json out = nlohmann::json::object();
    for (size_t i = 0; i < images.size(); ++i) {
        nlohmann::json entries = nlohmann::json::array();
        for (int64_t j = 0; j < indices.size(1); ++j)
            entries.push_back(
                {indices[int64_t(i)][j].item<int64_t>(), values[int64_t(i)][j].item<float>()});
        out[std::to_string(images[i])] = entries;
    }
    return out;
}

} // namespace

Expected<nlohmann::json> analyzeCheckpoint(const std::string& checkpointPath,
                                           const AnalyzeRequest& request,
                                           const ProgressCallback& progress) {
    return catchUserError([&]() -> nlohmann::json {
        torch::NoGradGuard noGrad;
        const auto saved = loadCheckpoint(checkpointPath, request.expectedSha256);
        auto config = loadConfig(saved.configJson, checkpointPath, {}, nullptr, DataUse::Later);
        if (!config)
            throw UserError(config.error().message);
        if (request.dataset)
            config->dataset = *request.dataset;
        RuntimeConfig runtime = config->runtime;
        runtime.device = request.device;
        runtime.precision = "auto";
        const auto device = setUpDevice(runtime).device;

        DatasetConfig dataConfig = config->dataset;
        dataConfig.subset = 0;
        dataConfig.holdout = 0;
        auto split = openDataset(dataConfig);
        if (!split)
            throw UserError(split.error().message);
        Dataset& data = *split->train;

        SwavModel model(config->model, data.channels());
        loadModelState(*model, saved.model, checkpointPath);
        model->to(device);
        const auto transform = evalTransformFor(*config);
        const auto features = extractFeatures(model, data, transform, config->eval.featureBatchSize,
                                              device, progress);
        const auto prototypes = model->prototypes()->weight.detach().to(at::kCPU);
        // Scores in chunks: the head runs on the device, the rest stays small.
        std::vector<at::Tensor> embeddingParts;
        model->eval();
        for (int64_t begin = 0; begin < features.features.size(0); begin += 4096) {
            const auto block = features.features.slice(0, begin, begin + 4096).to(device);
            embeddingParts.push_back(model->embed(block).to(at::kCPU));
        }
        const auto embeddings = at::cat(embeddingParts, 0);
        const auto scores = at::mm(embeddings, prototypes.t());
        const auto assigned = scores.argmax(1);

        nlohmann::json result;
        result["checkpoint"] = checkpointPath;
        result["config"] = toJson(*config);
        result["class_names"] = data.classNames();
        result["gallery"] =
            toJson(clusterGallery(scores, features.labels, request.galleryTop), data.classNames());
        result["prototype_health"] = toJson(prototypeHealth(prototypes, assigned));

        auto generator = at::make_generator<at::CPUGeneratorImpl>(request.seed);
        const int64_t n = std::min<int64_t>(request.projectionImages, features.features.size(0));
        const auto chosen =
            at::randperm(features.features.size(0), generator, at::kLong).slice(0, 0, n);
        const auto space = request.space == "embeddings" ? embeddings : features.features;
        Projection projection = pcaProjection(space.index_select(0, chosen));
        projection.indices = chosen;
        if (features.labels.defined())
            projection.labels = features.labels.index_select(0, chosen);
        projection.prototypes = assigned.index_select(0, chosen);
        result["projection"] = toJson(projection);
        result["projection"]["space"] = request.space;

        // For the images shown (gallery and map): the top prototypes of the prediction,
        // softmax(scores / temperature), and of the Sinkhorn code, computed over the shown
        // images as one batch (the equal partition needs a batch to spread over).
        std::vector<int64_t> shown(chosen.data_ptr<int64_t>(), chosen.data_ptr<int64_t>() + n);
        for (const auto& cluster : result["gallery"]["clusters"])
            for (const auto& image : cluster["top_images"])
                shown.push_back(image.get<int64_t>());
        std::sort(shown.begin(), shown.end());
        shown.erase(std::unique(shown.begin(), shown.end()), shown.end());
        const auto shownScores = scores.index_select(0, at::tensor(shown, at::kLong));
        result["predictions"] =
            topPrototypes(at::softmax(shownScores / config->swav.temperature, 1), shown);
        result["codes"] = topPrototypes(
            sinkhornCodes(shownScores, config->swav.epsilon, config->swav.sinkhornIterations),
            shown);
        result["codes_batch"] = static_cast<int64_t>(shown.size());
        result["epsilon"] = config->swav.epsilon;
        result["temperature"] = config->swav.temperature;
        return result;
    });
}

} // namespace swav
