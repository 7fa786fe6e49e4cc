// Inputs the fuzz targets (tests/fuzz) found crashing, each kept as a regression test with the
// target that found it (issue 10).
#include "TestHarness.h"
#include "TinySynthetic.h"

#include "config/ConfigJson.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <string>

using namespace swav;

// fuzz_config: a --set value that is not UTF-8 made nlohmann::json throw type_error 316 while the
// error message was formatted, terminating the program.
SWAV_TEST(OverrideValuesThatAreNotUtf8AreErrors) {
    const std::string latin1 = "swav.epsilon=\xff\xfe"
                               "0.03";
    auto config = loadConfig("{}", "fuzz.json", {latin1});
    VERIFY(!config);
    VERIFY_CONTAINS(config.error().message, "swav.epsilon: the value is not UTF-8 text");

    const std::string name = "name=caf\xe9";
    config = loadConfig("{}", "fuzz.json", {name});
    VERIFY(!config);
    VERIFY_CONTAINS(config.error().message, "name: the value is not UTF-8 text");
    ExperimentConfig tiny = swav::test::tinySyntheticConfig(64);
    CropGroupConfig crop;
    crop.count = 2, crop.size = 16, crop.blurProb = 0;
    tiny.multicrop.crops = {crop};
    const std::string valid = toJson(tiny).dump();
    const auto accented = loadConfig(valid, "fuzz.json", {"name=caf\xc3\xa9"});
    VERIFY_MSG(accented.hasValue(), accented.error().message);
    VERIFY_EQ(accented->name, std::string("caf\xc3\xa9"));
}

SWAV_TEST(Utf8ValidationFollowsTheStandard) {
    VERIFY(isValidUtf8(""));
    VERIFY(isValidUtf8("plain ascii"));
    VERIFY(isValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")); // e-acute, euro, emoji
    VERIFY(!isValidUtf8("\xff"));
    VERIFY(!isValidUtf8("\xc3"));             // cut short
    VERIFY(!isValidUtf8("\xc0\xaf"));         // overlong '/'
    VERIFY(!isValidUtf8("\xed\xa0\x80"));     // a surrogate
    VERIFY(!isValidUtf8("\xf4\x90\x80\x80")); // past U+10FFFF
    VERIFY(!isValidUtf8("\xe2\x28\xa1"));     // bad continuation
}
