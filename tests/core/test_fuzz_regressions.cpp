// Inputs the fuzz targets (tests/fuzz) found crashing, each kept as a regression test with the
// target that found it (issue 10).
#include "TestHarness.h"
#include "TinySynthetic.h"

#include "config/ConfigJson.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#ifdef SWAV_TEST_HAVE_OPENCV
#include "data/ImageDecode.h"
#endif

using namespace swav;

// fuzz_config: a --set value that is not UTF-8 made nlohmann::json throw type_error 316 while the
// error message was formatted, terminating the program.
TEST(FuzzRegressions, OverrideValuesThatAreNotUtf8AreErrors) {
    const std::string latin1 = "swav.epsilon=\xff\xfe"
                               "0.03";
    auto config = loadConfig("{}", "fuzz.json", {latin1});
    ASSERT_TRUE(!config);
    ASSERT_CONTAINS(config.error().message, "swav.epsilon: the value is not UTF-8 text");

    const std::string name = "name=caf\xe9";
    config = loadConfig("{}", "fuzz.json", {name});
    ASSERT_TRUE(!config);
    ASSERT_CONTAINS(config.error().message, "name: the value is not UTF-8 text");
    ExperimentConfig tiny = swav::test::tinySyntheticConfig(64);
    CropGroupConfig crop;
    crop.count = 2, crop.size = 16, crop.blurProb = 0;
    tiny.multicrop.crops = {crop};
    const std::string valid = toJson(tiny).dump();
    const auto accented = loadConfig(valid, "fuzz.json", {"name=caf\xc3\xa9"});
    ASSERT_TRUE(accented.hasValue()) << accented.error().message;
    ASSERT_EQ(accented->name, std::string("caf\xc3\xa9"));
}

TEST(FuzzRegressions, Utf8ValidationFollowsTheStandard) {
    ASSERT_TRUE(isValidUtf8(""));
    ASSERT_TRUE(isValidUtf8("plain ascii"));
    ASSERT_TRUE(isValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")); // e-acute, euro, emoji
    ASSERT_TRUE(!isValidUtf8("\xff"));
    ASSERT_TRUE(!isValidUtf8("\xc3"));             // cut short
    ASSERT_TRUE(!isValidUtf8("\xc0\xaf"));         // overlong '/'
    ASSERT_TRUE(!isValidUtf8("\xed\xa0\x80"));     // a surrogate
    ASSERT_TRUE(!isValidUtf8("\xf4\x90\x80\x80")); // past U+10FFFF
    ASSERT_TRUE(!isValidUtf8("\xe2\x28\xa1"));     // bad continuation
}

#ifdef SWAV_TEST_HAVE_OPENCV
// fuzz_image: a 199-byte JPEG with stray bytes between its markers, which libjpeg skips, and a
// frame declaring 65344 x 15064 pixels made OpenCV allocate 2.9 GB: its own pixel limit is read
// when its library loads, and the header reader stopped at the stray bytes. Markers are now
// searched as libjpeg does and every image needs a header size within kMaxImagePixels.
TEST(FuzzRegressions, JpegBombsBehindStrayBytesAreRefusedBeforeDecoding) {
    const auto bytes = readImageFile(std::string(SWAV_TEST_SOURCE_DIR) +
                                     "/fuzz/corpus/fuzz_image/jpeg-garbage-before-huge-frame.jpg");
    ASSERT_EQ(bytes.size(), size_t(199));
    int height = 0, width = 0;
    ASSERT_TRUE(encodedImageSize(bytes.data(), bytes.size(), height, width));
    ASSERT_EQ(height, 15064);
    ASSERT_EQ(width, 65344);
    std::vector<uint8_t> out(3 * 32 * 32);
    ASSERT_TRUE(!decodeSquareImage(bytes, 32, out.data()));
    ASSERT_TRUE(!decodeOriginalImage(bytes).defined());
}

// fuzz_image: a 134-byte file with a damaged PNG signature and "DICM" at byte 128 reached
// OpenCV's DICOM decoder (GDCM), whose assert aborted the process. Only the formats image
// folders read are handed to OpenCV now.
TEST(FuzzRegressions, ImagesOnlyReachTheDecodersOfSupportedFormats) {
    const std::vector<uint8_t> crash{
        0x89, 0x50, 0x4e, 0x47, 0x9d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x10, 0x02, 0x00, 0x00, 0x00, 0x56,
        0x68, 0xbd, 0xcc, 0x00, 0x00, 0x00, 0x04, 0x67, 0x41, 0x4d, 0x41, 0x00, 0x00, 0xb1, 0x8f,
        0x0b, 0xfc, 0x61, 0xdc, 0x00, 0x00, 0x00, 0x07, 0x74, 0x49, 0x4d, 0x45, 0x07, 0xea, 0x0b,
        0x1e, 0x04, 0x19, 0x00, 0x20, 0x14, 0x82, 0x3d, 0x00, 0x00, 0x00, 0x2a, 0x49, 0x44, 0x41,
        0x54, 0x08, 0xd7, 0x63, 0xfc, 0xff, 0x9f, 0x81, 0x48, 0xc0, 0x72, 0x80, 0x81, 0x81, 0xc1,
        0x81, 0x38, 0xa5, 0x07, 0x19, 0x89, 0x56, 0x7a, 0x80, 0x81, 0x81, 0xc1, 0x9e, 0x28, 0x47,
        0x30, 0x32, 0x30, 0x30, 0x30, 0x10, 0xe7, 0x5e, 0x00, 0xc9, 0x7a, 0x08, 0x0b, 0x4b, 0x74,
        0x1a, 0x4c, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x44, 0x49, 0x43, 0x4d, 0x60, 0x82};
    std::vector<uint8_t> out(3 * 32 * 32);
    ASSERT_TRUE(!hasSupportedImageSignature(crash.data(), crash.size()));
    ASSERT_TRUE(!decodeSquareImage(crash, 32, out.data()));

    ASSERT_TRUE(
        hasSupportedImageSignature(reinterpret_cast<const uint8_t*>("\xff\xd8\xff\xe0"), 4));
    ASSERT_TRUE(
        hasSupportedImageSignature(reinterpret_cast<const uint8_t*>("RIFF\0\0\0\0WEBPVP8 "), 16));
    ASSERT_TRUE(
        !hasSupportedImageSignature(reinterpret_cast<const uint8_t*>("RIFF\0\0\0\0WAVEfmt "), 16));
    ASSERT_TRUE(!hasSupportedImageSignature(reinterpret_cast<const uint8_t*>("\0\0\0\x0cjP  "),
                                            8)); // JPEG 2000
    // A valid 2x1 BMP still decodes.
    const std::vector<uint8_t> bmp{'B', 'M', 62, 0, 0, 0, 0, 0, 0,   0, 54, 0, 0,   0, 40, 0,
                                   0,   0,   2,  0, 0, 0, 1, 0, 0,   0, 1,  0, 24,  0, 0,  0,
                                   0,   0,   8,  0, 0, 0, 0, 0, 0,   0, 0,  0, 0,   0, 0,  0,
                                   0,   0,   0,  0, 0, 0, 0, 0, 255, 0, 0,  0, 255, 0, 0,  0};
    ASSERT_TRUE(decodeSquareImage(bmp, 1, out.data()));
}
#else
TEST(FuzzRegressions, ImageDecodingNeedsOpenCv) {
    GTEST_SKIP() << "built without OpenCV: the image decoders' regressions are not tested";
}
#endif
