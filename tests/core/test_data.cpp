#include "TestHarness.h"

#include "config/DatasetKinds.h"
#include "data/Dataset.h"

#include <ATen/ATen.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using namespace swav;
namespace fs = std::filesystem;

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string bigEndian(uint32_t value) {
    return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

/// IDX file: magic, dimensions, payload; gzipped with zlib when `gzip`.
void writeIdx(const std::string& path, uint32_t magic, const std::vector<uint32_t>& dims,
              const std::string& payload, bool gzip) {
    std::string bytes = bigEndian(magic);
    for (const uint32_t dim : dims)
        bytes += bigEndian(dim);
    bytes += payload;
    if (!gzip) {
        writeFile(path, bytes);
        return;
    }
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_TRUE(file != nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
    gzclose(file);
}

std::string countingBytes(size_t count, int start = 0) {
    std::string bytes(count, '\0');
    for (size_t i = 0; i < count; ++i)
        bytes[i] = char((start + int(i)) % 251);
    return bytes;
}

/// A minimal 8-bit RGB PNG (so the tests need no OpenCV headers); `rgb` is row-major HWC.
void writePng(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb) {
    std::string raw;
    for (int y = 0; y < height; ++y) {
        raw += '\0'; // filter: none
        raw.append(reinterpret_cast<const char*>(rgb.data()) + size_t(y) * width * 3,
                   size_t(width) * 3);
    }
    uLongf packedSize = compressBound(raw.size());
    std::string packed(packedSize, '\0');
    compress(reinterpret_cast<Bytef*>(&packed[0]), &packedSize,
             reinterpret_cast<const Bytef*>(raw.data()), raw.size());
    packed.resize(packedSize);
    auto chunk = [](const std::string& type, const std::string& data) {
        uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type.data()), 4);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size()));
        return bigEndian(uint32_t(data.size())) + type + data + bigEndian(uint32_t(crc));
    };
    const std::string header = bigEndian(uint32_t(width)) + bigEndian(uint32_t(height)) +
                               std::string{8, 2, 0, 0, 0}; // 8 bit, RGB
    writeFile(path, std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) +
                        chunk("IDAT", packed) + chunk("IEND", ""));
}

void writeSolidPng(const std::string& path, int width, int height, uint8_t r, uint8_t g,
                   uint8_t b) {
    std::vector<uint8_t> rgb;
    for (int i = 0; i < width * height; ++i)
        rgb.insert(rgb.end(), {r, g, b});
    writePng(path, width, height, rgb);
}

std::vector<int64_t> range(int64_t n) {
    std::vector<int64_t> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        out[size_t(i)] = i;
    return out;
}

std::vector<int64_t> toVector(const at::Tensor& tensor) {
    const at::Tensor flat = tensor.contiguous().to(at::kLong);
    return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}

std::string shapeOf(const at::Tensor& tensor) {
    std::ostringstream out;
    out << tensor.sizes();
    return out.str();
}

template <class T> std::string errorOf(const Expected<T>& result) {
    SWAV_REQUIRE(!result, "expected an error");
    return result.error().message;
}

DatasetConfig syntheticConfig(int count) {
    DatasetConfig config;
    config.kind = "synthetic";
    config.syntheticCount = count;
    config.syntheticSize = 16;
    config.syntheticClasses = 4;
    return config;
}

/// Every image of `a` differs from every image of `b` (synthetic images never repeat).
bool disjoint(Dataset& a, Dataset& b) {
    const at::Tensor x = a.gather(range(a.size())).images.flatten(1).to(at::kInt);
    const at::Tensor y = b.gather(range(b.size())).images.flatten(1).to(at::kInt);
    for (int64_t i = 0; i < x.size(0); ++i)
        if ((y - x[i]).abs().sum(1).eq(0).any().item<bool>())
            return false;
    return true;
}

} // namespace

// ---- IDX -------------------------------------------------------------------------------------

TEST(Data, IdxRoundTripGzipAndPlain) {
    swav::test::TempDir dir;
    const std::string pixels = countingBytes(3 * 2 * 4);
    for (const bool gzip : {true, false}) {
        const std::string images = dir.file(gzip ? "i.gz" : "i"),
                          labels = dir.file(gzip ? "l.gz" : "l");
        writeIdx(images, 0x803, {3, 2, 4}, pixels, gzip);
        writeIdx(labels, 0x801, {3}, std::string{7, 0, 9}, gzip);
        const at::Tensor x = readIdxImages(images);
        ASSERT_EQ(shapeOf(x), std::string("[3, 1, 2, 4]"));
        ASSERT_EQ(x.scalar_type(), at::kByte);
        ASSERT_EQ(x[2][0][1][3].item<int>(), 23); // last byte, row-major
        ASSERT_EQ(x[1][0][0][1].item<int>(), 9);
        const at::Tensor y = readIdxLabels(labels);
        ASSERT_EQ(y.scalar_type(), at::kLong);
        ASSERT_TRUE(toVector(y) == std::vector<int64_t>({7, 0, 9}));
    }
}

