#include "config/ConfigDiff.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

namespace swav {

namespace {

/// A leaf as a person writes it: a whole number without ".0" (counts stored as doubles, such as
/// a subset of 6000 images, printed as 6000.0 before).
std::string leafText(const nlohmann::json& value) {
    if (value.is_number_float()) {
        const double v = value.get<double>();
        if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15)
            return std::to_string(static_cast<long long>(v));
    }
    if (value.is_array()) {
        std::string text = "[";
        for (size_t i = 0; i < value.size(); ++i)
            text += (i ? "," : "") + leafText(value[i]);
        return text + "]";
    }
    return value.dump();
}

void flatten(const nlohmann::json& value, const std::string& path,
             std::map<std::string, std::string>& leaves) {
    if (value.is_object() && !value.empty()) {
        for (const auto& [key, child] : value.items())
            flatten(child, path.empty() ? key : path + "." + key, leaves);
    } else if (value.is_array() && !value.empty() &&
               (value[0].is_object() || value[0].is_array())) {
        // Arrays of structures (crop groups) compare element by element; plain arrays whole.
        for (size_t i = 0; i < value.size(); ++i)
            flatten(value[i], path + "[" + std::to_string(i) + "]", leaves);
    } else {
        leaves[path] = leafText(value);
    }
}

} // namespace

std::vector<ConfigDifference> diffConfigs(const nlohmann::json& left, const nlohmann::json& right) {
    std::map<std::string, std::string> a, b;
    flatten(left, "", a);
    flatten(right, "", b);
    std::vector<ConfigDifference> differences;
    auto i = a.begin();
    auto j = b.begin();
    while (i != a.end() || j != b.end()) {
        if (j == b.end() || (i != a.end() && i->first < j->first)) {
            differences.push_back({i->first, i->second, ""});
            ++i;
        } else if (i == a.end() || j->first < i->first) {
            differences.push_back({j->first, "", j->second});
            ++j;
        } else {
            if (i->second != j->second)
                differences.push_back({i->first, i->second, j->second});
            ++i;
            ++j;
        }
    }
    return differences;
}

} // namespace swav
