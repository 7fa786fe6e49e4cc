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

CropParams sampleCropParams(const CropGroupConfig& g, int groupIndex, int height, int width,
                            std::vector<std::mt19937_64>& imageRngs) {
    const auto batch = static_cast<int64_t>(imageRngs.size());
    CropParams p;
    p.group = groupIndex;
    p.size = g.size;
    p.boxes = at::empty({batch, 4}, at::kFloat);
    p.flipped = at::empty({batch}, at::kBool);
    p.jittered = at::empty({batch}, at::kBool);
    p.jitterFactors = at::empty({batch, 4}, at::kFloat);
    p.grayscale = at::empty({batch}, at::kBool);
    p.blurSigma = at::empty({batch}, at::kFloat);

    auto* boxes = p.boxes.data_ptr<float>();
    auto* flipped = p.flipped.data_ptr<bool>();
    auto* jittered = p.jittered.data_ptr<bool>();
    auto* factors = p.jitterFactors.data_ptr<float>();
    auto* gray = p.grayscale.data_ptr<bool>();
    auto* sigma = p.blurSigma.data_ptr<float>();

    const double s = g.jitterStrength;
    const double bcs = 0.8 * s, hue = 0.2 * s;
    for (int64_t i = 0; i < batch; ++i) {
        auto& rng = imageRngs[static_cast<size_t>(i)];
        sampleBox(g, height, width, rng, boxes + 4 * i);
        flipped[i] = bernoulli(rng, g.flipProb);
        // Draw every factor even when unused so that one probability does not shift the others.
        const float brightness = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
        const float contrast = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
        const float saturation = static_cast<float>(uniform(rng, std::max(0.0, 1 - bcs), 1 + bcs));
        const float hueShift = static_cast<float>(hue > 0 ? uniform(rng, -hue, hue) : 0.0);
        jittered[i] = bernoulli(rng, g.jitterProb) && s > 0;
        float* f = factors + 4 * i;
        if (jittered[i]) {
            f[0] = brightness, f[1] = contrast, f[2] = saturation, f[3] = hueShift;
        } else {
            f[0] = 1, f[1] = 1, f[2] = 1, f[3] = 0;
        }
        gray[i] = bernoulli(rng, g.grayscaleProb);
        const double drawnSigma =
            uniform(rng, g.blurSigmaMin, std::max(g.blurSigmaMin, g.blurSigmaMax));
        sigma[i] = bernoulli(rng, g.blurProb) ? static_cast<float>(drawnSigma) : 0.0f;
    }
    return p;
}

} // namespace swav