// Issue 10: a small gzip bomb whose header declares billions of images failed with a bare
// std::bad_alloc naming no file.
TEST(Data, IdxBombsAreRefusedNamingTheFile) {
    swav::test::TempDir dir;
    const std::string zeros(8 << 20, '\0'); // compresses to a few KB
    writeIdx(dir.file("bomb-images.gz"), 0x803, {0xffffffffu, 28, 28}, zeros, true);
    ASSERT_THROWS_WITH(readIdxImages(dir.file("bomb-images.gz")), dir.file("bomb-images.gz"));
    ASSERT_THROWS_WITH(readIdxImages(dir.file("bomb-images.gz")), "would need");
    writeIdx(dir.file("huge.gz"), 0x803, {0xffffffffu, 32768, 32768}, "", true);
    ASSERT_THROWS_WITH(readIdxImages(dir.file("huge.gz")), "of 32768x32768 its header declares");
    writeIdx(dir.file("bomb-labels.gz"), 0x801, {0xffffffffu}, zeros, true);
    ASSERT_THROWS_WITH(readIdxLabels(dir.file("bomb-labels.gz")), dir.file("bomb-labels.gz"));
}

TEST(Data, IdxWrongMagicNamesFileAndMagic) {
    swav::test::TempDir dir;
    writeIdx(dir.file("labels"), 0x801, {2}, std::string(2, '\1'), true);
    ASSERT_THROWS_WITH(readIdxImages(dir.file("labels")),
                       "expected magic 0x00000803 (IDX images), got 0x00000801");
    ASSERT_THROWS_WITH(readIdxImages(dir.file("labels")), dir.file("labels"));
    writeIdx(dir.file("images"), 0x803, {1, 2, 2}, std::string(4, '\1'), false);
    ASSERT_THROWS_WITH(readIdxLabels(dir.file("images")),
                       "expected magic 0x00000801 (IDX labels), got 0x00000803");
}

TEST(Data, IdxTruncatedFileSaysHowManyBytes) {
    swav::test::TempDir dir;
    writeIdx(dir.file("short.gz"), 0x803, {2, 3, 3}, countingBytes(10), true);
    ASSERT_THROWS_WITH(readIdxImages(dir.file("short.gz")),
                       "expected 18 bytes of pixel data, got 10");
    writeIdx(dir.file("short"), 0x801, {5}, "abc", false);
    ASSERT_THROWS_WITH(readIdxLabels(dir.file("short")), "expected 5 bytes of label data, got 3");
    writeFile(dir.file("header"), bigEndian(0x803) + bigEndian(2));
    ASSERT_THROWS_WITH(readIdxImages(dir.file("header")), "truncated IDX header");
}

TEST(Data, IdxMissingFileIsNamed) {
    ASSERT_THROWS_WITH(readIdxImages("/nonexistent/x-idx3-ubyte.gz"),
                       "/nonexistent/x-idx3-ubyte.gz: file not found (expected IDX images)");
}

TEST(Data, MnistLikeReadsBothSplitsAndChecksCounts) {
    swav::test::TempDir dir;
    writeIdx(dir.file("train-images-idx3-ubyte.gz"), 0x803, {4, 2, 2}, countingBytes(16), true);
    writeIdx(dir.file("train-labels-idx1-ubyte.gz"), 0x801, {4}, std::string{0, 1, 2, 1}, true);
    writeIdx(dir.file("t10k-images-idx3-ubyte"), 0x803, {2, 2, 2}, countingBytes(8), false);
    writeIdx(dir.file("t10k-labels-idx1-ubyte"), 0x801, {3}, std::string{0, 1, 2}, false);
    auto train = readMnistLike(dir.path(), true, "digits", {"a", "b", "c"});
    ASSERT_EQ(train->size(), 4);
    ASSERT_EQ(train->classNames().size(), size_t(3));
    ASSERT_TRUE(toVector(train->labels()) == std::vector<int64_t>({0, 1, 2, 1}));
    ASSERT_CONTAINS(train->description(), "digits train");
    // The test files disagree: 2 images, 3 labels; the message names both files.
    ASSERT_THROWS_WITH(readMnistLike(dir.path(), false, "digits", {}),
                       dir.file("t10k-images-idx3-ubyte") + " has 2 images but " +
                           dir.file("t10k-labels-idx1-ubyte") + " has 3 labels");
    // The dotted spelling some mirrors use is found too.
    swav::test::TempDir dotted;
    writeIdx(dotted.file("t10k-images.idx3-ubyte"), 0x803, {1, 1, 1}, "x", false);
    writeIdx(dotted.file("t10k-labels.idx1-ubyte"), 0x801, {1}, std::string(1, '\0'), false);
    ASSERT_EQ(readMnistLike(dotted.path(), false, "mnist", {})->size(), 1);
    // Labels beyond the class list are rejected.
    ASSERT_THROWS_WITH(readMnistLike(dir.path(), true, "digits", {"a", "b"}),
                       "label 2 out of range (expected 0..1)");
}

