#include "data/BenchImages.h"

#include "data/ImageDecode.h"
#include "util/Expected.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace swav {

namespace {

struct Photo {
    std::string name;
    cv::Mat bgr;
};

/// Photographs have many colours and colour in them: grey scans, drawings, logos and test
/// patterns (flat areas of a few colours) do not.
bool looksLikeAPhotograph(const cv::Mat& bgr) {
    cv::Mat thumb;
    cv::resize(bgr, thumb, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
    std::vector<char> seen(1 << 15, 0);
    int distinct = 0;
    double chroma = 0;
    for (int y = 0; y < thumb.rows; ++y)
        for (int x = 0; x < thumb.cols; ++x) {
            const auto p = thumb.at<cv::Vec3b>(y, x);
            const int key = (p[0] >> 3) << 10 | (p[1] >> 3) << 5 | (p[2] >> 3);
            distinct += seen[static_cast<size_t>(key)] ? 0 : 1;
            seen[static_cast<size_t>(key)] = 1;
            chroma += std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]});
        }
    return distinct >= 250 && chroma / (64.0 * 64.0) >= 8;
}

std::vector<Photo> loadPhotos(const std::string& folder) {
    std::error_code error;
    if (!fs::is_directory(folder, error))
        throw UserError(folder + ": photo folder does not exist (install python3-skimage or give "
                                 "a folder of photographs)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, error))
        if (entry.is_regular_file(error))
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<Photo> photos;
    for (const auto& file : files) {
        const auto bytes = readImageFile(file.string());
        if (!hasSupportedImageSignature(bytes.data(), bytes.size()))
            continue;
        cv::Mat image;
        try {
            image = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
        } catch (const cv::Exception&) {
            continue;
        }
        // Colour photographs only: grey scans, masks and palettes make poor classes.
        if (image.empty() || image.depth() != CV_8U || image.channels() < 3 ||
            std::min(image.rows, image.cols) < 256)
            continue;
        cv::Mat bgr;
        if (image.channels() == 4)
            cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
        else
            bgr = image;
        if (!looksLikeAPhotograph(bgr))
            continue;
        photos.push_back({file.stem().string(), bgr});
    }
    if (photos.empty())
        throw UserError(folder + ": no colour photographs of at least 256 px a side");
    return photos;
}

void requireEmptyOrAbsent(const std::string& folder) {
    std::error_code error;
    if (!fs::exists(folder, error))
        return;
    if (!fs::is_directory(folder, error) || !fs::is_empty(folder, error))
        throw UserError(folder + ": exists and is not an empty folder (images are written only "
                                 "into a new or empty folder)");
}

cv::Mat benchImage(const cv::Mat& photo, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const bool portrait = unit(rng) < 0.25;
    const double shortSide = unit(rng) < 0.7 ? 375 : 333 + unit(rng) * 167;
    const int outCols = portrait ? static_cast<int>(shortSide) : 500;
    const int outRows = portrait ? 500 : static_cast<int>(shortSide);
    const double aspect = static_cast<double>(outCols) / outRows;
    const double area = photo.rows * static_cast<double>(photo.cols) * (0.35 + 0.65 * unit(rng));
    int cols = std::min(photo.cols, static_cast<int>(std::sqrt(area * aspect)));
    int rows = std::min(photo.rows, static_cast<int>(cols / aspect));
    cols = std::min(cols, static_cast<int>(rows * aspect));
    const int x = static_cast<int>(unit(rng) * (photo.cols - cols));
    const int y = static_cast<int>(unit(rng) * (photo.rows - rows));
    cv::Mat out;
    cv::resize(photo(cv::Rect(x, y, std::max(1, cols), std::max(1, rows))), out,
               cv::Size(outCols, outRows), 0, 0,
               cols >= outCols ? cv::INTER_AREA : cv::INTER_CUBIC);
    if (unit(rng) < 0.5)
        cv::flip(out, out, 1);
    // A little exposure change, so that no two images of a class share their pixels.
    out.convertTo(out, -1, 0.85 + 0.3 * unit(rng), -12 + 24 * unit(rng));
    return out;
}

} // namespace

std::string skimagePhotoFolder() {
    return "/usr/lib/python3/dist-packages/skimage/data";
}

BenchImagesReport writeBenchImages(const std::string& photoFolder, const std::string& outFolder,
                                   int64_t count, uint64_t seed) {
    if (count < 1 || count > 10000000)
        throw UserError("image count " + std::to_string(count) + " (expected 1..10000000)");
    const auto photos = loadPhotos(photoFolder);
    requireEmptyOrAbsent(outFolder);
    BenchImagesReport report;
    std::error_code error;
    for (const auto& photo : photos) {
        fs::create_directories(fs::path(outFolder) / photo.name, error);
        if (error)
            throw UserError(outFolder + ": cannot create the folder: " + error.message());
        report.photos.push_back(photo.name);
    }
    std::mt19937_64 rng(seed);
    const std::vector<int> quality{cv::IMWRITE_JPEG_QUALITY, 90};
    std::vector<uint8_t> encoded;
    for (int64_t i = 0; i < count; ++i) {
        const auto& photo = photos[static_cast<size_t>(i) % photos.size()];
        char name[32];
        std::snprintf(name, sizeof name, "%06lld.jpg", static_cast<long long>(i));
        const fs::path path = fs::path(outFolder) / photo.name / name;
        if (!cv::imencode(".jpg", benchImage(photo.bgr, rng), encoded, quality))
            throw UserError(path.string() + ": JPEG encoding failed");
        std::FILE* file = std::fopen(path.c_str(), "wbx"); // never replaces a file
        if (!file)
            throw UserError(path.string() + ": cannot create the file");
        const bool written = std::fwrite(encoded.data(), 1, encoded.size(), file) == encoded.size();
        if (std::fclose(file) != 0 || !written)
            throw UserError(path.string() + ": cannot write the file");
        report.bytes += static_cast<int64_t>(encoded.size());
        ++report.images;
    }
    return report;
}

} // namespace swav
