#pragma once
// Tensors to QImages for display (uint8 or [0, 1] float, grey or RGB), kept out of widget
// headers so that they never include LibTorch.

#include <QImage>

namespace at {
class Tensor;
}

namespace swav {

/// uint8 [C, H, W] (C = 1 or 3) -> QImage (Grayscale8 or RGB888), deep copy.
QImage imageFromUint8(const at::Tensor& chw);
/// float [C, H, W] in [0, 1] (values outside are clamped) -> QImage.
QImage imageFromUnitFloat(const at::Tensor& chw);

} // namespace swav
