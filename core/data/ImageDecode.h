#pragma once
// Decoding one encoded image file (JPEG, PNG, BMP, WebP, TIFF) for image-folder datasets.
// Built only with OpenCV (SWAV_HAVE_OPENCV). Any thread.

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

/// Largest file read as an image; bigger ones are treated as unreadable.
constexpr int64_t kMaxImageFileBytes = int64_t(256) << 20;

/// Decodes `bytes` and writes `side` x `side` RGB pixels, channels first, to `out` (3 * side *
/// side bytes): the shorter side scaled to `side`, then the centre square. Returns false for
/// bytes that are not a decodable image of a supported format or that declare more than 2^27
/// pixels (a decompression bomb); never throws.
bool decodeSquareImage(const std::vector<uint8_t>& bytes, int side, uint8_t* out);

/// Whether the first bytes are those of a format image folders read: JPEG, PNG, BMP, WebP or
/// TIFF. Other decoders OpenCV carries (DICOM, JPEG 2000, OpenEXR, ...) are never reached: some
/// abort the process on crafted input.
bool hasSupportedImageSignature(const uint8_t* bytes, size_t size);

/// The whole file when it is a regular file of at most kMaxImageFileBytes; empty otherwise.
std::vector<uint8_t> readImageFile(const std::string& path);

} // namespace swav
