#pragma once
// Everything `swav analyze` and the workbench's cluster views need from one checkpoint.

#include "eval/Analysis.h"
#include "util/Expected.h"

#include <nlohmann/json.hpp>

#include <string>

namespace swav {

struct AnalyzeRequest {
    int64_t projectionImages = 2000; // images in the 2-D map (seeded choice)
    int galleryTop = 16;             // images kept per prototype
    std::string space = "features";  // "features" (trunk) or "embeddings" (head) for the map
    std::string device = "auto";
    uint64_t seed = 0;
    std::string expectedSha256; // the checkpoint's recorded digest, checked first; "" = none
    std::optional<DatasetConfig> dataset; // the images; unset = the run's own dataset
};

/// {"checkpoint", "config" (the run's), "projection": {...}, "gallery": {...}, "prototype_health":
/// {...},
///  "class_names": [...], "codes": {"<image index>": [[prototype, probability] x 5]} for the
///  images of the map and the gallery, "temperature"}. The gallery and health cover the whole
///  training split.
Expected<nlohmann::json> analyzeCheckpoint(const std::string& checkpointPath,
                                           const AnalyzeRequest& request,
                                           const ProgressCallback& progress = {});

} // namespace swav