TEST(Data, MissingFoldersAreNamed) {
    DatasetConfig config;
    config.kind = "fashion-mnist";
    config.path = "/nonexistent/fashion";
    const std::string message = errorOf(openDataset(config));
    ASSERT_CONTAINS(message, "/nonexistent/fashion does not exist");
    ASSERT_CONTAINS(message, "dataset-fashion-mnist");
    config.kind = "cifar10";
    ASSERT_CONTAINS(errorOf(openDataset(config)), "cifar10: folder /nonexistent/fashion");
    swav::test::TempDir dir;
    ASSERT_THROWS_WITH(readMnistLike(dir.path(), true, "mnist", {}),
                       "no train-images-idx3-ubyte[.gz] found");
}

// ---- CIFAR / STL-10 --------------------------------------------------------------------------

TEST(Data, CifarWrongFileSizeNamesRecordSize) {
    swav::test::TempDir dir;
    writeFile(dir.file("test_batch.bin"), std::string(3073 + 5, '\0'));
    ASSERT_THROWS_WITH(readCifar(dir.path(), false, false),
                       dir.file("test_batch.bin") + ": size 3078 bytes is not a multiple of the "
                                                    "record size 3073");
    writeFile(dir.file("test.bin"), std::string(3073 * 2, '\0'));
    ASSERT_THROWS_WITH(readCifar(dir.path(), true, false), "record size 3074");
    ASSERT_THROWS_WITH(readCifar(dir.path(), false, true), "data_batch_1.bin: file not found");
}

TEST(Data, CifarTinyFileValuesAndChannelOrder) {
    swav::test::TempDir dir;
    // Archive layout: the folder holds cifar-10-batches-bin.
    const std::string root = dir.file("cifar-10-batches-bin");
    std::string records;
    for (const int label : {3, 9}) {
        records += char(label);
        for (int c = 0; c < 3; ++c) // planes R, G, B: fill with 10, 20, 30 (+ label)
            records += std::string(1024, char(10 * (c + 1) + label));
    }
    records[1 + 5] = char(200); // image 0, R plane, row 0, column 5
    writeFile(root + "/test_batch.bin", records);
    auto data = readCifar(dir.path(), false, false);
    ASSERT_EQ(data->size(), 2);
    ASSERT_EQ(shapeOf(data->images()), std::string("[2, 3, 32, 32]"));
    ASSERT_TRUE(toVector(data->labels()) == std::vector<int64_t>({3, 9}));
    ASSERT_EQ(data->images()[0][0][0][5].item<int>(), 200);
    ASSERT_EQ(data->images()[0][0][1][5].item<int>(), 13);
    ASSERT_EQ(data->images()[1][1][31][31].item<int>(), 29);
    ASSERT_EQ(data->images()[1][2][0][0].item<int>(), 39);
    ASSERT_EQ(data->classNames().at(3), std::string("cat"));
    ASSERT_CONTAINS(data->description(), "cifar10 test");

    // CIFAR-100: coarse then fine label; the fine one counts. Names from the file.
    std::string record100 = std::string{char(4), char(42)} + std::string(3072, '\7');
    writeFile(dir.file("c100/train.bin"), record100 + record100);
    std::string names;
    for (int i = 0; i < 100; ++i)
        names += "class" + std::to_string(i) + "\n";
    writeFile(dir.file("c100/fine_label_names.txt"), names);
    auto fine = readCifar(dir.file("c100"), true, true);
    ASSERT_TRUE(toVector(fine->labels()) == std::vector<int64_t>({42, 42}));
    ASSERT_EQ(fine->classNames().at(42), std::string("class42"));
}

