#pragma once
// The few collective operations SwAV needs across processes. A single process uses
// LocalCollective; ProcessGroupCollective (dist/ProcessGroupCollective.h) wraps a c10d process
// group. Every rank must call the same collectives in the same order.

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace swav {

/// An all-reduce in flight.
class PendingReduction {
public:
    virtual ~PendingReduction() = default;
    /// Blocks until the sum is in the tensor. Throws UserError naming the failed rank.
    virtual void wait() = 0;
};

class Collective {
public:
    virtual ~Collective() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    /// In-place sum over all processes. Thread: the training thread or its autograd thread.
    virtual void allReduceSum(at::Tensor& tensor) = 0;
    /// Starts an in-place sum; the tensor must stay alive and untouched until wait().
    virtual std::unique_ptr<PendingReduction> allReduceSumAsync(at::Tensor& tensor);
    /// In-place element-wise maximum over all processes.
    virtual void allReduceMax(at::Tensor& tensor) = 0;
    /// Copies rank 0's tensor to every process.
    virtual void broadcast(at::Tensor& tensor) = 0;
    /// The consecutive ranks [g * size, (g + 1) * size) holding this one as a collective of
    /// their own (batch-norm groups); every rank calls it with the same size, which divides the
    /// world size. Null where the collective cannot be divided.
    virtual std::unique_ptr<Collective> subgroup(int size) { return nullptr; }
    /// Records the step this rank has reached, so that a failure can name the rank left behind.
    virtual void noteProgress(int64_t step) {}
    /// Host name of every rank, by rank (empty: not known).
    virtual std::vector<std::string> hosts() const { return {}; }
    /// "rank R (host H, pid P)" for messages.
    virtual std::string describeRank(int rank) const { return "rank " + std::to_string(rank); }
};

class LocalCollective : public Collective {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void allReduceSum(at::Tensor&) override {}
    void allReduceMax(at::Tensor&) override {}
    void broadcast(at::Tensor&) override {}
};

/// Element-wise maximum of small integer flags over all ranks (through a sum of one-hot bits:
/// the values must be 0 or 1).
std::vector<int64_t> anyRank(Collective& collective, const std::vector<int64_t>& flags);

} // namespace swav
