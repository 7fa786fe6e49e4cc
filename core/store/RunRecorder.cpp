#include "store/RunRecorder.h"

#include "store/StoreErrors.h"
#include "util/Sha256.h"

#include <chrono>

namespace swav::store {

namespace {

MetricPoint point(const char* key, int64_t step, int epoch, double value, double wallTime) {
    return MetricPoint{key, step, epoch, value, wallTime};
}

} // namespace

RunRecorder::RunRecorder(const std::string& databasePath, int64_t runId, RecorderOptions options)
    : m_runId(runId)
    , m_options(options) {
    auto store = RunStore::open(databasePath);
    if (!store)
        throw UserError(store.error().message);
    m_store = std::move(*store);
    if (!m_store->run(runId))
        throw UserError(databasePath + ": no run with id " + std::to_string(runId));
    m_thread = std::thread([this] { writerLoop(); });
}

RunRecorder::~RunRecorder() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void RunRecorder::enqueue(Command command) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_queue.emplace_back(std::move(command));
        m_commandQueued = true;
        ++m_enqueued;
    }
    m_wake.notify_all();
}

void RunRecorder::record(std::vector<MetricPoint> points) {
    bool full = false;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_queuedRows += points.size();
        if (!m_queue.empty() && std::holds_alternative<std::vector<MetricPoint>>(m_queue.back())) {
            auto& batch = std::get<std::vector<MetricPoint>>(m_queue.back());
            batch.insert(batch.end(), points.begin(), points.end());
        } else {
            m_queue.emplace_back(std::move(points));
        }
        ++m_enqueued;
        full = m_queuedRows >= m_options.flushRows;
    }
    if (full)
        m_wake.notify_all();
}

void RunRecorder::flush() {
    std::unique_lock<std::mutex> lock(m_mutex);
    const uint64_t target = m_enqueued;
    m_flushNow = true;
    m_wake.notify_all();
    // A database that cannot be written now does not hold the run up: its records wait.
    m_committed.wait(lock, [&] { return m_committedCount >= target || !m_unavailable.empty(); });
}

std::string RunRecorder::firstError() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_error;
}

void RunRecorder::setTroubleHandler(RecordTrouble handler) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_trouble = std::move(handler);
}

void RunRecorder::writerLoop() {
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(m_options.flushSeconds));
    auto nextHeartbeat = Clock::now() + interval;
    Clock::time_point giveUpAt = Clock::time_point::max();
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        if (!m_unavailable.empty()) {
            // Tried again once per interval (sooner only for the end of the run).
            m_wake.wait_for(lock, interval,
                            [&] { return m_stopping && giveUpAt == Clock::time_point::max(); });
        } else {
            // Commands (status, checkpoints) go out at once; metric rows wait for a full batch
            // or the interval.
            m_wake.wait_until(lock, nextHeartbeat, [&] {
                const bool commandQueued =
                    !m_queue.empty() && std::holds_alternative<Command>(m_queue.back());
                return m_stopping || m_flushNow || commandQueued ||
                       m_queuedRows >= m_options.flushRows;
            });
        }
        if (m_stopping && giveUpAt == Clock::time_point::max())
            giveUpAt =
                Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(m_options.finalRetrySeconds));
        std::deque<Item> items;
        items.swap(m_queue);
        m_queuedRows = 0;
        m_flushNow = false;
        m_commandQueued = false;
        const uint64_t target = m_enqueued;
        const bool stopping = m_stopping;
        lock.unlock();

        commit(items);
        if (Clock::now() >= nextHeartbeat) {
            try {
                m_store->heartbeat(m_runId);
            } catch (const std::exception&) {
                // A missed heartbeat is harmless; the next one follows in a second.
            }
            nextHeartbeat = Clock::now() + interval;
        }

        lock.lock();
        if (items.empty()) {
            m_committedCount = target;
            if (!m_unavailable.empty()) {
                m_unavailable.clear();
                tellTrouble(m_store->path() +
                                ": the run database is written again; nothing was lost",
                            false);
            }
        } else {
            keepUnwritten(items);
        }
        m_committed.notify_all();
        if (stopping && m_queue.empty())
            return;
        if (stopping && Clock::now() >= giveUpAt) {
            if (m_error.empty())
                m_error = m_unavailable;
            m_error +=
                " (the run's last " + std::to_string(m_queue.size()) + " records were not written)";
            m_committedCount = m_enqueued;
            m_committed.notify_all();
            return;
        }
    }
}

void RunRecorder::keepUnwritten(std::deque<Item>& left) {
    const bool first = m_unavailable.empty();
    m_unavailable = m_lastUnavailable;
    size_t rows = 0;
    for (auto item = left.rbegin(); item != left.rend(); ++item) {
        if (auto* points = std::get_if<std::vector<MetricPoint>>(&*item))
            rows += points->size();
        m_queue.push_front(std::move(*item));
    }
    m_queuedRows += rows;
    size_t waiting = 0;
    for (const Item& item : m_queue)
        if (auto* points = std::get_if<std::vector<MetricPoint>>(&item))
            waiting += points->size();
    if (first)
        tellTrouble(m_unavailable +
                        "; the records are kept in memory and written when the database can "
                        "be written again",
                    false);
    if (waiting > m_options.maxWaitingRows && !m_stopAsked) {
        m_stopAsked = true;
        tellTrouble(std::to_string(waiting) +
                        " records wait for the run database: stopping the run with a checkpoint",
                    true);
    }
}

