#include "TestHarness.h"

#include "config/ConfigJson.h"
#include "config/ConfigSchema.h"
#include "config/Presets.h"
#include "config/SweepPlan.h"
#include "config/TrainCommandLine.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <limits>

using namespace swav;
using nlohmann::json;

namespace {

std::string errorsOf(const std::string& text, const std::vector<std::string>& overrides = {}) {
    auto config = loadConfig(text, "test.json", overrides);
    SWAV_REQUIRE(!config, "expected the configuration to be rejected");
    return config.error().message;
}

} // namespace

TEST(Config, DefaultsFollowThePaper) {
    const ExperimentConfig config;
    ASSERT_NEAR(config.swav.epsilon, 0.05, 0);
    ASSERT_EQ(config.swav.sinkhornIterations, 3);
    ASSERT_NEAR(config.swav.temperature, 0.1, 0);
    ASSERT_EQ(config.model.numPrototypes, 3000);
    ASSERT_EQ(config.model.head.hiddenDim, 2048);
    ASSERT_EQ(config.model.head.outputDim, 128);
    ASSERT_EQ(config.totalCrops(), 8);
    ASSERT_NEAR(config.optim.baseLr, 4.8, 0);
    ASSERT_NEAR(config.optim.finalLr, 0.0048, 0);
    ASSERT_NEAR(config.optim.weightDecay, 1e-6, 0);
    ASSERT_NEAR(config.optim.larsTrust, 0.001, 0);
}

TEST(Config, JsonRoundTripIsIdentity) {
    ExperimentConfig config;
    config.swav.epsilon = 0.03;
    config.multicrop.crops[1].size = 64;
    config.model.stageDepths = {1, 2};
    config.runtime.device = "cuda:1";
    ValidationReport report;
    const auto back = configFromJson(toJson(config), report);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(back == config);
    config.optim.momentum = 0.8;
    ASSERT_TRUE(back != config);
}

TEST(Config, PartialJsonKeepsDefaults) {
    auto config = loadConfig(R"({"swav": {"epsilon": 0.03}, "dataset": {"kind": "mnist"},
                                 "multicrop": {"crops": [{"count": 2, "size": 28}]}})",
                             "t", {});
    ASSERT_TRUE(config) << (config ? "" : config.error().message);
    ASSERT_NEAR(config->swav.epsilon, 0.03, 0);
    ASSERT_EQ(config->swav.sinkhornIterations, 3);
    ASSERT_EQ(config->multicrop.crops.size(), size_t(1));
    ASSERT_NEAR(config->multicrop.crops[0].minScale, 0.14, 0); // group default
}

TEST(Config, AllProblemsAreReportedAtOnce) {
    const auto message = errorsOf(R"({"swav": {"epsilon": -1, "temprature": 0.1},
                                      "optim": {"batch_size": "big"},
                                      "model": {"arch": "resnet19"}})");
    ASSERT_CONTAINS(message, "test.json");
    ASSERT_CONTAINS(message, "swav.temprature: unknown key (did you mean 'temperature'?)");
    ASSERT_CONTAINS(message, "optim.batch_size: expected an integer, got \"big\"");
    ASSERT_CONTAINS(message, "model.arch: 'resnet19' is not allowed");
    ASSERT_CONTAINS(message, "did you mean 'resnet18'?");
}

TEST(Config, RangeErrorsNameFieldValueAndRule) {
    const auto message = errorsOf(R"({"dataset": {"kind": "mnist"},
        "swav": {"epsilon": 0, "temperature": -0.1, "crops_for_assign": [0, 9]},
        "optim": {"batch_size": 1},
        "model": {"num_prototypes": 1},
        "multicrop": {"crops": [{"count": 2, "size": 32, "min_scale": 0.5, "max_scale": 0.2}]}})");
    ASSERT_CONTAINS(message, "swav.epsilon: must be greater than 0, got 0");
    ASSERT_CONTAINS(message, "swav.temperature: must be greater than 0, got -0.1");
    ASSERT_CONTAINS(message, "swav.crops_for_assign[1]: crop 9 does not exist; crops are 0..1");
    ASSERT_CONTAINS(message, "optim.batch_size: must be at least 2, got 1");
    ASSERT_CONTAINS(message, "model.num_prototypes: must be at least 2, got 1");
    ASSERT_CONTAINS(message, "crop size 32 is larger than the 28 px images of mnist");
    ASSERT_CONTAINS(message, "min_scale 0.5 is larger than max_scale 0.2");
}

