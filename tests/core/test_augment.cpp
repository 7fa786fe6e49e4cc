#include "TestHarness.h"

#include "augment/CropSampling.h"
#include "augment/MultiCrop.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <set>

using namespace swav;

namespace {

CropGroupConfig plainGroup(int count, int size, double minScale, double maxScale) {
    CropGroupConfig g;
    g.count = count;
    g.size = size;
    g.minScale = minScale;
    g.maxScale = maxScale;
    g.flipProb = 0;
    g.jitterProb = 0;
    g.grayscaleProb = 0;
    g.blurProb = 0;
    return g;
}

at::Tensor randomImages(int64_t batch, int channels, int side, int seed) {
    at::manual_seed(seed);
    return at::randint(0, 256, {batch, channels, side, side}, at::kByte);
}

} // namespace

TEST(Augment, ShapesDtypeAndParamsPerCrop) {
    CropGroupConfig large = plainGroup(2, 28, 0.25, 1.0), small = plainGroup(4, 14, 0.08, 0.25);
    MultiCropAugmenter augmenter({large, small}, {0.5}, {0.25});
    const auto batch = augmenter.apply(randomImages(5, 1, 28, 1), 7);
    ASSERT_EQ(batch.crops.size(), size_t(6));
    ASSERT_EQ(batch.params.size(), size_t(6));
    for (int i = 0; i < 6; ++i) {
        const int side = i < 2 ? 28 : 14;
        ASSERT_TRUE(batch.crops[i].sizes() == at::IntArrayRef({5, 1, side, side}));
        ASSERT_TRUE(batch.crops[i].scalar_type() == at::kFloat);
        ASSERT_EQ(batch.params[i].group, i < 2 ? 0 : 1);
        ASSERT_TRUE(batch.params[i].boxes.sizes() == at::IntArrayRef({5, 4}));
    }
}

TEST(Augment, CropsCoverTheRequestedAreaFraction) {
    CropGroupConfig g = plainGroup(1, 16, 0.3, 0.6);
    MultiCropAugmenter augmenter({g}, {0.0, 0.0, 0.0}, {1.0, 1.0, 1.0});
    const auto batch = augmenter.apply(at::zeros({2000, 3, 64, 64}, at::kByte), 3);
    const auto boxes = batch.params[0].boxes;
    const auto area = boxes.select(1, 2) * boxes.select(1, 3) / (64.0 * 64.0);
    // Rounding the sides to whole pixels moves the area by a few percent at most.
    ASSERT_TRUE(area.min().item<double>() > 0.3 - 0.05);
    ASSERT_TRUE(area.max().item<double>() < 0.6 + 0.05);
    ASSERT_NEAR(area.mean().item<double>(), 0.45, 0.02); // uniform in [0.3, 0.6]
    const auto ratio = boxes.select(1, 2) / boxes.select(1, 3);
    ASSERT_TRUE(ratio.min().item<double>() > 0.7 && ratio.max().item<double>() < 1.42);
    ASSERT_TRUE((boxes.select(1, 0) + boxes.select(1, 2)).max().item<double>() <= 64);
    ASSERT_TRUE((boxes.select(1, 1) + boxes.select(1, 3)).max().item<double>() <= 64);
}

TEST(Augment, FullBoxCropIsTheImageAndFlipMirrors) {
    auto images = at::rand({3, 3, 8, 8});
    auto boxes = at::tensor({0.f, 0.f, 8.f, 8.f}).repeat({3, 1});
    auto noFlip = at::zeros({3}, at::kBool);
    auto same = augment::resizedCrop(images, boxes, noFlip, 8);
    ASSERT_TRUE(at::allclose(same, images, 1e-5, 1e-5));
    auto flipped = augment::resizedCrop(images, boxes, at::ones({3}, at::kBool), 8);
    ASSERT_TRUE(at::allclose(flipped, images.flip({3}), 1e-5, 1e-5));
    // A box of the bottom-right quarter at its own resolution is exactly those pixels.
    auto quarter =
        augment::resizedCrop(images, at::tensor({4.f, 4.f, 4.f, 4.f}).repeat({3, 1}), noFlip, 4);
    ASSERT_TRUE(at::allclose(quarter, images.slice(2, 4, 8).slice(3, 4, 8), 1e-5, 1e-5));
}

TEST(Augment, BrightnessScalesTheMean) {
    auto images = at::rand({4, 3, 16, 16}) * 0.5;
    auto factors = at::tensor({1.5f, 1.f, 1.f, 0.f}).repeat({4, 1});
    auto out = augment::colourJitter(images, factors);
    ASSERT_NEAR(out.mean().item<double>(), 1.5 * images.mean().item<double>(), 1e-5);
}

