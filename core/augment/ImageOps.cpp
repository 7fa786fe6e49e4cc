#include "augment/MultiCrop.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace swav::augment {

at::Tensor parametersOn(const at::Tensor& cpu, at::Device device, at::ScalarType dtype) {
    const auto converted = cpu.to(dtype);
    if (!device.is_cuda())
        return converted;
    return converted.pin_memory().to(device, /*non_blocking=*/true);
}

at::Tensor resizedCrop(const at::Tensor& images, const at::Tensor& boxes, const at::Tensor& flips,
                       int size) {
    const auto batch = images.size(0);
    const double height = static_cast<double>(images.size(2));
    const double width = static_cast<double>(images.size(3));
    // Affine map from output coordinates in [-1, 1] (pixel edges, align_corners=false) to the
    // box in input coordinates; a negative x scale mirrors the crop.
    auto b = boxes.to(at::kFloat);
    auto x = b.select(1, 0), y = b.select(1, 1), w = b.select(1, 2), h = b.select(1, 3);
    auto sign = 1.0 - 2.0 * flips.to(at::kFloat);
    auto theta = at::zeros({batch, 2, 3}, at::kFloat);
    theta.select(1, 0).select(1, 0).copy_(w / width * sign);
    theta.select(1, 0).select(1, 2).copy_((2 * x + w) / width - 1);
    theta.select(1, 1).select(1, 1).copy_(h / height);
    theta.select(1, 1).select(1, 2).copy_((2 * y + h) / height - 1);
    theta = parametersOn(theta, images.device(), images.scalar_type());
    auto grid = at::affine_grid_generator(theta, {batch, images.size(1), size, size}, false);
    // mode 0 = bilinear, padding 1 = border.
    return at::grid_sampler(images, grid, 0, 1, false);
}

at::Tensor toGrayscale(const at::Tensor& images) {
    if (images.size(1) == 1)
        return images;
    auto luma =
        0.299 * images.select(1, 0) + 0.587 * images.select(1, 1) + 0.114 * images.select(1, 2);
    return luma.unsqueeze(1).expand_as(images).contiguous();
}

at::Tensor rgbToHsv(const at::Tensor& rgb) {
    auto r = rgb.select(1, 0), g = rgb.select(1, 1), b = rgb.select(1, 2);
    auto maxc = std::get<0>(rgb.max(1));
    auto minc = std::get<0>(rgb.min(1));
    auto equal = maxc == minc;
    auto chroma = maxc - minc;
    auto ones = at::ones_like(maxc);
    auto saturation = chroma / at::where(equal, ones, maxc);
    auto divisor = at::where(equal, ones, chroma);
    auto rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
    auto isR = maxc == r;
    auto isG = (maxc == g) & ~isR;
    auto isB = ~(maxc == g) & ~isR;
    auto hue = isR.to(rgb.scalar_type()) * (bc - gc) + isG.to(rgb.scalar_type()) * (2.0 + rc - bc) +
               isB.to(rgb.scalar_type()) * (4.0 + gc - rc);
    hue = at::fmod(hue / 6.0 + 1.0, 1.0);
    return at::stack({hue, saturation, maxc}, 1);
}

at::Tensor hsvToRgb(const at::Tensor& hsv) {
    auto h = hsv.select(1, 0), s = hsv.select(1, 1), v = hsv.select(1, 2);
    auto sector = at::floor(h * 6.0);
    auto f = h * 6.0 - sector;
    auto index = sector.to(at::kLong).remainder(6);
    auto p = at::clamp(v * (1.0 - s), 0.0, 1.0);
    auto q = at::clamp(v * (1.0 - s * f), 0.0, 1.0);
    auto t = at::clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
    auto sectors = at::arange(6, index.options()).view({1, 6, 1, 1});
    auto mask = (index.unsqueeze(1) == sectors).to(hsv.scalar_type()); // [B, 6, H, W]
    auto red = at::stack({v, q, p, p, t, v}, 1);
    auto green = at::stack({t, v, v, q, p, p}, 1);
    auto blue = at::stack({p, p, t, v, v, q}, 1);
    return at::stack({(mask * red).sum(1), (mask * green).sum(1), (mask * blue).sum(1)}, 1);
}