TEST(Config, SmallBatchAndQueueIsAWarningNotAnError) {
    ValidationReport warnings;
    auto config = loadConfig(R"({"dataset": {"kind": "fashion-mnist"},
        "multicrop": {"crops": [{"count": 2, "size": 28}]},
        "optim": {"batch_size": 64}, "model": {"num_prototypes": 3000}})",
                             "t", {}, &warnings);
    ASSERT_TRUE(config);
    ASSERT_EQ(warnings.warnings.size(), size_t(1));
    ASSERT_CONTAINS(warnings.format(), "prototypes will stay empty");
}

TEST(Config, OverridesAreValidatedLikeTheFile) {
    auto config =
        loadConfig("{}", "t",
                   {"swav.epsilon=0.03", "dataset.kind=cifar10", "multicrop.crops.1.size=16",
                    "multicrop.crops.0.size=32", "runtime.device=cpu"});
    ASSERT_TRUE(config) << (config ? "" : config.error().message);
    ASSERT_NEAR(config->swav.epsilon, 0.03, 0);
    ASSERT_EQ(config->dataset.kind, std::string("cifar10"));
    ASSERT_EQ(config->multicrop.crops[1].size, 16);

    const auto message = errorsOf("{}", {"swav.epsilom=0.1", "optim.epochs=-3", "novalue"});
    ASSERT_CONTAINS(message, "swav.epsilom: unknown key (did you mean 'epsilon'?)");
    ASSERT_CONTAINS(message, "expected key=value");
}

TEST(Config, BrokenJsonNamesTheFile) {
    auto config = loadConfig("{\"swav\": ", "broken.json", {});
    ASSERT_TRUE(!config);
    ASSERT_CONTAINS(config.error().message, "broken.json: not valid JSON");
    auto missing = loadConfigFile("/nonexistent/x.json", {});
    ASSERT_TRUE(!missing);
    ASSERT_CONTAINS(missing.error().message, "/nonexistent/x.json: cannot open");
}

/// Each built-in preset, as its own test case.
class EveryPreset : public testing::TestWithParam<std::string> {};

TEST_P(EveryPreset, LoadsValidatesAndDescribesItself) {
    const auto presets = allPresets();
    const auto preset = std::find_if(presets.begin(), presets.end(),
                                     [&](const Preset& p) { return p.name == GetParam(); });
    ASSERT_TRUE(preset != presets.end());
    ASSERT_TRUE(!preset->description.empty()) << preset->name << " has no description";
    std::vector<std::string> overrides;
    if (preset->json.find("image-folder") != std::string::npos)
        overrides.push_back("dataset.path=/data/imagenet/train");
    auto config = loadPreset(preset->name, overrides);
    ASSERT_TRUE(config) << preset->name << ": " << (config ? "" : config.error().message);
    ASSERT_EQ(config->name, preset->name);
    // Teaching presets, and only they, carry a lesson; it is not part of the config.
    const bool teaching = preset->name.rfind("teach-", 0) == 0;
    ASSERT_TRUE(preset->lesson.size() > (teaching ? 200u : 0u) ||
                (!teaching && preset->lesson.empty()))
        << preset->name << " lesson: " << preset->lesson;
    ASSERT_TRUE(preset->json.find("\"lesson\"") == std::string::npos);
}

std::vector<std::string> presetNames() {
    std::vector<std::string> names;
    for (const auto& preset : allPresets())
        names.push_back(preset.name);
    return names;
}

