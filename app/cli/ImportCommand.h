#pragma once

#include "cli/ConfigSource.h"

#include <string>

namespace swav::cli {

struct ImportOptions {
    std::string file;     // the weights
    ConfigSource config;  // --preset / --config / --set; no preset: by architecture
    std::string arch;     // model.arch; "" = the configuration's
    std::string name;     // run name; "" = the file's name
    std::string database; // "" = the default one
};

/// `swav import`: released weights (SwAV release, torchvision, this program's export) become a
/// run of the database with status "imported".
int runImport(const ImportOptions& options);

} // namespace swav::cli
