#pragma once
// The --preset / --config / --set options shared by several sub-commands.

#include "config/ConfigJson.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace swav::cli {

class ConfigSource {
public:
    void addOptions(CLI::App& command);
    /// The configuration the options describe (default preset when neither is given).
    Expected<ExperimentConfig> load(ValidationReport* warnings = nullptr,
                                    DataUse data = DataUse::Now) const;

    std::string preset;
    std::string configFile;
    std::vector<std::string> overrides;
};

} // namespace swav::cli
