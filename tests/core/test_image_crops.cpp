// Training crops cut from full-resolution originals: crop draws, the decoding threads' colour
// steps against the tensor ones, the batch filler, and (with OpenCV) image folders.
#include "TestHarness.h"

#include "TinySynthetic.h"
#include "augment/CropPixels.h"
#include "augment/CropSampling.h"
#include "augment/MultiCrop.h"
#include "config/ConfigJson.h"
#include "data/BatchFiller.h"
#include "data/Dataset.h"
#include "eval/Embedding.h"
#include "eval/Features.h"
#include "eval/LinearProbe.h"
#include "model/ModelState.h"
#include "model/SwavModel.h"
#include "runtime/Checkpoint.h"
#include "runtime/MultiCropRecipe.h"
#include "train/Trainer.h"
#include "util/SeedMix.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

#ifdef SWAV_TEST_HAVE_OPENCV
#include "data/BenchImages.h"
#include "data/ImageDecode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

using namespace swav;

namespace {

CropGroupConfig groupOf(int count, int size, double minScale, double maxScale) {
    CropGroupConfig g;
    g.count = count;
    g.size = size;
    g.minScale = minScale;
    g.maxScale = maxScale;
    return g;
}

std::shared_ptr<MultiCropRecipe> recipeOf(std::vector<CropGroupConfig> groups, bool inWorkers,
                                          uint64_t seed = 5) {
    return std::make_shared<MultiCropRecipe>(
        std::move(groups), std::vector<double>{0.4, 0.5, 0.6}, std::vector<double>{0.2, 0.25, 0.3},
        [seed](int64_t index) { return mixSeed(seed, static_cast<uint64_t>(index)); }, inWorkers);
}

} // namespace

TEST(ImageCrops, CropBoxesReachEveryBorderOfANonSquareOriginal) {
    // 500 x 375 original, as ImageNet photos: the boxes are drawn from the whole image.
    const auto recipe = recipeOf({groupOf(2, 224, 0.14, 1.0), groupOf(6, 96, 0.05, 0.14)}, true);
    const int height = 375, width = 500;
    bool left = false, top = false, right = false, bottom = false;
    double smallest[2] = {1, 1}, largest[2] = {0, 0};
    for (int64_t index = 0; index < 3000; ++index) {
        const auto cuts = recipe->cuts(height, width, index);
        ASSERT_EQ(cuts.size(), size_t(8));
        for (size_t c = 0; c < cuts.size(); ++c) {
            const auto& cut = cuts[c];
            ASSERT_TRUE(cut.x >= 0 && cut.y >= 0 && cut.x + cut.width <= width &&
                        cut.y + cut.height <= height);
            left |= cut.x == 0;
            top |= cut.y == 0;
            right |= cut.x + cut.width == width;
            bottom |= cut.y + cut.height == height;
            const double fraction = cut.width * cut.height / (double(height) * width);
            const int group = c < 2 ? 0 : 1;
            smallest[group] = std::min(smallest[group], fraction);
            largest[group] = std::max(largest[group], fraction);
            ASSERT_EQ(cut.size, c < 2 ? 224 : 96);
        }
    }
    ASSERT_TRUE(left && top && right && bottom);
    // Area fractions stay in the configured ranges (pixel rounding of the sides aside) and
    // cover them.
    ASSERT_TRUE(smallest[0] >= 0.14 * 0.98 && smallest[0] < 0.16);
    ASSERT_TRUE(largest[0] <= 1.0 && largest[0] > 0.95);
    ASSERT_TRUE(smallest[1] >= 0.05 * 0.97 && smallest[1] < 0.06);
    ASSERT_TRUE(largest[1] <= 0.14 * 1.03 && largest[1] > 0.13);
}

