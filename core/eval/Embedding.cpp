#include "eval/Embedding.h"

#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "eval/Evaluation.h"
#include "model/ModelState.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"
#include "swav/SwavLoss.h"
#include "util/AtomicFile.h"
#include "util/Npy.h"
#include "util/OutputTarget.h"
#include "util/Strings.h"

#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <sstream>

namespace swav {

namespace fs = std::filesystem;

std::optional<EmbedOutput> parseEmbedOutput(const std::string& text) {
    for (EmbedOutput o :
         {EmbedOutput::Features, EmbedOutput::Embeddings, EmbedOutput::Scores, EmbedOutput::Codes})
        if (text == toString(o))
            return o;
    return std::nullopt;
}

const char* toString(EmbedOutput output) {
    switch (output) {
    case EmbedOutput::Features:
        return "features";
    case EmbedOutput::Embeddings:
        return "embeddings";
    case EmbedOutput::Scores:
        return "scores";
    case EmbedOutput::Codes:
        return "codes";
    }
    return "features";
}

namespace {

/// Colour images for a grey network and the other way round; uint8 stays uint8 so that the
/// evaluation transform sees what it always sees.
at::Tensor matchChannels(const at::Tensor& images, int channels) {
    if (images.size(1) == channels)
        return images;
    if (channels == 1 && images.size(1) == 3) {
        // ITU-R BT.601 luma, as OpenCV's grey conversion.
        const auto rgb = images.to(at::kFloat);
        const auto grey =
            0.299 * rgb.select(1, 0) + 0.587 * rgb.select(1, 1) + 0.114 * rgb.select(1, 2);
        return grey.round().clamp(0, 255).to(at::kByte).unsqueeze(1);
    }
    if (channels == 3 && images.size(1) == 1)
        return images.expand({images.size(0), 3, images.size(2), images.size(3)}).contiguous();
    throw UserError("images have " + std::to_string(images.size(1)) +
                    " channels; the network takes " + std::to_string(channels));
}

std::string numbers(const std::vector<double>& values) {
    std::ostringstream out;
    out << std::setprecision(4);
    for (size_t i = 0; i < values.size(); ++i)
        out << (i ? ", " : "") << values[i];
    return out.str();
}

std::string describeTransform(const EvalTransform& t, int height, int width) {
    std::string text = "values / 255";
    if (t.side > 0 && (height > t.side || width > t.side))
        text += ", centre " + std::to_string(t.side) + " x " + std::to_string(t.side) + " crop";
    return text + ", normalised with mean (" + numbers(t.mean) + ") and std (" + numbers(t.std) +
           ")";
}

struct Source {
    std::shared_ptr<Dataset> data;
    int networkChannels = 0;
    std::string preprocessing;
};

Source openSource(const EmbedRequest& request, const ExperimentConfig& config,
                  const EvalTransform& transform) {
    Source s;
    if (request.imagesFolder.empty()) {
        if (request.split != "train" && request.split != "test")
            throw UserError("--dataset " + request.split + ": expected train or test");
        const EvaluationSplits splits = openEvaluationSplits(config.dataset);
        s.data = request.split == "train" ? splits.train : splits.test;
        s.networkChannels = s.data->channels();
        s.preprocessing = "the run's " + request.split + " images as stored (" +
                          std::to_string(s.data->height()) + " x " +
                          std::to_string(s.data->width()) + "), " +
                          describeTransform(transform, s.data->height(), s.data->width()) +
                          ": the evaluation's preprocessing";
        return s;
    }
    const int side = datasetImageSide(config.dataset);
    s.data = openImageFolder(request.imagesFolder, side, config.dataset.prefetchImages,
                             config.dataset.decodeThreads);
    s.networkChannels =
        config.model.inChannels > 0 ? config.model.inChannels : datasetChannels(config.dataset);
    s.preprocessing = "each file decoded as RGB, shorter side scaled to " + std::to_string(side) +
                      " px (area averaging when shrinking, bilinear when enlarging; images "
                      "already " +
                      std::to_string(side) + " x " + std::to_string(side) +
                      " are not resized), centre " + std::to_string(side) + " x " +
                      std::to_string(side) + " square, ";
    if (s.networkChannels == 1)
        s.preprocessing += "grey = 0.299 R + 0.587 G + 0.114 B, ";
    s.preprocessing += describeTransform(transform, side, side);
    return s;
}

} // namespace

Expected<EmbedResult> embedImages(const EmbedRequest& request, const ProgressCallback& progress) {
    return catchUserError([&]() -> EmbedResult {
        const auto saved = loadCheckpoint(request.checkpoint, request.expectedSha256);
        auto parsed = loadConfig(saved.configJson, request.checkpoint, {}, nullptr, DataUse::Later);
        if (!parsed)
            throw UserError(parsed.error().message);
        const ExperimentConfig& config = *parsed;
        RuntimeConfig runtime = config.runtime;
        runtime.device = request.device;
        runtime.precision = "auto";
        const at::Device device = setUpDevice(runtime).device;

        const EvalTransform transform = evalTransformFor(config);
        Source source = openSource(request, config, transform);
        SwavModel model(config.model, source.networkChannels);
        loadModelState(*model, saved.model, request.checkpoint);
        model->to(device);
        model->eval();
        model->normalizePrototypes(); // as before every training step

        const bool codes = request.what == EmbedOutput::Codes;
        int batch = request.batchSize > 0
                        ? request.batchSize
                        : (codes ? config.optim.batchSize : config.eval.featureBatchSize);
        batch = std::max(1, batch);
        const int channels = source.networkChannels;
        const RowFunction rows = [&](const at::Tensor& images) {
            const at::Tensor x = transform.apply(matchChannels(images, channels).to(device));
            const at::Tensor features = model->trunkFeatures(x);
            if (request.what == EmbedOutput::Features)
                return features;
            const at::Tensor embeddings = model->embed(features);
            if (request.what == EmbedOutput::Embeddings)
                return embeddings;
            const at::Tensor scores = model->prototypes()(embeddings);
            if (!codes)
                return scores;
            // Codes of each batch, as a training step computes them (no queue).
            return assignmentCodes(scores, config.swav);
        };
        FeatureSet set;
        try {
            set = extractRows(*source.data, batch, rows, progress);
        } catch (const Cancelled&) {
            throw UserError("cancelled");
        }

        // An array of NaN is no result: say so rather than write it.
        const int64_t broken = set.features.numel() == 0
                                   ? 0
                                   : (~at::isfinite(set.features)).any(1).sum().item<int64_t>();
        if (broken > 0)
            throw UserError(request.checkpoint + ": the network gives NaN or infinite values for " +
                            std::to_string(broken) + " of " + std::to_string(set.features.size(0)) +
                            " images; its weights hold NaN or infinity, or overflow");
        EmbedResult result;
        result.values = set.features.contiguous();
        result.source = source.data->description();
        result.preprocessing = source.preprocessing;
        if (codes && config.swav.assignment == "softmax")
            result.preprocessing += "; codes: softmax(score / " + numbers({config.swav.epsilon}) +
                                    ") per image, as the run's swav.assignment";
        else if (codes)
            result.preprocessing += "; codes: Sinkhorn (epsilon " + numbers({config.swav.epsilon}) +
                                    ", " + std::to_string(config.swav.sinkhornIterations) +
                                    " iterations) over consecutive batches of " +
                                    std::to_string(batch) +
                                    " rows of this process, as in a training step of one process "
                                    "without its queue (--batch sets the rows)";
        result.classNames = source.data->classNames();
        const int64_t n = source.data->size();
        for (int64_t i = 0; i < n; ++i) {
            result.names.push_back(source.data->itemName(i));
            result.replaced.push_back(source.data->replacedByStandIn(i));
        }
        if (set.labels.defined()) {
            const at::Tensor labels = set.labels.to(at::kLong).contiguous();
            result.labels.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
        } else {
            result.labels.assign(size_t(n), -1);
        }
        return result;
    });
}

std::string embedNamesFile(const std::string& npyFile) {
    fs::path path(npyFile);
    return path.replace_extension(".csv").string();
}

void checkEmbeddingOutputs(const std::string& npyFile, bool overwrite) {
    if (fs::path(npyFile).extension() != ".npy")
        throw UserError(npyFile + ": expected a file name ending in .npy");
    for (const std::string& file : {npyFile, embedNamesFile(npyFile)})
        checkOutputTarget(file, overwrite);
}

void writeEmbedding(const EmbedResult& result, const std::string& npyFile, bool overwrite) {
    checkEmbeddingOutputs(npyFile, overwrite);
    const std::string csvFile = embedNamesFile(npyFile);
    const at::Tensor values = result.values.to(at::kFloat).contiguous();
    writeNpyFloat32(npyFile, values.data_ptr<float>(), {values.size(0), values.size(1)});
    writeFileAtomically(csvFile, "row names", [&](std::ostream& out) {
        out << "row,name,label,class,replaced\n";
        for (size_t i = 0; i < result.names.size(); ++i) {
            const int64_t label = result.labels[i];
            const std::string className = label >= 0 && size_t(label) < result.classNames.size()
                                              ? result.classNames[size_t(label)]
                                              : std::string();
            out << i << ',' << csvField(result.names[i]) << ',' << label << ','
                << csvField(className) << ',' << (result.replaced[i] ? 1 : 0) << '\n';
        }
    });
}

} // namespace swav
