#pragma once
// How alike the prototypes are: the cosines between every pair, computed in row blocks so that
// K x K never exists at once (100,000 prototypes would need 40 GB for it).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace swav {

struct PrototypeCosines {
    double max = 0;                 // largest cosine between two different prototypes
    double mean = 0;                // mean over all ordered pairs of different prototypes
    int64_t nearDuplicatePairs = 0; // unordered pairs above the threshold
    std::vector<std::pair<int, int>> nearDuplicates; // (i < j), the first `maxListed` of them
};

/// Cosines held at once: 2^24 (64 MiB of float32).
constexpr int64_t kPrototypeCosineBlockValues = int64_t(1) << 24;

/// prototypes: [K, D], any device, K >= 2 (fewer gives zeros). Each row is normalised here.
/// At most `maxBlockValues` cosines exist at once.
PrototypeCosines prototypeCosines(const at::Tensor& prototypes, double duplicateThreshold,
                                  size_t maxListed = 0,
                                  int64_t maxBlockValues = kPrototypeCosineBlockValues);

} // namespace swav