// Test names allow letters, digits and underscores only.
std::string presetTestName(const testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(Config, EveryPreset, testing::ValuesIn(presetNames()), presetTestName);

TEST(Config, PresetsAreFoundByNameWithTheirSettings) {
    ASSERT_TRUE(allPresets().size() >= 5);
    auto collapse = loadPreset("teach-no-equal-partition", {});
    ASSERT_TRUE(collapse && collapse->swav.assignment == "softmax");
    ASSERT_EQ(loadPreset("teach-normal", {})->swav.assignment, std::string("sinkhorn"));
    auto fm = loadPreset("fashion-mnist", {});
    ASSERT_EQ(fm->model.numPrototypes, 30);
    ASSERT_EQ(fm->optim.batchSize, 128);
    ASSERT_EQ(fm->multicrop.crops[1].count, 4);
    ASSERT_EQ(fm->multicrop.crops[1].size, 14);
    auto unknown = loadPreset("fashion-mnst", {});
    ASSERT_TRUE(!unknown);
    ASSERT_CONTAINS(unknown.error().message, "did you mean 'fashion-mnist'?");
}

TEST(Config, SchemaDescribesEveryJsonFieldWithHelp) {
    // Every key of the JSON form has a schema entry with help text, and the types agree.
    const json defaults = toJson(ExperimentConfig{});
    std::function<void(const std::vector<FieldInfo>&, const json&, const std::string&)> walk =
        [&](const std::vector<FieldInfo>& fields, const json& object, const std::string& path) {
            ASSERT_EQ(fields.size(), object.size());
            for (const FieldInfo& field : fields) {
                const std::string where = path + field.key;
                ASSERT_TRUE(object.contains(field.key)) << where;
                ASSERT_TRUE(!field.help.empty()) << where;
                const json& value = object.at(field.key);
                switch (field.type) {
                case FieldType::Group:
                    walk(field.children, value, where + ".");
                    break;
                case FieldType::GroupList:
                    ASSERT_TRUE(value.is_array()) << where;
                    for (const json& element : value)
                        walk(field.children, element, where + "[].");
                    break;
                case FieldType::Boolean:
                    ASSERT_TRUE(value.is_boolean()) << where;
                    break;
                case FieldType::Integer:
                    ASSERT_TRUE(value.is_number_integer()) << where;
                    break;
                case FieldType::Real:
                    ASSERT_TRUE(value.is_number()) << where;
                    break;
                case FieldType::Text:
                    ASSERT_TRUE(value.is_string()) << where;
                    if (!field.choices.empty()) {
                        ASSERT_TRUE(std::find(field.choices.begin(), field.choices.end(),
                                              value.get<std::string>()) != field.choices.end())
                            << where;
                    }
                    break;
                case FieldType::IntegerList:
                case FieldType::RealList:
                    ASSERT_TRUE(value.is_array()) << where;
                    break;
                }
            }
        };
    walk(configSchema(), defaults, "");
    ASSERT_EQ(configSchema().front().key, std::string("name"));
}

// ---- hardening: crafted inputs must give clear errors, never a crash or a hang ---------------

TEST(Config, OverrideIndexBeyondAnyIntegerIsAnError) {
    // Was an uncaught std::out_of_range from std::stoul.
    const auto message = errorsOf("{}", {"model.stage_depths.99999999999999999999999=1"});
    ASSERT_CONTAINS(message,
                    "model.stage_depths.99999999999999999999999: expected an index below 4");
    ASSERT_CONTAINS(errorsOf("{}", {"multicrop.crops.-1.size=8"}),
                    "multicrop.crops.-1: expected an index below 2");
    ASSERT_CONTAINS(errorsOf("{}", {"model.stage_depths.4=1"}), "expected an index below 4");
}

TEST(Config, NumbersBeyondADoubleAreErrors) {
    // nlohmann reports them as out_of_range, not as parse_error: it escaped loadConfig.
    ASSERT_CONTAINS(errorsOf(R"({"swav": {"epsilon": 1e400}})"), "test.json: not valid JSON");
    ASSERT_CONTAINS(errorsOf("{}", {"swav.epsilon=1e400"}),
                    "swav.epsilon: expected a number, got \"1e400\"");
    ASSERT_CONTAINS(errorsOf("{}", {"optim.epochs=1e30"}), "optim.epochs: integer 1e+30 is out");
}

TEST(Config, DeeplyNestedValuesAreRefusedBeforeParsing) {
    // 100k nested '[' overflowed the stack while the type error was formatted.
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const auto fromFile = errorsOf(R"({"model": {"stage_depths": )" + deep + "}}");
    ASSERT_CONTAINS(fromFile, "test.json: arrays and objects are nested deeper than 32 levels");
    ASSERT_CONTAINS(fromFile, "at byte ");
    const auto fromOverride = errorsOf("{}", {"model.stage_depths=" + deep});
    ASSERT_CONTAINS(fromOverride,
                    "model.stage_depths: the value's arrays and objects are nested deeper");
    // Brackets inside strings are text, and moderately nested values still get a type error.
    const auto inString = errorsOf(R"({"name": ")" + std::string(1000, '[') +
                                   R"(", "model": {"stage_depths": [[[[1]]]]}})");
    ASSERT_CONTAINS(inString, "model.stage_depths[0]: expected an integer, got [[[1]]]");
}

