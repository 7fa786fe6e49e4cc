#include "swav/Sinkhorn.h"

#include "dist/Collective.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

namespace swav {

at::Tensor sinkhornCodes(const at::Tensor& scores, double epsilon, int iterations,
                         Collective* collective) {
    torch::NoGradGuard noGrad;
    // No max-subtraction: |score| <= 1 keeps exp(score / eps) finite in fp32 for eps >= 0.012.
    at::Tensor q = at::exp(scores.detach().to(at::kFloat) / epsilon).t(); // [K, B]
    const int world = collective ? collective->worldSize() : 1;
    const double prototypes = static_cast<double>(q.size(0));
    const double samples = static_cast<double>(q.size(1)) * world;

    at::Tensor total = q.sum();
    if (collective)
        collective->allReduceSum(total);
    q = q / total;
    for (int it = 0; it < iterations; ++it) {
        // Each prototype gets an equal share of the mass...
        at::Tensor rowSums = q.sum(1, true);
        if (collective)
            collective->allReduceSum(rowSums);
        q = q / rowSums / prototypes;
        // ...and each sample a total of 1/B.
        q = q / q.sum(0, true) / samples;
    }
    q = q * samples;
    return q.t().contiguous();
}

} // namespace swav
