#pragma once
// Per-epoch health statistics accumulated on the device without synchronising; read once at
// the end of the epoch.

#include "train/TrainingObserver.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>

namespace swav {

class Collective;

class EpochStatistics {
public:
    EpochStatistics(int numPrototypes, int embeddingDim, at::Device device);

    /// codes: per assignment crop float [B, K]; embeddings float [B, D] (one crop); loss scalar.
    void add(const std::vector<at::Tensor>& codes, const at::Tensor& embeddings,
             const at::Tensor& loss);
    int64_t steps() const { return m_steps; }

    /// Fills the statistics fields of `out` (syncs the device). prototypes: [K, D].
    void finish(const at::Tensor& prototypes, EpochMetrics& out) const;

    /// The statistics of every rank together: sums of the accumulators (a collective call).
    EpochStatistics summedOver(Collective& collective) const;

    /// Accumulators as tensors, for checkpoints taken mid-epoch.
    std::map<std::string, at::Tensor> state() const;
    void restore(const std::map<std::string, at::Tensor>& state);

private:
    int m_numPrototypes;
    int m_embeddingDim;
    at::Tensor m_lossSum;    // double scalar
    at::Tensor m_usage;      // int64 [K]
    at::Tensor m_entropySum; // double scalar: sum over code rows of H(q)
    at::Tensor m_stdSum;     // double scalar: sum over steps of mean per-dim std
    int64_t m_rows = 0;
    int64_t m_steps = 0;
};

} // namespace swav