TEST(Config, ConfigFilesMustBeRegularFilesOfBoundedSize) {
    // /dev/zero was read without end.
    auto device = loadConfigFile("/dev/zero", {});
    ASSERT_TRUE(!device);
    ASSERT_CONTAINS(device.error().message, "/dev/zero: not a regular file");
    test::TempDir dir;
    // A FIFO without a writer would block the open itself.
    ASSERT_TRUE(::mkfifo(dir.file("fifo.json").c_str(), 0600) == 0);
    auto fifo = loadConfigFile(dir.file("fifo.json"), {});
    ASSERT_TRUE(!fifo);
    ASSERT_CONTAINS(fifo.error().message, "fifo.json: not a regular file");
    auto folder = loadConfigFile(dir.path(), {});
    ASSERT_TRUE(!folder);
    ASSERT_CONTAINS(folder.error().message, "not a regular file (a configuration must be a JSON "
                                            "file, not a folder)");
    {
        std::ofstream big(dir.file("big.json"));
        big << "{\"name\": \"" << std::string(kMaxConfigFileBytes, 'x') << "\"}";
    }
    auto large = loadConfigFile(dir.file("big.json"), {});
    ASSERT_TRUE(!large);
    ASSERT_CONTAINS(large.error().message, "big.json: larger than 1024 KiB");
    {
        std::ofstream small(dir.file("small.json"));
        small << R"({"swav": {"epsilon": 0.03}, "dataset": {"kind": "cifar10"},
                     "multicrop": {"crops": [{"count": 2, "size": 32}]}})";
    }
    auto fine = loadConfigFile(dir.file("small.json"), {});
    ASSERT_TRUE(fine) << (fine ? "" : fine.error().message);
    ASSERT_NEAR(fine->swav.epsilon, 0.03, 0);
}