TEST(Data, Stl10TransposesColumnMajorPlanes) {
    swav::test::TempDir dir;
    const int side = 96, plane = side * side;
    std::string image(3 * plane, '\0');
    // On disk: plane c, column x, row y at c*plane + x*96 + y.
    image[0 * plane + 5 * side + 2] = char(111); // R at row 2, column 5
    image[2 * plane + 0 * side + 7] = char(222); // B at row 7, column 0
    writeFile(dir.file("stl10_binary/test_X.bin"), image + std::string(3 * plane, '\1'));
    writeFile(dir.file("stl10_binary/test_y.bin"), std::string{1, 10});
    auto data = readStl10(dir.path(), "test");
    ASSERT_EQ(shapeOf(data->images()), std::string("[2, 3, 96, 96]"));
    ASSERT_EQ(data->images()[0][0][2][5].item<int>(), 111);
    ASSERT_EQ(data->images()[0][0][5][2].item<int>(), 0);
    ASSERT_EQ(data->images()[0][2][7][0].item<int>(), 222);
    ASSERT_EQ(data->images()[1][1][50][60].item<int>(), 1);
    ASSERT_TRUE(toVector(data->labels()) == std::vector<int64_t>({0, 9}));
    ASSERT_EQ(data->classNames().at(0), std::string("airplane"));

    writeFile(dir.file("stl10_binary/train_X.bin"), image);
    writeFile(dir.file("stl10_binary/train_y.bin"), std::string{3});
    writeFile(dir.file("stl10_binary/unlabeled_X.bin"), image + image + image);
    auto unlabeled = readStl10(dir.path(), "unlabeled");
    ASSERT_EQ(unlabeled->size(), 3);
    ASSERT_TRUE(!unlabeled->labels().defined());
    ASSERT_TRUE(toVector(unlabeled->gather({0, 2}).labels) == std::vector<int64_t>({-1, -1}));

    DatasetConfig config;
    config.kind = "stl10";
    config.path = dir.path();
    config.split = "train+unlabeled";
    auto both = openDataset(config);
    ASSERT_TRUE(both) << (both ? "" : both.error().message);
    ASSERT_EQ(both->train->size(), 4);
    ASSERT_TRUE(toVector(both->train->labels()) == std::vector<int64_t>({2, -1, -1, -1}));
    ASSERT_EQ(shapeOf(both->train->gather({0, 3}).images), std::string("[2, 3, 96, 96]"));
}

// ---- synthetic -------------------------------------------------------------------------------

TEST(Data, SyntheticShapesAreSeeded) {
    auto a = makeSyntheticShapes(64, 5, 24, 3, 7);
    auto b = makeSyntheticShapes(64, 5, 24, 3, 7);
    auto c = makeSyntheticShapes(64, 5, 24, 3, 8);
    ASSERT_TRUE(a->images().equal(b->images()));
    ASSERT_TRUE(!a->images().equal(c->images()));
    ASSERT_EQ(shapeOf(a->images()), std::string("[64, 3, 24, 24]"));
    ASSERT_EQ(a->labels().min().item<int64_t>(), 0);
    ASSERT_EQ(a->labels().max().item<int64_t>(), 4);
    ASSERT_EQ(a->labels().eq(4).sum().item<int64_t>(), 12); // balanced: 64 = 5 * 12 + 4
    ASSERT_EQ(a->classNames().size(), size_t(5));
    ASSERT_EQ(a->classNames()[0], std::string("circle"));
    // torch's global RNG is neither used nor disturbed.
    at::manual_seed(1);
    const double before = at::rand({1}).item<double>();
    at::manual_seed(1);
    makeSyntheticShapes(8, 2, 16, 1, 3);
    ASSERT_NEAR(at::rand({1}).item<double>(), before, 0);
    ASSERT_THROWS_WITH(makeSyntheticShapes(8, 9, 16, 3, 0), "classes 9 (expected 1..8)");
}

TEST(Data, SyntheticShapesHaveContrast) {
    // The square always covers the image centre (half-size >= 0.16 side, centre offset <= 0.15
    // side) and never the corner, so centre and corner differ in every channel.
    auto data = makeSyntheticShapes(200, 2, 32, 3, 11);
    const at::Tensor images = data->images().to(at::kInt);
    for (int64_t i = 1; i < 200; i += 2) {
        const at::Tensor difference =
            (images[i].select(1, 16).select(1, 16) - images[i].select(1, 0).select(1, 0)).abs();
        ASSERT_TRUE(difference.min().item<int>() > 25) << "image " << i;
    }
}

TEST(Data, SyntheticShapesAreReproducibleFromTheirSeed) {
    // How long they take to make is a benchmark's business (swav bench --synthetic), not a test's.
    auto a = makeSyntheticShapes(512, 8, 32, 3, 1);
    auto b = makeSyntheticShapes(512, 8, 32, 3, 1);
    auto c = makeSyntheticShapes(512, 8, 32, 3, 2);
    ASSERT_EQ(a->size(), 512);
    ASSERT_TRUE(at::equal(a->images(), b->images()));
    ASSERT_TRUE(!at::equal(a->images(), c->images()));
}

// ---- in-memory, subset, hold-out ------------------------------------------------------------

