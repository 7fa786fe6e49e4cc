// Image decoding as image folders do it on arbitrary bytes: the header size, the evaluation
// square (OpenCV, scale, centre crop) and training crops cut from the original, at full and at
// reduced JPEG size.
#include "data/ImageDecode.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

/// Boxes relative to whatever size the header declares: whole image, a corner, a sliver.
class FuzzRecipe final : public swav::CropRecipe {
public:
    std::vector<swav::CropCut> cuts(int height, int width, int64_t) const override {
        const double h = height, w = width;
        return {swav::CropCut{0, 0, w, h, 24, false},
                swav::CropCut{w * 0.75, h * 0.75, w * 0.25, h * 0.25, 16, true},
                swav::CropCut{w - 1, 0, 1, h, 8, false}};
    }
    std::vector<int> cutSizes() const override { return {24, 16, 8}; }
    bool finishedInWorkers() const override { return false; }
    void finish(int64_t, int, int, const std::vector<const uint8_t*>&,
                const std::vector<float*>&) const override {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    int height = 0, width = 0;
    swav::encodedImageSize(bytes.data(), bytes.size(), height, width);
    std::vector<uint8_t> out(3 * 32 * 32);
    swav::decodeSquareImage(bytes, 32, out.data());
    const FuzzRecipe recipe;
    std::vector<uint8_t> a(3 * 24 * 24), b(3 * 16 * 16), c(3 * 8 * 8);
    int original[2];
    for (const bool reduced : {true, false})
        swav::decodeCrops(bytes, recipe, 0, {a.data(), b.data(), c.data()}, original, reduced);
    return 0;
}