TEST(Config, SizesAndCountsHaveUpperBoundsWithReasons) {
    // Each passed validation, then aborted training on an allocation error or hung.
    const auto message = errorsOf(R"({"model": {"arch": "custom", "num_prototypes": 1000000000,
                                      "width_multiplier": 1000000,
                                      "stage_depths": [1000000, 1], "stage_widths": [64, 99999],
                                      "stage_strides": [1, 2], "stem_width": 100000,
                                      "head": {"hidden_dim": 10000000, "output_dim": 10000000}},
                                      "runtime": {"threads": 1000000}})");
    ASSERT_CONTAINS(message, "model.num_prototypes: must be at most 100000 (");
    ASSERT_CONTAINS(message, "the paper uses 3000 on ImageNet), got 1e+09");
    ASSERT_CONTAINS(message, "model.width_multiplier: must be at most 16 (");
    ASSERT_CONTAINS(message, "model.stage_depths[0]: must be at most 256 (");
    ASSERT_CONTAINS(message, "model.stage_widths[1]: must be at most 4096 (");
    ASSERT_CONTAINS(message, "model.stem_width: must be at most 4096 (");
    ASSERT_CONTAINS(message, "model.head.hidden_dim: must be at most 65536 (");
    ASSERT_CONTAINS(message, "model.head.output_dim: must be at most 65536 (");
    ASSERT_CONTAINS(message, "runtime.threads: must be at most ");
    ASSERT_CONTAINS(message, "per core");
    ASSERT_TRUE(message.find("model.stage_depths[1]") == std::string::npos);

    const auto more = errorsOf(R"({"dataset": {"kind": "synthetic", "synthetic_count": 1000000,
                                   "synthetic_size": 1024, "subset": 1e300},
        "model": {"arch": "custom", "stage_depths": [1, 1, 1, 1, 1, 1, 1, 1, 1],
                  "stage_widths": [8, 8, 8, 8, 8, 8, 8, 8, 8],
                  "stage_strides": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
        "multicrop": {"crops": [{"count": 100000, "size": 4000}]},
        "swav": {"sinkhorn_iterations": 100000, "queue_length": 2000000000},
        "optim": {"epochs": 2000000000, "batch_size": 1000000, "warmup_epochs": 1e300},
        "eval": {"knn_k": 1000000, "linear_batch_size": 1000000, "feature_batch_size": 1000000,
                 "linear_epochs": 1000000000}})");
    for (const char* field :
         {"dataset.synthetic_count: synthetic_count x synthetic_size^2 x synthetic_channels",
          "dataset.subset: must be at most 1e+09", "model.stage_depths: must be at most 8 (",
          "multicrop.crops[0].count: must be at most 64 (",
          "multicrop.crops[0].size: must be at most 1024 (", "multicrop.crops: must be at most 64",
          "swav.sinkhorn_iterations: must be at most 1000 (",
          "swav.queue_length: must be at most 262144 (", "optim.epochs: must be at most 100000 (",
          "optim.batch_size: must be at most 65536 (", "optim.warmup_epochs: must be at most",
          "eval.knn_k: must be at most 10000 (", "eval.linear_batch_size: must be at most 65536",
          "eval.feature_batch_size: must be at most 65536",
          "eval.linear_epochs: must be at most 100000"})
        ASSERT_CONTAINS(more, field);

    // The same bounds reach --set, which is how the hang was first met.
    ASSERT_CONTAINS(errorsOf("{}", {"runtime.threads=1000000"}),
                    "runtime.threads: must be at most");
}

TEST(Config, CropCountsSummingPastIntMaxDoNotOverflow) {
    ExperimentConfig config;
    config.multicrop.crops[0].count = std::numeric_limits<int>::max();
    config.multicrop.crops[1].count = std::numeric_limits<int>::max();
    ASSERT_EQ(config.totalCrops(), std::numeric_limits<int>::max());
    ASSERT_TRUE(!validateConfig(config).ok());
}

TEST(Config, TheTrainCommandLineReproducesTheConfig) {
    auto config = loadPreset("fashion-mnist", {});
    ASSERT_TRUE(config);
    config->name = "my run, v2";
    config->optim.epochs = 2;
    config->dataset.subset = 3072;
    config->swav.epsilon = 0.03;
    config->dataset.kind = "mnist";
    config->runtime.device = "true"; // a string that reads as JSON
    config->multicrop.crops.push_back(config->multicrop.crops.back()); // a third group
    config->multicrop.crops.back().size = 10;
    const auto overrides = overridesFromPreset(*config, "fashion-mnist");
    ASSERT_TRUE(std::find(overrides.begin(), overrides.end(), "optim.epochs=2") != overrides.end());
    ASSERT_TRUE(std::find(overrides.begin(), overrides.end(), "dataset.kind=mnist") !=
                overrides.end());
    // The preset with these overrides is the configuration again, field for field.
    ValidationReport ignored;
    json rebuilt = toJson(configFromJson(json::parse(findPreset("fashion-mnist")->json), ignored));
    for (const auto& assignment : overrides)
        applyOverride(rebuilt, assignment, ignored);
    ASSERT_TRUE(ignored.ok()) << ignored.format();
    ASSERT_EQ(rebuilt.dump(), toJson(*config).dump());
    // Nothing to set for the preset itself; quotes where the shell needs them.
    auto plain = loadPreset("fashion-mnist", {});
    ASSERT_TRUE(overridesFromPreset(*plain, "fashion-mnist").empty());
    const std::string line = trainCommandLine(*config, "fashion-mnist");
    ASSERT_CONTAINS(line, "swav train --preset fashion-mnist --set ");
    ASSERT_CONTAINS(line, "--set 'name=my run, v2'");
    ASSERT_CONTAINS(line, "--set optim.epochs=2");
}