TEST(Data, InMemoryDatasetValidatesAndGathers) {
    ASSERT_THROWS_WITH(InMemoryDataset(at::zeros({2, 3, 4}, at::kByte), {}, {}, "bad"),
                       "images must be uint8 [N, C, H, W]");
    ASSERT_THROWS_WITH(InMemoryDataset(at::zeros({2, 1, 2, 2}, at::kFloat), {}, {}, "bad"),
                       "images must be uint8");
    ASSERT_THROWS_WITH(
        InMemoryDataset(at::zeros({2, 1, 2, 2}, at::kByte), at::zeros({3}, at::kLong), {}, "bad"),
        "labels must be int64 [2]");
    at::Tensor images = at::arange(5, at::kByte).view({5, 1, 1, 1});
    InMemoryDataset data(images, at::arange(10, 15, at::kLong), {}, "five");
    const ImageBatch batch = data.gather({4, 0, 4});
    ASSERT_TRUE(toVector(batch.images.flatten()) == std::vector<int64_t>({4, 0, 4}));
    ASSERT_TRUE(toVector(batch.labels) == std::vector<int64_t>({14, 10, 14}));
    ASSERT_TRUE(toVector(batch.indices) == std::vector<int64_t>({4, 0, 4}));
    ASSERT_TRUE(batch.images.is_contiguous());
    ASSERT_THROWS_WITH(data.gather({1, 5}), "index 5 out of range");
    ASSERT_THROWS_WITH(data.gather({-1}), "index -1 out of range");
    ASSERT_EQ(data.gather({}).images.size(0), 0);
}

TEST(Data, SubsetDatasetMapsPositions) {
    at::Tensor images = at::arange(6, at::kByte).view({6, 1, 1, 1});
    auto base = std::make_shared<InMemoryDataset>(images, at::arange(20, 26, at::kLong),
                                                  std::vector<std::string>{}, "six");
    SubsetDataset subset(base, {5, 1, 3}, "part");
    ASSERT_EQ(subset.size(), 3);
    ASSERT_TRUE(toVector(subset.labels()) == std::vector<int64_t>({25, 21, 23}));
    const ImageBatch batch = subset.gather({2, 0});
    ASSERT_TRUE(toVector(batch.images.flatten()) == std::vector<int64_t>({3, 5}));
    ASSERT_TRUE(toVector(batch.labels) == std::vector<int64_t>({23, 25}));
    ASSERT_TRUE(toVector(batch.indices) == std::vector<int64_t>({2, 0}));
    ASSERT_THROWS_WITH(subset.gather({3}), "index 3 out of range");
    ASSERT_EQ(subset.description(), std::string("part of six"));
    ASSERT_THROWS_WITH(SubsetDataset(base, {6}, "bad"), "position 6 out of range");
    auto unlabelled =
        std::make_shared<InMemoryDataset>(images, at::Tensor(), std::vector<std::string>{}, "u");
    ASSERT_TRUE(!SubsetDataset(unlabelled, {1}, "p").labels().defined());
}

TEST(Data, SubsetFractionAndCountAreSeeded) {
    DatasetConfig config = syntheticConfig(100);
    config.subset = 0.25;
    auto quarter = openDataset(config);
    ASSERT_TRUE(quarter) << (quarter ? "" : quarter.error().message);
    ASSERT_EQ(quarter->train->size(), 25);
    ASSERT_TRUE(!quarter->holdout);
    config.subset = 30;
    auto thirty = openDataset(config);
    auto again = openDataset(config);
    ASSERT_EQ(thirty->train->size(), 30);
    const auto all = range(30);
    ASSERT_TRUE(thirty->train->gather(all).images.equal(again->train->gather(all).images));
    config.subsetSeed = 5; // another seed: other images (the synthetic data changes too)
    auto other = openDataset(config);
    ASSERT_TRUE(!thirty->train->gather(all).images.equal(other->train->gather(all).images));
    config.subset = 0;
    auto full = openDataset(config);
    ASSERT_EQ(full->train->size(), 100);
    ASSERT_EQ(full->train->description().rfind("synthetic", 0), size_t(0)); // not wrapped
}

TEST(Data, HoldoutIsDisjointFromTrain) {
    DatasetConfig config = syntheticConfig(100);
    config.subset = 40;
    config.holdout = 0.25;
    auto split = openDataset(config);
    ASSERT_TRUE(split) << (split ? "" : split.error().message);
    ASSERT_EQ(split->train->size(), 40);
    ASSERT_TRUE(split->holdout);
    ASSERT_EQ(split->holdout->size(), 10);
    ASSERT_TRUE(disjoint(*split->train, *split->holdout));
    ASSERT_CONTAINS(split->holdout->description(), "hold-out");

    // Without a subset the hold-out comes out of the whole set.
    config.subset = 0;
    config.holdout = 20;
    split = openDataset(config);
    ASSERT_EQ(split->train->size(), 80);
    ASSERT_EQ(split->holdout->size(), 20);
    ASSERT_TRUE(disjoint(*split->train, *split->holdout));
    std::set<int64_t> labels;
    for (const auto& part : {split->train, split->holdout})
        for (const int64_t label : toVector(part->labels()))
            labels.insert(label);
    ASSERT_EQ(labels.size(), size_t(4));
}

