#pragma once

#include <string>

namespace swav::cli {

struct ExportOptions {
    std::string runDir;             // run folder or run id
    std::string database;           // run database; "" = the default one
    int checkpointEpoch = -1;       // -1 = newest checkpoint
    std::string format = "pytorch"; // pytorch or torchscript
    std::string outFile;            // "" = <run>/export/<checkpoint stem>-resnet.pt
    bool overwrite = false;         // replace an existing --out file
};

/// `swav export`: the trunk of a run's checkpoint as a torchvision ResNet state dict.
int runExport(const ExportOptions& options);

} // namespace swav::cli
