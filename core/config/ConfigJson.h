#pragma once
// JSON form of ExperimentConfig, validation and `--set key=value` overrides.

#include "config/ExperimentConfig.h"
#include "util/Expected.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace swav {

/// Largest configuration file read (bytes): presets are about 2 KiB.
constexpr long kMaxConfigFileBytes = 1024 * 1024;
/// Deepest nesting of arrays and objects accepted in a configuration text or a --set value; a
/// configuration itself is 4 deep. Deeper values are refused before parsing, since formatting
/// them (error messages) recurses once per level.
constexpr int kMaxConfigNesting = 32;

struct ConfigIssue {
    std::string path;    // JSON path, e.g. "swav.epsilon" or "multicrop.crops[1].size"
    std::string message; // what is wrong and what is allowed
};

struct ValidationReport {
    std::vector<ConfigIssue> errors;   // block a run
    std::vector<ConfigIssue> warnings; // risky but legal

    bool ok() const { return errors.empty(); }
    void error(const std::string& path, const std::string& message);
    void warning(const std::string& path, const std::string& message);
    void append(const ValidationReport& other);
    /// One issue per line: "error: swav.epsilon: ...".
    std::string format() const;
};

nlohmann::json toJson(const ExperimentConfig& config);

/// Reads `json` over the defaults. Unknown keys, wrong types and values outside an enumeration are
/// reported in `report` (all of them, not just the first); the fields concerned keep defaults.
ExperimentConfig configFromJson(const nlohmann::json& json, ValidationReport& report);

/// Checks every enumerated string field against its allowed values.
ValidationReport validateChoices(const ExperimentConfig& config);

/// Whether a configuration must name its images now (training, the window's Start) or may leave
/// them to the commands that read images, which ask for them (weights imported without a
/// dataset, evaluated later on images named then).
enum class DataUse { Now, Later };

/// Range and consistency checks of a complete config: errors and warnings. `worldSize`: the
/// processes of the run (batch_size is per process; the queue and K see the global batch).
ValidationReport validateConfig(const ExperimentConfig& config, int worldSize = 1,
                                DataUse data = DataUse::Now);

/// Applies "a.b.c=value" to `json` (value parsed as JSON, else taken as a string). Paths may
/// index arrays ("multicrop.crops.1.size=16"). Unknown keys, indexes out of range and values
/// nested deeper than kMaxConfigNesting are errors naming the path.
void applyOverride(nlohmann::json& json, const std::string& assignment, ValidationReport& report);

/// Parses and validates a JSON text, then the overrides; returns the config or all errors.
/// Warnings go to `warnings` when given. `origin` names the file in messages.
Expected<ExperimentConfig> loadConfig(const std::string& jsonText, const std::string& origin,
                                      const std::vector<std::string>& overrides,
                                      ValidationReport* warnings = nullptr,
                                      DataUse data = DataUse::Now);

/// Reads a regular file of at most kMaxConfigFileBytes, then as loadConfig().
Expected<ExperimentConfig> loadConfigFile(const std::string& path,
                                          const std::vector<std::string>& overrides,
                                          ValidationReport* warnings = nullptr,
                                          DataUse data = DataUse::Now);

/// Bytes of the synthetic images a "synthetic" dataset generates into memory.
double syntheticDataBytes(const DatasetConfig& dataset);

} // namespace swav
