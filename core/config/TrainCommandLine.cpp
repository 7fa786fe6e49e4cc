#include "config/TrainCommandLine.h"

#include "config/ConfigJson.h"
#include "config/Presets.h"

#include <nlohmann/json.hpp>

#include <cctype>

namespace swav {

namespace {

using nlohmann::json;

/// The preset's configuration, unvalidated (a preset may need a path the user gives).
json presetJson(const std::string& name) {
    const auto preset = findPreset(name);
    if (!preset)
        throw UserError("unknown preset '" + name + "'");
    ValidationReport ignored;
    ExperimentConfig config = configFromJson(json::parse(preset->json), ignored);
    if (config.name.empty())
        config.name = name; // as loadPreset names it
    return toJson(config);
}

/// Walks both documents; emits "path=value" where they differ.
void collect(const json& base, const json& target, const std::string& path,
             std::vector<std::string>& out) {
    const bool sameShape = base.type() == target.type() &&
                           (!target.is_array() || base.size() == target.size()) &&
                           (target.is_object() || target.is_array());
    if (sameShape && target.is_object()) {
        for (const auto& [key, value] : target.items())
            collect(base.contains(key) ? base.at(key) : json(), value,
                    path.empty() ? key : path + "." + key, out);
        return;
    }
    if (sameShape && target.is_array()) {
        for (size_t i = 0; i < target.size(); ++i)
            collect(base[i], target[i], path + "." + std::to_string(i), out);
        return;
    }
    if (base == target)
        return;
    // Strings are given bare (the override reads non-JSON text as a string), unless the text
    // would parse as JSON of another type ("true", "3").
    if (target.is_string()) {
        const std::string text = target.get<std::string>();
        // ...or has spaces at either end, which the override trims.
        const bool ambiguous = json::accept(text) || text.empty() ||
                               std::isspace(static_cast<unsigned char>(text.front())) ||
                               std::isspace(static_cast<unsigned char>(text.back()));
        out.push_back(path + "=" + (ambiguous ? target.dump() : text));
    } else {
        out.push_back(path + "=" + target.dump());
    }
}

std::string shellQuoted(const std::string& word) {
    const bool plain = !word.empty() &&
                       word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_./=:,+-@%") == std::string::npos;
    if (plain)
        return word;
    std::string quoted = "'";
    for (char c : word)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

} // namespace

std::vector<std::string> overridesFromPreset(const ExperimentConfig& config,
                                             const std::string& preset) {
    std::vector<std::string> out;
    collect(presetJson(preset), toJson(config), "", out);
    return out;
}

std::string trainCommandLine(const ExperimentConfig& config, const std::string& preset) {
    std::string line = "swav train --preset " + shellQuoted(preset);
    for (const auto& assignment : overridesFromPreset(config, preset))
        line += " --set " + shellQuoted(assignment);
    return line;
}

} // namespace swav
