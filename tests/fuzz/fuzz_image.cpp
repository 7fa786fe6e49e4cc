// Image decoding as image folders do it (OpenCV, then scale and centre crop) on arbitrary bytes.
#include "data/ImageDecode.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    std::vector<uint8_t> out(3 * 32 * 32);
    swav::decodeSquareImage(bytes, 32, out.data());
    return 0;
}
