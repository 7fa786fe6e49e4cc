#pragma once
// Data behind the workbench's analysis views: a 2-D map of the features, what each prototype
// gathered, and the prototypes' health.

#include "eval/Features.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace swav {

struct Projection {
    at::Tensor points;            // float [N, 2]: PCA coordinates
    at::Tensor indices;           // int64 [N]: dataset positions
    at::Tensor labels;            // int64 [N] or undefined
    at::Tensor prototypes;        // int64 [N]: assigned prototype (argmax score)
    double explained[2] = {0, 0}; // fraction of variance along each axis
};

/// PCA (SVD of the centred data) of `features` [N, D] to 2-D.
Projection pcaProjection(const at::Tensor& features);

struct PrototypeCluster {
    int prototype = 0;
    int64_t size = 0;               // images assigned (argmax of the scores)
    std::vector<int64_t> topImages; // dataset positions, best score first
    std::vector<double> topScores;
    int majorityLabel = -1; // -1 without labels
    double purity = 0;      // share of the majority label among the assigned
};

struct ClusterGallery {
    std::vector<PrototypeCluster> clusters; // sorted by size, largest first
    double nmi = -1;                        // assignments vs labels; -1 without labels
    double ari = -1;
};

/// scores: float [N, K] prototype scores of N images, labels int64 [N] or undefined.
ClusterGallery clusterGallery(const at::Tensor& scores, const at::Tensor& labels, int topN);

struct PrototypeHealth {
    std::vector<int64_t> usage; // [K] images assigned
    int emptyPrototypes = 0;
    double maxCosine = 0;                            // largest off-diagonal cosine
    double meanCosine = 0;                           // mean off-diagonal cosine
    std::vector<std::pair<int, int>> nearDuplicates; // pairs with cosine > threshold (the first
                                                     // kListedDuplicates of them)
    int64_t nearDuplicatePairs = 0;                  // all of them
};

/// Near-duplicate pairs listed by name; a collapsed model has up to K^2/2 of them.
constexpr size_t kListedDuplicates = 1000;

/// prototypes: float [K, D]; assignments int64 [N] in [0, K).
PrototypeHealth prototypeHealth(const at::Tensor& prototypes, const at::Tensor& assignments,
                                double duplicateThreshold = 0.99);

nlohmann::json toJson(const Projection& projection);
nlohmann::json toJson(const ClusterGallery& gallery, const std::vector<std::string>& classNames);
nlohmann::json toJson(const PrototypeHealth& health);

} // namespace swav