TEST(ImageCrops, RecipeDrawsTheCropsTheAugmenterDrawsFromTheSameSeed) {
    const std::vector<CropGroupConfig> groups{groupOf(2, 24, 0.3, 1.0), groupOf(3, 12, 0.1, 0.3)};
    const auto recipe = recipeOf(groups, false, 17);
    MultiCropAugmenter augmenter(groups, {0.4, 0.5, 0.6}, {0.2, 0.25, 0.3});
    const auto images = at::randint(0, 256, {4, 3, 40, 56}, at::kByte);
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < 4; ++i)
        seeds.push_back(mixSeed(17, static_cast<uint64_t>(i)));
    const auto batch = augmenter.apply(images, seeds);
    for (int64_t i = 0; i < 4; ++i) {
        const auto cuts = recipe->cuts(40, 56, i);
        for (size_t c = 0; c < cuts.size(); ++c) {
            const auto box = batch.params[c].boxes[i];
            ASSERT_EQ(box[0].item<float>(), float(cuts[c].x));
            ASSERT_EQ(box[1].item<float>(), float(cuts[c].y));
            ASSERT_EQ(box[2].item<float>(), float(cuts[c].width));
            ASSERT_EQ(box[3].item<float>(), float(cuts[c].height));
            ASSERT_EQ(batch.params[c].flipped[i].item<bool>(), cuts[c].flipped);
        }
    }
}

TEST(ImageCrops, WorkerColourStepsMatchTheTensorOnes) {
    // Every step switched on and off across 64 crops: jitter with hue, grayscale and blur.
    CropGroupConfig g = groupOf(1, 32, 0.2, 1.0);
    g.jitterProb = 0.7;
    g.grayscaleProb = 0.3;
    g.blurProb = 0.5;
    const std::vector<double> mean{0.4, 0.5, 0.6}, stdev{0.2, 0.25, 0.3};
    MultiCropAugmenter augmenter({g}, mean, stdev);
    const int64_t count = 64;
    const auto cut = at::randint(0, 256, {count, 3, 32, 32}, at::kByte);
    std::vector<std::vector<CropDraw>> draws;
    for (int64_t i = 0; i < count; ++i)
        draws.push_back(drawImageCrops({g}, 100, 80, mixSeed(3, static_cast<uint64_t>(i))));
    auto params = cropParamsFromDraws({g}, 0, draws);
    ASSERT_TRUE(params.jittered.any().item<bool>() && params.grayscale.any().item<bool>());
    ASSERT_TRUE((params.blurSigma > 0).any().item<bool>() &&
                (params.blurSigma == 0).any().item<bool>());
    const auto tensorCrops = augmenter.finish({cut}, {params}).crops[0];

    CropPixelScratch scratch;
    auto pixelCrops = at::empty({count, 3, 32, 32}, at::kFloat);
    const auto hwc = cut.permute({0, 2, 3, 1}).contiguous();
    for (int64_t i = 0; i < count; ++i)
        finishCropPixels(hwc[i].data_ptr<uint8_t>(), 32, 3, draws[size_t(i)][0], g.blurSigmaMax,
                         mean.data(), stdev.data(), pixelCrops[i].data_ptr<float>(), scratch);
    const double worst = (pixelCrops - tensorCrops).abs().max().item<double>();
    ASSERT_TRUE(worst < 2e-4) << "largest difference " + std::to_string(worst);
}

TEST(ImageCrops, BatchFillerFillsInOrderAndPassesErrors) {
    BatchFiller filler(2);
    std::vector<std::vector<int>> slots(5);
    std::atomic<int> fills{0};
    filler.start(
        {3, 0, 4, 2, 1}, 2, [&](size_t b) { slots[b].assign(b == 1 ? 0 : (b == 2 ? 4 : 3), -1); },
        [&](size_t b, size_t i) {
            slots[b][i] = int(10 * b + i);
            ++fills;
        });
    for (size_t b = 0; b < 4; ++b) {
        filler.waitFor(b);
        for (size_t i = 0; i < slots[b].size() && b != 3; ++i)
            ASSERT_EQ(slots[b][i], int(10 * b + i));
        filler.releaseBefore(b + 1);
    }
    filler.waitFor(4);
    ASSERT_EQ(fills.load(), 10);
    ASSERT_THROWS_WITH(filler.waitFor(5), "was not planned");

    filler.start(
        {2, 2}, 1, [](size_t) {},
        [](size_t b, size_t i) {
            if (b == 1 && i == 1)
                throw std::runtime_error("image 1 of batch 1 is broken");
        });
    filler.waitFor(0);
    filler.releaseBefore(1);
    ASSERT_THROWS_WITH(filler.waitFor(1), "image 1 of batch 1 is broken");
}

#ifdef SWAV_TEST_HAVE_OPENCV

