#include "data/Dataset.h"

#include <ATen/ATen.h>

#include <sstream>

namespace swav {
namespace {

std::string shapeText(const at::Tensor& tensor) {
    std::ostringstream out;
    out << tensor.sizes() << " " << tensor.scalar_type();
    return out.str();
}

} // namespace

InMemoryDataset::InMemoryDataset(at::Tensor images, at::Tensor labels,
                                 std::vector<std::string> classNames, std::string description)
    : m_classNames(std::move(classNames))
    , m_description(std::move(description)) {
    if (!images.defined() || images.dim() != 4 || images.scalar_type() != at::kByte)
        throw UserError(m_description + ": images must be uint8 [N, C, H, W], got " +
                        (images.defined() ? shapeText(images) : std::string("nothing")));
    if (labels.defined() && (labels.dim() != 1 || labels.scalar_type() != at::kLong ||
                             labels.size(0) != images.size(0)))
        throw UserError(m_description + ": labels must be int64 [" +
                        std::to_string(images.size(0)) + "], got " + shapeText(labels));
    m_images = images.to(at::kCPU).contiguous();
    if (labels.defined())
        m_labels = labels.to(at::kCPU).contiguous();
}

int64_t InMemoryDataset::size() const {
    return m_images.size(0);
}
int InMemoryDataset::channels() const {
    return static_cast<int>(m_images.size(1));
}
int InMemoryDataset::height() const {
    return static_cast<int>(m_images.size(2));
}
int InMemoryDataset::width() const {
    return static_cast<int>(m_images.size(3));
}

ImageBatch InMemoryDataset::gather(const std::vector<int64_t>& indices) {
    const int64_t count = size();
    for (const int64_t index : indices)
        if (index < 0 || index >= count)
            throw UserError(m_description + ": index " + std::to_string(index) +
                            " out of range (dataset has " + std::to_string(count) + " images)");
    ImageBatch batch;
    batch.indices = at::tensor(indices, at::kLong);
    if (indices.empty())
        batch.indices = at::empty({0}, at::kLong);
    batch.images = m_images.index_select(0, batch.indices).contiguous();
    batch.labels = m_labels.defined() ? m_labels.index_select(0, batch.indices)
                                      : at::full({batch.indices.size(0)}, -1, at::kLong);
    return batch;
}

} // namespace swav
