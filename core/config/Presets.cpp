#include "config/Presets.h"

#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace swav {

namespace {

std::string stringField(const nlohmann::json& parsed, const char* key) {
    if (parsed.is_object() && parsed.contains(key) && parsed[key].is_string())
        return parsed[key].get<std::string>();
    return {};
}

/// A preset file's text as a Preset: the lesson is the preset's, not part of the configuration.
Preset presetOf(const std::string& name, const std::string& text) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    Preset preset{name, stringField(parsed, "description"), stringField(parsed, "lesson"), text};
    if (parsed.is_object() && parsed.contains("lesson")) {
        parsed.erase("lesson");
        preset.json = parsed.dump(2);
    }
    return preset;
}

} // namespace

std::vector<Preset> allPresets() {
    std::map<std::string, std::string> texts;
    for (const auto& [name, text] : detail::embeddedPresetTexts())
        texts[name] = text;
    if (const char* dir = std::getenv("SWAV_PRESETS_DIR")) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            if (entry.path().extension() != ".json")
                continue;
            std::ifstream file(entry.path());
            std::stringstream text;
            text << file.rdbuf();
            texts[entry.path().stem().string()] = text.str();
        }
    }
    std::vector<Preset> presets;
    for (const auto& [name, text] : texts)
        presets.push_back(presetOf(name, text));
    return presets;
}

std::optional<Preset> findPreset(const std::string& name) {
    for (auto& preset : allPresets())
        if (preset.name == name)
            return preset;
    return std::nullopt;
}

Expected<ExperimentConfig> loadPreset(const std::string& name,
                                      const std::vector<std::string>& overrides,
                                      ValidationReport* warnings, DataUse data) {
    const auto preset = findPreset(name);
    if (!preset) {
        std::vector<std::string> names;
        for (const auto& p : allPresets())
            names.push_back(p.name);
        return Error{"unknown preset '" + name + "'" + didYouMean(name, names) +
                     "; available: " + joinAlternatives(names)};
    }
    auto config = loadConfig(preset->json, "preset " + name, overrides, warnings, data);
    if (config && config->name.empty())
        config->name = name;
    return config;
}

} // namespace swav
