#pragma once
// What a training run reports, and to whom. Observers are called on the training thread; they
// must return quickly (copy the values, queue them, return). Metric structs are plain values.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace swav {

struct HeldModel; // train/HeldModel.h

struct RunStarted {
    std::string runDir;
    std::string configFile;                  // <runDir>/config.json as written; "" = none
    std::vector<std::string> createdFolders; // folders the trainer had to make (checkpoints/)
    std::string device;                      // "cpu (2 threads)" or "cuda:0 NVIDIA H100 (80 GiB)"
    std::string precision;                   // fp32, bf16, fp16
    int64_t datasetSize = 0;
    int64_t stepsPerEpoch = 0;
    int64_t totalSteps = 0;
    int startEpoch = 0; // > 0 when resumed
    int64_t startStep = 0;
    int epochs = 0;
    int numPrototypes = 0;
    std::vector<std::string> notes;    // worth telling the user (damaged checkpoints skipped, ...)
    int worldSize = 1;                 // processes training together
    std::vector<std::string> ownFiles; // files made for the run before it started (rank logs, the
                                       // image-folder listing), in its folder
};

struct StepMetrics {
    int64_t step = 0;        // global iteration, 0-based (the step just finished)
    int epoch = 0;           // 0-based
    int64_t stepInEpoch = 0; // 0-based
    int64_t stepsPerEpoch = 0;
    double loss = 0; // mean over the steps since the last report
    double lr = 0;
    double imagesPerSecond = 0;
    double dataMs = 0;     // per step: waiting for and copying the batch
    double computeMs = 0;  // per step: augmentation, forward, backward, optimiser
    double etaSeconds = 0; // to the end of training
    bool prototypesFrozen = false;
    bool queueActive = false;
    // Memory of the training device: the CUDA allocator's on a GPU, the process's resident
    // memory on the CPU; -1 = unknown.
    int64_t memoryBytes = -1;
    int64_t memoryPeakBytes = -1; // the most since the process started
};

struct EpochMetrics {
    int epoch = 0;
    int64_t step = 0;     // global step of the epoch's last iteration (interim: the last so far)
    bool interim = false; // the epoch so far (runtime.statistics_every), not its end
    double meanLoss = 0;
    std::vector<int64_t> prototypeUsage; // [K]: argmax assignments of the codes this epoch
    int emptyPrototypes = 0;
    double codeEntropy = 0;           // mean entropy of a code / ln K (1 = uniform, 0 = one-hot)
    double usageEntropy = 0;          // entropy of the usage histogram / ln K (1 = balanced)
    double maxPrototypeCosine = 0;    // largest off-diagonal cosine between prototypes
    int nearDuplicatePrototypes = 0;  // pairs with cosine > 0.99
    double embeddingStd = 0;          // mean per-dimension std of normalised embeddings
    double embeddingStdReference = 0; // 1/sqrt(D): the value of well-spread embeddings
    double seconds = 0;
    bool queueActive = false;
    double knnAccuracy = -1;     // online kNN on the hold-out set; -1 when not run
    int64_t unreadableFiles = 0; // dataset files found unreadable so far, each replaced by another
};

struct CheckpointSaved {
    std::string path;
    int epoch = 0; // epochs completed
    int64_t step = 0;
    int64_t bytes = 0;
    std::vector<std::string> pruned; // older checkpoints and their caches deleted after it
};

enum class RunStatus { Finished, Stopped, Failed };

struct RunOutcome {
    RunStatus status = RunStatus::Finished;
    std::string message; // failure reason, or a summary
    int epochsCompleted = 0;
    int64_t steps = 0;
    double finalLoss = 0; // mean loss of the last completed epoch (or the last window)
    std::string lastCheckpoint;
};

class TrainingObserver {
public:
    virtual ~TrainingObserver() = default;
    virtual void onStarted(const RunStarted&) {}
    virtual void onStep(const StepMetrics&) {}
    virtual void onEpoch(const EpochMetrics&) {}
    virtual void onCheckpoint(const CheckpointSaved&) {}
    /// The trainer holds, paused, before global step `step` (every earlier step is reported).
    virtual void onPaused(int64_t step) { (void)step; }
    /// Observers answering true get a copy of the model just before each onPaused.
    virtual bool wantsHeldModel() const { return false; }
    virtual void onModelHeld(const std::shared_ptr<const HeldModel>& model) { (void)model; }
    virtual void onFinished(const RunOutcome&) {}
};

/// Stop and pause requests from any thread, checked by the trainer between steps.
class TrainingControl {
public:
    void requestStop() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
    }
    void setPaused(bool paused) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_paused = paused;
            m_stepBudget = 0;
        }
        m_wake.notify_all();
    }
    /// Runs `steps` (>= 1) more iterations, then pauses again: stepping through training
    /// (single-process runs; a multi-process trainer ignores the budget and simply resumes).
    void stepThenPause(int steps) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stepBudget = steps < 1 ? 1 : steps;
            m_paused = false;
        }
        m_wake.notify_all();
    }
    /// Trainer thread, after each iteration: true when a stepping budget just ran out, so that
    /// the trainer reports its metrics and pauses.
    bool stepDone() {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stepBudget <= 0 || --m_stepBudget > 0)
            return false;
        m_paused = true;
        return true;
    }
    /// Only sets the flag (no lock, no wake-up), so a signal handler may call it; the trainer
    /// sees it before its next step. A paused trainer is not woken: use requestStop() there.
    void requestStopFromSignal() noexcept { m_stop.store(true, std::memory_order_relaxed); }
    /// Flag only, for signal handlers; a multi-process trainer polls it while paused.
    void setPausedFromSignal(bool paused) noexcept {
        m_paused.store(paused, std::memory_order_relaxed);
    }
    bool stopRequested() const { return m_stop; }
    bool paused() const { return m_paused; }

    /// Blocks while paused; returns early when a stop is requested. Trainer thread only.
    void waitWhilePaused() {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_wake.wait(lock, [this] { return !m_paused || m_stop; });
    }
    /// The same, for at most `timeout` (multi-process runs poll the other ranks meanwhile).
    void waitWhilePausedFor(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_wake.wait_for(lock, timeout, [this] { return !m_paused || m_stop; });
    }

private:
    static_assert(std::atomic<bool>::is_always_lock_free,
                  "requestStopFromSignal() needs a lock-free flag to be async-signal-safe");
    std::atomic<bool> m_stop{false};
    int m_stepBudget = 0; // guarded by m_mutex; > 0 while stepping
    std::atomic<bool> m_paused{false};
    std::mutex m_mutex;
    std::condition_variable m_wake;
};

} // namespace swav
