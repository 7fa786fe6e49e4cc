#include "cli/Commands.h"

#include "cli/ConfigSource.h"
#include "config/Presets.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace swav::cli {

namespace {

int listPresets() {
    for (const auto& preset : allPresets())
        std::printf("%-32s %s\n", preset.name.c_str(), preset.description.c_str());
    return ExitOk;
}

int printConfig(const ConfigSource& source) {
    ValidationReport warnings;
    auto config = source.load(&warnings);
    if (!config) {
        std::cerr << config.error().message;
        return ExitBadUsage;
    }
    std::cerr << warnings.format();
    std::cout << toJson(*config).dump(2) << "\n";
    return ExitOk;
}

} // namespace

int run(int argc, char** argv) {
    CLI::App app{"swav: SwAV self-supervised training from the command line"};
    app.require_subcommand(1);
    app.set_version_flag("--version", SWAV_VERSION);

    auto* presets = app.add_subcommand("presets", "List the built-in presets");

    ConfigSource configSource;
    auto* config = app.add_subcommand("config", "Print the resolved configuration as JSON");
    configSource.addOptions(*config);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? ExitOk : ExitBadUsage;
    }

    if (presets->parsed())
        return listPresets();
    if (config->parsed())
        return printConfig(configSource);
    return ExitBadUsage;
}

} // namespace swav::cli
