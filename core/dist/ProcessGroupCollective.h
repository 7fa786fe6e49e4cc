#pragma once
// Collective over a c10d process group: rendezvous through a TCPStore hosted by rank 0, then
// Gloo for CPU tensors or NCCL for CUDA tensors when LibTorch has it (Gloo otherwise). The
// store also carries small values between ranks (the run folder) and each rank's progress, so
// that a failed collective names the rank that died or stopped answering.

#include "dist/Collective.h"
#include "dist/DistributedSetup.h"

#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace swav {

class ProcessGroupCollective : public Collective {
public:
    /// Joins the run. Throws UserError for a port in use, an unreachable master, or processes
    /// that do not all join within the timeout. `device`: where the tensors will live.
    static std::unique_ptr<ProcessGroupCollective> connect(const DistributedSetup& setup,
                                                           c10::Device device);
    ~ProcessGroupCollective() override;

    int rank() const override;
    int worldSize() const override;
    void allReduceSum(at::Tensor& tensor) override;
    std::unique_ptr<PendingReduction> allReduceSumAsync(at::Tensor& tensor) override;
    void allReduceMax(at::Tensor& tensor) override;
    void broadcast(at::Tensor& tensor) override;
    void noteProgress(int64_t step) override;
    /// A process group of its own for each group of ranks, on a prefix of the rendezvous store.
    std::unique_ptr<Collective> subgroup(int size) override;
    std::string describeRank(int rank) const override;

    /// "gloo" or "nccl".
    std::string backendName() const;
    std::vector<std::string> hosts() const override;
    /// Stores a value every rank can read (rank 0 shares the run folder this way).
    void publish(const std::string& key, const std::string& value);
    /// Waits (up to the set-up timeout, until finishSetup) for a value published by another rank.
    std::string lookup(const std::string& key);
    /// From now on a rank silent for the step timeout fails the run, in the rendezvous store too
    /// (until now it had the set-up timeout: rank 0 may be listing a large folder).
    void finishSetup();

    struct Impl;

private:
    explicit ProcessGroupCollective(std::unique_ptr<Impl> impl);
    static void createProcessGroup(Impl& impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace swav
