#include "workflow/ImportRun.h"

#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "config/Presets.h"
#include "model/ModelState.h"
#include "model/SwavModel.h"
#include "runtime/Checkpoint.h"
#include "store/RunStore.h"
#include "util/Sha256.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace swav {

namespace {

/// The weights in a model of `config`, or a UserError saying why they do not fit.
std::map<std::string, at::Tensor> importedWeights(const ExperimentConfig& config,
                                                  const std::string& file, ImportReport& report) {
    const auto dict = loadStateDict(file);
    at::manual_seed(static_cast<uint64_t>(config.runtime.seed)); // parts the file lacks
    SwavModel model(config.model, datasetChannels(config.dataset));
    report = importWeights(model, dict, file);
    std::map<std::string, at::Tensor> state;
    for (const auto& [name, tensor] : modelState(*model))
        state[name] = tensor.detach().clone();
    return state;
}

} // namespace

std::string defaultImportPreset(const std::string& arch) {
    // torchvision's ResNets (and the authors' ResNet-50) have the ImageNet stem and 3 channels.
    return arch.empty() || startsWith(arch, "resnet") ? "imagenet-resnet50-800ep" : "fashion-mnist";
}

std::vector<std::string> importArchOverrides(const std::string& arch) {
    return {"model.arch=" + arch, "model.feature_width=0"};
}

std::string importRunName(const std::string& name, const std::string& file) {
    if (!name.empty())
        return name;
    // swav_800ep_pretrain.pth.tar names the run swav_800ep_pretrain.
    std::filesystem::path stem = std::filesystem::path(file).stem();
    for (const char* extension : {".pth", ".pt", ".ckpt", ".pkl", ".bin"})
        if (stem.extension() == extension && !stem.stem().empty())
            stem = stem.stem();
    return stem.string();
}

Expected<ExperimentConfig> importConfig(const std::string& preset,
                                        const std::vector<std::string>& overrides,
                                        const std::string& name, const std::string& file) {
    // Weights need no images: the commands and panels that read images ask for them.
    auto config = loadPreset(preset, overrides, nullptr, DataUse::Later);
    if (!config)
        return Error{"importing " + file + " with preset " + preset + ": " +
                     config.error().message};
    config->name = importRunName(name, file);
    return config;
}

Expected<ImportedRun> importRun(store::RunStore& store, const std::string& databasePath,
                                const ImportRequest& request) {
    return catchUserError([&] {
        ImportedRun out;
        out.config = request.config;
        if (hasControlCharacters(out.config.name))
            throw UserError("the run name '" + printable(out.config.name) +
                            "' holds line breaks, tabs or escape sequences; a run name is one line "
                            "of text");
        // Checked before anything is made on disk or in the database.
        const auto weights = importedWeights(out.config, request.file, out.report);

        auto folder = store::newRunFolder(databasePath, out.config.name);
        if (!folder)
            throw UserError(folder.error().message);
        try {
            out.runDir = folder->path;
            out.checkpoint = checkpointPath(folder->path, 0, 0);
            CheckpointState state;
            state.configJson = toJson(out.config).dump();
            state.model = weights;
            saveCheckpoint(state, out.checkpoint);
            const auto bytes = static_cast<int64_t>(std::filesystem::file_size(out.checkpoint));
            const std::string digest = sha256OfFile(out.checkpoint);
            out.runId = store.createRun(store::newRunFor(out.config, request.preset, *folder));
            store.addCheckpoint(out.runId, 0, 0, out.checkpoint, bytes, digest);
            store.addRunFiles(out.runId, {out.checkpoint});
            store.setStatus(out.runId, store::RunState::Imported,
                            "imported from " + request.file + ": " + out.report.summary());
        } catch (...) {
            // Nothing half-made stays behind: the record (with its files) or the folder.
            if (out.runId != 0) {
                try {
                    store.deleteRun(out.runId);
                } catch (const std::exception&) {
                }
            }
            std::error_code ignored;
            std::filesystem::remove(out.checkpoint, ignored);
            store::releaseRunFolder(*folder);
            throw;
        }
        return out;
    });
}

} // namespace swav
