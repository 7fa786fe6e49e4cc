#include "data/ImageDecode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace swav {

namespace {

// OpenCV reads its pixel limit once, at the first decode; 2^27 pixels (384 MiB as BGR) still
// admits 100-megapixel photographs. A limit the user set in the environment wins.
const bool g_pixelLimitSet = [] {
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "134217728", /*overwrite=*/0);
    return true;
}();

bool startsWith(const uint8_t* bytes, size_t size, const char* prefix, size_t length,
                size_t offset = 0) {
    return size >= offset + length && std::memcmp(bytes + offset, prefix, length) == 0;
}

} // namespace

bool hasSupportedImageSignature(const uint8_t* bytes, size_t size) {
    return startsWith(bytes, size, "\xff\xd8\xff", 3) ||      // JPEG
           startsWith(bytes, size, "\x89PNG\r\n\x1a\n", 8) || // PNG
           startsWith(bytes, size, "BM", 2) ||                // BMP
           (startsWith(bytes, size, "RIFF", 4) && startsWith(bytes, size, "WEBP", 4, 8)) ||
           startsWith(bytes, size, "II*\0", 4) || startsWith(bytes, size, "MM\0*", 4); // TIFF
}

std::vector<uint8_t> readImageFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        return {};
    const std::streamoff size = in.tellg();
    if (size <= 0 || size > kMaxImageFileBytes)
        return {};
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
        return {};
    return bytes;
}

bool decodeSquareImage(const std::vector<uint8_t>& bytes, int side, uint8_t* out) {
    (void)g_pixelLimitSet;
    if (side < 1 || !hasSupportedImageSignature(bytes.data(), bytes.size()))
        return false;
    try {
        const cv::Mat bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
        if (bgr.empty() || bgr.type() != CV_8UC3)
            return false;
        // Shorter side to `side` exactly; the longer side keeps the aspect ratio.
        const int rows = bgr.rows, cols = bgr.cols;
        const double scale = static_cast<double>(side) / std::min(rows, cols);
        const int newRows =
            rows <= cols ? side : std::max(side, static_cast<int>(std::lround(rows * scale)));
        const int newCols =
            cols < rows ? side : std::max(side, static_cast<int>(std::lround(cols * scale)));
        cv::Mat resized = bgr;
        if (newRows != rows || newCols != cols)
            cv::resize(bgr, resized, cv::Size(newCols, newRows), 0, 0,
                       scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        const cv::Mat crop =
            resized(cv::Rect((newCols - side) / 2, (newRows - side) / 2, side, side));
        cv::Mat rgb;
        cv::cvtColor(crop, rgb, cv::COLOR_BGR2RGB);
        // HWC -> CHW.
        const int64_t plane = int64_t(side) * side;
        for (int y = 0; y < side; ++y) {
            const uint8_t* row = rgb.ptr<uint8_t>(y);
            for (int x = 0; x < side; ++x)
                for (int c = 0; c < 3; ++c)
                    out[c * plane + int64_t(y) * side + x] = row[3 * x + c];
        }
        return true;
    } catch (...) {
        return false; // OpenCV throws on some corrupt files and on its pixel limit
    }
}

} // namespace swav
