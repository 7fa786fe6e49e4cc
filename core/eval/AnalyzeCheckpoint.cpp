#include "eval/AnalyzeCheckpoint.h"

#include "config/ConfigJson.h"
#include "model/ModelState.h"
#include "train/Checkpoint.h"
#include "train/DeviceSetup.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

Expected<nlohmann::json> analyzeCheckpoint(const std::string& checkpointPath,
                                           const AnalyzeRequest& request,
                                           const ProgressCallback& progress) {
    return catchUserError([&]() -> nlohmann::json {
        torch::NoGradGuard noGrad;
        const auto saved = loadCheckpoint(checkpointPath, request.expectedSha256);
        auto config = loadConfig(saved.configJson, checkpointPath, {});
        if (!config)
            throw UserError(config.error().message);
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

        // What the network predicts for the images shown (gallery and map): the top
        // prototypes of softmax(scores / temperature), as in the swapped prediction.
        std::vector<int64_t> shown(chosen.data_ptr<int64_t>(), chosen.data_ptr<int64_t>() + n);
        for (const auto& cluster : result["gallery"]["clusters"])
            for (const auto& image : cluster["top_images"])
                shown.push_back(image.get<int64_t>());
        std::sort(shown.begin(), shown.end());
        shown.erase(std::unique(shown.begin(), shown.end()), shown.end());
        const auto rows = at::tensor(shown, at::kLong);
        const auto probabilities =
            at::softmax(scores.index_select(0, rows) / config->swav.temperature, 1);
        const auto top = probabilities.topk(std::min<int64_t>(5, probabilities.size(1)), 1);
        const auto topValues = std::get<0>(top).contiguous();
        const auto topIndices = std::get<1>(top).contiguous();
        nlohmann::json codes = nlohmann::json::object();
        for (size_t i = 0; i < shown.size(); ++i) {
            nlohmann::json entries = nlohmann::json::array();
            for (int64_t j = 0; j < topIndices.size(1); ++j)
                entries.push_back({topIndices[int64_t(i)][j].item<int64_t>(),
                                   topValues[int64_t(i)][j].item<float>()});
            codes[std::to_string(shown[i])] = entries;
        }
        result["codes"] = codes;
        result["temperature"] = config->swav.temperature;
        return result;
    });
}

} // namespace swav
