#include "data/Dataset.h"

#include <ATen/ATen.h>

namespace swav {

SubsetDataset::SubsetDataset(std::shared_ptr<Dataset> base, std::vector<int64_t> positions,
                             std::string what)
    : m_base(std::move(base))
    , m_positions(std::move(positions))
    , m_what(std::move(what)) {
    if (!m_base)
        throw UserError(m_what + ": no base dataset");
    const int64_t count = m_base->size();
    for (const int64_t position : m_positions)
        if (position < 0 || position >= count)
            throw UserError(m_what + ": position " + std::to_string(position) + " out of range (" +
                            m_base->description() + " has " + std::to_string(count) + " images)");
}

at::Tensor SubsetDataset::labels() const {
    const at::Tensor base = m_base->labels();
    if (!base.defined())
        return {};
    if (m_positions.empty())
        return at::empty({0}, at::kLong);
    return base.index_select(0, at::tensor(m_positions, at::kLong));
}

ImageBatch SubsetDataset::gather(const std::vector<int64_t>& indices) {
    std::vector<int64_t> mapped;
    mapped.reserve(indices.size());
    for (const int64_t index : indices) {
        if (index < 0 || index >= size())
            throw UserError(description() + ": index " + std::to_string(index) +
                            " out of range (dataset has " + std::to_string(size()) + " images)");
        mapped.push_back(m_positions[static_cast<size_t>(index)]);
    }
    ImageBatch batch = m_base->gather(mapped);
    // Callers see positions in this dataset, not in the base.
    batch.indices = indices.empty() ? at::empty({0}, at::kLong) : at::tensor(indices, at::kLong);
    return batch;
}

std::string SubsetDataset::description() const {
    return m_what + " of " + m_base->description();
}

void SubsetDataset::prefetch(const std::vector<std::vector<int64_t>>& batches) {
    std::vector<std::vector<int64_t>> mapped;
    mapped.reserve(batches.size());
    for (const auto& batch : batches) {
        auto& out = mapped.emplace_back();
        out.reserve(batch.size());
        for (const int64_t index : batch) {
            if (index < 0 || index >= size())
                throw UserError(description() + ": prefetch index " + std::to_string(index) +
                                " out of range (dataset has " + std::to_string(size()) +
                                " images)");
            out.push_back(m_positions[static_cast<size_t>(index)]);
        }
    }
    m_base->prefetch(mapped);
}

} // namespace swav
