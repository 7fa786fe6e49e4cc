// Configuration text and --set overrides: the input's lines before a line "---" are overrides,
// the rest is the JSON file. Every outcome must be a config or a list of errors.
#include "config/ConfigJson.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto separator = input.find("\n---\n");
    std::vector<std::string> overrides;
    std::string json = input;
    if (separator != std::string::npos) {
        std::istringstream lines(input.substr(0, separator));
        for (std::string line; std::getline(lines, line);)
            overrides.push_back(line);
        json = input.substr(separator + 5);
    }
    swav::ValidationReport warnings;
    auto config = swav::loadConfig(json, "fuzz.json", overrides, &warnings);
    if (config)
        swav::validateConfig(*config);
    return 0;
}
