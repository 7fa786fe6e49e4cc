#pragma once
// Which images each process trains on in an epoch, with the semantics of PyTorch's
// DistributedSampler (shuffle=True, drop_last=False) followed by a loader that drops the last
// partial batch: one permutation of the dataset per (seed, epoch), padded by repeating its
// start to a multiple of the world size, then dealt out round-robin. With one process the shard
// is the whole permutation. Nothing here depends on the rank's device or on timing.

#include <cstdint>
#include <vector>

namespace swav {

/// The epoch's permutation of [0, datasetSize): depends on (seed, epoch) only.
std::vector<int64_t> epochOrder(int64_t datasetSize, uint64_t seed, int epoch);

/// Images per rank: ceil(datasetSize / worldSize).
int64_t shardSize(int64_t datasetSize, int worldSize);

/// Rank `rank`'s images: order[rank], order[rank + worldSize], ... over the padded order.
std::vector<int64_t> rankShard(const std::vector<int64_t>& order, int rank, int worldSize);

/// Global steps per epoch: every rank takes floor(shardSize / batchPerRank) batches.
int64_t stepsPerEpoch(int64_t datasetSize, int worldSize, int64_t batchPerRank);

/// Seed of an image's crops in an epoch: the same whichever rank, batch or world size sees it.
uint64_t imageCropSeed(uint64_t seed, int epoch, int64_t imageIndex);

} // namespace swav
