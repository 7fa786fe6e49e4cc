#include "eval/Features.h"
#include "config/DatasetKinds.h"

#include "config/ConfigJson.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"
#include "util/TorchFile.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/utils.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace swav {

namespace fs = std::filesystem;

at::Tensor EvalTransform::apply(const at::Tensor& images) const {
    auto x = images.to(at::kFloat).div_(255.0);
    const int64_t h = x.size(2), w = x.size(3);
    if (side > 0 && (h > side || w > side)) {
        const int64_t top = (h - side) / 2, left = (w - side) / 2;
        x = x.slice(2, top, top + side).slice(3, left, left + side);
    }
    const int64_t channels = x.size(1);
    auto m = at::tensor(mean, at::kDouble).to(x.options()).view({1, channels, 1, 1});
    auto s = at::tensor(std, at::kDouble).to(x.options()).view({1, channels, 1, 1});
    return ((x - m) / s).contiguous();
}

EvalTransform evalTransformFor(const ExperimentConfig& config) {
    EvalTransform t;
    for (const auto& group : config.multicrop.crops)
        t.side = std::max(t.side, group.size);
    const Normalisation normalisation = resolveNormalisation(config);
    t.mean = normalisation.mean;
    t.std = normalisation.std;
    return t;
}

namespace {

std::vector<int64_t> positions(int64_t begin, int64_t end) {
    std::vector<int64_t> out(static_cast<size_t>(end - begin));
    for (int64_t i = begin; i < end; ++i)
        out[static_cast<size_t>(i - begin)] = i;
    return out;
}

} // namespace

FeatureSet extractRows(Dataset& data, int batchSize, const RowFunction& embed,
                       const ProgressCallback& progress) {
    torch::NoGradGuard noGrad;
    const int64_t n = data.size();
    std::vector<std::vector<int64_t>> batches;
    for (int64_t begin = 0; begin < n; begin += batchSize)
        batches.push_back(positions(begin, std::min(n, begin + batchSize)));
    data.prefetch(batches);
    std::vector<at::Tensor> parts;
    int64_t done = 0;
    for (const auto& batch : batches) {
        parts.push_back(embed(data.gather(batch).images).to(at::kCPU, at::kFloat));
        done += static_cast<int64_t>(batch.size());
        if (progress && !progress(done, n))
            throw Cancelled();
    }
    FeatureSet out;
    out.features = parts.empty() ? at::empty({0, 0}) : at::cat(parts, 0);
    out.labels = data.labels();
    return out;
}

FeatureSet extractFeatures(SwavModel& model, Dataset& data, const EvalTransform& transform,
                           int batchSize, at::Device device, const ProgressCallback& progress) {
    const bool wasTraining = model->is_training();
    model->eval();
    struct RestoreMode {
        SwavModel& model;
        bool training;
        ~RestoreMode() { model->train(training); }
    } restore{model, wasTraining};
    return extractRows(
        data, batchSize,
        [&](const at::Tensor& images) {
            return model->trunkFeatures(transform.apply(images.to(device)));
        },
        progress);
}

FeatureSet rawPixelFeatures(Dataset& data, const EvalTransform& transform, int batchSize,
                            const ProgressCallback& progress) {
    return extractRows(
        data, batchSize,
        [&](const at::Tensor& images) {
            auto x = transform.apply(images);
            if (x.size(2) > 32 || x.size(3) > 32)
                x = at::adaptive_avg_pool2d(
                    x, {std::min<int64_t>(32, x.size(2)), std::min<int64_t>(32, x.size(3))});
            return x.flatten(1);
        },
        progress);
}

std::string fileIdentity(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec)
        return {};
    const auto time = fs::last_write_time(path, ec).time_since_epoch().count();
    return std::to_string(size) + ":" + std::to_string(time);
}

namespace {

bool sameLabels(const at::Tensor& cached, const at::Tensor& expected) {
    if (!cached.defined() || !expected.defined())
        return cached.defined() == expected.defined();
    return cached.dim() == 1 && !cached.is_floating_point() && !cached.is_complex() &&
           cached.scalar_type() != at::kBool && cached.size(0) == expected.size(0) &&
           at::equal(cached.to(at::kLong), expected.to(at::kLong));
}

bool hasShape(const at::Tensor& features, const CachedFeaturesShape& shape) {
    return features.dim() == 2 && features.is_floating_point() && features.size(0) == shape.rows &&
           features.size(1) == shape.width && at::isfinite(features).all().item<bool>();
}

} // namespace

bool loadCachedFeatures(const std::string& path, const std::string& key,
                        const CachedFeaturesShape& shape, FeatureSet& out) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return false;
    try {
        const TorchFile file = readTorchFile(path);
        const pickle::Value* storedKey = file.root->find("key");
        const pickle::Value* features = file.root->find("features");
        const pickle::Value* labels = file.root->find("labels");
        if (!storedKey || !storedKey->isString() || storedKey->text != key || !features ||
            features->kind != pickle::Kind::Tensor || !labels ||
            (labels->kind != pickle::Kind::Tensor && labels->kind != pickle::Kind::None))
            return false;
        const at::Tensor& featureTensor = file.tensor(*features);
        const at::Tensor labelTensor =
            labels->kind == pickle::Kind::None ? at::Tensor() : file.tensor(*labels);
        if (!hasShape(featureTensor, shape) || !sameLabels(labelTensor, shape.labels))
            return false;
        out.features = featureTensor.to(at::kFloat);
        out.labels = shape.labels;
        return true;
    } catch (const std::exception&) {
        return false; // a damaged cache is recomputed, never trusted
    }
}

void saveCachedFeatures(const std::string& path, const std::string& key, const FeatureSet& set) {
    c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
    dict.insert("key", key);
    dict.insert("features", set.features);
    dict.insert("labels", set.labels.defined() ? c10::IValue(set.labels) : c10::IValue());
    const auto bytes = torch::jit::pickle_save(dict);
    try {
        writeFileAtomically(path, "feature cache", bytes.data(), bytes.size());
    } catch (const UserError&) {
        // A cache that cannot be written only costs time later.
    }
}

} // namespace swav