void RunRecorder::tellTrouble(const std::string& message, bool stopRun) {
    // Under the lock: setTroubleHandler({}) returns only once no call is under way.
    if (m_trouble)
        m_trouble(message, stopRun);
}

void RunRecorder::commit(std::deque<Item>& items) {
    keepHold();
    while (!items.empty()) {
        Item& item = items.front();
        try {
            if (auto* points = std::get_if<std::vector<MetricPoint>>(&item))
                m_store->appendMetrics(m_runId, *points);
            else
                std::get<Command>(item)(*m_store);
        } catch (const StoreUnavailable& e) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_lastUnavailable = e.what();
            return; // this item and the rest wait for the next try, in order
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_error.empty())
                m_error = e.what();
        }
        items.pop_front();
    }
}

void RunRecorder::keepHold() {
    // Another part of this process may have dropped the database's locks (store/DatabaseHold.h).
    try {
        const HoldRepair repair = m_store->keepHold();
        if (repair == HoldRepair::Reopened || repair == HoldRepair::Lost) {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_error.empty())
                m_error = m_store->path() + ": " + describe(repair);
        }
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_error.empty())
            m_error = e.what();
    }
}

void RunRecorder::onStarted(const RunStarted& started) {
    // Separate commands: the run is marked as started even if the truncation failed.
    enqueue([this, device = started.device](RunStore& store) {
        store.markStarted(m_runId, device, currentProcess());
    });
    enqueue([this, started](RunStore& store) {
        // A resumed run replays the steps after its checkpoint: drop what they will rewrite.
        store.truncateMetrics(m_runId, started.startStep, started.startEpoch);
    });
    std::vector<std::string> files = started.ownFiles;
    if (!started.configFile.empty())
        files.push_back(started.configFile);
    if (!files.empty() || !started.createdFolders.empty())
        enqueue([this, started, files](RunStore& store) {
            store.addRunFiles(m_runId, files, started.createdFolders);
        });
    flush();
}

void RunRecorder::onStep(const StepMetrics& m) {
    const double now = unixNow();
    record({point("loss", m.step, m.epoch, m.loss, now), point("lr", m.step, m.epoch, m.lr, now),
            point("images_per_second", m.step, m.epoch, m.imagesPerSecond, now),
            point("data_ms", m.step, m.epoch, m.dataMs, now),
            point("compute_ms", m.step, m.epoch, m.computeMs, now)});
}

void RunRecorder::onEpoch(const EpochMetrics& m) {
    // The counts before the metrics: whoever reads a report's metrics finds its counts, or those
    // of the epoch's next report (each report replaces the epoch's histogram), never older ones.
    enqueue([this, epoch = m.epoch, usage = m.prototypeUsage](RunStore& store) {
        store.putHistogram(m_runId, epoch, "prototype_usage", usage);
    });
    const double now = unixNow();
    std::vector<MetricPoint> points{
        point("epoch/loss", m.step, m.epoch, m.meanLoss, now),
        point("epoch/empty_prototypes", m.step, m.epoch, m.emptyPrototypes, now),
        point("epoch/code_entropy", m.step, m.epoch, m.codeEntropy, now),
        point("epoch/usage_entropy", m.step, m.epoch, m.usageEntropy, now),
        point("epoch/max_prototype_cosine", m.step, m.epoch, m.maxPrototypeCosine, now),
        point("epoch/near_duplicate_prototypes", m.step, m.epoch, m.nearDuplicatePrototypes, now),
        point("epoch/embedding_std", m.step, m.epoch, m.embeddingStd, now),
        point("epoch/seconds", m.step, m.epoch, m.seconds, now)};
    if (m.knnAccuracy >= 0)
        points.push_back(point("epoch/knn_accuracy", m.step, m.epoch, m.knnAccuracy, now));
    // Only interim reports are marked, so that runs recorded before them read as before.
    if (m.interim)
        points.push_back(point("epoch/interim", m.step, m.epoch, 1, now));
    record(std::move(points));
}

void RunRecorder::onCheckpoint(const CheckpointSaved& saved) {
    enqueue([this, saved](RunStore& store) {
        // Hashed here, off the training thread. A file pruned meanwhile keeps an empty hash.
        std::string digest;
        try {
            digest = sha256OfFile(saved.path);
        } catch (const UserError&) {
        }
        store.addCheckpoint(m_runId, saved.epoch, saved.step, saved.path, saved.bytes, digest);
    });
    // Separate commands: the file is the run's even if its row failed, and the other way round.
    enqueue([this, saved](RunStore& store) {
        store.addRunFiles(m_runId, {saved.path});
        if (!saved.pruned.empty())
            store.forgetRunFiles(m_runId, saved.pruned);
    });
}

void RunRecorder::onFinished(const RunOutcome& outcome) {
    const RunState state = outcome.status == RunStatus::Finished  ? RunState::Finished
                           : outcome.status == RunStatus::Stopped ? RunState::Stopped
                                                                  : RunState::Failed;
    enqueue([this, state, message = outcome.message](RunStore& store) {
        store.setStatus(m_runId, state, message);
    });
    flush();
}

void RunRecorder::setPaused(bool paused) {
    // A run that ended meanwhile keeps its final status.
    enqueue([this, paused](RunStore& store) { store.setPausedIfActive(m_runId, paused); });
}

} // namespace swav::store