namespace {

namespace fs = std::filesystem;

void writeImage(const std::string& path, const cv::Mat& bgr, int jpegQuality = 0) {
    fs::create_directories(fs::path(path).parent_path());
    std::vector<int> options;
    if (jpegQuality > 0)
        options = {cv::IMWRITE_JPEG_QUALITY, jpegQuality};
    ASSERT_TRUE(cv::imwrite(path, bgr, options));
}

/// Blue = column, green = row: a cut's pixels say where in the original they came from.
cv::Mat coordinateImage(int rows, int cols) {
    cv::Mat bgr(rows, cols, CV_8UC3);
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x)
            bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(x), uint8_t(y), 77);
    return bgr;
}

/// Smooth colourful noise, as photographs have; `seed` 0 gives a grey one.
cv::Mat photoLike(int rows, int cols, int seed) {
    cv::Mat small(rows / 8, cols / 8, CV_8UC3);
    cv::RNG rng(static_cast<uint64_t>(seed + 1));
    rng.fill(small, cv::RNG::UNIFORM, 0, 256);
    if (seed == 0)
        for (int y = 0; y < small.rows; ++y)
            for (int x = 0; x < small.cols; ++x) {
                auto& p = small.at<cv::Vec3b>(y, x);
                p[1] = p[2] = p[0];
            }
    cv::Mat out;
    cv::resize(small, out, cv::Size(cols, rows), 0, 0, cv::INTER_CUBIC);
    return out;
}

/// Fixed cuts, for checking where pixels come from.
class FixedRecipe final : public CropRecipe {
public:
    explicit FixedRecipe(std::vector<CropCut> cuts)
        : m_cuts(std::move(cuts)) {}
    std::vector<CropCut> cuts(int, int, int64_t) const override { return m_cuts; }
    std::vector<int> cutSizes() const override {
        std::vector<int> sizes;
        for (const auto& cut : m_cuts)
            sizes.push_back(cut.size);
        return sizes;
    }
    bool finishedInWorkers() const override { return false; }
    void finish(int64_t, int, int, const std::vector<const uint8_t*>&,
                const std::vector<float*>&) const override {}

private:
    std::vector<CropCut> m_cuts;
};

std::vector<uint8_t> fileBytes(const std::string& path) {
    return readImageFile(path);
}

} // namespace

TEST(ImageCrops, HeadersGiveTheSizeOfEveryFormatImageFoldersRead) {
    swav::test::TempDir dir;
    const cv::Mat image = coordinateImage(23, 37);
    for (const char* name : {"a.jpg", "b.png", "c.bmp", "d.webp", "e.tif"}) {
        std::vector<int> options;
        if (std::string(name) == "d.webp")
            options = {cv::IMWRITE_WEBP_QUALITY, 101}; // lossless: the VP8L header
        ASSERT_TRUE(cv::imwrite(dir.file(name), image, options));
        const auto bytes = readImageFile(dir.file(name));
        int height = 0, width = 0;
        ASSERT_TRUE(encodedImageSize(bytes.data(), bytes.size(), height, width)) << name;
        ASSERT_TRUE(height == 23 && width == 37) << name << ": " << height << " x " << width;
        // Truncated headers give no size, and such files are not decoded.
        ASSERT_TRUE(
            !encodedImageSize(bytes.data(), std::min<size_t>(bytes.size(), 12), height, width));
    }
    // Lossy WebP (VP8) and the extended format (VP8X) too.
    std::vector<uint8_t> lossy;
    ASSERT_TRUE(cv::imencode(".webp", image, lossy, {cv::IMWRITE_WEBP_QUALITY, 80}));
    int height = 0, width = 0;
    ASSERT_TRUE(encodedImageSize(lossy.data(), lossy.size(), height, width));
    ASSERT_TRUE(height == 23 && width == 37);
    std::vector<uint8_t> extended(30, 0);
    std::memcpy(extended.data(), "RIFF\0\0\0\0WEBPVP8X", 16);
    extended[24] = 36, extended[27] = 22; // width - 1, height - 1 (24-bit little-endian)
    ASSERT_TRUE(encodedImageSize(extended.data(), extended.size(), height, width));
    ASSERT_TRUE(height == 23 && width == 37);
}

