// The bounded torch.save reader (util/ZipArchive, util/Pickle, util/TorchFile) and the readers
// built on it: checkpoints, feature caches and state dicts. Every crafted file here used to crash
// or mislead LibTorch's unpickler or the earlier state-dict reader (issue 10).
#include "CraftedFiles.h"
#include "TestHarness.h"

#include "eval/Features.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "util/Sha256.h"
#include "util/TorchFile.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace swav;
using namespace swav::test;
using namespace std::string_literals;

namespace {

std::string repeated(const std::string& text, size_t times) {
    std::string out;
    for (size_t i = 0; i < times; ++i)
        out += text;
    return out;
}

void writeAll(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

const TorchFormat kFormats[] = {TorchFormat::Zip, TorchFormat::Legacy};

std::string formatName(TorchFormat format) {
    return format == TorchFormat::Zip ? "zip" : "legacy";
}

// A one-tensor state dict {"w": <tensor>} over a float storage "0".
void writeOneTensor(const std::string& path, int64_t numel, int64_t offset,
                    const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                    const std::string& data, TorchFormat format = TorchFormat::Zip) {
    writeTorchFile(format, path,
                   pk::proto() + pk::dict({{"w", pk::tensor("0", numel, offset, sizes, strides)}}) +
                       ".",
                   {{"0", data}});
}

CheckpointState smallCheckpoint() {
    CheckpointState s;
    s.configJson = "{}";
    s.epoch = 1;
    s.stepInEpoch = 2;
    s.iteration = 12;
    s.model["layer.weight"] = at::arange(6, at::kFloat).reshape({2, 3});
    s.optimizer["momentum.layer.weight"] = at::zeros({2, 3});
    s.queueFilled = 0;
    return s;
}

} // namespace

TEST(TorchFile, TensorViewsAreRebuiltFromTheirStorage) {
    TempDir dir;
    for (const TorchFormat format : kFormats) {
        const std::string path = dir.file("view-" + formatName(format) + ".pt");
        writeOneTensor(path, 6, 1, {2, 2}, {3, 1}, floats({0, 1, 2, 3, 4, 5}), format);
        const TorchFile file = readTorchFile(path);
        const auto tensors = tensorsOf(file, *file.root);
        ASSERT_EQ(tensors.size(), size_t(1));
        const at::Tensor& w = tensors.at("w");
        ASSERT_EQ(w.sizes().vec(), (std::vector<int64_t>{2, 2}));
        ASSERT_TRUE(at::equal(w, at::tensor({1.f, 2.f, 4.f, 5.f}).reshape({2, 2})));
    }
}

// Two storages, one shared by two tensors: each record follows the previous one in the file.
TEST(TorchFile, LegacyStoragesAreReadInTheOrderOfTheirKeys) {
    TempDir dir;
    const std::string path = dir.file("two.pt");
    writeLegacyTorchFile(path,
                         pk::proto() +
                             pk::dict({{"a", pk::tensor("b", 2, 0, {2}, {1})},
                                       {"c", pk::tensor("a", 3, 1, {2}, {1})},
                                       {"d", pk::tensor("b", 2, 1, {1}, {1})}}) +
                             ".",
                         {{"a", floats({7, 8, 9})}, {"b", floats({1, 2})}});
    const auto state = loadStateDict(path);
    ASSERT_TRUE(at::equal(state.at("a"), at::tensor({1.f, 2.f})));
    ASSERT_TRUE(at::equal(state.at("c"), at::tensor({8.f, 9.f})));
    ASSERT_TRUE(at::equal(state.at("d"), at::tensor({2.f})));
}

// What torch.save's legacy format promises beyond the pickle is checked as well.
TEST(TorchFile, DamagedLegacyFilesAreRefused) {
    TempDir dir;
    const std::string good = dir.file("good.pt");
    writeOneTensor(good, 3, 0, {3}, {1}, floats({1, 2, 3}), TorchFormat::Legacy);
    ASSERT_EQ(loadStateDict(good).at("w").numel(), int64_t(3));
    const std::string bytes = readAll(good);
    const std::string header = legacyTorchHeader();

    struct Case {
        std::string bytes, message;
    };
    const std::string version = "\x80\x02M\xe9\x03.";
    std::string otherVersion = bytes, bigEndian = bytes, cut = bytes.substr(0, bytes.size() - 5),
                count = bytes;
    otherVersion.replace(otherVersion.find(version) + 3, 2, "\xea\x03");
    bigEndian[bigEndian.find("little_endian") + 13] = '\x89';
    count[count.size() - 12 - 8] = 2; // the storage's element count
    const std::vector<Case> cases{
        {header, "saved object: truncated pickle"},
        {header.substr(0, 20), "format version: truncated pickle"},
        {otherVersion, "version 1002 (expected 1001)"},
        {bigEndian, "big-endian"},
        {cut, "tensor data '0' is cut short"},
        {bytes.substr(0, bytes.size() - 14), "tensor data '0' is missing"},
        {count, "holds 8 bytes but its float32 storage declares 12"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const std::string path = dir.file("case" + std::to_string(i) + ".pt");
        writeAll(path, cases[i].bytes);
        ASSERT_THROWS_WITH(readTorchFile(path), path);
        ASSERT_THROWS_WITH(readTorchFile(path), cases[i].message);
    }
    // Keys listed twice, or listed for no tensor.
    const std::string dict = pk::proto() + pk::dict({{"w", pk::tensor("0", 1, 0, {1}, {1})}}) + ".";
    writeLegacyTorchFile(dir.file("twice.pt"), dict, {{"0", floats({1})}, {"0", floats({1})}});
    ASSERT_THROWS_WITH(readTorchFile(dir.file("twice.pt")), "storage '0' is listed twice");
    writeLegacyTorchFile(dir.file("extra.pt"), dict, {{"0", floats({1})}, {"9", floats({1})}});
    ASSERT_THROWS_WITH(readTorchFile(dir.file("extra.pt")), "'9' is listed but no tensor");
    // A pickle that is not torch.save's.
    writeAll(dir.file("plain.pkl"), "\x80\x02N.");
    ASSERT_THROWS_WITH(loadStateDict(dir.file("plain.pkl")), "a Python pickle, not a torch.save");
}

TEST(TorchFile, LibTorchPickleSaveArchivesAreRead) {
    TempDir dir;
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("text", std::string("hello"));
    root.insert("count", int64_t(-7));
    root.insert("big", int64_t(1) << 40);
    root.insert("ratio", 0.25);
    root.insert("nothing", c10::IValue());
    c10::Dict<std::string, at::Tensor> tensors;
    tensors.insert("a", at::arange(12, at::kLong).reshape({3, 4}));
    tensors.insert("b", at::ones({2}, at::kBFloat16));
    root.insert("tensors", tensors);
    const auto bytes = torch::jit::pickle_save(root);
    writeAll(dir.file("saved.pt"), std::string(bytes.begin(), bytes.end()));

    const TorchFile file = readTorchFile(dir.file("saved.pt"));
    ASSERT_EQ(file.root->find("text")->text, std::string("hello"));
    ASSERT_EQ(file.root->find("count")->integer, int64_t(-7));
    ASSERT_EQ(file.root->find("big")->integer, int64_t(1) << 40);
    ASSERT_NEAR(file.root->find("ratio")->real, 0.25, 0);
    ASSERT_TRUE(file.root->find("nothing")->kind == pickle::Kind::None);
    const auto read = tensorsOf(file, *file.root->find("tensors"));
    ASSERT_TRUE(at::equal(read.at("a"), at::arange(12, at::kLong).reshape({3, 4})));
    ASSERT_TRUE(read.at("b").scalar_type() == at::kBFloat16);
}

// Each body crashed torch::pickle_load (SIGSEGV / SIGBUS) or the earlier reader.
TEST(TorchFile, MalformedPicklesAreErrorsNamingTheFile) {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"N\x87.", "stack underflow"},              // TUPLE3 with one item on the stack
        {"R.", "stack underflow"},                  // REDUCE on an empty stack
        {"b.", "stack underflow"},                  // BUILD on an empty stack
        {"\x85.", "stack underflow"},               // TUPLE1 on an empty stack
        {"Q.", "stack underflow"},                  // BINPERSID on an empty stack
        {"N)R.", "REDUCE"},                         // REDUCE of a non-callable
        {"(N.", "left on the stack"},               // MARK never closed
        {"NN.", "left on the stack"},               // two results
        {"h\x05.", "unknown memo entry"},           // BINGET of nothing
        {"\x80\x02X\xff\xff\xff\x7f", "truncated"}, // string longer than the file
        {"NQ.", "persistent id"},                   // persistent id that is not a storage
        {"}N\x85s.", "empty stack"},                // SETITEM short of a key
        {"\xff.", "unsupported pickle opcode 0xff"},
        {pk::global("os", "system") + pk::tuple({pk::str("touch pwned")}) + "R.",
         "unsupported Python object 'os.system'"},
        {"\x80\x02]q\x00"s + "h\x00"s + "a.", "holding itself"}, // a list appended to itself
        // Issue 32 (7): names joined again and again from one memoised string made gigabytes.
        {pk::proto() + pk::str(std::string(500, 'a')) + "q\x00"s +
             repeated("h\x00h\x00\x93"s, 3000) + ".",
         "bytes of text from"},
        {pk::proto() + pk::str(std::string(1000, 'a')) + "q\x00"s + "h\x00h\x00\x93."s,
         "a Python name of 2000 bytes"},
    };
    for (const TorchFormat format : kFormats)
        for (size_t i = 0; i < cases.size(); ++i) {
            const std::string path =
                dir.file("case" + std::to_string(i) + "-" + formatName(format) + ".pt");
            writeTorchFile(format, path, cases[i].first, {});
            ASSERT_THROWS_WITH(readTorchFile(path), path);
            ASSERT_THROWS_WITH(readTorchFile(path), cases[i].second);
            ASSERT_THROWS_WITH(loadCheckpoint(path), path);
            ASSERT_THROWS_WITH(loadStateDict(path), path);
        }
}

