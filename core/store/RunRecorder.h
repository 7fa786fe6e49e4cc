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
    // While the database cannot be written (a full disk), records wait in memory and are tried
    // again every flushSeconds; past this many waiting rows the run is asked to stop.
    size_t maxWaitingRows = 2000000;
    double finalRetrySeconds = 30; // at the end, how long the last records are tried again
};

/// What the recorder tells its run while the database cannot be written: a message for the user
/// and whether the run should stop (with a checkpoint) because too much is waiting. Called on
/// the recorder's thread with its lock held: it must not call the recorder.
using RecordTrouble = std::function<void(const std::string& message, bool stopRun)>;

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
    /// Who hears of a database that cannot be written, and of it being written again.
    void setTroubleHandler(RecordTrouble handler);

private:
    using Command = std::function<void(RunStore&)>;
    using Item = std::variant<std::vector<MetricPoint>, Command>;

    void enqueue(Command command);
    void writerLoop();
    /// Commits `items`; leaves in it, in order, what could not be written for now (a failure
    /// that may pass); records other failures and drops their item.
    void commit(std::deque<Item>& items);
    /// After a commit (lock held): what is left goes first in line again; tells the trouble
    /// handler when the database has just become unwritable, or too much waits.
    void keepUnwritten(std::deque<Item>& left);
    /// Calls the trouble handler (lock held).
    void tellTrouble(const std::string& message, bool stopRun);
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
    std::string m_unavailable;     // why the database cannot be written now; "" = it can
    std::string m_lastUnavailable; // the cause of the last commit that stopped short
    bool m_stopAsked = false;
    RecordTrouble m_trouble;
    std::thread m_thread;
};

} // namespace swav::store
