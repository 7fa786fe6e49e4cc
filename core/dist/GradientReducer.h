#pragma once
// Averages gradients across ranks in buckets of about `bucketBytes`, started from autograd
// hooks while the backward pass still runs (as DistributedDataParallel does): parameters are
// bucketed in reverse registration order, the order in which their gradients become ready, and
// buckets are launched strictly in index order so that every rank issues the same collectives.

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace swav {

class Collective;
class PendingReduction;

class GradientReducer {
public:
    /// overlap = false reduces every bucket after the backward pass instead (for measurement).
    GradientReducer(std::vector<at::Tensor> parameters, Collective& collective, int64_t bucketBytes,
                    bool overlap);
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    /// Call before backward().
    void prepare();
    /// Call after backward(): waits for every bucket and leaves each parameter's .grad holding
    /// the mean over ranks.
    void finish();

private:
    struct Bucket {
        std::vector<size_t> parameters; // indices into m_parameters
        std::vector<int64_t> offsets;   // element offset of each in `flat`
        at::Tensor flat;
        int64_t ready = 0;
        std::unique_ptr<PendingReduction> pending;
    };

    void onGradient(size_t parameter, const at::Tensor& grad);
    void launchReadyBuckets();
    void launch(Bucket& bucket);

    std::vector<at::Tensor> m_parameters;
    Collective& m_collective;
    bool m_overlap;
    std::vector<Bucket> m_buckets;
    std::vector<std::pair<size_t, size_t>> m_location; // parameter -> (bucket, slot)
    std::vector<bool> m_arrived;
    std::vector<unsigned> m_hooks; // hook handles by parameter (overlap only)
    size_t m_nextLaunch = 0;
};

} // namespace swav
