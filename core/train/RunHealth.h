#pragma once
// Plain-language reading of an epoch's statistics against the known SwAV failure modes
// (design/SWAV.md): loss stuck at ln K, many empty prototypes, duplicate prototypes,
// collapsed embeddings, NaN.

#include "train/TrainingObserver.h"

#include <string>
#include <vector>

namespace swav {

enum class HealthLevel { Good, Warning, Bad };

struct HealthAssessment {
    HealthLevel level = HealthLevel::Good;
    std::vector<std::string> hints; // one sentence each: what is seen and what to try
};

/// `prototypes` = K. Never throws.
HealthAssessment assessEpoch(const EpochMetrics& epoch, int prototypes);

} // namespace swav
