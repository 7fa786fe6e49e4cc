#pragma once
// A stored run read back as the metrics its trainer reported, a little more at each call: how
// the window shows a finished run, or follows one that another process (or host) is writing
// into the same database, with the same dashboard code as a run of its own.

#include "config/ExperimentConfig.h"
#include "train/TrainingObserver.h"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace swav::store {

class RunStore;

struct StoredProgress {
    std::vector<StepMetrics> steps; // in step order, each step once
    /// In (epoch, step) order, each report once: an epoch's interim reports (interim = true),
    /// then its final one. A report carries the usage counts stored for its epoch, which are
    /// the newest report's: one read after a later report of its epoch was stored gets none.
    std::vector<EpochMetrics> epochs;
    /// The run was resumed and rewrote steps read before: what came earlier is void, and
    /// `steps` and `epochs` start from the beginning again.
    bool restarted = false;
};

class RunReplay {
public:
    /// `config`: the run's configuration (what the store does not hold per step: when the
    /// prototypes were frozen, when the queue was in use, the embedding size).
    RunReplay(int64_t runId, const ExperimentConfig& config);

    /// What the run recorded since the last call (everything at the first). An epoch's report
    /// is returned once its metrics and its usage histogram are both stored.
    StoredProgress readNew(RunStore& store);

    int64_t runId() const { return m_run; }

private:
    using EpochReports = std::map<std::pair<int, int64_t>, EpochMetrics>; // by (epoch, step)

    void readSince(RunStore& store, int64_t fromStep, StoredProgress& out);
    void returnEpochReports(RunStore& store, EpochReports& reports, StoredProgress& out);

    int64_t m_run;
    int m_freezeIterations;
    int m_queueStartEpoch; // -1 = no queue
    double m_embeddingStdReference;
    int64_t m_lastStep = -1;      // newest step returned
    int m_nextEpoch = 0;          // first epoch whose final report is not returned yet
    int64_t m_lastEpochStep = -1; // step of the newest epoch report returned (interim or final)
};

} // namespace swav::store