TEST(Data, SubsetAndHoldoutLimitsAreErrors) {
    DatasetConfig config = syntheticConfig(100);
    config.subset = 101;
    const std::string message = errorOf(openDataset(config));
    ASSERT_CONTAINS(message, "dataset.subset: 101 images requested");
    ASSERT_CONTAINS(message, "has only 100");
    config.subset = 90;
    config.holdout = 11;
    ASSERT_CONTAINS(errorOf(openDataset(config)), "only 10 remain after the subset of 90");
    config.subset = 0;
    config.holdout = 100;
    ASSERT_CONTAINS(errorOf(openDataset(config)), "would leave none");
    config.holdout = 0;
    config.subset = -2;
    ASSERT_CONTAINS(errorOf(openDataset(config)), "dataset.subset: must be 0");
    config.subset = 0;
    config.split = "unlabeled";
    ASSERT_CONTAINS(errorOf(openDataset(config)), "'unlabeled' is not available for synthetic");
}

TEST(Data, SyntheticTestSplitIsSmallerAndDifferent) {
    DatasetConfig config = syntheticConfig(100);
    auto test = openTestSplit(config);
    ASSERT_TRUE(test) << (test ? "" : test.error().message);
    ASSERT_EQ((*test)->size(), 20);
    auto train = openDataset(config);
    ASSERT_TRUE(!(*test)->gather(range(20)).images.equal(train->train->gather(range(20)).images));
    config.syntheticCount = 3;
    ASSERT_EQ((*openTestSplit(config))->size(), 2);
}

TEST(Data, DefaultsPerKind) {
    ASSERT_EQ(defaultDatasetPath("fashion-mnist"),
              std::string("/usr/share/datasets/fashion-mnist"));
    ASSERT_EQ(defaultDatasetPath("mnist"), std::string("/usr/share/datasets/mnist"));
    ASSERT_CONTAINS(defaultDatasetPath("cifar10"), "swav-workbench/datasets/cifar-10-batches-bin");
    ASSERT_EQ(defaultDatasetPath("image-folder"), std::string());
    DatasetConfig config;
    Normalisation n = datasetNormalisation(config);
    ASSERT_EQ(n.mean.size(), size_t(1));
    ASSERT_NEAR(n.mean[0], 0.2860, 0);
    ASSERT_NEAR(n.std[0], 0.3530, 0);
    config.kind = "cifar100";
    n = datasetNormalisation(config);
    ASSERT_EQ(n.mean.size(), size_t(3));
    ASSERT_NEAR(n.mean[2], 0.4409, 0);
    ASSERT_NEAR(n.std[1], 0.2564, 0);
    config.kind = "synthetic";
    config.syntheticChannels = 1;
    n = datasetNormalisation(config);
    ASSERT_EQ(n.mean.size(), size_t(1));
    ASSERT_NEAR(n.std[0], 0.25, 0);
}

// ---- image folders ---------------------------------------------------------------------------

#ifdef SWAV_TEST_HAVE_OPENCV
TEST(Data, ImageFolderLabelsFromSubFoldersAndSkipsCorrupt) {
    swav::test::TempDir dir;
    writeSolidPng(dir.file("train/cat/a.png"), 10, 8, 10, 20, 30);
    writeSolidPng(dir.file("train/cat/B.PNG"), 8, 12, 40, 50, 60);
    writeSolidPng(dir.file("train/dog/c.png"), 6, 6, 70, 80, 90);
    writeFile(dir.file("train/dog/broken.jpg"), "this is not a jpeg at all");
    writeFile(dir.file("train/dog/notes.txt"), "ignored");
    auto data = openImageFolder(dir.file("train"), 4, 16);
    // Listed by name only: the broken file counts until it is decoded.
    ASSERT_EQ(data->size(), 4);
    ASSERT_EQ(data->skippedFiles(), 0);
    ASSERT_TRUE(data->classNames() == std::vector<std::string>({"cat", "dog"}));
    ASSERT_TRUE(toVector(data->labels()) == std::vector<int64_t>({0, 0, 1, 1}));
    ASSERT_EQ(data->channels(), 3);
    ASSERT_EQ(data->height(), 4);
    // broken.jpg (position 2) is replaced by the next image of its class, c.png.
    ASSERT_TRUE(toVector(data->gather({2}).images[0].amax({1, 2})) ==
                std::vector<int64_t>({70, 80, 90}));
    ASSERT_EQ(data->skippedFiles(), 1);
    ASSERT_TRUE(data->replacedByStandIn(2));
    const ImageBatch batch = data->gather({3, 0, 1});
    ASSERT_EQ(shapeOf(batch.images), std::string("[3, 3, 4, 4]"));
    ASSERT_EQ(batch.images.scalar_type(), at::kByte);
    ASSERT_TRUE(toVector(batch.labels) == std::vector<int64_t>({1, 0, 0}));
    // Sorted: "B.PNG" < "a.png", so position 0 is the 40/50/60 image; solid colours survive.
    ASSERT_TRUE(toVector(batch.images[1].amin({1, 2})) == std::vector<int64_t>({40, 50, 60}));
    ASSERT_TRUE(toVector(batch.images[1].amax({1, 2})) == std::vector<int64_t>({40, 50, 60}));
    ASSERT_TRUE(toVector(batch.images[0].amax({1, 2})) == std::vector<int64_t>({70, 80, 90}));
    ASSERT_CONTAINS(data->description(), "1 unreadable skipped");
    ASSERT_THROWS_WITH(data->gather({4}), "index 4 out of range");
}