TEST(Augment, ZeroStrengthJitterIsIdentity) {
    CropGroupConfig g = plainGroup(2, 16, 1.0, 1.0);
    g.jitterProb = 1.0;
    g.jitterStrength = 0.0;
    MultiCropAugmenter augmenter({g}, {0, 0, 0}, {1, 1, 1});
    auto images = randomImages(4, 3, 16, 5);
    auto batch = augmenter.apply(images, 11);
    ASSERT_TRUE(at::allclose(batch.crops[0], images.to(at::kFloat) / 255.0, 1e-5, 1e-5));
    // Neutral factors with hue 0 through the HSV round trip also change nothing.
    auto rgb = at::rand({2, 3, 9, 9});
    auto neutral = at::tensor({1.f, 1.f, 1.f, 0.f}).repeat({2, 1});
    ASSERT_TRUE(at::allclose(augment::colourJitter(rgb, neutral), rgb, 1e-6, 1e-6));
    ASSERT_TRUE(at::allclose(augment::hsvToRgb(augment::rgbToHsv(rgb)), rgb, 1e-5, 1e-5));
}

TEST(Augment, HueShiftOfOneThirdRotatesPrimaries) {
    // Pure red shifted by 1/3 of the hue circle becomes pure green.
    auto red = at::zeros({1, 3, 2, 2});
    red.select(1, 0).fill_(1.0);
    auto out = augment::colourJitter(red, at::tensor({1.f, 1.f, 1.f, 1.f / 3.f}).view({1, 4}));
    ASSERT_NEAR(out.select(1, 1).mean().item<double>(), 1.0, 1e-5);
    ASSERT_NEAR(out.select(1, 0).mean().item<double>(), 0.0, 1e-5);
}

TEST(Augment, GrayscaleUsesLumaWeights) {
    auto rgb = at::zeros({1, 3, 1, 1});
    rgb[0][0][0][0] = 1.0;
    auto grey = augment::toGrayscale(rgb);
    ASSERT_TRUE(grey.sizes() == rgb.sizes());
    ASSERT_NEAR(grey[0][2][0][0].item<double>(), 0.299, 1e-6);
}

TEST(Augment, TinySigmaBlurIsIdentityAndLargeSigmaSmooths) {
    auto images = at::rand({3, 3, 12, 12});
    auto tiny = augment::gaussianBlur(images, at::full({3}, 1e-4f), 2.0);
    ASSERT_TRUE(at::allclose(tiny, images, 1e-6, 1e-6));
    auto blurred = augment::gaussianBlur(images, at::full({3}, 2.0f), 2.0);
    ASSERT_TRUE(blurred.std().item<double>() < 0.6 * images.std().item<double>());
    ASSERT_NEAR(blurred.mean().item<double>(), images.mean().item<double>(), 0.02);
    // sigma 0 means "not blurred" for that image only.
    auto mixed = augment::gaussianBlur(images, at::tensor({0.f, 2.f, 0.f}), 2.0);
    ASSERT_TRUE(at::equal(mixed[0], images[0]));
    ASSERT_TRUE(!at::allclose(mixed[1], images[1]));
}

