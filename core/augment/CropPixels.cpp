#include "augment/CropPixels.h"

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

float clamp01(float v) {
    return std::min(1.0f, std::max(0.0f, v));
}

float luma(float r, float g, float b) {
    return 0.299f * r + 0.587f * g + 0.114f * b;
}

/// x - floor(x) for x >= 0, without a library call (truncation equals floor there).
float fractionalPart(float x) {
    return x - static_cast<float>(static_cast<int>(x));
}

// The formulas of augment::rgbToHsv / hsvToRgb, one pixel at a time; `shift` in [-0.5, 0.5].
void shiftHue(float& r, float& g, float& b, float shift) {
    const float maxc = std::max({r, g, b}), minc = std::min({r, g, b});
    const bool equal = maxc == minc;
    const float chroma = maxc - minc;
    const float s = chroma / (equal ? 1.0f : maxc);
    const float divisor = equal ? 1.0f : chroma;
    const float rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
    float h;
    if (maxc == r)
        h = bc - gc;
    else if (maxc == g)
        h = 2.0f + rc - bc;
    else
        h = 4.0f + gc - rc;
    // h / 6 lies in (-1/6, 5/6]: +1 and +1 again keep both remainders' arguments positive.
    h = fractionalPart(h / 6.0f + 1.0f);
    h = fractionalPart(h + shift + 1.0f);
    const float v = maxc;
    const float scaled = h * 6.0f;
    const int index = static_cast<int>(scaled) % 6;
    const float f = scaled - static_cast<float>(static_cast<int>(scaled));
    const float p = clamp01(v * (1.0f - s));
    const float q = clamp01(v * (1.0f - s * f));
    const float t = clamp01(v * (1.0f - s * (1.0f - f)));
    switch (index) {
    case 0:
        r = v, g = t, b = p;
        break;
    case 1:
        r = q, g = v, b = p;
        break;
    case 2:
        r = p, g = v, b = t;
        break;
    case 3:
        r = p, g = q, b = v;
        break;
    case 4:
        r = t, g = p, b = v;
        break;
    default:
        r = v, g = p, b = q;
        break;
    }
}

void scaleBrightness(float* planes, int channels, int64_t pixels, float factor) {
    for (int64_t i = 0; i < pixels * channels; ++i)
        planes[i] = clamp01(planes[i] * factor);
}

// Blends with the mean grey level of the image.
void blendContrast(float* planes, int channels, int64_t pixels, float c) {
    double greySum = 0;
    if (channels == 3)
        for (int64_t i = 0; i < pixels; ++i)
            greySum += luma(planes[i], planes[pixels + i], planes[2 * pixels + i]);
    else
        for (int64_t i = 0; i < pixels; ++i)
            greySum += planes[i];
    const float meanGrey = static_cast<float>(greySum / static_cast<double>(pixels));
    for (int64_t i = 0; i < pixels * channels; ++i)
        planes[i] = clamp01(planes[i] * c + meanGrey * (1.0f - c));
}

void blendSaturation(float* planes, int64_t pixels, float s) {
    float* r = planes;
    float* g = planes + pixels;
    float* b = planes + 2 * pixels;
    for (int64_t i = 0; i < pixels; ++i) {
        const float grey = luma(r[i], g[i], b[i]);
        r[i] = clamp01(r[i] * s + grey * (1.0f - s));
        g[i] = clamp01(g[i] * s + grey * (1.0f - s));
        b[i] = clamp01(b[i] * s + grey * (1.0f - s));
    }
}

// The four operations in the crop's order; one-channel crops get brightness and contrast only.
void jitter(float* planes, int channels, int64_t pixels, const float* factors,
            const uint8_t* order) {
    for (int k = 0; k < 4; ++k) {
        const int op = order[k];
        if (op == 0)
            scaleBrightness(planes, channels, pixels, factors[0]);
        else if (op == 1)
            blendContrast(planes, channels, pixels, factors[1]);
        else if (channels == 3 && op == 2)
            blendSaturation(planes, pixels, factors[2]);
        else if (channels == 3 && op == 3 && factors[3] != 0)
            for (int64_t i = 0; i < pixels; ++i)
                shiftHue(planes[i], planes[pixels + i], planes[2 * pixels + i], factors[3]);
    }
}

