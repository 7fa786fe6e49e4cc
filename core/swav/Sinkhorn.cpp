#include "swav/Sinkhorn.h"

#include "dist/Collective.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

namespace swav {

namespace {

/// The iterations of sinkhornCodes; `observe(kind, iteration, q [K, B])` sees every iterate when
/// given (a plain function pointer call site keeps the production path free of it).
template <class Observe>
at::Tensor sinkhorn(const at::Tensor& scores, double epsilon, int iterations,
                    Collective* collective, Observe&& observe) {
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
    observe(SinkhornStep::Kind::Start, 0, q);
    for (int it = 0; it < iterations; ++it) {
        // Each prototype gets an equal share of the mass...
        at::Tensor rowSums = q.sum(1, true);
        if (collective)
            collective->allReduceSum(rowSums);
        q = q / rowSums / prototypes;
        observe(SinkhornStep::Kind::Prototypes, it + 1, q);
        // ...and each sample a total of 1/B.
        q = q / q.sum(0, true) / samples;
        observe(SinkhornStep::Kind::Samples, it + 1, q);
    }
    q = q * samples;
    return q.t().contiguous();
}

} // namespace

at::Tensor sinkhornCodes(const at::Tensor& scores, double epsilon, int iterations,
                         Collective* collective) {
    return sinkhorn(scores, epsilon, iterations, collective,
                    [](SinkhornStep::Kind, int, const at::Tensor&) {});
}

SinkhornTrace sinkhornTrace(const at::Tensor& scores, double epsilon, int iterations) {
    SinkhornTrace trace;
    {
        torch::NoGradGuard noGrad;
        trace.exponentiated = at::exp(scores.detach().to(at::kFloat) / epsilon).cpu();
    }
    trace.codes = sinkhorn(scores, epsilon, iterations, nullptr,
                           [&](SinkhornStep::Kind kind, int iteration, const at::Tensor& q) {
                               SinkhornStep step;
                               step.kind = kind;
                               step.iteration = iteration;
                               step.q = q.t().contiguous().cpu();
                               step.prototypeMass = step.q.sum(0);
                               step.sampleMass = step.q.sum(1);
                               trace.steps.push_back(std::move(step));
                           });
    return trace;
}

} // namespace swav
