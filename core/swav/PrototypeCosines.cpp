#include "swav/PrototypeCosines.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

PrototypeCosines prototypeCosines(const at::Tensor& prototypes, double duplicateThreshold,
                                  size_t maxListed, int64_t maxBlockValues) {
    torch::NoGradGuard noGrad;
    PrototypeCosines out;
    const int64_t k = prototypes.size(0);
    if (k < 2)
        return out;
    auto w = prototypes.detach().to(at::kFloat);
    w = w / w.norm(2, 1, true).clamp_min(1e-12);
    const int64_t block = std::max<int64_t>(1, maxBlockValues / k);
    auto best = at::full({}, -2.0, w.options().dtype(at::kDouble));
    auto sum = at::zeros({}, w.options().dtype(at::kDouble));
    auto orderedPairs = at::zeros({}, w.options().dtype(at::kLong));
    for (int64_t begin = 0; begin < k; begin += block) {
        const int64_t end = std::min(k, begin + block);
        auto cosines = at::mm(w.slice(0, begin, end), w.t()); // [rows, K]
        // A prototype with itself (row r, column begin + r) is left out of every figure.
        auto self = cosines.diagonal(begin);
        sum += cosines.sum(at::kDouble) - self.sum(at::kDouble);
        self.fill_(-2.0f);
        best = at::maximum(best, cosines.max().to(at::kDouble));
        auto above = cosines > duplicateThreshold;
        const int64_t found = above.sum().item<int64_t>();
        orderedPairs += found;
        if (found > 0 && out.nearDuplicates.size() < maxListed) {
            auto where = at::triu(above, begin + 1).nonzero().to(at::kCPU); // j > i only
            for (int64_t i = 0; i < where.size(0) && out.nearDuplicates.size() < maxListed; ++i)
                out.nearDuplicates.emplace_back(int(where[i][0].item<int64_t>() + begin),
                                                int(where[i][1].item<int64_t>()));
        }
    }
    out.max = best.item<double>();
    out.mean = sum.item<double>() / (double(k) * double(k - 1));
    out.nearDuplicatePairs = orderedPairs.item<int64_t>() / 2; // the matrix is symmetric
    return out;
}

} // namespace swav
