#include "store/RunReplay.h"

#include "store/RunStore.h"

#include <cmath>
#include <map>

namespace swav::store {

namespace {

/// The stored per-epoch keys, each with the field of EpochMetrics it fills.
void setEpochField(EpochMetrics& m, const std::string& key, double value) {
    if (key == "epoch/loss")
        m.meanLoss = value;
    else if (key == "epoch/empty_prototypes")
        m.emptyPrototypes = int(value);
    else if (key == "epoch/code_entropy")
        m.codeEntropy = value;
    else if (key == "epoch/usage_entropy")
        m.usageEntropy = value;
    else if (key == "epoch/max_prototype_cosine")
        m.maxPrototypeCosine = value;
    else if (key == "epoch/near_duplicate_prototypes")
        m.nearDuplicatePrototypes = int(value);
    else if (key == "epoch/embedding_std")
        m.embeddingStd = value;
    else if (key == "epoch/seconds")
        m.seconds = value;
    else if (key == "epoch/knn_accuracy")
        m.knnAccuracy = value;
    else if (key == "epoch/interim")
        m.interim = value != 0;
}

/// The StepMetrics member a per-step key fills; null for other keys.
double StepMetrics::*stepField(const std::string& key) {
    if (key == "loss")
        return &StepMetrics::loss;
    if (key == "lr")
        return &StepMetrics::lr;
    if (key == "images_per_second")
        return &StepMetrics::imagesPerSecond;
    if (key == "data_ms")
        return &StepMetrics::dataMs;
    if (key == "compute_ms")
        return &StepMetrics::computeMs;
    return nullptr;
}

} // namespace

RunReplay::RunReplay(int64_t runId, const ExperimentConfig& config)
    : m_run(runId)
    , m_freezeIterations(config.swav.freezePrototypesNiters)
    , m_queueStartEpoch(config.swav.queueLength > 0 ? config.swav.epochQueueStarts : -1)
    , m_embeddingStdReference(1.0 / std::sqrt(double(std::max(1, config.model.head.outputDim)))) {}

StoredProgress RunReplay::readNew(RunStore& store) {
    StoredProgress out;
    const auto summary = store.metricSummaries(m_run, {"loss"});
    const auto loss = summary.find("loss");
    const int64_t newest = loss == summary.end() ? -1 : loss->second.lastStep;
    if (newest < m_lastStep) {
        // Resumed from an earlier checkpoint: the store dropped the steps it replays.
        m_lastStep = -1;
        m_nextEpoch = 0;
        m_lastEpochStep = -1;
        out.restarted = true;
    }
    // From the newest epoch's step on: an epoch's points are written after its last step's.
    readSince(store, std::min(m_lastStep, m_lastEpochStep) + 1, out);
    return out;
}

void RunReplay::readSince(RunStore& store, int64_t fromStep, StoredProgress& out) {
    std::map<int64_t, StepMetrics> steps;
    EpochReports reports;
    store.forEachMetric(
        m_run,
        [&](const MetricPoint& p) {
            if (p.key.rfind("epoch/", 0) == 0) {
                if (p.epoch < m_nextEpoch || p.step <= m_lastEpochStep)
                    return; // returned before
                EpochMetrics& e = reports[{p.epoch, p.step}];
                e.epoch = p.epoch;
                e.step = p.step;
                setEpochField(e, p.key, p.value);
                return;
            }
            const auto field = stepField(p.key);
            if (p.step <= m_lastStep || !field)
                return; // read before, or not a per-step metric
            StepMetrics& s = steps[p.step];
            s.*field = p.value;
            s.step = p.step;
            s.epoch = p.epoch;
            // Not stored per step; what the configuration implies.
            s.prototypesFrozen = p.step < m_freezeIterations;
            s.queueActive = m_queueStartEpoch >= 0 && p.epoch >= m_queueStartEpoch;
        },
        fromStep);

    for (auto& [step, metrics] : steps)
        out.steps.push_back(metrics);
    if (!out.steps.empty())
        m_lastStep = out.steps.back().step;
    returnEpochReports(store, reports, out);
}

void RunReplay::returnEpochReports(RunStore& store, EpochReports& reports, StoredProgress& out) {
    for (auto it = reports.begin(); it != reports.end(); ++it) {
        EpochMetrics& metrics = it->second;
        const auto next = std::next(it);
        const bool later = next != reports.end();
        // Each report replaces its epoch's histogram: a report followed by another of its
        // epoch has no counts of its own left.
        const bool superseded = later && next->first.first == metrics.epoch;
        if (!superseded) {
            metrics.prototypeUsage = store.histogram(m_run, "prototype_usage", metrics.epoch);
            // A report without its histogram waits for it, unless a later epoch came.
            if (metrics.prototypeUsage.empty() && !later)
                break;
        }
        metrics.embeddingStdReference = m_embeddingStdReference;
        metrics.queueActive = m_queueStartEpoch >= 0 && metrics.epoch >= m_queueStartEpoch;
        m_lastEpochStep = metrics.step;
        // An interim report leaves its epoch open: its final report is still to come.
        if (!metrics.interim)
            m_nextEpoch = metrics.epoch + 1;
        out.epochs.push_back(std::move(metrics));
    }
}

} // namespace swav::store