// 10^6 nested tuples, lists or dicts overflowed the stack while being read or destroyed.
TEST(TorchFile, DeepNestingIsRefusedWithoutRecursion) {
    TempDir dir;
    const size_t depth = 1000000;
    const std::vector<std::string> bodies{
        "N" + std::string(depth, '\x85') + ".",
        std::string(depth, '(') + "N" + std::string(depth, 'l') + ".",
        [&] {
            // One memoised key for every level, so only the dicts count as new values.
            std::string body = "K\x01q\x01"s + "0";
            for (size_t i = 0; i < depth; ++i)
                body += "(h\x01";
            return body + "N" + std::string(depth, 'd') + ".";
        }(),
    };
    for (const TorchFormat format : kFormats)
        for (size_t i = 0; i < bodies.size(); ++i) {
            const std::string path =
                dir.file("deep" + std::to_string(i) + "-" + formatName(format) + ".pt");
            writeTorchFile(format, path, bodies[i], {});
            ASSERT_THROWS_WITH(readTorchFile(path), "nested deeper than");
            ASSERT_THROWS_WITH(loadStateDict(path), "nested deeper than");
        }
}

TEST(TorchFile, TensorsReachingOutsideTheirStorageAreRefused) {
    TempDir dir;
    const std::string six = floats({0, 1, 2, 3, 4, 5});
    struct Case {
        int64_t numel, offset;
        std::vector<int64_t> sizes, strides;
        std::string data, message;
    };
    const std::vector<Case> cases{
        {6, int64_t(1) << 31, {1}, {1}, six, "storage offset"},
        {6, -(int64_t(1) << 31), {1}, {1}, six, "storage offset"},
        {6, 0, {3}, {int64_t(1) << 62}, six, "reaches past its storage"},
        {6, 0, {7}, {1}, six, "needs element 6 of a storage of 6"},
        {6, 4, {3}, {1}, six, "needs element 6"},
        {0, 0, {3}, {1}, "", "of a storage of 0"},
        {6, 0, {-1}, {1}, six, "negative size or stride"},
        {6, 0, {2, 3}, {3}, six, "differ in length"},
    };
    for (const TorchFormat format : kFormats) {
        for (size_t i = 0; i < cases.size(); ++i) {
            const auto& c = cases[i];
            const std::string path =
                dir.file("geometry" + std::to_string(i) + "-" + formatName(format) + ".pt");
            writeOneTensor(path, c.numel, c.offset, c.sizes, c.strides, c.data, format);
            ASSERT_THROWS_WITH(readTorchFile(path), c.message);
            ASSERT_THROWS_WITH(loadStateDict(path), path);
        }
        // An empty tensor of an empty storage is fine.
        writeOneTensor(dir.file("empty.pt"), 0, 0, {0, 3}, {3, 1}, "", format);
        ASSERT_EQ(loadStateDict(dir.file("empty.pt")).at("w").numel(), int64_t(0));
    }
}

