#include "swav/Sinkhorn.h"

#include "dist/Collective.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

namespace swav {

namespace {

/// log of the sums of exp(logq) along `dim` (kept), over every process's entries when a
/// collective is given: each process subtracts the all-reduced maximum before exponentiating, so
/// that no sum overflows or underflows to nothing.
at::Tensor logSumExp(const at::Tensor& logq, int64_t dim, Collective* collective) {
    if (!collective || collective->worldSize() == 1)
        return at::logsumexp(logq, {dim}, true);
    at::Tensor peak = at::amax(logq, {dim}, true);
    collective->allReduceMax(peak);
    at::Tensor sums = at::exp(logq - peak).sum(dim, true);
    collective->allReduceSum(sums);
    return peak + at::log(sums);
}

/// The iterations of sinkhornCodes, carried out on log Q: the authors' normalisations of
/// exp(score / eps) become subtractions, so no epsilon overflows float32 (exp(1 / eps) does
/// below eps 0.0113) and no row or column underflows to zeros; where the authors' arithmetic
/// stays finite the codes agree with it to rounding. `observe(kind, iteration, log q [K, B])`
/// sees every iterate when given.
template <class Observe>
at::Tensor sinkhorn(const at::Tensor& scores, double epsilon, int iterations,
                    Collective* collective, Observe&& observe) {
    torch::NoGradGuard noGrad;
    at::Tensor logq = (scores.detach().to(at::kFloat) / epsilon).t(); // [K, B]
    const int world = collective ? collective->worldSize() : 1;
    const double logPrototypes = std::log(static_cast<double>(logq.size(0)));
    const double logSamples = std::log(static_cast<double>(logq.size(1)) * world);

    logq = logq - logSumExp(logq.reshape({1, -1}), 1, collective);
    observe(SinkhornStep::Kind::Start, 0, logq);
    for (int it = 0; it < iterations; ++it) {
        // Each prototype gets an equal share of the mass (samples may sit on other ranks)...
        logq = logq - logSumExp(logq, 1, collective) - logPrototypes;
        observe(SinkhornStep::Kind::Prototypes, it + 1, logq);
        // ...and each sample a total of 1/B.
        logq = logq - at::logsumexp(logq, {0}, true) - logSamples;
        observe(SinkhornStep::Kind::Samples, it + 1, logq);
    }
    return at::exp(logq + logSamples).t().contiguous();
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
        const at::Tensor values = scores.detach().to(at::kFloat);
        trace.exponentiated = at::exp((values - values.max()) / epsilon).cpu();
    }
    trace.codes = sinkhorn(scores, epsilon, iterations, nullptr,
                           [&](SinkhornStep::Kind kind, int iteration, const at::Tensor& logq) {
                               SinkhornStep step;
                               step.kind = kind;
                               step.iteration = iteration;
                               step.q = at::exp(logq).t().contiguous().cpu();
                               step.prototypeMass = step.q.sum(0);
                               step.sampleMass = step.q.sum(1);
                               trace.steps.push_back(std::move(step));
                           });
    return trace;
}

} // namespace swav
