#pragma once
// Records a training run into the run store. The trainer calls it on the training thread; it
// only queues, and its own thread (with its own connection) commits the queue in one
// transaction per second or per 200 metric rows, so training speed does not depend on the disk.
// The same thread keeps the run's heartbeat, by which a dead process is told from a live one.

#include "store/RunStore.h"
#include "train/TrainingObserver.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace swav::store {

struct RecorderOptions {
    double flushSeconds = 1.0;
    size_t flushRows = 200;
};

class RunRecorder : public TrainingObserver {
public:
    /// Opens its own connection to the database; throws UserError when it cannot.
    RunRecorder(const std::string& databasePath, int64_t runId, RecorderOptions options = {});
    /// Commits what is queued, then stops the writer thread.
    ~RunRecorder() override;
    RunRecorder(const RunRecorder&) = delete;
    RunRecorder& operator=(const RunRecorder&) = delete;

    int64_t runId() const { return m_runId; }

    void onStarted(const RunStarted& started) override;
    void onStep(const StepMetrics& m) override;
    void onEpoch(const EpochMetrics& m) override;
    void onCheckpoint(const CheckpointSaved& saved) override;
    void onFinished(const RunOutcome& outcome) override;

    /// Marks the run paused or running again (any thread).
    void setPaused(bool paused);
    /// Queues metric points (any thread), e.g. from a benchmark.
    void record(std::vector<MetricPoint> points);
    /// Blocks until everything queued so far is committed.
    void flush();
    /// The first failure to write, "" when every commit succeeded. The run goes on regardless.
    std::string firstError() const;

private:
    using Command = std::function<void(RunStore&)>;
    using Item = std::variant<std::vector<MetricPoint>, Command>;

    void enqueue(Command command);
    void writerLoop();
    void commit(std::deque<Item>& items);
    /// Takes lost database locks again before a commit, or reopens (store/DatabaseHold.h).
    void keepHold();

    int64_t m_runId;
    RecorderOptions m_options;
    std::unique_ptr<RunStore> m_store; // used by the writer thread only
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_committed;
    std::deque<Item> m_queue;
    size_t m_queuedRows = 0;
    uint64_t m_enqueued = 0;       // items ever queued
    uint64_t m_committedCount = 0; // items ever processed
    bool m_stopping = false;
    bool m_flushNow = false;
    bool m_commandQueued = false; // commands are committed at once
    std::string m_error;
    std::thread m_thread;
};

} // namespace swav::store
