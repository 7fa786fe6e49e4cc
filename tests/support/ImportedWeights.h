#pragma once
// A run of freshly initialised weights, imported as `swav import` does: for tests that need a
// recorded run with a checkpoint without training one.

#include "model/WeightInterop.h"
#include "workflow/ImportRun.h"

#include <string>

namespace swav::test {

/// Saves a new model of `config` (`channels` input channels) to `file` and imports it into
/// `store` (whose file is `database`).
inline Expected<ImportedRun> importFreshWeights(store::RunStore& store, const std::string& database,
                                                const ExperimentConfig& config,
                                                const std::string& file, int channels) {
    SwavModel model(config.model, channels);
    saveStateDict(torchvisionStateDict(model), file);
    ImportRequest request;
    request.file = file;
    request.config = config;
    return importRun(store, database, request);
}

} // namespace swav::test
