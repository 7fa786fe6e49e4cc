#include "cli/ConfigSource.h"

#include "config/Presets.h"

#include <CLI/CLI.hpp>

namespace swav::cli {

void ConfigSource::addOptions(CLI::App& command) {
    auto* presetOption =
        command.add_option("--preset", preset, "Built-in preset (see `swav presets`)");
    command.add_option("--config", configFile, "JSON configuration file")->excludes(presetOption);
    command.add_option("--set", overrides, "Override a field, e.g. --set swav.epsilon=0.03")
        ->allow_extra_args(false);
}

Expected<ExperimentConfig> ConfigSource::load(ValidationReport* warnings, DataUse data) const {
    if (!configFile.empty())
        return loadConfigFile(configFile, overrides, warnings, data);
    return loadPreset(preset.empty() ? "fashion-mnist" : preset, overrides, warnings, data);
}

} // namespace swav::cli
