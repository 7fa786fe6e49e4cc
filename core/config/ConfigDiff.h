#pragma once
// Field-by-field differences between two configurations (for comparing runs).

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace swav {

struct ConfigDifference {
    std::string path; // "optim.base_lr", "multicrop.crops[1].size"
    std::string left; // JSON text of the value, "" when the field is absent on that side
    std::string right;
};

/// Differences of the leaves of two JSON documents, in path order.
std::vector<ConfigDifference> diffConfigs(const nlohmann::json& left, const nlohmann::json& right);

} // namespace swav
