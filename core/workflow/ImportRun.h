#pragma once
// Released weights become a run: a state dict (the authors' SwAV release, a torchvision ResNet,
// or this program's export) is loaded into the model of a configuration, written as the first
// checkpoint of a new run folder, and recorded in the run database with status "imported", so
// that evaluation, analysis, the cluster views and the lab work on it as on a trained run.

#include "config/ExperimentConfig.h"
#include "model/WeightInterop.h"
#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav {

namespace store {
class RunStore;
}

struct ImportRequest {
    std::string file;        // the weights
    ExperimentConfig config; // the configuration they belong to; its name is the run's
    std::string preset;      // recorded with the run ("" = none)
};

struct ImportedRun {
    int64_t runId = 0;
    std::string runDir;
    std::string checkpoint;
    ImportReport report;
    ExperimentConfig config;
};

/// The preset an architecture's weights are imported with when none is named: the paper's
/// ImageNet setup (ImageNet stem, 3 channels, its head and prototypes) for the ResNets, as
/// torchvision and the authors release them; Fashion-MNIST for a custom trunk.
std::string defaultImportPreset(const std::string& arch);

/// Overrides for weights of an architecture named on its own (`swav import --arch A`): that
/// trunk as torchvision and the SwAV releases have it, without the feature layer a preset may add.
/// Put them before the user's own overrides, which may still change either field.
std::vector<std::string> importArchOverrides(const std::string& arch);

/// The run name of imported weights: `name`, or the weights file's name without its weight-file
/// extensions (.pth.tar, .pt, .ckpt, ...).
std::string importRunName(const std::string& name, const std::string& file);

/// A preset's configuration for imported weights: `overrides` applied, the run named `name`
/// or, when empty, after the weights file.
Expected<ExperimentConfig> importConfig(const std::string& preset,
                                        const std::vector<std::string>& overrides,
                                        const std::string& name, const std::string& file);

/// Imports `request.file` into a new run of `store` (whose file is at `databasePath`). Nothing
/// is recorded, and the new folder is removed again, when the weights do not fit the model.
Expected<ImportedRun> importRun(store::RunStore& store, const std::string& databasePath,
                                const ImportRequest& request);

} // namespace swav
