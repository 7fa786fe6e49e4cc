#pragma once
// Named experiment presets, compiled in from experiments/presets/*.json.

#include "config/ConfigJson.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace swav {

struct Preset {
    std::string name;        // file name without .json
    std::string description; // the preset's "description" field
    std::string lesson;      // teaching presets: what to watch (the "lesson" field), else ""
    std::string json;        // the configuration (a partial config over the defaults)
};

/// All presets, sorted by name. $SWAV_PRESETS_DIR, when set, adds or replaces presets.
std::vector<Preset> allPresets();

std::optional<Preset> findPreset(const std::string& name);

/// Loads a preset with overrides; an unknown name lists the available ones.
Expected<ExperimentConfig> loadPreset(const std::string& name,
                                      const std::vector<std::string>& overrides,
                                      ValidationReport* warnings = nullptr,
                                      DataUse data = DataUse::Now);

namespace detail {
const std::vector<std::pair<std::string, std::string>>& embeddedPresetTexts();
}

} // namespace swav
