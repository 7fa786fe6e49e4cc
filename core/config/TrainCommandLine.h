#pragma once
// The `swav train` line that reproduces a configuration: its preset and a --set for every field
// that differs from it ("Copy as command" in the window).

#include "config/ExperimentConfig.h"

#include <string>
#include <vector>

namespace swav {

/// "field=value" assignments that turn `preset` (with its defaults) into `config`. A list whose
/// length differs (crop groups, crops for assignment) is set whole, as JSON.
std::vector<std::string> overridesFromPreset(const ExperimentConfig& config,
                                             const std::string& preset);

/// "swav train --preset P --set a.b=1 --set 'c=x y' ...", each argument quoted for a POSIX shell
/// where needed. Throws UserError for an unknown preset.
std::string trainCommandLine(const ExperimentConfig& config, const std::string& preset);

} // namespace swav