int reflect(int i, int n) {
    if (i < 0)
        return -i;
    if (i >= n)
        return 2 * (n - 1) - i;
    return i;
}

// Separable blur, vertical pass then horizontal, with reflected borders (no edge repeat). The
// inner loops run along rows so that they vectorise.
void blur(float* planes, int channels, int size, float sigma, double maxSigma,
          std::vector<float>& temp) {
    int radius = static_cast<int>(std::ceil(3.0 * maxSigma));
    radius = std::max(1, std::min(radius, size - 1));
    const float s = std::max(sigma, 1e-3f);
    std::vector<float> kernel(static_cast<size_t>(2 * radius + 1));
    float sum = 0;
    for (int o = -radius; o <= radius; ++o)
        sum += kernel[static_cast<size_t>(o + radius)] = std::exp(-(o * o) / (2.0f * s * s));
    for (auto& k : kernel)
        k /= sum;
    const int64_t plane = int64_t(size) * size;
    const int padded = size + 2 * radius;
    temp.resize(static_cast<size_t>(plane + padded));
    float* column = temp.data();      // one plane: the vertical pass
    float* row = temp.data() + plane; // one reflected row
    for (int c = 0; c < channels; ++c) {
        float* p = planes + c * plane;
        std::fill(column, column + plane, 0.0f);
        for (int y = 0; y < size; ++y) {
            float* out = column + int64_t(y) * size;
            for (int o = -radius; o <= radius; ++o) {
                const float k = kernel[static_cast<size_t>(o + radius)];
                const float* in = p + int64_t(reflect(y + o, size)) * size;
                for (int x = 0; x < size; ++x)
                    out[x] += k * in[x];
            }
        }
        for (int y = 0; y < size; ++y) {
            const float* in = column + int64_t(y) * size;
            for (int x = -radius; x < size + radius; ++x)
                row[x + radius] = in[reflect(x, size)];
            float* out = p + int64_t(y) * size;
            std::fill(out, out + size, 0.0f);
            for (int o = 0; o <= 2 * radius; ++o) {
                const float k = kernel[static_cast<size_t>(o)];
                for (int x = 0; x < size; ++x)
                    out[x] += k * row[x + o];
            }
        }
    }
}

} // namespace

void finishCropPixels(const uint8_t* hwc, int size, int channels, const CropDraw& draw,
                      double blurSigmaMax, const double* mean, const double* std, float* out,
                      CropPixelScratch& scratch) {
    const int64_t pixels = int64_t(size) * size;
    scratch.planes.resize(static_cast<size_t>(pixels * channels));
    float* planes = scratch.planes.data();
    for (int64_t i = 0; i < pixels; ++i)
        for (int c = 0; c < channels; ++c)
            planes[c * pixels + i] = hwc[i * channels + c] * (1.0f / 255.0f);
    if (draw.jittered)
        jitter(planes, channels, pixels, draw.factors, draw.order);
    if (draw.grayscale && channels == 3)
        for (int64_t i = 0; i < pixels; ++i)
            planes[i] = planes[pixels + i] = planes[2 * pixels + i] =
                luma(planes[i], planes[pixels + i], planes[2 * pixels + i]);
    if (draw.blurSigma > 0)
        blur(planes, channels, size, draw.blurSigma, blurSigmaMax, scratch.blurred);
    for (int c = 0; c < channels; ++c) {
        const float m = static_cast<float>(mean[c]);
        const float inv = static_cast<float>(1.0 / std[c]);
        for (int64_t i = 0; i < pixels; ++i)
            out[c * pixels + i] = (planes[c * pixels + i] - m) * inv;
    }
}

} // namespace swav
