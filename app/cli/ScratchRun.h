#pragma once
// A run database in a temporary folder, removed afterwards: for benchmarks of the store.

#include "store/RunRecorder.h"

#include <chrono>
#include <memory>
#include <string>

namespace swav::cli {

/// Forwards to another observer and adds up the time the calls take on the training thread:
/// what recording costs the training itself.
class TimedObserver : public TrainingObserver {
public:
    explicit TimedObserver(TrainingObserver& inner)
        : m_inner(inner) {}
    void onStarted(const RunStarted& m) override {
        time([&] { m_inner.onStarted(m); });
    }
    void onStep(const StepMetrics& m) override {
        time([&] { m_inner.onStep(m); });
    }
    void onEpoch(const EpochMetrics& m) override {
        time([&] { m_inner.onEpoch(m); });
    }
    void onCheckpoint(const CheckpointSaved& m) override {
        time([&] { m_inner.onCheckpoint(m); });
    }
    void onFinished(const RunOutcome& m) override {
        time([&] { m_inner.onFinished(m); });
    }
    double seconds() const { return m_seconds; }

private:
    template <class F> void time(F&& call) {
        const auto start = std::chrono::steady_clock::now();
        call();
        m_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    TrainingObserver& m_inner;
    double m_seconds = 0;
};

class ScratchRun {
public:
    /// Creates the folder, the database and one run; throws UserError when it cannot.
    explicit ScratchRun(store::RecorderOptions options = {});
    ~ScratchRun();
    ScratchRun(const ScratchRun&) = delete;
    ScratchRun& operator=(const ScratchRun&) = delete;

    store::RunRecorder& recorder() { return *m_recorder; }
    store::RunStore& reader() { return *m_reader; }
    int64_t runId() const { return m_runId; }
    int64_t rowsRecorded();

private:
    std::string m_folder;
    std::unique_ptr<store::RunStore> m_reader;
    int64_t m_runId = 0;
    std::unique_ptr<store::RunRecorder> m_recorder;
};

} // namespace swav::cli
