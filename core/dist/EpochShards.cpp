#include "dist/EpochShards.h"

#include "util/SeedMix.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace swav {

std::vector<int64_t> epochOrder(int64_t datasetSize, uint64_t seed, int epoch) {
    std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(datasetSize, 0)));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(mixSeed(seed, 1000u + static_cast<uint64_t>(epoch)));
    std::shuffle(order.begin(), order.end(), rng);
    return order;
}

int64_t shardSize(int64_t datasetSize, int worldSize) {
    return (datasetSize + worldSize - 1) / worldSize;
}

std::vector<int64_t> rankShard(const std::vector<int64_t>& order, int rank, int worldSize) {
    const auto total = static_cast<int64_t>(order.size());
    std::vector<int64_t> shard;
    if (total == 0)
        return shard;
    const int64_t padded = shardSize(total, worldSize) * worldSize;
    shard.reserve(static_cast<size_t>(padded / worldSize));
    // Positions past the end wrap to the start, as DistributedSampler pads.
    for (int64_t position = rank; position < padded; position += worldSize)
        shard.push_back(order[static_cast<size_t>(position % total)]);
    return shard;
}

int64_t stepsPerEpoch(int64_t datasetSize, int worldSize, int64_t batchPerRank) {
    return shardSize(datasetSize, worldSize) / batchPerRank;
}

uint64_t imageCropSeed(uint64_t seed, int epoch, int64_t imageIndex) {
    return mixSeed(mixSeed(seed, 7919u + static_cast<uint64_t>(epoch)),
                   static_cast<uint64_t>(imageIndex));
}

} // namespace swav
