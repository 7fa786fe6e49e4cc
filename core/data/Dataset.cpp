#include "data/Dataset.h"

namespace swav {

void Dataset::prefetchCrops(const std::vector<std::vector<int64_t>>& batches,
                            std::shared_ptr<const CropRecipe> recipe, bool pinned) {
    (void)batches, (void)recipe, (void)pinned;
    throw UserError(description() + ": crops are cut from its images, not from originals");
}

CutCropBatch Dataset::gatherCrops(const std::vector<int64_t>& indices,
                                  const std::shared_ptr<const CropRecipe>& recipe) {
    (void)indices, (void)recipe;
    throw UserError(description() + ": crops are cut from its images, not from originals");
}

} // namespace swav
