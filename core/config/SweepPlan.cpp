#include "config/SweepPlan.h"

#include "util/Strings.h"

#include <set>

namespace swav {

std::vector<std::string> splitOutsideBrackets(const std::string& text, char separator) {
    std::vector<std::string> parts(1);
    int depth = 0;
    for (char c : text) {
        if (c == '[' || c == '{')
            ++depth;
        else if ((c == ']' || c == '}') && depth > 0)
            --depth;
        if (c == separator && depth == 0)
            parts.emplace_back();
        else
            parts.back() += c;
    }
    return parts;
}

namespace {

/// "key=value" with a non-empty key and value.
bool isAssignment(const std::string& text) {
    const auto equals = text.find('=');
    return equals != std::string::npos && equals > 0 && equals + 1 < text.size();
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items)
        text += (text.empty() ? "" : " ") + item;
    return text;
}

} // namespace

Expected<std::vector<SweepVariant>> planSweep(const std::vector<std::string>& grids,
                                              const std::vector<std::string>& variants) {
    constexpr size_t kMaxRuns = 1000; // a typo in a grid should not queue a year of training
    std::vector<std::vector<std::string>> combinations(1);
    std::set<std::string> keys;
    for (const std::string& grid : grids) {
        const auto equals = grid.find('=');
        if (!isAssignment(grid))
            return Error{"--grid " + grid + ": expected key=value1,value2,..."};
        const std::string key = trim(grid.substr(0, equals));
        if (!keys.insert(key).second)
            return Error{"--grid " + key + " is given twice: list all its values in one --grid " +
                         key + "=v1,v2,..."};
        const auto values = splitOutsideBrackets(grid.substr(equals + 1), ',');
        std::vector<std::vector<std::string>> next;
        for (const auto& combination : combinations)
            for (const std::string& value : values) {
                if (value.empty())
                    return Error{"--grid " + grid + ": an empty value"};
                auto extended = combination;
                extended.push_back(key + "=" + value);
                next.push_back(std::move(extended));
            }
        combinations = std::move(next);
        if (combinations.size() > kMaxRuns)
            return Error{"the sweep has more than " + std::to_string(kMaxRuns) + " runs"};
    }
    std::vector<std::vector<std::string>> extras;
    for (const std::string& variant : variants) {
        std::vector<std::string> assignments;
        for (const std::string& part : splitOutsideBrackets(variant, ';')) {
            if (!isAssignment(part))
                return Error{"--variant " + variant + ": expected key=value;key=value"};
            assignments.push_back(part);
        }
        extras.push_back(std::move(assignments));
    }
    if (extras.empty())
        extras.emplace_back();
    if (combinations.size() * extras.size() > kMaxRuns)
        return Error{"the sweep has more than " + std::to_string(kMaxRuns) + " runs"};
    std::vector<SweepVariant> plan;
    for (const auto& combination : combinations)
        for (const auto& extra : extras) {
            SweepVariant v;
            v.overrides = combination;
            v.overrides.insert(v.overrides.end(), extra.begin(), extra.end());
            v.label = v.overrides.empty() ? std::string("(base)") : joined(v.overrides);
            plan.push_back(std::move(v));
        }
    return plan;
}

} // namespace swav
