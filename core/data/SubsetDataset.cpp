#include "data/Dataset.h"

#include <ATen/ATen.h>

#include <unordered_map>

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

std::vector<int64_t> SubsetDataset::basePositions(const std::vector<int64_t>& indices) const {
    std::vector<int64_t> mapped;
    mapped.reserve(indices.size());
    for (const int64_t index : indices) {
        if (index < 0 || index >= size())
            throw UserError(description() + ": index " + std::to_string(index) +
                            " out of range (dataset has " + std::to_string(size()) + " images)");
        mapped.push_back(m_positions[static_cast<size_t>(index)]);
    }
    return mapped;
}

std::vector<std::vector<int64_t>>
SubsetDataset::basePositions(const std::vector<std::vector<int64_t>>& batches) const {
    std::vector<std::vector<int64_t>> mapped;
    mapped.reserve(batches.size());
    for (const auto& batch : batches)
        mapped.push_back(basePositions(batch));
    return mapped;
}

ImageBatch SubsetDataset::gather(const std::vector<int64_t>& indices) {
    ImageBatch batch = m_base->gather(basePositions(indices));
    // Callers see positions in this dataset, not in the base.
    batch.indices = indices.empty() ? at::empty({0}, at::kLong) : at::tensor(indices, at::kLong);
    return batch;
}

std::string SubsetDataset::itemName(int64_t index) const {
    return m_base->itemName(basePositions(std::vector<int64_t>{index})[0]);
}

bool SubsetDataset::replacedByStandIn(int64_t index) const {
    return m_base->replacedByStandIn(basePositions(std::vector<int64_t>{index})[0]);
}

at::Tensor SubsetDataset::original(int64_t index) {
    return m_base->original(basePositions(std::vector<int64_t>{index})[0]);
}

namespace {

/// Hands the base dataset's positions to the caller's recipe as the subset's positions, so that
/// crops are drawn for the images the caller named.
class SubsetRecipe final : public CropRecipe {
public:
    SubsetRecipe(std::shared_ptr<const CropRecipe> inner,
                 std::unordered_map<int64_t, int64_t> subsetOfBase)
        : m_inner(std::move(inner))
        , m_subsetOfBase(std::move(subsetOfBase)) {}
    std::vector<CropCut> cuts(int height, int width, int64_t index) const override {
        return m_inner->cuts(height, width, subsetIndex(index));
    }
    std::vector<int> cutSizes() const override { return m_inner->cutSizes(); }
    bool finishedInWorkers() const override { return m_inner->finishedInWorkers(); }
    void finish(int64_t index, int height, int width, const std::vector<const uint8_t*>& cutPixels,
                const std::vector<float*>& out) const override {
        m_inner->finish(subsetIndex(index), height, width, cutPixels, out);
    }

private:
    int64_t subsetIndex(int64_t base) const {
        const auto found = m_subsetOfBase.find(base);
        if (found == m_subsetOfBase.end())
            throw UserError("subset: position " + std::to_string(base) + " was not planned");
        return found->second;
    }
    std::shared_ptr<const CropRecipe> m_inner;
    std::unordered_map<int64_t, int64_t> m_subsetOfBase;
};

} // namespace

std::shared_ptr<const CropRecipe>
SubsetDataset::baseRecipe(std::shared_ptr<const CropRecipe> recipe) const {
    std::unordered_map<int64_t, int64_t> subsetOfBase;
    subsetOfBase.reserve(m_positions.size());
    for (size_t i = 0; i < m_positions.size(); ++i)
        subsetOfBase.emplace(m_positions[i], static_cast<int64_t>(i));
    return std::make_shared<SubsetRecipe>(std::move(recipe), std::move(subsetOfBase));
}

void SubsetDataset::prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                                  std::shared_ptr<const CropRecipe> recipe, bool pinned) {
    m_base->prefetchCrops(basePositions(batches), baseRecipe(std::move(recipe)), pinned);
}

CutCropBatch SubsetDataset::gatherCrops(const std::vector<int64_t>& indices,
                                        const std::shared_ptr<const CropRecipe>& recipe) {
    const auto mapped = basePositions(indices);
    std::unordered_map<int64_t, int64_t> subsetOfBase;
    for (size_t i = 0; i < indices.size(); ++i)
        subsetOfBase.emplace(mapped[i], indices[i]);
    CutCropBatch batch = m_base->gatherCrops(
        mapped, std::make_shared<SubsetRecipe>(recipe, std::move(subsetOfBase)));
    batch.indices = indices.empty() ? at::empty({0}, at::kLong) : at::tensor(indices, at::kLong);
    return batch;
}

std::string SubsetDataset::description() const {
    return m_what + " of " + m_base->description();
}

void SubsetDataset::prefetch(const std::vector<std::vector<int64_t>>& batches) {
    m_base->prefetch(basePositions(batches));
}

} // namespace swav