TEST(ImageCrops, CropsAreCutFromTheFullResolutionOriginal) {
    swav::test::TempDir dir;
    // 120 rows x 200 columns, lossless: a cut at the right border keeps its coordinates.
    writeImage(dir.file("wide.png"), coordinateImage(120, 200));
    FixedRecipe recipe({CropCut{150, 0, 50, 40, 50, false}, CropCut{150, 80, 50, 40, 50, true}});
    std::vector<uint8_t> first(3 * 50 * 50), second(3 * 50 * 50);
    int originalSize[2] = {0, 0};
    ASSERT_TRUE(decodeCrops(fileBytes(dir.file("wide.png")), recipe, 0,
                            {first.data(), second.data()}, originalSize));
    ASSERT_EQ(originalSize[0], 120);
    ASSERT_EQ(originalSize[1], 200);
    const auto a = at::from_blob(first.data(), {3, 50, 50}, at::kByte).to(at::kFloat);
    const auto b = at::from_blob(second.data(), {3, 50, 50}, at::kByte).to(at::kFloat);
    // Channel 2 (blue) holds the column: 150..199 from left to right, reversed when flipped.
    ASSERT_EQ(a[2][0][0].item<float>(), 150.0f);
    ASSERT_EQ(a[2][10][49].item<float>(), 199.0f);
    ASSERT_EQ(b[2][0][0].item<float>(), 199.0f);
    ASSERT_EQ(b[2][0][49].item<float>(), 150.0f);
    // Green holds the row; 40 rows become 50 (enlarged), from row 80 to row 119.
    ASSERT_NEAR(b[1][0][0].item<float>(), 80.0f, 1.0f);
    ASSERT_NEAR(b[1][49][0].item<float>(), 119.0f, 1.0f);
    ASSERT_EQ(a[0][5][5].item<float>(), 77.0f);
}

TEST(ImageCrops, ReducedJpegDecodingMatchesFullDecoding) {
    swav::test::TempDir dir;
    // A smooth 1600 x 1200 photograph-like image: gradients and low-frequency waves.
    cv::Mat bgr(1200, 1600, CV_8UC3);
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            bgr.at<cv::Vec3b>(y, x) =
                cv::Vec3b(uint8_t(128 + 100 * std::sin(x / 90.0)), uint8_t(y * 255 / 1200),
                          uint8_t(128 + 90 * std::cos((x + y) / 140.0)));
    writeImage(dir.file("big.jpg"), bgr, 92);
    const auto bytes = fileBytes(dir.file("big.jpg"));
    int height = 0, width = 0;
    ASSERT_TRUE(encodedImageSize(bytes.data(), bytes.size(), height, width));
    ASSERT_EQ(height, 1200);
    ASSERT_EQ(width, 1600);
    // Boxes of at least 2x, 4x and 8x the output side: decoded at 1/2, 1/4 and 1/8.
    for (const double side : {500.0, 900.0, 1100.0}) {
        FixedRecipe recipe({CropCut{37, 51, side * 1.2, side, 112, false},
                            CropCut{1600 - side, 1200 - side, side, side, 96, true}});
        std::vector<uint8_t> reducedA(3 * 112 * 112), reducedB(3 * 96 * 96);
        std::vector<uint8_t> fullA(3 * 112 * 112), fullB(3 * 96 * 96);
        int size[2], factor = 0;
        ASSERT_TRUE(
            decodeCrops(bytes, recipe, 0, {reducedA.data(), reducedB.data()}, size, true, &factor));
        ASSERT_EQ(factor, side >= 96 * 8 ? 8 : (side >= 96 * 4 ? 4 : 2));
        ASSERT_TRUE(
            decodeCrops(bytes, recipe, 0, {fullA.data(), fullB.data()}, size, false, &factor));
        ASSERT_EQ(factor, 1);
        for (auto [reduced, full] : {std::pair{&reducedA, &fullA}, std::pair{&reducedB, &fullB}}) {
            double sum = 0;
            int worst = 0;
            for (size_t i = 0; i < full->size(); ++i) {
                const int d = std::abs(int((*reduced)[i]) - int((*full)[i]));
                sum += d;
                worst = std::max(worst, d);
            }
            // Stated tolerance: mean difference under 1.5 grey levels, none above 12.
            const double meanDifference = sum / double(full->size());
            ASSERT_TRUE(meanDifference < 1.5 && worst <= 12)
                << "mean " + std::to_string(meanDifference) + ", worst " + std::to_string(worst) +
                       " at box side " + std::to_string(side);
        }
    }
}

