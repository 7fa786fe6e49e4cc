#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace swav {

class Collective;

/// Sinkhorn-Knopp codes of SwAV (equal-partition soft assignment), without gradient.
/// scores: [B, K] prototype scores (any float dtype, any device; computed in fp32).
/// Returns float32 [B, K] whose rows sum to 1 and whose columns sum to about B/K; finite for
/// every epsilon > 0 (computed on log Q, equal to the authors' exp(score / eps) arithmetic to
/// rounding where theirs stays finite).
/// With a collective, the total and the per-prototype sums are all-reduced and B counts every
/// process's rows, as in the multi-process reference implementation.
at::Tensor sinkhornCodes(const at::Tensor& scores, double epsilon, int iterations,
                         Collective* collective = nullptr);

/// One state of the iterations: Q as the authors' code holds it (total mass 1), shown [B, K].
struct SinkhornStep {
    enum class Kind {
        Start,      // exp(score / epsilon) divided by its total
        Prototypes, // after each prototype's mass was set to 1/K
        Samples,    // after each sample's mass was set to 1/B
    };
    Kind kind = Kind::Start;
    int iteration = 0;        // 1-based for the normalisations, 0 for the start
    at::Tensor q;             // float32 [B, K], CPU
    at::Tensor prototypeMass; // float32 [K]: column sums of q (1/K after Prototypes)
    at::Tensor sampleMass;    // float32 [B]: row sums of q (1/B after Samples)
};

/// Every iterate of sinkhornCodes on one process, for teaching; codes is exactly what
/// sinkhornCodes returns for the same arguments.
struct SinkhornTrace {
    at::Tensor exponentiated;        // float32 [B, K]: exp((score - max score) / epsilon)
    std::vector<SinkhornStep> steps; // Start, then Prototypes and Samples per iteration
    at::Tensor codes;                // float32 [B, K]
};

SinkhornTrace sinkhornTrace(const at::Tensor& scores, double epsilon, int iterations);

} // namespace swav
