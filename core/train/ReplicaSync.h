#pragma once
// What the processes of a data-parallel run exchange besides gradients: the starting model,
// the queues for a checkpoint, and where a checkpoint of another world size continues.

#include "dist/Collective.h"
#include "model/SwavModel.h"
#include "swav/EmbeddingQueue.h"

#include <cstdint>
#include <string>

namespace swav {

/// Rank 0's parameters and buffers everywhere, so that every rank starts from the same model.
void broadcastModel(SwavModel& model, Collective& collective);

/// Every rank's queue in rank order, [crops, world * length, D] (a collective call).
at::Tensor gatherQueues(const EmbeddingQueue& queue, Collective& collective);

/// Where a checkpoint written by `savedWorld` processes continues with `world` processes: the
/// images of the epoch already seen are kept, counted in global batches of the new size.
int64_t stepInEpochForWorld(int64_t savedStep, int savedWorld, int world, int64_t batch,
                            int64_t stepsPerEpoch);

/// "cpu (4 threads)" or, for several processes, "cpu (1 thread) in each of 2 processes on h1".
std::string describeWorld(const std::string& device, Collective& collective);

} // namespace swav