TEST(ImageCrops, ImageFolderCropsArePlannedOnThreadsAndDeterministic) {
    swav::test::TempDir dir;
    for (int i = 0; i < 12; ++i)
        writeImage(dir.file(std::string(i % 2 ? "cat/" : "dog/") + std::to_string(i) + ".jpg"),
                   coordinateImage(90 + 7 * i, 140 - 3 * i), 90);
    std::ofstream(dir.file("dog/corrupt.jpg")) << "\xff\xd8\xff not really";
    auto data = openImageFolder(dir.path(), 32, 64, 2);
    ASSERT_TRUE(data->cutsCropsFromOriginals());
    ASSERT_EQ(data->size(), 13);
    for (const bool inWorkers : {true, false}) {
        const auto recipe =
            recipeOf({groupOf(2, 24, 0.3, 1.0), groupOf(2, 12, 0.1, 0.3)}, inWorkers);
        const std::vector<std::vector<int64_t>> plan{{3, 1, 4}, {12, 5, 9}, {2, 6, 0}, {7}};
        data->prefetchCrops(plan, recipe, false);
        for (const auto& indices : plan) {
            const CutCropBatch planned = data->gatherCrops(indices, recipe);
            const CutCropBatch direct = data->gatherCrops(indices, recipe); // unplanned
            ASSERT_EQ(planned.crops.size(), size_t(4));
            ASSERT_EQ(planned.finished, inWorkers);
            ASSERT_EQ(planned.crops[0].scalar_type(), inWorkers ? at::kFloat : at::kByte);
            ASSERT_EQ(planned.crops[2].size(3), int64_t(12));
            for (size_t c = 0; c < 4; ++c)
                ASSERT_TRUE(at::equal(planned.crops[c], direct.crops[c]));
            ASSERT_TRUE(at::equal(planned.indices, at::tensor(indices, at::kLong)));
            for (size_t i = 0; i < indices.size(); ++i) {
                const int64_t index = indices[i];
                // Sorted names: 1, 11, 3, 5, 7, 9 are cats; 0, 10, 2, ... dogs (with corrupt).
                ASSERT_EQ(planned.labels[int64_t(i)].item<int64_t>(), index < 6 ? 0 : 1);
                if (index == 12) // dog/corrupt.jpg: a stand-in of the same class
                    continue;
                ASSERT_TRUE(planned.originalSizes[int64_t(i)][0].item<int64_t>() > 32);
            }
        }
    }
    ASSERT_EQ(data->skippedFiles(), 1);
}

TEST(ImageCrops, SubsetCropsAreDrawnForTheSubsetsPositions) {
    swav::test::TempDir dir;
    for (int i = 0; i < 8; ++i)
        writeImage(dir.file(std::to_string(i) + ".png"), coordinateImage(60 + 5 * i, 90));
    auto base = openImageFolder(dir.path(), 32, 64, 2);
    const std::vector<int64_t> positions{1, 4, 6, 7};
    SubsetDataset subset(base, positions, "subset");
    const std::vector<CropGroupConfig> groups{groupOf(2, 16, 0.2, 1.0)};
    const auto recipe = recipeOf(groups, false, 9);
    // The same seeds reach the base reader under its own positions.
    const auto mapped = std::make_shared<MultiCropRecipe>(
        groups, std::vector<double>{0.4, 0.5, 0.6}, std::vector<double>{0.2, 0.25, 0.3},
        [&positions](int64_t base) {
            const auto at = std::find(positions.begin(), positions.end(), base) - positions.begin();
            return mixSeed(9, static_cast<uint64_t>(at));
        },
        false);
    subset.prefetchCrops({{3, 0}, {2}}, recipe, false);
    const auto planned = subset.gatherCrops({3, 0}, recipe);
    const auto unplanned = subset.gatherCrops({2}, recipe);
    const auto fromBase = base->gatherCrops({7, 1}, mapped);
    ASSERT_TRUE(at::equal(planned.indices, at::tensor(std::vector<int64_t>{3, 0}, at::kLong)));
    for (size_t c = 0; c < 2; ++c)
        ASSERT_TRUE(at::equal(planned.crops[c], fromBase.crops[c]));
    ASSERT_TRUE(at::equal(unplanned.crops[0][0], base->gatherCrops({6}, mapped).crops[0][0]));
    ASSERT_TRUE(at::equal(subset.original(1), base->original(4)));
    ASSERT_EQ(base->original(4).size(1), int64_t(80)); // the original's 80 rows, not 32
}

