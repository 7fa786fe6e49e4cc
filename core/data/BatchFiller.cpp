#include "data/BatchFiller.h"

#include "util/Expected.h"

#include <algorithm>

namespace swav {

BatchFiller::BatchFiller(int threads)
    : m_threadCount(threads > 0
                        ? threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

void BatchFiller::start(std::vector<size_t> batchSizes, size_t depth, Begin begin, Fill fill) {
    stop();
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_sizes = std::move(batchSizes);
        m_filled.assign(m_sizes.size(), 0);
        m_depth = std::max<size_t>(1, depth);
        m_nextBatch = m_nextImage = m_begun = m_released = 0;
        m_stopping = false;
        m_error = nullptr;
        m_begin = std::move(begin);
        m_fill = std::move(fill);
    }
    if (m_sizes.empty())
        return;
    for (int t = 0; t < m_threadCount; ++t)
        m_threads.emplace_back([this] { workerLoop(); });
}

void BatchFiller::workerLoop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        m_changed.wait(lock, [this] {
            return m_stopping || m_error || m_nextBatch >= m_sizes.size() ||
                   m_nextBatch < m_released + m_depth;
        });
        if (m_stopping || m_error || m_nextBatch >= m_sizes.size())
            return;
        const size_t batch = m_nextBatch, image = m_nextImage;
        try {
            if (m_begun == batch) {
                m_begin(batch);
                ++m_begun;
            }
        } catch (...) {
            m_error = std::current_exception();
            m_changed.notify_all();
            return;
        }
        if (image >= m_sizes[batch]) { // an empty batch
            ++m_nextBatch;
            m_changed.notify_all();
            continue;
        }
        if (++m_nextImage >= m_sizes[batch]) {
            ++m_nextBatch;
            m_nextImage = 0;
        }
        lock.unlock();
        try {
            m_fill(batch, image);
        } catch (...) {
            lock.lock();
            if (!m_error)
                m_error = std::current_exception();
            m_changed.notify_all();
            return;
        }
        lock.lock();
        if (++m_filled[batch] == m_sizes[batch])
            m_changed.notify_all();
    }
}

void BatchFiller::waitFor(size_t batch) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (batch >= m_sizes.size())
        throw UserError("batch " + std::to_string(batch) + " was not planned");
    m_changed.wait(lock, [&] {
        return m_error || m_stopping || (m_begun > batch && m_filled[batch] == m_sizes[batch]);
    });
    if (m_error)
        std::rethrow_exception(m_error);
    if (m_stopping)
        throw UserError("the batch reader was stopped");
}

void BatchFiller::releaseBefore(size_t batch) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_released = std::max(m_released, batch);
    }
    m_changed.notify_all();
}

void BatchFiller::stop() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
    for (auto& thread : m_threads)
        thread.join();
    m_threads.clear();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_begin = nullptr;
    m_fill = nullptr;
}

} // namespace swav
