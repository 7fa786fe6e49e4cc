#include "runtime/Checkpoint.h"

#include "config/ConfigJson.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"

#include "util/Sha256.h"
#include "util/TorchFile.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>

namespace swav {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormatName = "swav-workbench-checkpoint";

c10::Dict<std::string, at::Tensor> toDict(const std::map<std::string, at::Tensor>& tensors) {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : tensors)
        dict.insert(name, tensor.detach().to(at::kCPU).contiguous());
    return dict;
}

// Field readers for an untrusted checkpoint: each names the field and what was expected.
class Fields {
public:
    Fields(const TorchFile& file, const std::string& path)
        : m_file(file)
        , m_path(path) {
        if (m_file.root->kind != pickle::Kind::Dict ||
            !isString(m_file.root->find("format"), kFormatName))
            throw UserError(path + ": not a SwAV Workbench checkpoint");
    }
    const pickle::Value& field(const char* name, pickle::Kind kind, const char* what) const {
        const pickle::Value* value = m_file.root->find(name);
        if (!value || value->kind != kind)
            throw UserError(m_path + ": damaged checkpoint ('" + name + "' should be " + what +
                            ")");
        return *value;
    }
    int64_t integer(const char* name, int64_t min, int64_t max) const {
        const int64_t value = field(name, pickle::Kind::Int, "an integer").integer;
        if (value < min || value > max)
            throw UserError(m_path + ": damaged checkpoint ('" + name + "' is " +
                            std::to_string(value) + ", expected " + std::to_string(min) + " to " +
                            std::to_string(max) + ")");
        return value;
    }
    std::map<std::string, at::Tensor> tensors(const char* name) const {
        return tensorsOf(m_file, field(name, pickle::Kind::Dict, "a dict of tensors"));
    }
    bool has(const char* name) const { return m_file.root->find(name) != nullptr; }

private:
    static bool isString(const pickle::Value* value, const char* text) {
        return value && value->isString() && value->text == text;
    }
    const TorchFile& m_file;
    const std::string& m_path;
};

// The same file may be named by a relative or an absolute path.
std::string recordedDigest(const CheckpointDigests& digests, const std::string& file) {
    if (const auto exact = digests.find(file); exact != digests.end())
        return exact->second;
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(file, ec);
    for (const auto& [path, digest] : digests)
        if (!ec && fs::weakly_canonical(path, ec) == canonical)
            return digest;
    return {};
}

void checkDigest(const std::string& path, const std::string& expectedSha256) {
    if (expectedSha256.empty())
        return;
    if (sha256OfFile(path) != expectedSha256)
        throw UserError(path + ": the checkpoint changed since it was written (its SHA-256 "
                               "differs from the one in the run database)");
}

} // namespace

void saveCheckpoint(const CheckpointState& s, const std::string& path) {
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("format", std::string(kFormatName));
    root.insert("format_version", int64_t(kCheckpointFormatVersion));
    root.insert("config", s.configJson);
    root.insert("epoch", int64_t(s.epoch));
    root.insert("step_in_epoch", s.stepInEpoch);
    root.insert("iteration", s.iteration);
    root.insert("model", toDict(s.model));
    root.insert("optimizer", toDict(s.optimizer));
    root.insert("queue",
                s.queue.defined() ? c10::IValue(s.queue.detach().to(at::kCPU)) : c10::IValue());
    root.insert("queue_filled", s.queueFilled);
    root.insert("epoch_accumulators", toDict(s.epochAccumulators));
    root.insert("loss_scale", s.lossScale);
    root.insert("world_size", int64_t(s.worldSize));

    const std::vector<char> bytes = torch::jit::pickle_save(root);
    writeFileAtomically(path, "checkpoint", bytes.data(), bytes.size());
}