TEST(ImageCrops, OfficialProbeOnAnImageFolderCutsFromTheOriginals) {
    swav::test::TempDir dir;
    for (int i = 0; i < 24; ++i) // two classes told apart by colour
        writeImage(
            dir.file(std::string(i % 2 ? "red/" : "blue/") + std::to_string(i) + ".jpg"),
            cv::Mat(50 + i, 70, CV_8UC3, i % 2 ? cv::Scalar(20, 30, 220) : cv::Scalar(220, 40, 30)),
            90);
    auto train = openImageFolder(dir.path(), 20, 64, 2);
    at::manual_seed(0);
    SwavModel model(swav::test::tinySyntheticConfig(24).model, 3);
    EvalTransform transform{16, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}};
    const auto testFeatures = extractFeatures(model, *train, transform, 8, at::kCPU);
    LinearProbeOptions options;
    options.epochs = 6;
    options.batchSize = 8;
    const auto result =
        trainLinearProbeOnImages(model, *train, testFeatures, 2, transform, options, at::kCPU);
    ASSERT_EQ(result.top1PerEpoch.size(), size_t(6));
    ASSERT_TRUE(result.bestTop1 > 0.9) << "best top-1 " << result.bestTop1; // colour is easy
}

TEST(ImageCrops, TrainingRunsOnAnImageFolderWithCropsFinishedEitherWay) {
    swav::test::TempDir dir;
    for (int i = 0; i < 16; ++i)
        writeImage(dir.file(std::string(i % 2 ? "a/" : "b/") + std::to_string(i) + ".jpg"),
                   photoLike(40 + 3 * i, 64 - i, i + 1), 90);
    for (const char* finish : {"workers", "device"}) {
        ExperimentConfig config = swav::test::tinySyntheticConfig(16);
        config.dataset.kind = "image-folder";
        config.dataset.path = dir.path();
        config.dataset.imageSize = 24;
        config.dataset.decodeThreads = 2;
        config.dataset.cropFinish = finish;
        CropGroupConfig large = groupOf(2, 16, 0.3, 1.0), small = groupOf(2, 8, 0.1, 0.3);
        config.multicrop.crops = {large, small};
        config.multicrop.mean = {0.5, 0.5, 0.5};
        config.multicrop.std = {0.25, 0.25, 0.25};
        config.optim.epochs = 2;
        config.optim.batchSize = 8;
        config.swav.freezePrototypesNiters = 0;
        config.runtime.device = "cpu";
        config.runtime.threads = 1;
        auto split = openDataset(config.dataset);
        ASSERT_TRUE(split) << split.error().message;
        Trainer trainer(config, split->train, {});
        TrainingControl control;
        const auto outcome = trainer.run(control);
        ASSERT_TRUE(outcome.status == RunStatus::Finished) << finish << ": " << outcome.message;
        ASSERT_EQ(outcome.steps, int64_t(4));
        ASSERT_TRUE(std::isfinite(outcome.finalLoss) && outcome.finalLoss > 0);
    }
}

TEST(ImageCrops, BenchImagesAreImageNetLikeJpegsWithoutTouchingUserFiles) {
    swav::test::TempDir dir;
    writeImage(dir.file("photos/sunset.png"), photoLike(300, 420, 1));
    writeImage(dir.file("photos/field.jpg"), photoLike(400, 300, 2), 95);
    writeImage(dir.file("photos/grey.png"), photoLike(300, 300, 0));  // not colour: left out
    writeImage(dir.file("photos/tiny.png"), coordinateImage(40, 40)); // too small: left out
    const auto report = writeBenchImages(dir.file("photos"), dir.file("out"), 7, 3);
    ASSERT_EQ(report.images, int64_t(7));
    ASSERT_TRUE(report.photos == std::vector<std::string>({"field", "sunset"}));
    auto data = openImageFolder(dir.file("out"), 64, 8, 1);
    ASSERT_EQ(data->size(), 7);
    ASSERT_TRUE(data->classNames() == std::vector<std::string>({"field", "sunset"}));
    const auto bytes = readImageFile(dir.file("out/field/000000.jpg"));
    int height = 0, width = 0;
    ASSERT_TRUE(encodedImageSize(bytes.data(), bytes.size(), height, width));
    ASSERT_TRUE(std::max(height, width) == 500 && std::min(height, width) >= 333);
    // A folder with anything in it is refused, and left as it was.
    fs::create_directories(dir.file("mine"));
    std::ofstream(dir.file("mine/keep.txt")) << "mine";
    ASSERT_THROWS_WITH(writeBenchImages(dir.file("photos"), dir.file("mine"), 2, 0),
                       "is not an empty folder");
    ASSERT_TRUE(fs::exists(dir.file("mine/keep.txt")));
    ASSERT_EQ(std::distance(fs::directory_iterator(dir.file("mine")), fs::directory_iterator()),
              long(1));
}

