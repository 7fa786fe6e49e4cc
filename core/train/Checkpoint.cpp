#include "train/Checkpoint.h"

#include "util/AtomicFile.h"
#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

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

std::map<std::string, at::Tensor> fromDict(const c10::IValue& value) {
    std::map<std::string, at::Tensor> out;
    for (const auto& entry : value.toGenericDict())
        out[entry.key().toStringRef()] = entry.value().toTensor();
    return out;
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

    const std::vector<char> bytes = torch::pickle_save(root);
    writeFileAtomically(path, "checkpoint", bytes.data(), bytes.size());
}

CheckpointState loadCheckpoint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UserError(path + ": cannot open the checkpoint");
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    c10::IValue value;
    try {
        value = torch::pickle_load(bytes);
    } catch (const std::exception&) {
        throw UserError(path + ": not a readable checkpoint (the file is corrupt or truncated)");
    }
    try {
        if (!value.isGenericDict())
            throw UserError("");
        const auto root = value.toGenericDict();
        if (!root.contains("format") || root.at("format").toStringRef() != kFormatName)
            throw UserError("");
        const auto version = root.at("format_version").toInt();
        if (version != kCheckpointFormatVersion)
            throw UserError(path + ": checkpoint format version " + std::to_string(version) +
                            " is not supported (this program reads version " +
                            std::to_string(kCheckpointFormatVersion) + ")");
        CheckpointState s;
        s.configJson = root.at("config").toStringRef();
        s.epoch = static_cast<int>(root.at("epoch").toInt());
        s.stepInEpoch = root.at("step_in_epoch").toInt();
        s.iteration = root.at("iteration").toInt();
        s.model = fromDict(root.at("model"));
        s.optimizer = fromDict(root.at("optimizer"));
        if (!root.at("queue").isNone())
            s.queue = root.at("queue").toTensor();
        s.queueFilled = root.at("queue_filled").toInt();
        s.epochAccumulators = fromDict(root.at("epoch_accumulators"));
        s.lossScale = root.at("loss_scale").toDouble();
        return s;
    } catch (const UserError& e) {
        if (std::string(e.what()).empty())
            throw UserError(path + ": not a SwAV Workbench checkpoint");
        throw;
    } catch (const std::exception&) {
        throw UserError(path + ": not a SwAV Workbench checkpoint (missing or mistyped fields)");
    }
}

std::vector<std::string> listCheckpoints(const std::string& runDir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(runDir) / "checkpoints", ec)) {
        const auto name = entry.path().filename().string();
        // Only our own names: caches and other files may sit beside the checkpoints.
        if (name.rfind("epoch-", 0) == 0 && entry.path().extension() == ".pt")
            files.push_back(entry.path().string());
    }
    // Zero-padded names sort chronologically.
    std::sort(files.begin(), files.end());
    return files;
}

std::string runDirOfCheckpoint(const std::string& checkpoint) {
    const fs::path folder = fs::absolute(checkpoint).lexically_normal().parent_path();
    return folder.filename() == "checkpoints" ? folder.parent_path().string() : std::string();
}

std::string checkpointPath(const std::string& runDir, int epoch, int64_t iteration) {
    char name[64];
    std::snprintf(name, sizeof name, "epoch-%04d-step-%09lld.pt", epoch,
                  static_cast<long long>(iteration));
    return (fs::path(runDir) / "checkpoints" / name).string();
}

std::vector<std::string> pruneCheckpoints(const std::string& runDir, int keep) {
    auto files = listCheckpoints(runDir);
    std::vector<std::string> removed;
    std::error_code ec;
    const auto endsWith = [](const std::string& text, const std::string& tail) {
        return text.size() >= tail.size() &&
               text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
    };
    for (size_t i = 0; i + static_cast<size_t>(keep) < files.size(); ++i) {
        if (fs::remove(files[i], ec))
            removed.push_back(files[i]);
        // Its feature caches ("<checkpoint>.train.features", ...) go with it; other files
        // that happen to share the prefix stay.
        const auto prefix = fs::path(files[i]).filename().string() + ".";
        std::vector<fs::path> derived;
        for (const auto& entry : fs::directory_iterator(fs::path(files[i]).parent_path(), ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind(prefix, 0) == 0 && endsWith(name, ".features"))
                derived.push_back(entry.path());
        }
        for (const auto& path : derived)
            if (fs::remove(path, ec))
                removed.push_back(path.string());
    }
    return removed;
}

} // namespace swav