// Issue 15: a sweep's runs are the product of its grids, each with every variant.
TEST(Config, SweepPlansTheProductOfGridsAndVariants) {
    auto plan = planSweep({"swav.epsilon=0.03,0.05", "multicrop.crops.1.count=2,4,6"},
                          {"optim.epochs=2", "optim.epochs=4;swav.temperature=0.2"});
    ASSERT_TRUE(plan.hasValue()) << (plan ? "" : plan.error().message);
    ASSERT_EQ(plan->size(), size_t(2 * 3 * 2));
    ASSERT_EQ(plan->front().overrides,
              (std::vector<std::string>{"swav.epsilon=0.03", "multicrop.crops.1.count=2",
                                        "optim.epochs=2"}));
    ASSERT_EQ(plan->back().label, std::string("swav.epsilon=0.05 multicrop.crops.1.count=6 "
                                              "optim.epochs=4 swav.temperature=0.2"));
    // Commas inside brackets belong to one value.
    auto arrays = planSweep({"swav.crops_for_assign=[0,1],[0]"}, {});
    ASSERT_TRUE(arrays.hasValue());
    ASSERT_EQ(arrays->size(), size_t(2));
    ASSERT_EQ(arrays->front().overrides.front(), std::string("swav.crops_for_assign=[0,1]"));
    // Nothing to vary: the base configuration alone.
    auto base = planSweep({}, {});
    ASSERT_TRUE(base.hasValue());
    ASSERT_EQ(base->size(), size_t(1));
    ASSERT_EQ(base->front().label, std::string("(base)"));
    // Malformed arguments are named; an absurd product is refused.
    auto noValue = planSweep({"swav.epsilon"}, {});
    ASSERT_TRUE(!noValue.hasValue());
    ASSERT_TRUE(noValue.error().message.find("swav.epsilon") != std::string::npos);
    ASSERT_TRUE(!planSweep({"a=1,,2"}, {}).hasValue());
    ASSERT_TRUE(!planSweep({}, {"optim.epochs=2;oops"}).hasValue());
    const std::string many =
        "x=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
        "26,27,28,29,30,31";
    ASSERT_TRUE(!planSweep({many, many}, {}).hasValue()); // 32 x 32 > 1000 runs
}

// Issue 29: a tuned global batch is one number; how it splits into processes is not known, so
// the warning does not invent "128 processes x batch 1" for a one-process batch change.
TEST(Config, TheTunedBatchWarningStatesOnlyWhatWasTuned) {
    ExperimentConfig config;
    config.runtime.tunedGlobalBatch = 128;
    config.optim.batchSize = 1;
    const ValidationReport report = validateConfig(config, 1);
    std::string warning;
    for (const auto& issue : report.warnings)
        if (issue.path == "runtime.tuned_global_batch")
            warning = issue.message;
    ASSERT_CONTAINS(warning, "tuned for a global batch of 128; this run has 1 process x batch 1 "
                             "= global batch 1");
    ASSERT_TRUE(warning.find("128 processes") == std::string::npos) << warning;
}

// The authors' 4096-image run synchronises batch norm in groups of 8 GPUs; groups must divide
// the processes, and a world smaller than one group synchronises all of them.
TEST(Config, BatchNormGroupsDivideTheProcesses) {
    auto preset = loadPreset("imagenet-resnet50-800ep", {"dataset.path=/tmp"});
    ASSERT_TRUE(preset.hasValue());
    ASSERT_EQ(preset->model.syncBatchnormGroup, 8);
    auto hasGroupError = [](const ExperimentConfig& config, int world) {
        for (const auto& issue : validateConfig(config, world).errors)
            if (issue.path == "model.sync_batchnorm_group")
                return true;
        return false;
    };
    ASSERT_FALSE(hasGroupError(*preset, 64));
    ASSERT_FALSE(hasGroupError(*preset, 4));
    ASSERT_TRUE(hasGroupError(*preset, 12));
    preset->model.syncBatchnorm = false;
    ASSERT_FALSE(hasGroupError(*preset, 12));
    preset->model.syncBatchnormGroup = -1;
    ASSERT_TRUE(!validateConfig(*preset, 1).ok());
}