// A 310-byte file claiming 10^9 elements grew the process to 4 GB before failing.
TEST(TorchFile, StoragesMustHoldTheBytesTheyDeclare) {
    TempDir dir;
    for (const TorchFormat format : kFormats) {
        writeOneTensor(dir.file("claims.pt"), 1000000000, 0, {1000000000}, {1}, floats({1, 2, 3}),
                       format);
        ASSERT_THROWS_WITH(readTorchFile(dir.file("claims.pt")), "holds 12 bytes but its float32");
        writeOneTensor(dir.file("short.pt"), 6, 0, {6}, {1}, floats({1, 2, 3}), format);
        ASSERT_THROWS_WITH(readTorchFile(dir.file("short.pt")), "declares 24");
        writeTorchFile(format, dir.file("missing.pt"),
                       pk::proto() + pk::dict({{"w", pk::tensor("7", 1, 0, {1}, {1})}}) + ".", {});
        ASSERT_THROWS_WITH(readTorchFile(dir.file("missing.pt")),
                           format == TorchFormat::Zip ? "'data/7' is missing" : "'7' is missing");

        // The memory budget is checked before any tensor is allocated.
        writeOneTensor(dir.file("big.pt"), 1024, 0, {1024}, {1}, std::string(4096, '\0'), format);
        TorchFileLimits limits;
        limits.maxTensorBytes = 1000;
        ASSERT_THROWS_WITH(readTorchFile(dir.file("big.pt"), limits), "more than the");
    }
}