TEST(Augment, SameSeedSameOutputDifferentSeedDifferent) {
    CropGroupConfig large = plainGroup(2, 24, 0.14, 1.0);
    large.flipProb = 0.5, large.jitterProb = 0.8, large.grayscaleProb = 0.2, large.blurProb = 0.5;
    CropGroupConfig small = large;
    small.count = 3, small.size = 12, small.minScale = 0.05, small.maxScale = 0.14;
    MultiCropAugmenter augmenter({large, small}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
    auto images = randomImages(6, 3, 32, 2);
    auto a = augmenter.apply(images, 42), b = augmenter.apply(images, 42);
    auto c = augmenter.apply(images, 43);
    for (size_t i = 0; i < a.crops.size(); ++i) {
        ASSERT_TRUE(at::equal(a.crops[i], b.crops[i]));
        ASSERT_TRUE(at::equal(a.params[i].boxes, b.params[i].boxes));
    }
    ASSERT_TRUE(!at::equal(a.crops[0], c.crops[0]));
}

TEST(Augment, ResultDoesNotDependOnThreadCount) {
    CropGroupConfig g = plainGroup(2, 20, 0.2, 1.0);
    g.jitterProb = 1.0, g.blurProb = 1.0, g.grayscaleProb = 0.5;
    MultiCropAugmenter augmenter({g}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
    auto images = randomImages(8, 3, 32, 9);
    const int before = at::get_num_threads();
    at::set_num_threads(1);
    auto one = augmenter.apply(images, 5);
    at::set_num_threads(2);
    auto two = augmenter.apply(images, 5);
    at::set_num_threads(before);
    for (size_t i = 0; i < one.crops.size(); ++i)
        ASSERT_TRUE(at::allclose(one.crops[i], two.crops[i], 0, 1e-6));
}

TEST(Augment, ProbabilitiesAreRespected) {
    CropGroupConfig g = plainGroup(1, 8, 0.5, 1.0);
    g.flipProb = 0.5, g.jitterProb = 0.8, g.grayscaleProb = 0.2, g.blurProb = 0.0;
    MultiCropAugmenter augmenter({g}, {0, 0, 0}, {1, 1, 1});
    auto batch = augmenter.apply(at::zeros({4000, 3, 8, 8}, at::kByte), 1);
    const auto& p = batch.params[0];
    ASSERT_NEAR(p.flipped.to(at::kFloat).mean().item<double>(), 0.5, 0.03);
    ASSERT_NEAR(p.jittered.to(at::kFloat).mean().item<double>(), 0.8, 0.03);
    ASSERT_NEAR(p.grayscale.to(at::kFloat).mean().item<double>(), 0.2, 0.03);
    ASSERT_EQ((p.blurSigma > 0).sum().item<int64_t>(), int64_t(0));
    auto brightness = p.jitterFactors.select(1, 0).masked_select(p.jittered);
    ASSERT_TRUE(brightness.min().item<double>() >= 0.2 - 1e-6);
    ASSERT_TRUE(brightness.max().item<double>() <= 1.8 + 1e-6);
}

TEST(Augment, NormalisationAndDenormalisationInvert) {
    CropGroupConfig g = plainGroup(1, 16, 1.0, 1.0);
    MultiCropAugmenter augmenter({g}, {0.2860}, {0.3530});
    auto images = randomImages(2, 1, 16, 4);
    auto batch = augmenter.apply(images, 1);
    auto expected = (images.to(at::kFloat) / 255.0 - 0.2860) / 0.3530;
    ASSERT_TRUE(at::allclose(batch.crops[0], expected, 1e-5, 1e-5));
    ASSERT_TRUE(at::allclose(augmenter.denormalise(batch.crops[0]), images.to(at::kFloat) / 255.0,
                             1e-5, 1e-5));
}

// torchvision's ColorJitter applies its four operations in a new random order per call; so do the
// crops here, each with its own permutation.
TEST(Augment, ColourJitterOrderIsDrawnPerCropAndApplied) {
    CropGroupConfig g = plainGroup(1, 8, 0.5, 1.0);
    std::mt19937_64 rng(3);
    std::set<std::vector<int>> orders;
    for (int i = 0; i < 2000; ++i) {
        const CropDraw d = drawCrop(g, 16, 16, rng);
        orders.insert({d.order[0], d.order[1], d.order[2], d.order[3]});
    }
    ASSERT_EQ(orders.size(), size_t(24));

    // Contrast then brightness is not brightness then contrast; each row follows its own order.
    auto image = (at::rand({1, 3, 6, 6}) * 0.8).repeat({2, 1, 1, 1});
    const auto factors = at::tensor({1.6f, 0.4f, 1.f, 0.f}).repeat({2, 1});
    const auto order = at::tensor(std::vector<int64_t>{1, 0, 2, 3, 0, 1, 2, 3}).view({2, 4});
    const auto out = augment::colourJitter(image, factors, order);
    auto only = [](float b, float c) { return at::tensor({b, c, 1.f, 0.f}).view({1, 4}); };
    const auto one = image.slice(0, 0, 1);
    const auto contrastFirst =
        augment::colourJitter(augment::colourJitter(one, only(1, 0.4f)), only(1.6f, 1));
    const auto brightnessFirst = augment::colourJitter(one, only(1.6f, 0.4f));
    ASSERT_TRUE(at::allclose(out.slice(0, 0, 1), contrastFirst, 1e-6, 1e-6));
    ASSERT_TRUE(at::allclose(out.slice(0, 1, 2), brightnessFirst, 1e-6, 1e-6));
    ASSERT_TRUE((contrastFirst - brightnessFirst).abs().max().item<double>() > 0.01);
}
