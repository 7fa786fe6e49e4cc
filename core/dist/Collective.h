#pragma once
// The few collective operations SwAV needs across processes. A single process uses
// LocalCollective; the multi-process implementation wraps a c10d process group.

#include <ATen/Tensor.h>

#include <vector>

namespace swav {

class Collective {
public:
    virtual ~Collective() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    /// In-place sum over all processes. Thread: the training thread only.
    virtual void allReduceSum(at::Tensor& tensor) = 0;
    /// In-place sum of several tensors (gradients), possibly fused.
    virtual void allReduceSum(std::vector<at::Tensor>& tensors) {
        for (auto& tensor : tensors)
            allReduceSum(tensor);
    }
    /// Copies rank 0's tensor to every process.
    virtual void broadcast(at::Tensor& tensor) = 0;
};

class LocalCollective : public Collective {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void allReduceSum(at::Tensor&) override {}
    void broadcast(at::Tensor&) override {}
};

} // namespace swav