TEST(TorchFile, ChangedTensorBytesAreDetectedByTheirChecksum) {
    TempDir dir;
    const std::string path = dir.file("flipped.pt");
    writeOneTensor(path, 6, 0, {6}, {1}, floats({0, 1, 2, 3, 4, 5}));
    std::string bytes = readAll(path);
    const size_t data = bytes.find(floats({0, 1, 2, 3, 4, 5}));
    ASSERT_TRUE(data != std::string::npos);
    bytes[data + 9] ^= 0x10;
    writeAll(path, bytes);
    ASSERT_THROWS_WITH(readTorchFile(path), "CRC-32 mismatch");
}

TEST(TorchFile, DamagedZipStructureIsRefused) {
    TempDir dir;
    const std::string good = dir.file("good.pt");
    writeOneTensor(good, 6, 0, {6}, {1}, floats({0, 1, 2, 3, 4, 5}));
    const std::string bytes = readAll(good);

    writeAll(dir.file("cut.pt"), bytes.substr(0, bytes.size() - 30));
    ASSERT_THROWS_WITH(readTorchFile(dir.file("cut.pt")), "cut.pt: not a");
    writeAll(dir.file("half.pt"), bytes.substr(0, bytes.size() / 2));
    ASSERT_THROWS_WITH(readTorchFile(dir.file("half.pt")), "half.pt: not a zip archive");
    writeAll(dir.file("text.pt"), "just some text, long enough to look for an end record");
    ASSERT_THROWS_WITH(readTorchFile(dir.file("text.pt")), "not a zip archive");
    ASSERT_THROWS_WITH(readTorchFile(dir.path()), "not a regular file");

    // A central directory entry pointing past the end of the data.
    std::string moved = bytes;
    const size_t entry = moved.find(std::string("PK\x01\x02", 4));
    moved.replace(entry + 42, 4, ZipWriter::le(0x7fffff00, 4));
    writeAll(dir.file("moved.pt"), moved);
    ASSERT_THROWS_WITH(readTorchFile(dir.file("moved.pt")), "moved.pt: not a valid zip archive");
}

TEST(TorchFile, CheckpointPositionsMustBeNonNegative) {
    TempDir dir;
    struct Case {
        int epoch;
        int64_t step, iteration;
        const char* field;
    };
    for (const Case& c :
         {Case{1, -1, 12, "'step_in_epoch' is -1"}, Case{-3, 0, 12, "'epoch' is -3"},
          Case{1, 2, -1000, "'iteration' is -1000"}}) {
        auto state = smallCheckpoint();
        state.epoch = c.epoch;
        state.stepInEpoch = c.step;
        state.iteration = c.iteration;
        saveCheckpoint(state, dir.file("bad.pt"));
        ASSERT_THROWS_WITH(loadCheckpoint(dir.file("bad.pt")), c.field);
    }
    auto state = smallCheckpoint();
    state.queue = at::zeros({2, 4, 3});
    state.queueFilled = 5;
    saveCheckpoint(state, dir.file("queue.pt"));
    ASSERT_THROWS_WITH(loadCheckpoint(dir.file("queue.pt")), "'queue_filled' exceeds the queue");
}