namespace {

/// One of the jitter's operations (0 brightness, 1 contrast, 2 saturation, 3 hue) on `images`
/// with per-image `f` [B, 4] on their device.
at::Tensor colourOperation(int op, const at::Tensor& images, const at::Tensor& f) {
    const auto batch = images.size(0);
    const auto factor = f.select(1, op).view({batch, 1, 1, 1});
    switch (op) {
    case 0:
        return at::clamp(images * factor, 0.0, 1.0);
    case 1: { // blends with the mean grey level of each image
        auto meanGrey = toGrayscale(images).select(1, 0).mean({1, 2}).view({batch, 1, 1, 1});
        return at::clamp(images * factor + meanGrey * (1.0 - factor), 0.0, 1.0);
    }
    case 2:
        return at::clamp(images * factor + toGrayscale(images) * (1.0 - factor), 0.0, 1.0);
    default: {
        auto hsv = rgbToHsv(images);
        auto hue = (hsv.select(1, 0) + f.select(1, 3).view({batch, 1, 1})).remainder(1.0);
        return hsvToRgb(at::stack({hue, hsv.select(1, 1), hsv.select(1, 2)}, 1));
    }
    }
}

} // namespace

at::Tensor colourJitter(const at::Tensor& images, const at::Tensor& factors,
                        const at::Tensor& order) {
    const auto batch = images.size(0);
    const auto f = parametersOn(factors, images.device(), images.scalar_type());
    const auto cpuFactors = factors.to(at::kCPU);
    const auto cpuOrder = order.defined() ? order.to(at::kCPU, at::kLong)
                                          : at::arange(4, at::kLong).repeat({batch, 1});
    // Saturation and hue need colour; a hue shift of 0 is skipped row by row (the HSV round
    // trip is not exact), so that an image's result never depends on the rest of its batch.
    const int operations = images.size(1) == 1 ? 2 : 4;
    const auto shifted = cpuFactors.select(1, 3).ne(0);
    at::Tensor out = images;
    // Each position of the order in turn: every operation on the images that take it there.
    for (int slot = 0; slot < 4; ++slot)
        for (int op = 0; op < operations; ++op) {
            auto takes = cpuOrder.select(1, slot).eq(op);
            if (op == 3)
                takes = takes.logical_and(shifted);
            const auto rows = takes.nonzero().view({-1});
            if (rows.numel() == 0)
                continue;
            if (rows.numel() == batch) {
                out = colourOperation(op, out, f);
                continue;
            }
            const auto index = rows.to(images.device());
            out = out.index_copy(
                0, index,
                colourOperation(op, out.index_select(0, index), f.index_select(0, index)));
        }
    return out;
}

at::Tensor gaussianBlur(const at::Tensor& images, const at::Tensor& sigma, double maxSigma) {
    const auto batch = images.size(0), channels = images.size(1);
    const auto height = images.size(2), width = images.size(3);
    // Three sigmas hold 99.7 % of the mass; reflection padding must stay inside the image.
    int64_t radius = static_cast<int64_t>(std::ceil(3.0 * maxSigma));
    radius = std::max<int64_t>(1, std::min({radius, height - 1, width - 1}));
    const int64_t taps = 2 * radius + 1;

    auto s =
        parametersOn(sigma, images.device(), images.scalar_type()).clamp_min(1e-3).view({batch, 1});
    auto offsets = at::arange(-radius, radius + 1, images.options()).view({1, taps});
    auto kernel = at::exp(-(offsets * offsets) / (2.0 * s * s));
    kernel = kernel / kernel.sum(1, true);          // [B, taps]
    kernel = kernel.repeat_interleave(channels, 0); // [B*C, taps]

    auto planes = images.reshape({1, batch * channels, height, width});
    planes = at::reflection_pad2d(planes, {0, 0, radius, radius});
    planes =
        at::conv2d(planes, kernel.view({batch * channels, 1, taps, 1}), at::Tensor(),
                   at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, batch * channels);
    planes = at::reflection_pad2d(planes, {radius, radius, 0, 0});
    planes =
        at::conv2d(planes, kernel.view({batch * channels, 1, 1, taps}), at::Tensor(),
                   at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, batch * channels);
    auto blurred = planes.view({batch, channels, height, width});
    auto apply = parametersOn(sigma > 0, images.device(), at::kBool).view({batch, 1, 1, 1});
    return at::where(apply, blurred, images);
}

} // namespace swav::augment
