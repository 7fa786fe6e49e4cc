#include "cli/ImportCommand.h"

#include "cli/Commands.h"
#include "cli/StoreLink.h"
#include "config/DatasetKinds.h"
#include "store/RunStore.h"
#include "workflow/ImportRun.h"

#include <iostream>

namespace swav::cli {

int runImport(const ImportOptions& options) {
    const std::string database = databaseOrDefault(options.database);
    auto store = store::RunStore::open(database);
    if (!store) {
        std::cerr << store.error().message << "\n";
        return ExitRunFailed;
    }
    ConfigSource source = options.config;
    if (!options.arch.empty()) {
        const auto archOverrides = importArchOverrides(options.arch);
        source.overrides.insert(source.overrides.begin(), archOverrides.begin(),
                                archOverrides.end());
    }
    if (source.preset.empty() && source.configFile.empty())
        source.preset = defaultImportPreset(options.arch);
    auto config = source.load(nullptr, DataUse::Later);
    if (!config) {
        std::cerr << "importing " << options.file << ": " << config.error().message << "\n";
        return ExitBadUsage;
    }
    ImportRequest request;
    request.file = options.file;
    request.config = *config;
    request.config.name = importRunName(options.name, options.file);
    request.preset = source.preset;
    const auto imported = importRun(**store, database, request);
    if (!imported) {
        std::cerr << imported.error().message << "\n";
        return ExitRunFailed;
    }
    std::cout << "run " << imported->runId << " (" << imported->config.name
              << "), imported: " << imported->report.summary() << "\n"
              << "checkpoint " << imported->checkpoint << "\n";
    for (const auto& note : imported->report.notes)
        std::cout << "note: " << note << "\n";
    if (imagesNamed(imported->config.dataset))
        std::cout << "evaluate it with: swav eval --run " << imported->runId << " --knn\n";
    else // weights alone: the images are named when they are needed
        std::cout << "evaluate it with: swav eval --run " << imported->runId
                  << " --knn --set dataset.path=DIR (class folders, with the test images in "
                     "a sibling val/)\n";
    return ExitOk;
}

} // namespace swav::cli
