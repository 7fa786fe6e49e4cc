#include "dist/Collective.h"

#include <ATen/ATen.h>

namespace swav {

namespace {

/// A reduction that was already done synchronously.
class CompletedReduction : public PendingReduction {
public:
    void wait() override {}
};

} // namespace

std::unique_ptr<PendingReduction> Collective::allReduceSumAsync(at::Tensor& tensor) {
    allReduceSum(tensor);
    return std::make_unique<CompletedReduction>();
}

std::vector<int64_t> anyRank(Collective& collective, const std::vector<int64_t>& flags) {
    auto sums = at::tensor(flags, at::kLong);
    collective.allReduceSum(sums);
    std::vector<int64_t> out(flags.size());
    for (size_t i = 0; i < flags.size(); ++i)
        out[i] = sums[static_cast<int64_t>(i)].item<int64_t>() > 0 ? 1 : 0;
    return out;
}

} // namespace swav
