#pragma once
// Fills planned batches on a pool of threads, image by image, in plan order, never more than a
// set number of batches ahead of the consumer. Knows nothing of images: the caller allocates a
// batch in `begin` and fills one of its images in `fill`.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace swav {

class BatchFiller {
public:
    /// Called once per batch, in order, before any of its images, with the filler's lock held.
    using Begin = std::function<void(size_t batch)>;
    /// Fills image `image` of `batch`; called concurrently for different images.
    using Fill = std::function<void(size_t batch, size_t image)>;

    /// `threads` < 1 means one per core.
    explicit BatchFiller(int threads);
    ~BatchFiller() { stop(); }
    BatchFiller(const BatchFiller&) = delete;
    BatchFiller& operator=(const BatchFiller&) = delete;

    /// Starts filling batches of these sizes, at most `depth` (>= 1) begun and not yet released.
    /// Stops a previous plan first.
    void start(std::vector<size_t> batchSizes, size_t depth, Begin begin, Fill fill);
    /// Blocks until `batch` is filled; rethrows the first exception a `begin` or `fill` threw.
    void waitFor(size_t batch);
    /// The consumer is done with every batch before `batch`: their slots go to the next ones.
    void releaseBefore(size_t batch);
    /// Cancels the plan and joins the threads; safe to call at any time.
    void stop();

    int threads() const { return m_threadCount; }

private:
    void workerLoop();

    int m_threadCount;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::thread> m_threads;
    std::vector<size_t> m_sizes;
    std::vector<size_t> m_filled;
    size_t m_depth = 1;
    size_t m_nextBatch = 0; // the batch whose images are being handed out
    size_t m_nextImage = 0;
    size_t m_begun = 0;    // batches whose `begin` ran
    size_t m_released = 0; // batches the consumer is done with
    bool m_stopping = false;
    std::exception_ptr m_error;
    Begin m_begin;
    Fill m_fill;
};

} // namespace swav
