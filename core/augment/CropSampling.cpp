#include "augment/CropSampling.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

double uniform(std::mt19937_64& rng, double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(rng);
}

bool bernoulli(std::mt19937_64& rng, double p) {
    return p > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

// torchvision's RandomResizedCrop.get_params, in pixels.
void sampleBox(const CropGroupConfig& g, int height, int width, std::mt19937_64& rng, float* box) {
    const double area = static_cast<double>(height) * width;
    const double logRatioLow = std::log(3.0 / 4.0), logRatioHigh = std::log(4.0 / 3.0);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double targetArea = area * uniform(rng, g.minScale, g.maxScale);
        const double aspect = std::exp(uniform(rng, logRatioLow, logRatioHigh));
        const int w = static_cast<int>(std::lround(std::sqrt(targetArea * aspect)));
        const int h = static_cast<int>(std::lround(std::sqrt(targetArea / aspect)));
        if (w > 0 && h > 0 && w <= width && h <= height) {
            const int y = std::uniform_int_distribution<int>(0, height - h)(rng);
            const int x = std::uniform_int_distribution<int>(0, width - w)(rng);
            box[0] = x, box[1] = y, box[2] = w, box[3] = h;
            return;
        }
    }
    // Fallback: the largest centre crop whose aspect ratio lies in the allowed range.
    const double inRatio = static_cast<double>(width) / height;
    int w = width, h = height;
    if (inRatio < 3.0 / 4.0)
        h = static_cast<int>(std::lround(w / (3.0 / 4.0)));
    else if (inRatio > 4.0 / 3.0)
        w = static_cast<int>(std::lround(h * (4.0 / 3.0)));
    box[0] = (width - w) / 2, box[1] = (height - h) / 2, box[2] = w, box[3] = h;
}

} // namespace

CropDraw drawCrop(const CropGroupConfig& g, int height, int width, std::mt19937_64& rng) {
    CropDraw d;
    sampleBox(g, height, width, rng, d.box);
    d.flipped = bernoulli(rng, g.flipProb);
    const double s = g.jitterStrength;
    const double bcs = 0.8 * s, hue = 0.2 * s;
    // Draw every factor even when unused so that one probability does not shift the others.
    const float brightness = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
    const float contrast = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
    const float saturation = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
    const float hueShift = static_cast<float>(hue > 0 ? uniform(rng, -hue, hue) : 0.0);
    d.jittered = bernoulli(rng, g.jitterProb) && s > 0;
    if (d.jittered) {
        d.factors[0] = brightness, d.factors[1] = contrast, d.factors[2] = saturation;
        d.factors[3] = hueShift;
    }
    d.grayscale = bernoulli(rng, g.grayscaleProb);
    const double drawnSigma =
        uniform(rng, g.blurSigmaMin, std::max(g.blurSigmaMin, g.blurSigmaMax));
    d.blurSigma = bernoulli(rng, g.blurProb) ? static_cast<float>(drawnSigma) : 0.0f;
    // Fisher-Yates, drawn last so that every earlier draw stays as it was without an order.
    for (int i = 3; i > 0; --i)
        std::swap(d.order[i], d.order[std::uniform_int_distribution<int>(0, i)(rng)]);
    return d;
}

std::vector<CropDraw> drawImageCrops(const std::vector<CropGroupConfig>& groups, int height,
                                     int width, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<CropDraw> draws;
    for (const auto& group : groups)
        for (int c = 0; c < group.count; ++c)
            draws.push_back(drawCrop(group, height, width, rng));
    return draws;
}

namespace {

CropParams emptyParams(int groupIndex, int size, int64_t batch) {
    CropParams p;
    p.group = groupIndex;
    p.size = size;
    p.boxes = at::empty({batch, 4}, at::kFloat);
    p.flipped = at::empty({batch}, at::kBool);
    p.jittered = at::empty({batch}, at::kBool);
    p.jitterFactors = at::empty({batch, 4}, at::kFloat);
    p.jitterOrder = at::empty({batch, 4}, at::kLong);
    p.grayscale = at::empty({batch}, at::kBool);
    p.blurSigma = at::empty({batch}, at::kFloat);
    return p;
}

void setRow(CropParams& p, int64_t i, const CropDraw& d) {
    std::copy(d.box, d.box + 4, p.boxes.data_ptr<float>() + 4 * i);
    p.flipped.data_ptr<bool>()[i] = d.flipped;
    p.jittered.data_ptr<bool>()[i] = d.jittered;
    std::copy(d.factors, d.factors + 4, p.jitterFactors.data_ptr<float>() + 4 * i);
    std::copy(d.order, d.order + 4, p.jitterOrder.data_ptr<int64_t>() + 4 * i);
    p.grayscale.data_ptr<bool>()[i] = d.grayscale;
    p.blurSigma.data_ptr<float>()[i] = d.blurSigma;
}

} // namespace

CropParams sampleCropParams(const CropGroupConfig& g, int groupIndex, int height, int width,
                            std::vector<std::mt19937_64>& imageRngs) {
    const auto batch = static_cast<int64_t>(imageRngs.size());
    CropParams p = emptyParams(groupIndex, g.size, batch);
    for (int64_t i = 0; i < batch; ++i)
        setRow(p, i, drawCrop(g, height, width, imageRngs[static_cast<size_t>(i)]));
    return p;
}

CropParams cropParamsFromDraws(const std::vector<CropGroupConfig>& groups, int crop,
                               const std::vector<std::vector<CropDraw>>& imageDraws) {
    int groupIndex = 0, first = 0;
    while (groupIndex + 1 < static_cast<int>(groups.size()) &&
           crop >= first + groups[static_cast<size_t>(groupIndex)].count)
        first += groups[static_cast<size_t>(groupIndex++)].count;
    const auto batch = static_cast<int64_t>(imageDraws.size());
    CropParams p = emptyParams(groupIndex, groups[static_cast<size_t>(groupIndex)].size, batch);
    for (int64_t i = 0; i < batch; ++i)
        setRow(p, i, imageDraws[static_cast<size_t>(i)].at(static_cast<size_t>(crop)));
    return p;
}

} // namespace swav
