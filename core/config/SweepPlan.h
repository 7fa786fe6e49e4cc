#pragma once
// The runs of a sweep: every combination of the grids' values, times each listed variant, as
// `--set` overrides over one base configuration.

#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav {

struct SweepVariant {
    std::vector<std::string> overrides; // "key=value", applied in order
    std::string label;                  // "swav.epsilon=0.03 optim.epochs=4"
};

/// `grids`: "key=v1,v2,..." (commas inside [...] or {...} belong to a value); `variants`:
/// "key=value;key=value" each. Returns the product of the grids, each combined with every variant
/// (or alone when none is given); at least one run. Errors name the malformed argument.
Expected<std::vector<SweepVariant>> planSweep(const std::vector<std::string>& grids,
                                              const std::vector<std::string>& variants);

/// Splits `text` at `separator` where it is not inside brackets or braces.
std::vector<std::string> splitOutsideBrackets(const std::string& text, char separator);

} // namespace swav
