#include "ImageConversion.h"

#include <ATen/ATen.h>

#include <cstring>

namespace swav {

QImage imageFromUint8(const at::Tensor& chw) {
    const at::Tensor hwc = chw.to(at::kCPU).permute({1, 2, 0}).contiguous();
    const int height = int(hwc.size(0));
    const int width = int(hwc.size(1));
    const int channels = int(hwc.size(2));
    QImage image(width, height, channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    const uint8_t* source = hwc.data_ptr<uint8_t>();
    for (int y = 0; y < height; ++y)
        std::memcpy(image.scanLine(y), source + size_t(y) * width * channels,
                    size_t(width) * channels);
    return image;
}

QImage imageFromUnitFloat(const at::Tensor& chw) {
    return imageFromUint8((chw.to(at::kCPU, at::kFloat).clamp(0, 1) * 255.0).round().to(at::kByte));
}

} // namespace swav
