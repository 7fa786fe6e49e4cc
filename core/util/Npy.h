#pragma once
// NumPy's .npy format (version 1.0): what `numpy.load` reads without any other package.

#include <cstdint>
#include <string>
#include <vector>

namespace swav {

/// The header of a C-order little-endian float32 array of this shape, padded so that the data
/// starts at a multiple of 64 bytes.
std::string npyFloat32Header(const std::vector<int64_t>& shape);

/// Writes header + data atomically (the file appears complete or not at all).
void writeNpyFloat32(const std::string& path, const float* data, const std::vector<int64_t>& shape);

} // namespace swav
