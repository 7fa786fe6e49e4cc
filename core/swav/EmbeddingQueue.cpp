#include "swav/EmbeddingQueue.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

EmbeddingQueue::EmbeddingQueue(int crops, int64_t length, int64_t dim, at::Device device)
    : m_rows(
          at::zeros({crops, length, dim}, at::TensorOptions().device(device).dtype(at::kFloat))) {}

void EmbeddingQueue::push(const std::vector<at::Tensor>& embeddings) {
    torch::NoGradGuard noGrad;
    const int64_t len = length();
    for (size_t crop = 0; crop < embeddings.size(); ++crop) {
        const auto batch = embeddings[crop].size(0);
        if (batch > len)
            throw UserError("queue length " + std::to_string(len) + " is shorter than the batch " +
                            std::to_string(batch));
        auto fifo = m_rows[static_cast<int64_t>(crop)];
        fifo.slice(0, batch, len).copy_(fifo.slice(0, 0, len - batch).clone());
        fifo.slice(0, 0, batch).copy_(embeddings[crop].detach().to(at::kFloat));
        if (crop == 0)
            m_filled = std::min(len, m_filled + batch);
    }
}

void EmbeddingQueue::restore(at::Tensor rows, int64_t filled) {
    m_rows = std::move(rows);
    m_filled = filled;
}

} // namespace swav
