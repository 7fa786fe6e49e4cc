#pragma once
// Decoding one encoded image file (JPEG, PNG, BMP, WebP, TIFF) for image-folder datasets.
// Built only with OpenCV (SWAV_HAVE_OPENCV). Any thread.

#include "data/Dataset.h"
#include "data/ImageHeader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

/// Largest file read as an image; bigger ones are treated as unreadable.
constexpr int64_t kMaxImageFileBytes = int64_t(256) << 20;
/// Most pixels an image may declare; more is treated as a decompression bomb.
constexpr int64_t kMaxImagePixels = int64_t(1) << 27;

/// Decodes `bytes` and writes `side` x `side` RGB pixels, channels first, to `out` (3 * side *
/// side bytes): the shorter side scaled to `side`, then the centre square. Returns false for
/// bytes that are not a decodable image of a supported format, whose header gives no size
/// (encodedImageSize) or declares more than kMaxImagePixels pixels; never throws. JPEGs are decoded
/// at a reduced size when the shorter side still covers `side` (unless `allowReduced` is false).
bool decodeSquareImage(const std::vector<uint8_t>& bytes, int side, uint8_t* out,
                       bool allowReduced = true);

/// Decodes `bytes`, asks `recipe` for the cuts of image `index` and writes each cut to out[c]:
/// uint8 channels-first RGB (3 x size x size) or, when the recipe finishes crops in workers,
/// its float crops. JPEGs are decoded at 1/2, 1/4 or 1/8 size when every box keeps at least its
/// output's resolution (unless `allowReduced` is false). `originalSize` receives height, width.
/// `reducedBy` (optional) receives the decode reduction used. Returns false for undecodable
/// bytes (as decodeSquareImage); the recipe's exceptions pass.
bool decodeCrops(const std::vector<uint8_t>& bytes, const CropRecipe& recipe, int64_t index,
                 const std::vector<void*>& out, int originalSize[2], bool allowReduced = true,
                 int* reducedBy = nullptr);

/// The whole image as uint8 RGB, channels first, [3, H, W]; an undefined tensor for undecodable
/// bytes (as decodeSquareImage).
at::Tensor decodeOriginalImage(const std::vector<uint8_t>& bytes);

/// Whether the first bytes are those of a format image folders read: JPEG, PNG, BMP, WebP or
/// TIFF. Other decoders OpenCV carries (DICOM, JPEG 2000, OpenEXR, ...) are never reached: some
/// abort the process on crafted input.
bool hasSupportedImageSignature(const uint8_t* bytes, size_t size);

/// The whole file when it is a regular file of at most kMaxImageFileBytes; empty otherwise.
std::vector<uint8_t> readImageFile(const std::string& path);

} // namespace swav
