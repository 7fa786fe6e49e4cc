#include "train/ReplicaSync.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

void broadcastModel(SwavModel& model, Collective& collective) {
    torch::NoGradGuard noGrad;
    auto share = [&](at::Tensor tensor) {
        auto dense = tensor.contiguous();
        collective.broadcast(dense);
        if (!dense.is_same(tensor))
            tensor.copy_(dense);
    };
    for (auto& p : model->parameters())
        share(p.data());
    for (auto& b : model->buffers())
        share(b);
}

at::Tensor gatherQueues(const EmbeddingQueue& queue, Collective& collective) {
    const auto& own = queue.state();
    if (collective.worldSize() == 1)
        return own;
    const int64_t length = own.size(1);
    auto all =
        at::zeros({own.size(0), length * collective.worldSize(), own.size(2)}, own.options());
    all.narrow(1, collective.rank() * length, length).copy_(own);
    collective.allReduceSum(all);
    return all;
}

int64_t stepInEpochForWorld(int64_t savedStep, int savedWorld, int world, int64_t batch,
                            int64_t stepsPerEpoch) {
    const int64_t imagesSeen = savedStep * batch * savedWorld;
    return std::min(stepsPerEpoch, imagesSeen / (batch * world));
}

std::string describeWorld(const std::string& device, Collective& collective) {
    if (collective.worldSize() == 1)
        return device;
    std::string hosts;
    for (const auto& host : collective.hosts())
        if (hosts.find(host) == std::string::npos)
            hosts += (hosts.empty() ? "" : ", ") + host;
    return device + " in each of " + std::to_string(collective.worldSize()) + " processes on " +
           hosts;
}

} // namespace swav
