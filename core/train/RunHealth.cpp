#include "train/RunHealth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace swav {

namespace {

void raise(HealthAssessment& health, HealthLevel level, std::string hint) {
    health.level = std::max(health.level, level);
    health.hints.push_back(std::move(hint));
}

} // namespace

HealthAssessment assessEpoch(const EpochMetrics& epoch, int prototypes) {
    HealthAssessment health;
    const int k = std::max(2, prototypes);
    const double lnK = std::log(double(k));
    if (!std::isfinite(epoch.meanLoss)) {
        raise(health, HealthLevel::Bad,
              "The loss is not a number: lower the learning rate, raise epsilon, or use fp32.");
        return health;
    }
    // Collapse: uniform codes and the loss at ln K. Early training passes close to ln K too,
    // but with codes that are not yet uniform.
    if (std::abs(epoch.meanLoss - lnK) < 0.005 * lnK && epoch.codeEntropy > 0.98)
        raise(health, HealthLevel::Bad,
              "The loss sits at ln K: the codes are uniform (collapse). Try a lower epsilon or "
              "freezing the prototypes longer.");
    if (epoch.emptyPrototypes > k / 2)
        raise(health, HealthLevel::Bad,
              std::to_string(epoch.emptyPrototypes) + " of " + std::to_string(k) +
                  " prototypes are empty: the batch (plus queue) is too small for K, or the "
                  "codes collapsed.");
    else if (epoch.emptyPrototypes > k / 10)
        raise(health, HealthLevel::Warning,
              std::to_string(epoch.emptyPrototypes) + " of " + std::to_string(k) +
                  " prototypes are empty: consider a queue or fewer prototypes.");
    if (epoch.nearDuplicatePrototypes > 0)
        raise(health, HealthLevel::Warning,
              std::to_string(epoch.nearDuplicatePrototypes) +
                  " pairs of prototypes are near duplicates (cosine > 0.99).");
    if (epoch.embeddingStdReference > 0 && epoch.embeddingStd < 0.1 * epoch.embeddingStdReference)
        raise(health, HealthLevel::Bad,
              "The embeddings have collapsed to nearly one point (spread below 10% of a "
              "well-spread set).");
    if (epoch.unreadableFiles > 0)
        raise(health, HealthLevel::Warning,
              std::to_string(epoch.unreadableFiles) +
                  " image files could not be read and were skipped; each was replaced by "
                  "another image of its class.");
    return health;
}

} // namespace swav