TEST(Data, ImageFolderRedStaysInChannelZero) {
    swav::test::TempDir dir;
    writeSolidPng(dir.file("red.png"), 5, 5, 255, 0, 0);
    auto data = openImageFolder(dir.path(), 5, 4);
    const at::Tensor image = data->gather({0}).images[0];
    ASSERT_EQ(image[0].min().item<int>(), 255);
    ASSERT_EQ(image[1].max().item<int>(), 0);
    ASSERT_EQ(image[2].max().item<int>(), 0);
}

TEST(Data, ImageFolderCropsTheCentre) {
    swav::test::TempDir dir;
    // 8 wide, 4 high, columns 0-3 red and 4-7 blue; side 4 keeps the height, crops columns 2-5.
    std::vector<uint8_t> rgb;
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 8; ++x)
            rgb.insert(rgb.end(), {uint8_t(x < 4 ? 255 : 0), 0, uint8_t(x < 4 ? 0 : 255)});
    writePng(dir.file("wide.png"), 8, 4, rgb);
    // Shrinking a 16x32 solid image to side 4 keeps the colour exactly.
    writeSolidPng(dir.file("tall.png"), 16, 32, 9, 99, 199);
    auto data = openImageFolder(dir.path(), 4, 4);
    ASSERT_TRUE(!data->labels().defined()); // flat folder: unlabelled
    ASSERT_TRUE(data->classNames().empty());
    const ImageBatch batch = data->gather({0, 1});
    ASSERT_TRUE(toVector(batch.labels) == std::vector<int64_t>({-1, -1}));
    const at::Tensor tall = batch.images[0], wide = batch.images[1];
    ASSERT_TRUE(toVector(tall.amin({1, 2})) == std::vector<int64_t>({9, 99, 199}));
    ASSERT_TRUE(toVector(tall.amax({1, 2})) == std::vector<int64_t>({9, 99, 199}));
    ASSERT_TRUE(toVector(wide[0][2]) == std::vector<int64_t>({255, 255, 0, 0}));
    ASSERT_TRUE(toVector(wide[2][1]) == std::vector<int64_t>({0, 0, 255, 255}));
}

TEST(Data, ImageFolderAllCorruptIsAnError) {
    swav::test::TempDir dir;
    writeFile(dir.file("a.jpg"), "garbage");
    writeFile(dir.file("b.png"), std::string(100, '\x42'));
    ASSERT_THROWS_WITH(openImageFolder(dir.path(), 8, 8)->gather({0}),
                       "none of the 2 image files could be decoded");
    swav::test::TempDir empty;
    ASSERT_THROWS_WITH(openImageFolder(empty.path(), 8, 8), "no image files found");
    ASSERT_THROWS_WITH(openImageFolder(empty.file("missing"), 8, 8), "does not exist");
}

