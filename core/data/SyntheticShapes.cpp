// Seeded synthetic shapes: a filled shape per class on a noisy background. Uses its own
// generator (never torch's global RNG) so the data depends on (count, classes, side, seed) only.
#include "data/Dataset.h"

#include <ATen/ATen.h>

#include <array>
#include <cmath>
#include <random>

namespace swav {
namespace {

const std::array<const char*, 8> kShapeNames = {
    "circle", "square", "triangle", "cross", "ring", "horizontal bar", "vertical bar", "diamond"};

/// Whether (dx, dy), in units of the shape radius from its centre, lies inside shape `kind`.
bool inside(int kind, float dx, float dy) {
    const float ax = std::fabs(dx), ay = std::fabs(dy);
    const float r2 = dx * dx + dy * dy;
    switch (kind) {
    case 0:
        return r2 <= 1.0f;
    case 1:
        return ax <= 0.8f && ay <= 0.8f;
    case 2:
        return dy >= -1.0f && dy <= 0.8f && ax <= 0.95f * (dy + 1.0f) / 1.8f;
    case 3:
        return (ax <= 0.3f && ay <= 1.0f) || (ay <= 0.3f && ax <= 1.0f);
    case 4:
        return r2 <= 1.0f && r2 >= 0.3f;
    case 5:
        return ax <= 1.0f && ay <= 0.3f;
    case 6:
        return ax <= 0.3f && ay <= 1.0f;
    default:
        return ax + ay <= 1.0f;
    }
}

/// Uniform real in [lo, hi) from 53 random bits, identical on every platform (unlike
/// std::uniform_real_distribution, whose algorithm the standard leaves open).
double uniform(std::mt19937_64& rng, double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

uint8_t clampByte(int value) {
    return static_cast<uint8_t>(std::min(255, std::max(0, value)));
}

} // namespace

std::shared_ptr<InMemoryDataset> makeSyntheticShapes(int64_t count, int classes, int side,
                                                     int channels, uint64_t seed) {
    if (count < 1)
        throw UserError("synthetic: count " + std::to_string(count) + " (expected at least 1)");
    if (classes < 1 || classes > static_cast<int>(kShapeNames.size()))
        throw UserError("synthetic: classes " + std::to_string(classes) + " (expected 1..8)");
    if (side < 8 || side > 1024)
        throw UserError("synthetic: image side " + std::to_string(side) +
                        " (expected 8..1024 pixels)");
    if (channels != 1 && channels != 3)
        throw UserError("synthetic: channels " + std::to_string(channels) + " (expected 1 or 3)");

    std::mt19937_64 rng(seed);
    at::Tensor images = at::empty({count, channels, side, side}, at::kByte);
    at::Tensor labels = at::empty({count}, at::kLong);
    auto* pixels = images.data_ptr<uint8_t>();
    auto* labelOut = labels.data_ptr<int64_t>();
    const int64_t plane = int64_t(side) * side;

    for (int64_t n = 0; n < count; ++n) {
        const int kind = static_cast<int>(n % classes); // balanced classes
        labelOut[n] = kind;
        const float cx = static_cast<float>(uniform(rng, 0.35, 0.65) * side);
        const float cy = static_cast<float>(uniform(rng, 0.35, 0.65) * side);
        const float radius = static_cast<float>(uniform(rng, 0.2, 0.33) * side);
        // Dark shape on a light background or the reverse, so every channel has contrast.
        const bool lightBackground = (rng() & 1) != 0;
        std::array<int, 3> background{}, foreground{};
        for (int c = 0; c < channels; ++c) {
            const int dark = static_cast<int>(uniform(rng, 10, 100));
            const int light = static_cast<int>(uniform(rng, 155, 245));
            background[c] = lightBackground ? light : dark;
            foreground[c] = lightBackground ? dark : light;
        }
        uint8_t* image = pixels + n * channels * plane;
        uint64_t noiseBits = 0;
        int noiseLeft = 0;
        for (int y = 0; y < side; ++y) {
            const float dy = (static_cast<float>(y) + 0.5f - cy) / radius;
            for (int x = 0; x < side; ++x) {
                const float dx = (static_cast<float>(x) + 0.5f - cx) / radius;
                const bool in = inside(kind, dx, dy);
                for (int c = 0; c < channels; ++c) {
                    if (noiseLeft == 0) { // one 64-bit draw gives eight noise bytes
                        noiseBits = rng();
                        noiseLeft = 8;
                    }
                    const int noise = static_cast<int>(noiseBits & 0xff) % 25 - 12;
                    noiseBits >>= 8;
                    --noiseLeft;
                    image[c * plane + y * side + x] =
                        clampByte((in ? foreground[c] : background[c]) + noise);
                }
            }
        }
    }

    std::vector<std::string> names(kShapeNames.begin(), kShapeNames.begin() + classes);
    return std::make_shared<InMemoryDataset>(
        std::move(images), std::move(labels), std::move(names),
        "synthetic shapes (" + std::to_string(count) + " images, " + std::to_string(classes) +
            " classes, " + std::to_string(side) + "px, seed " + std::to_string(seed) + ")");
}

} // namespace swav