TEST(TorchFile, RecordedDigestIsVerifiedOnLoad) {
    TempDir dir;
    const std::string path = dir.file("checkpoint.pt");
    saveCheckpoint(smallCheckpoint(), path);
    const std::string digest = sha256OfFile(path);
    ASSERT_EQ(loadCheckpoint(path, digest).iteration, int64_t(12));

    // Change a byte the zip's own checksums do not cover (the first entry's modification time).
    std::string bytes = readAll(path);
    bytes[10] ^= 0x01;
    writeAll(path, bytes);
    ASSERT_EQ(loadCheckpoint(path).iteration, int64_t(12));
    ASSERT_THROWS_WITH(loadCheckpoint(path, digest), "changed since it was written");
}

TEST(TorchFile, NewestDamagedCheckpointFallsBackToAnOlderOne) {
    TempDir dir;
    auto older = smallCheckpoint();
    saveCheckpoint(older, checkpointPath(dir.path(), 1, 12));
    auto newer = smallCheckpoint();
    newer.epoch = 2;
    newer.stepInEpoch = 0;
    newer.iteration = 20;
    const std::string newest = checkpointPath(dir.path(), 2, 20);
    saveCheckpoint(newer, newest);
    const auto first = loadNewestCheckpoint(dir.path());
    ASSERT_EQ(first->state.iteration, int64_t(20));

    const std::string digest = sha256OfFile(newest);
    std::string bytes = readAll(newest);
    bytes.resize(bytes.size() - 40);
    writeAll(newest, bytes);
    std::vector<std::string> skipped;
    auto loaded = loadNewestCheckpoint(dir.path(), {}, &skipped);
    ASSERT_TRUE(loaded.hasValue());
    ASSERT_EQ(loaded->path, checkpointPath(dir.path(), 1, 12));
    ASSERT_EQ(skipped.size(), size_t(1));
    ASSERT_CONTAINS(skipped[0], "epoch-0002-step-000000020.pt");

    // A file whose recorded digest no longer matches is skipped the same way.
    saveCheckpoint(newer, newest);
    skipped.clear();
    loaded = loadNewestCheckpoint(dir.path(), {{newest, digest + "0"}}, &skipped);
    ASSERT_EQ(loaded->path, checkpointPath(dir.path(), 1, 12));
    ASSERT_CONTAINS(skipped.at(0), "SHA-256");

    // Nothing readable at all is an error naming each file.
    saveCheckpoint(newer, newest);
    writeAll(checkpointPath(dir.path(), 1, 12), "x");
    writeAll(newest, "y");
    auto none = loadNewestCheckpoint(dir.path());
    ASSERT_TRUE(!none.hasValue());
    ASSERT_CONTAINS(none.error().message, "no readable checkpoint");
    ASSERT_CONTAINS(none.error().message, "epoch-0001-step-000000012.pt");
}

// A crafted cache beside a valid checkpoint crashed swav eval: now it is recomputed.
TEST(TorchFile, CraftedFeatureCachesAreIgnored) {
    TempDir dir;
    FeatureSet set{at::rand({4, 3}), at::arange(4, at::kLong)};
    saveCachedFeatures(dir.file("cache"), "key", set);
    FeatureSet back;
    const CachedFeaturesShape shape{4, 3, set.labels};
    ASSERT_TRUE(loadCachedFeatures(dir.file("cache"), "key", shape, back));
    ASSERT_TRUE(at::equal(back.features, set.features));

    writeTorchArchive(dir.file("crash"), "N\x87.", {});
    ASSERT_TRUE(!loadCachedFeatures(dir.file("crash"), "key", shape, back));
    // Right key, but labels that do not match the rows.
    writeTorchArchive(dir.file("rows"),
                      pk::proto() +
                          pk::dict({{"key", pk::str("key")},
                                    {"features", pk::tensor("0", 6, 0, {2, 3}, {3, 1})},
                                    {"labels", pk::tensor("0", 6, 0, {6}, {1})}}) +
                          ".",
                      {{"0", floats({0, 1, 2, 3, 4, 5})}});
    ASSERT_TRUE(!loadCachedFeatures(dir.file("rows"), "key", {2, 3, at::Tensor()}, back));
}