CheckpointState loadCheckpoint(const std::string& path, const std::string& expectedSha256) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw UserError(path + ": cannot open the checkpoint (" +
                        (fs::exists(path, ec) ? "not a file" : "no such file") + ")");
    checkDigest(path, expectedSha256);
    const TorchFile file = readTorchFile(path);
    const Fields f(file, path);
    const int64_t version = f.integer("format_version", 0, std::numeric_limits<int>::max());
    if (version != kCheckpointFormatVersion)
        throw UserError(path + ": checkpoint format version " + std::to_string(version) +
                        " is not supported (this program reads version " +
                        std::to_string(kCheckpointFormatVersion) + ")");
    constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max() / 4;
    CheckpointState s;
    s.configJson = f.field("config", pickle::Kind::String, "a string").text;
    s.epoch = static_cast<int>(f.integer("epoch", 0, std::numeric_limits<int>::max()));
    s.stepInEpoch = f.integer("step_in_epoch", 0, kMaxCount);
    s.iteration = f.integer("iteration", 0, kMaxCount);
    s.model = f.tensors("model");
    s.optimizer = f.tensors("optimizer");
    const pickle::Value* queue = file.root->find("queue");
    if (queue && queue->kind == pickle::Kind::Tensor)
        s.queue = file.tensor(*queue);
    else if (queue && queue->kind != pickle::Kind::None)
        throw UserError(path + ": damaged checkpoint ('queue' should be a tensor or None)");
    s.queueFilled = f.integer("queue_filled", 0, kMaxCount);
    if (s.queueFilled > 0 &&
        (!s.queue.defined() || s.queue.dim() != 3 || s.queueFilled > s.queue.size(1)))
        throw UserError(path + ": damaged checkpoint ('queue_filled' exceeds the queue)");
    s.epochAccumulators = f.tensors("epoch_accumulators");
    s.lossScale = f.field("loss_scale", pickle::Kind::Float, "a number").real;
    if (!std::isfinite(s.lossScale) || s.lossScale < 0)
        throw UserError(path + ": damaged checkpoint ('loss_scale' is not a finite number >= 0)");
    if (file.root->find("world_size"))
        s.worldSize = static_cast<int>(f.integer("world_size", 1, 1 << 20));
    return s;
}

Expected<LoadedCheckpoint> loadNewestCheckpoint(const std::string& checkpointOrRunDir,
                                                const CheckpointDigests& digests,
                                                std::vector<std::string>* skipped) {
    std::error_code ec;
    auto load = [&](const std::string& file) {
        return LoadedCheckpoint{file, loadCheckpoint(file, recordedDigest(digests, file))};
    };
    if (fs::is_regular_file(checkpointOrRunDir, ec))
        return catchUserError([&] { return load(checkpointOrRunDir); });
    if (!fs::is_directory(checkpointOrRunDir, ec))
        return Error{checkpointOrRunDir + ": no such checkpoint file or run folder"};
    const auto files = listCheckpoints(checkpointOrRunDir);
    if (files.empty())
        return Error{checkpointOrRunDir + ": the run folder has no checkpoint"};
    // A damaged newest checkpoint should not cost the run: fall back to the newest good one.
    // The ones skipped are told only when an older one is then used.
    std::string problems;
    std::vector<std::string> passedOver;
    for (auto file = files.rbegin(); file != files.rend(); ++file) {
        try {
            LoadedCheckpoint loaded = load(*file);
            if (skipped)
                for (const std::string& problem : passedOver)
                    skipped->push_back(problem + "; using an older checkpoint");
            return loaded;
        } catch (const UserError& e) {
            passedOver.push_back(e.what());
            problems += std::string("\n  ") + e.what();
        }
    }
    return Error{checkpointOrRunDir + ": no readable checkpoint:" + problems};
}

Expected<ExperimentConfig> configFromCheckpoint(const std::string& checkpointOrRunDir) {
    auto loaded = loadNewestCheckpoint(checkpointOrRunDir);
    if (!loaded)
        return loaded.error();
    return catchUserError([&]() -> ExperimentConfig {
        auto config =
            loadConfig(loaded->state.configJson, loaded->path, {}, nullptr, DataUse::Later);
        if (!config)
            throw UserError(config.error().message);
        return *config;
    });
}

} // namespace swav
