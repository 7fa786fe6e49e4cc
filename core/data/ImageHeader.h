#pragma once
// The size an encoded image declares, read from its header without decoding (no OpenCV), so that
// decompression bombs are refused before a decoder allocates anything.

#include <cstddef>
#include <cstdint>

namespace swav {

/// Height and width that the header of a JPEG, PNG, BMP, WebP or TIFF file declares; false
/// when the bytes are none of these or the header is malformed or truncated. JPEG markers are
/// searched as libjpeg does (bytes between markers are skipped), so that a file libjpeg would
/// decode never slips past with an unknown size.
bool encodedImageSize(const uint8_t* bytes, size_t size, int& height, int& width);

} // namespace swav
