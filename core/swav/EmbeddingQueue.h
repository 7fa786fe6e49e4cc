#pragma once
// Past embeddings of the assignment crops (SwAV's queue for small batches). One FIFO per
// assignment crop, newest rows first; used for the codes once full.

#include <ATen/Tensor.h>

#include <cstdint>

namespace swav {

class EmbeddingQueue {
public:
    EmbeddingQueue() = default;
    /// `crops` FIFOs of `length` rows of `dim` floats on `device`.
    EmbeddingQueue(int crops, int64_t length, int64_t dim, at::Device device);

    bool exists() const { return m_rows.defined(); }
    bool full() const { return exists() && m_filled >= length(); }
    int64_t length() const { return exists() ? m_rows.size(1) : 0; }
    int64_t filled() const { return m_filled; }

    /// Stored embeddings of assignment crop `crop`, [length, dim], newest first.
    at::Tensor rows(int crop) const { return m_rows[crop]; }

    /// Shifts the FIFO of every crop by B and writes the newest embeddings at the front.
    /// embeddings[i]: float [B, dim] for assignment crop i (detached inside).
    void push(const std::vector<at::Tensor>& embeddings);

    /// Whole state for checkpoints: [crops, length, dim] float and the fill count.
    const at::Tensor& state() const { return m_rows; }
    void restore(at::Tensor rows, int64_t filled);

private:
    at::Tensor m_rows;
    int64_t m_filled = 0;
};

} // namespace swav
