#include "data/ImageDecode.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

namespace swav {

namespace {

// Images are decoded on a pool of our own threads; OpenCV's threads inside each resize would
// only compete with them.
void prepareOpenCv() {
    static std::once_flag once;
    std::call_once(once, [] { cv::setNumThreads(1); });
}

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

namespace {

bool isJpeg(const std::vector<uint8_t>& bytes) {
    return startsWith(bytes.data(), bytes.size(), "\xff\xd8\xff", 3);
}

/// The largest of 8, 4, 2 by which the original may shrink with every cut keeping at least its
/// output resolution; 1 when none.
int reductionFor(double smallestRatio) {
    for (const int factor : {8, 4, 2})
        if (smallestRatio >= factor)
            return factor;
    return 1;
}

/// Decodes to BGR (grey and palette images expanded), ignoring EXIF orientation, at 1/factor.
cv::Mat decodeBgr(const std::vector<uint8_t>& bytes, int factor) {
    int flags = cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;
    if (factor == 2)
        flags = cv::IMREAD_REDUCED_COLOR_2 | cv::IMREAD_IGNORE_ORIENTATION;
    else if (factor == 4)
        flags = cv::IMREAD_REDUCED_COLOR_4 | cv::IMREAD_IGNORE_ORIENTATION;
    else if (factor == 8)
        flags = cv::IMREAD_REDUCED_COLOR_8 | cv::IMREAD_IGNORE_ORIENTATION;
    cv::Mat bgr = cv::imdecode(bytes, flags);
    if (bgr.empty() || bgr.type() != CV_8UC3)
        return {};
    return bgr;
}

/// The size the header declares; false when it declares none (malformed) or more than
/// kMaxImagePixels: the decoder then never sees the bytes. (OpenCV reads its own pixel limit
/// when its library loads, before any setting of ours could apply.)
bool headerSize(const std::vector<uint8_t>& bytes, int& height, int& width) {
    height = width = 0;
    return encodedImageSize(bytes.data(), bytes.size(), height, width) &&
           int64_t(height) * width <= kMaxImagePixels;
}

void resizeInto(const cv::Mat& source, cv::Mat& target, int rows, int cols) {
    const bool shrinking = source.rows >= rows && source.cols >= cols;
    cv::resize(source, target, cv::Size(cols, rows), 0, 0,
               shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
}

void bgrToPlanarRgb(const cv::Mat& bgr, uint8_t* out) {
    const int rows = bgr.rows, cols = bgr.cols;
    const int64_t plane = int64_t(rows) * cols;
    for (int y = 0; y < rows; ++y) {
        const uint8_t* row = bgr.ptr<uint8_t>(y);
        uint8_t* r = out + int64_t(y) * cols;
        uint8_t* g = r + plane;
        uint8_t* b = g + plane;
        for (int x = 0; x < cols; ++x) {
            b[x] = row[3 * x];
            g[x] = row[3 * x + 1];
            r[x] = row[3 * x + 2];
        }
    }
}

} // namespace

bool decodeSquareImage(const std::vector<uint8_t>& bytes, int side, uint8_t* out,
                       bool allowReduced) {
    prepareOpenCv();
    if (side < 1 || !hasSupportedImageSignature(bytes.data(), bytes.size()))
        return false;
    try {
        int height = 0, width = 0;
        if (!headerSize(bytes, height, width))
            return false;
        const int factor = allowReduced && isJpeg(bytes)
                               ? reductionFor(static_cast<double>(std::min(height, width)) / side)
                               : 1;
        const cv::Mat bgr = decodeBgr(bytes, factor);
        if (bgr.empty())
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
            resizeInto(bgr, resized, newRows, newCols);
        const cv::Mat crop =
            resized(cv::Rect((newCols - side) / 2, (newRows - side) / 2, side, side));
        bgrToPlanarRgb(crop, out);
        return true;
    } catch (const cv::Exception&) {
        return false; // OpenCV throws on some corrupt files and on its pixel limit
    } catch (const std::bad_alloc&) {
        return false;
    }
}

at::Tensor decodeOriginalImage(const std::vector<uint8_t>& bytes) {
    prepareOpenCv();
    if (!hasSupportedImageSignature(bytes.data(), bytes.size()))
        return {};
    try {
        int height = 0, width = 0;
        if (!headerSize(bytes, height, width))
            return {};
        const cv::Mat bgr = decodeBgr(bytes, 1);
        if (bgr.empty())
            return {};
        at::Tensor out = at::empty({3, bgr.rows, bgr.cols}, at::kByte);
        bgrToPlanarRgb(bgr, out.data_ptr<uint8_t>());
        return out;
    } catch (const cv::Exception&) {
        return {};
    } catch (const std::bad_alloc&) {
        return {};
    }
}

namespace {

/// The box of `cut` in the decoded image's pixels (which may be a reduced or mis-declared
/// version of the original), at least one pixel, inside the image.
cv::Rect decodedBox(const CropCut& cut, double scaleX, double scaleY, int cols, int rows) {
    const int x0 = std::clamp(static_cast<int>(std::lround(cut.x * scaleX)), 0, cols - 1);
    const int y0 = std::clamp(static_cast<int>(std::lround(cut.y * scaleY)), 0, rows - 1);
    const int x1 =
        std::clamp(static_cast<int>(std::lround((cut.x + cut.width) * scaleX)), x0 + 1, cols);
    const int y1 =
        std::clamp(static_cast<int>(std::lround((cut.y + cut.height) * scaleY)), y0 + 1, rows);
    return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

} // namespace

bool decodeCrops(const std::vector<uint8_t>& bytes, const CropRecipe& recipe, int64_t index,
                 const std::vector<void*>& out, int originalSize[2], bool allowReduced,
                 int* reducedBy) {
    prepareOpenCv();
    if (!hasSupportedImageSignature(bytes.data(), bytes.size()))
        return false;
    cv::Mat bgr;
    std::vector<CropCut> cuts;
    int height = 0, width = 0;
    try {
        if (!headerSize(bytes, height, width))
            return false;
        // The boxes are drawn from the declared size; the decode size follows from them.
        cuts = recipe.cuts(height, width, index);
        double smallest = 1e9;
        for (const auto& cut : cuts)
            smallest = std::min(smallest, std::min(cut.width, cut.height) / cut.size);
        const int factor = allowReduced && isJpeg(bytes) ? reductionFor(smallest) : 1;
        bgr = decodeBgr(bytes, factor);
        if (bgr.empty())
            return false;
        if (reducedBy)
            *reducedBy = factor;
        const int expectedRows = (height + factor - 1) / factor;
        const int expectedCols = (width + factor - 1) / factor;
        if (factor == 1 && (bgr.rows != expectedRows || bgr.cols != expectedCols)) {
            // A header that disagrees with the pixels: draw from what decoded.
            height = bgr.rows, width = bgr.cols;
            cuts = recipe.cuts(height, width, index);
        }
    } catch (const cv::Exception&) {
        return false;
    } catch (const std::bad_alloc&) {
        return false;
    }
    if (cuts.size() != out.size())
        throw UserError("crop recipe gave " + std::to_string(cuts.size()) + " cuts for " +
                        std::to_string(out.size()) + " outputs");
    originalSize[0] = height, originalSize[1] = width;
    const double scaleX = static_cast<double>(bgr.cols) / width;
    const double scaleY = static_cast<double>(bgr.rows) / height;
    const bool finished = recipe.finishedInWorkers();
    std::vector<cv::Mat> rgbCuts(cuts.size());
    std::vector<const uint8_t*> cutPixels(cuts.size());
    try {
        cv::Mat resized;
        for (size_t c = 0; c < cuts.size(); ++c) {
            const CropCut& cut = cuts[c];
            const cv::Mat roi = bgr(decodedBox(cut, scaleX, scaleY, bgr.cols, bgr.rows));
            resizeInto(roi, resized, cut.size, cut.size);
            if (cut.flipped)
                cv::flip(resized, resized, 1);
            if (!finished) {
                bgrToPlanarRgb(resized, static_cast<uint8_t*>(out[c]));
                continue;
            }
            cv::cvtColor(resized, rgbCuts[c], cv::COLOR_BGR2RGB);
            cutPixels[c] = rgbCuts[c].ptr<uint8_t>(0);
        }
    } catch (const cv::Exception&) {
        return false; // treated as an unreadable image, as a failed decode
    } catch (const std::bad_alloc&) {
        return false;
    }
    if (finished) {
        std::vector<float*> floats(out.size());
        for (size_t c = 0; c < out.size(); ++c)
            floats[c] = static_cast<float*>(out[c]);
        recipe.finish(index, height, width, cutPixels, floats);
    }
    return true;
}

} // namespace swav