TEST(Data, ImageFolderReplacesFilesThatFailToDecode) {
    swav::test::TempDir dir;
    writeSolidPng(dir.file("a/1.png"), 4, 4, 1, 1, 1);
    // A PNG signature with garbage after it passes the header check but cannot be decoded.
    writeFile(dir.file("a/2.png"), std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\x07'));
    writeSolidPng(dir.file("a/3.png"), 4, 4, 3, 3, 3);
    writeSolidPng(dir.file("b/4.png"), 4, 4, 4, 4, 4);
    auto data = openImageFolder(dir.path(), 4, 8);
    ASSERT_EQ(data->size(), 4);
    ASSERT_EQ(data->skippedFiles(), 0);
    const ImageBatch batch = data->gather({1});
    ASSERT_EQ(data->skippedFiles(), 1);
    ASSERT_EQ(batch.images[0].max().item<int>(), 3); // the next file of the same class
    ASSERT_EQ(batch.labels[0].item<int64_t>(), 0);
    ASSERT_EQ(data->gather({1}).images[0].max().item<int>(), 3);
    ASSERT_EQ(data->skippedFiles(), 1); // counted once
}

TEST(Data, ImageFolderPrefetchMatchesDirectDecoding) {
    swav::test::TempDir dir;
    for (int i = 0; i < 12; ++i)
        writeSolidPng(dir.file("img" + std::to_string(10 + i) + ".png"), 6, 6, uint8_t(i),
                      uint8_t(2 * i), uint8_t(3 * i));
    auto data = openImageFolder(dir.path(), 4, 3); // queue smaller than the plan
    const std::vector<std::vector<int64_t>> plan = {{0, 1, 2}, {11, 3}, {5, 5, 7, 8}, {9}};
    data->prefetch(plan);
    ASSERT_EQ(data->gather({4}).images[0][1].max().item<int>(), 8); // off-plan request
    for (const auto& indices : plan) {
        const ImageBatch batch = data->gather(indices);
        ASSERT_TRUE(toVector(batch.indices) == indices);
        for (size_t k = 0; k < indices.size(); ++k)
            ASSERT_EQ(batch.images[int64_t(k)][2].max().item<int64_t>(), 3 * indices[k]);
    }
    // A new plan replaces one that is still running; destroying mid-plan does not hang.
    data->prefetch({{0}, {1}, {2}, {3}, {4}, {5}});
    data->prefetch({{6, 7}});
    ASSERT_EQ(data->gather({6, 7}).images[1][0].max().item<int>(), 7);
    data->prefetch({{0}, {1}, {2}, {3}, {4}, {5}});
    data.reset();
    ASSERT_THROWS_WITH(openImageFolder(dir.path(), 4, 3)->prefetch({{0}, {12}}),
                       "index 12 out of range");
}

TEST(Data, ImageFolderThroughConfigAndSubset) {
    swav::test::TempDir dir;
    for (int i = 0; i < 6; ++i)
        writeSolidPng(
            dir.file("train/" + std::string(i < 3 ? "x" : "y") + "/" + std::to_string(i) + ".png"),
            5, 5, uint8_t(i), 0, 0);
    DatasetConfig config;
    config.kind = "image-folder";
    config.path = dir.file("train") + "/";
    config.imageSize = 3;
    config.subset = 4;
    auto split = openDataset(config);
    ASSERT_TRUE(split) << (split ? "" : split.error().message);
    ASSERT_EQ(split->train->size(), 4);
    ASSERT_EQ(split->train->height(), 3);
    // Prefetch through the subset maps positions to the folder's.
    split->train->prefetch({{3, 0}});
    const ImageBatch batch = split->train->gather({3, 0});
    ASSERT_TRUE(toVector(batch.indices) == std::vector<int64_t>({3, 0}));
    const auto labels = toVector(split->train->labels());
    ASSERT_EQ(batch.labels[0].item<int64_t>(), labels[3]);
    ASSERT_EQ(batch.images[1][0].max().item<int64_t>() < 3 ? 0 : 1, labels[0]);
    ASSERT_CONTAINS(errorOf(openTestSplit(config)), dir.file("val"));
    writeSolidPng(dir.file("val/x/v.png"), 5, 5, 1, 2, 3);
    auto test = openTestSplit(config);
    ASSERT_TRUE(test) << (test ? "" : test.error().message);
    ASSERT_EQ((*test)->size(), 1);
    config.path.clear();
    ASSERT_CONTAINS(errorOf(openDataset(config)), "dataset.path is empty");
}

// ---- the real Fashion-MNIST ------------------------------------------------------------------

#else
TEST(Data, ImageFolderReadingNeedsOpenCv) {
    GTEST_SKIP() << "built without OpenCV: image folders are not tested";
}

TEST(Data, ImageFolderNeedsOpenCv) {
    ASSERT_THROWS_WITH(openImageFolder("/tmp", 8, 8), "image folders need OpenCV");
}
#endif

TEST(Data, FashionMnistTestSplitFromDebianPackage) {
    // The install script installs dataset-fashion-mnist; a missing folder is a failure here.
    DatasetConfig config; // fashion-mnist, default path
    auto test = openTestSplit(config);
    ASSERT_TRUE(test) << (test ? "" : test.error().message);
    const auto& data = *test;
    ASSERT_EQ(data->size(), 10000);
    const ImageBatch all = data->gather(range(10000));
    ASSERT_EQ(shapeOf(all.images), std::string("[10000, 1, 28, 28]"));
    ASSERT_EQ(data->classNames().size(), size_t(10));
    ASSERT_EQ(data->classNames()[9], std::string("Ankle boot"));
    const at::Tensor counts = at::bincount(data->labels());
    ASSERT_TRUE(toVector(counts) == std::vector<int64_t>(10, 1000));
    // The pixel statistics match the normalisation constants for the kind.
    const Normalisation n = datasetNormalisation(config);
    const at::Tensor pixels = all.images.to(at::kFloat).div(255);
    ASSERT_NEAR(pixels.mean().item<double>(), n.mean[0], 0.003);
    ASSERT_NEAR(pixels.std().item<double>(), n.std[0], 0.003);
}