// Issue 14: `swav embed --images DIR` reads a folder in name order; images already at the
// evaluation size are not resized, so PNGs of a dataset's images embed exactly like the dataset.
TEST(ImageCrops, EmbeddingAFolderOfTheDatasetsImagesGivesTheDatasetsRows) {
    test::TempDir dir;
    ExperimentConfig config = test::tinySyntheticConfig(24);
    config.dataset.syntheticChannels = 3;
    config.name = "embed";
    config.multicrop.crops[0].size = 16;
    config.multicrop.crops[1].size = 8;
    SwavModel model(config.model, 3);
    CheckpointState state;
    state.configJson = toJson(config).dump();
    state.model = modelState(*model);
    const std::string checkpoint = dir.file("run/checkpoints/epoch-0001.pt");
    saveCheckpoint(state, checkpoint);

    EmbedRequest fromDataset;
    fromDataset.checkpoint = checkpoint;
    fromDataset.split = "test";
    fromDataset.device = "cpu";
    fromDataset.what = EmbedOutput::Embeddings;
    auto expected = embedImages(fromDataset);
    ASSERT_TRUE(expected.hasValue()) << (expected ? "" : expected.error().message);

    // The test images as lossless PNGs, one class folder each, names in dataset order.
    auto test = openTestSplit(config.dataset);
    ASSERT_TRUE(test.hasValue());
    const int64_t n = (*test)->size();
    const auto images = (*test)->gather([&] {
        std::vector<int64_t> all(static_cast<size_t>(n));
        std::iota(all.begin(), all.end(), 0);
        return all;
    }());
    for (int64_t i = 0; i < n; ++i) {
        const at::Tensor hwc = images.images[i].permute({1, 2, 0}).contiguous();
        cv::Mat rgb(int(hwc.size(0)), int(hwc.size(1)), CV_8UC3, hwc.data_ptr<uint8_t>());
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        char name[32];
        std::snprintf(name, sizeof name, "%03lld.png", static_cast<long long>(i));
        fs::create_directories(dir.file("images/all"));
        ASSERT_TRUE(cv::imwrite(dir.file("images/all/") + name, bgr));
    }
    EmbedRequest fromFolder = fromDataset;
    fromFolder.imagesFolder = dir.file("images");
    auto folder = embedImages(fromFolder);
    ASSERT_TRUE(folder.hasValue()) << (folder ? "" : folder.error().message);
    ASSERT_EQ(folder->values.sizes(), expected->values.sizes());
    ASSERT_NEAR((folder->values - expected->values).abs().max().item<double>(), 0.0, 1e-6);
    ASSERT_EQ(folder->names.front(), std::string("all/000.png"));
    ASSERT_EQ(folder->labels.front(), int64_t(0)); // the one class folder
    ASSERT_EQ(folder->classNames, std::vector<std::string>{"all"});
    ASSERT_TRUE(folder->preprocessing.find("not resized") != std::string::npos);

    // Both files written; an existing output is refused and left as it was.
    const std::string out = dir.file("out/rows.npy");
    writeEmbedding(*folder, out, false);
    std::ifstream npy(out, std::ios::binary);
    std::string magic(6, '\0');
    npy.read(&magic[0], 6);
    ASSERT_EQ(magic, std::string("\x93NUMPY", 6));
    ASSERT_TRUE(fs::file_size(out) % 4 == 0 && fs::file_size(out) >= 64 + 4 * size_t(n) * 8);
    std::ifstream csv(dir.file("out/rows.csv"));
    std::string header, first;
    std::getline(csv, header);
    std::getline(csv, first);
    ASSERT_EQ(header, std::string("row,name,label,class,replaced"));
    ASSERT_EQ(first, std::string("0,all/000.png,0,all,0"));
    ASSERT_THROWS_WITH(writeEmbedding(*folder, out, false), "already exists");
}

#else
TEST(ImageCrops, ImageFolderCropsNeedOpenCv) {
    GTEST_SKIP() << "built without OpenCV: image-folder crops and decoding are not tested";
}
#endif
