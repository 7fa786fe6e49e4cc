#include "TestHarness.h"

#include "model/ModelState.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "util/Expected.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/utils.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>

using namespace swav;

namespace {

ModelConfig resnet18Config() {
    ModelConfig config;
    config.arch = "resnet18";
    config.stem = "imagenet";
    config.inChannels = 3;
    config.head.kind = "mlp";
    config.head.hiddenDim = 64;
    config.head.outputDim = 16;
    config.numPrototypes = 10;
    return config;
}

// A small custom trunk keeps the import tests fast; names follow the same scheme.
ModelConfig tinyConfig() {
    ModelConfig config;
    config.arch = "custom";
    config.block = "basic";
    config.stageDepths = {1, 2};
    config.stageWidths = {4, 8};
    config.stageStrides = {1, 2};
    config.stemWidth = 4;
    config.stem = "cifar";
    config.inChannels = 3;
    config.head.kind = "mlp";
    config.head.hiddenDim = 6;
    config.head.outputDim = 5;
    config.numPrototypes = 7;
    return config;
}

/// Every tensor of `model` filled with distinct values, so that a mix-up shows.
std::map<std::string, at::Tensor> distinctState(SwavModel& model, double offset) {
    std::map<std::string, at::Tensor> state;
    double next = offset;
    for (const auto& [name, tensor] : modelState(*model)) {
        auto values = at::arange(tensor.numel(), at::kDouble).add(next).reshape(tensor.sizes());
        state[name] = values.to(tensor.scalar_type());
        next += 1000;
    }
    return state;
}

bool sameTensors(const std::map<std::string, at::Tensor>& a,
                 const std::map<std::string, at::Tensor>& b) {
    if (a.size() != b.size())
        return false;
    for (const auto& [name, tensor] : a) {
        const auto it = b.find(name);
        if (it == b.end() || tensor.scalar_type() != it->second.scalar_type() ||
            !at::equal(tensor, it->second))
            return false;
    }
    return true;
}

} // namespace

TEST(Interop, TorchvisionStateDictHasTorchvisionResnet18Keys) {
    SwavModel model(resnet18Config(), 3);
    const auto state = torchvisionStateDict(model);
    // torchvision's resnet18 state dict has 122 entries, two of them fc.weight and fc.bias.
    ASSERT_EQ(state.size(), size_t(120));
    for (const char* key : {"conv1.weight", "bn1.num_batches_tracked", "bn1.running_mean",
                            "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                            "layer2.0.downsample.1.running_var", "layer4.1.bn2.running_var"})
        ASSERT_TRUE(state.count(key)) << key;
    for (const auto& [name, tensor] : state) {
        ASSERT_TRUE(name.rfind("trunk.", 0) == std::string::npos) << name;
        ASSERT_TRUE(name.rfind("fc.", 0) == std::string::npos) << name;
        ASSERT_TRUE(name.find("projection_head") == std::string::npos) << name;
        ASSERT_TRUE(tensor.device().is_cpu());
        ASSERT_TRUE(tensor.is_contiguous());
    }
    ASSERT_TRUE(state.at("conv1.weight").sizes() == at::IntArrayRef({64, 3, 7, 7}));
    ASSERT_EQ(state.at("bn1.num_batches_tracked").scalar_type(), at::kLong);
}

TEST(Interop, TorchvisionStateDictIsASnapshot) {
    SwavModel model(tinyConfig(), 3);
    const auto state = torchvisionStateDict(model);
    const auto before = state.at("conv1.weight").clone();
    {
        torch::NoGradGuard noGrad;
        model->trunk()->named_parameters()["conv1.weight"].add_(1.0);
    }
    ASSERT_TRUE(at::equal(state.at("conv1.weight"), before));
}

TEST(Interop, SaveAndLoadStateDictRoundTrip) {
    swav::test::TempDir dir;
    SwavModel model(tinyConfig(), 3);
    const auto state = distinctState(model, 0.25);
    const auto path = dir.file("sub/weights.pt");
    saveStateDict(state, path);
    ASSERT_TRUE(!std::ifstream(path + ".tmp").good());
    const auto loaded = loadStateDict(path);
    ASSERT_TRUE(sameTensors(loaded, state));
}

TEST(Interop, LoadStateDictUnwrapsCheckpoints) {
    swav::test::TempDir dir;
    SwavModel model(tinyConfig(), 3);
    CheckpointState checkpoint;
    checkpoint.configJson = "{}";
    checkpoint.model = distinctState(model, 0.5);
    checkpoint.optimizer["momentum.0"] = at::ones({3});
    const auto path = dir.file("epoch-0001.pt");
    saveCheckpoint(checkpoint, path);
    const auto loaded = loadStateDict(path);
    ASSERT_TRUE(sameTensors(loaded, checkpoint.model));
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, loaded, path);
    ASSERT_EQ(report.format, std::string("swav-workbench"));
    ASSERT_TRUE(sameTensors(modelState(*target), checkpoint.model));
}

TEST(Interop, LoadsAnOrderedDictPickledByPython) {
    // The data.pkl that Python's torch.save writes for an OrderedDict {"w": [1.5, -2, 3.25],
    // "n": 7} with a `_metadata` attribute (protocol 2). LibTorch's own unpickler turns the
    // OrderedDict into None; loadStateDict must not.
    const std::string pickle(
        "\x80\x02"
        "ccollections\nOrderedDict\nq\x00)Rq\x01(X\x01\x00\x00\x00wq\x02"
        "ctorch._utils\n_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04"
        "ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x00"
        "0q\x06X\x03\x00\x00\x00"
        "cpuq\x07K\x03tq\x08QK\x00K\x03\x85q\tK\x01\x85q\n\x89h\x00)Rq\x0btq\x0cRq\x0dX\x01\x00"
        "\x00\x00nq\x0eh\x03((h\x04"
        "ctorch\nLongStorage\nq\x0fX\x01\x00\x00\x00"
        "1q\x10h\x07K\x01tq\x11QK\x00))\x89h\x00)Rq\x12tq\x13Rq\x14u}q\x15X\t\x00\x00\x00_metadat"
        "aq\x16h\x00)Rq\x17X\x00\x00\x00\x00q\x18}q\x19X\x07\x00\x00\x00versionq\x1aK\x02sssb.",
        289);
    const float w[] = {1.5f, -2.0f, 3.25f};
    const int64_t n = 7;
    swav::test::TempDir dir;
    const auto path = dir.file("od.pt");
    {
        caffe2::serialize::PyTorchStreamWriter writer(path);
        writer.writeRecord("data.pkl", pickle.data(), pickle.size());
        writer.writeRecord("data/0", w, sizeof w);
        writer.writeRecord("data/1", &n, sizeof n);
        writer.writeEndOfFile();
    }
    const auto loaded = loadStateDict(path);
    ASSERT_EQ(loaded.size(), size_t(2));
    ASSERT_TRUE(at::equal(loaded.at("w"), at::tensor(at::ArrayRef<float>(w, 3))));
    ASSERT_EQ(loaded.at("n").scalar_type(), at::kLong);
    ASSERT_EQ(loaded.at("n").item<int64_t>(), int64_t(7));
}

TEST(Interop, LoadStateDictNamesTheFileOfGarbage) {
    swav::test::TempDir dir;
    const auto garbage = dir.file("garbage.pt");
    std::ofstream(garbage) << "this is not a PyTorch file at all";
    ASSERT_THROWS_WITH(loadStateDict(garbage), garbage);
    ASSERT_THROWS_WITH(loadStateDict(garbage), "not a torch.save file");

    const auto truncated = dir.file("truncated.pt");
    std::ofstream(truncated, std::ios::binary) << std::string("PK\x03\x04\x14\x00\x00\x00", 8);
    ASSERT_THROWS_WITH(loadStateDict(truncated), truncated);

    // The start of torch.save's magic number, cut short: a pickle, but not torch.save's.
    const auto legacy = dir.file("legacy.pt");
    std::ofstream(legacy, std::ios::binary) << std::string("\x80\x02\x8a\x0a", 4);
    ASSERT_THROWS_WITH(loadStateDict(legacy), "a Python pickle, not a torch.save file");

    ASSERT_THROWS_WITH(loadStateDict(dir.file("missing.pt")), dir.file("missing.pt"));
}

TEST(Interop, ImportsTorchvisionStateDict) {
    SwavModel source(resnet18Config(), 3);
    auto dict = distinctState(source, 0.5);
    std::map<std::string, at::Tensor> torchvision;
    for (const auto& [name, tensor] : dict)
        if (name.rfind("trunk.", 0) == 0)
            torchvision[name.substr(6)] = tensor;
    torchvision["fc.weight"] = at::zeros({1000, 512});
    torchvision["fc.bias"] = at::zeros({1000});

    SwavModel target(resnet18Config(), 3);
    const auto headBefore = modelState(*target).at("projection_head.0.weight").clone();
    const auto report = importWeights(target, torchvision, "tv.pt");
    ASSERT_EQ(report.format, std::string("torchvision"));
    ASSERT_EQ(report.trunkTensors, 120);
    ASSERT_EQ(report.headTensors, 0);
    ASSERT_TRUE(!report.prototypesLoaded);
    ASSERT_EQ(report.ignoredKeys, (std::vector<std::string>{"fc.bias", "fc.weight"}));
    ASSERT_EQ(report.notes.size(), size_t(2)); // no head, no prototypes in the file
    ASSERT_CONTAINS(report.summary(), "120 trunk tensors");
    const auto trunk = torchvisionStateDict(target);
    for (const auto& [name, tensor] : trunk)
        ASSERT_TRUE(at::equal(tensor, torchvision.at(name))) << name;
    ASSERT_TRUE(at::equal(modelState(*target).at("projection_head.0.weight"), headBefore));
}

TEST(Interop, ImportsSwavReleaseStateDict) {
    SwavModel source(tinyConfig(), 3);
    const auto dict = distinctState(source, 0.125);
    std::map<std::string, at::Tensor> release;
    for (const auto& [name, tensor] : dict) {
        const bool trunk = name.rfind("trunk.", 0) == 0;
        release["module." + (trunk ? name.substr(6) : name)] = tensor;
    }
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, release, "swav_800ep_pretrain.pth.tar");
    ASSERT_EQ(report.format, std::string("swav-release"));
    ASSERT_EQ(report.headTensors, 9); // two Linear (weight, bias) and BatchNorm1d's five tensors
    ASSERT_TRUE(report.prototypesLoaded);
    ASSERT_TRUE(report.ignoredKeys.empty());
    ASSERT_TRUE(report.notes.empty());
    ASSERT_TRUE(sameTensors(modelState(*target), dict));
}

TEST(Interop, ImportsOwnFullNames) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.75);
    dict["extra.something"] = at::ones({2});
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, dict, "run checkpoint");
    ASSERT_EQ(report.format, std::string("swav-workbench"));
    ASSERT_TRUE(report.prototypesLoaded);
    ASSERT_TRUE(report.headTensors > 0);
    ASSERT_EQ(report.ignoredKeys, std::vector<std::string>{"extra.something"});
    dict.erase("extra.something");
    ASSERT_TRUE(sameTensors(modelState(*target), dict));
}

TEST(Interop, IncompatibleHeadIsReportedNotLoaded) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.5);
    auto config = tinyConfig();
    config.head.hiddenDim = 9; // another head; same trunk and prototypes
    SwavModel target(config, 3);
    const auto headBefore = modelState(*target).at("projection_head.0.weight").clone();
    const auto report = importWeights(target, dict, "other-head.pt");
    ASSERT_EQ(report.headTensors, 0);
    ASSERT_TRUE(report.prototypesLoaded);
    ASSERT_EQ(report.notes.size(), size_t(1));
    ASSERT_CONTAINS(report.notes[0], "'projection_head.0.bias' has shape [6]");
    ASSERT_CONTAINS(report.notes[0], "[9]");
    ASSERT_TRUE(std::find(report.ignoredKeys.begin(), report.ignoredKeys.end(),
                          "projection_head.3.bias") != report.ignoredKeys.end());
    ASSERT_TRUE(at::equal(modelState(*target).at("projection_head.0.weight"), headBefore));
}

TEST(Interop, WrongTrunkShapeNamesKeyAndBothShapes) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.5);
    dict["trunk.layer2.0.conv1.weight"] = at::zeros({8, 4, 5, 5});
    SwavModel target(tinyConfig(), 3);
    const auto before = torchvisionStateDict(target);
    ASSERT_THROWS_WITH(importWeights(target, dict, "bad.pt"), "bad.pt");
    ASSERT_THROWS_WITH(importWeights(target, dict, "bad.pt"), "'trunk.layer2.0.conv1.weight'");
    ASSERT_THROWS_WITH(importWeights(target, dict, "bad.pt"), "[8, 4, 5, 5]");
    ASSERT_THROWS_WITH(importWeights(target, dict, "bad.pt"), "[8, 4, 3, 3]");
    // Nothing was copied before the check failed.
    ASSERT_TRUE(sameTensors(torchvisionStateDict(target), before));
}

TEST(Interop, MissingAndUnexpectedTrunkKeysAreNamed) {
    SwavModel source(tinyConfig(), 3);
    const auto dict = distinctState(source, 0.5);
    std::map<std::string, at::Tensor> release;
    for (const auto& [name, tensor] : dict)
        if (name.rfind("trunk.", 0) == 0)
            release["module." + name.substr(6)] = tensor;
    auto missing = release;
    missing.erase("module.layer2.1.bn2.running_var");
    SwavModel target(tinyConfig(), 3);
    ASSERT_THROWS_WITH(importWeights(target, missing, "m.pt"), "'module.layer2.1.bn2.running_var'");
    ASSERT_THROWS_WITH(importWeights(target, missing, "m.pt"), "m.pt");

    // A deeper network's weights contain all of ours; the extra block must not pass silently.
    auto deeper = release;
    deeper["module.layer2.2.conv1.weight"] = at::zeros({8, 8, 3, 3});
    ASSERT_THROWS_WITH(importWeights(target, deeper, "deep.pt"), "'module.layer2.2.conv1.weight'");
}

TEST(Interop, AFeatureLayerMismatchSaysWhichWidthMatches) {
    auto wide = tinyConfig();
    wide.featureWidth = 24;
    SwavModel withLayer(wide, 3), without(tinyConfig(), 3);
    // Weights with the layer into a model without it, and the other way round.
    ASSERT_THROWS_WITH(importWeights(without, distinctState(withLayer, 0.5), "w.pt"),
                       "'trunk.feature_conv.weight'");
    ASSERT_THROWS_WITH(importWeights(without, distinctState(withLayer, 0.5), "w.pt"),
                       "--set model.feature_width=24");
    ASSERT_THROWS_WITH(importWeights(withLayer, distinctState(without, 0.5), "n.pt"),
                       "--set model.feature_width=0");
    // Another difference besides the layer gets no such advice, whichever side has the layer.
    auto adviceFor = [](SwavModel& target, const std::map<std::string, at::Tensor>& weights) {
        try {
            importWeights(target, weights, "o.pt");
        } catch (const UserError& error) {
            return std::string(error.what());
        }
        return std::string("imported");
    };
    auto extraBlock = distinctState(withLayer, 0.5);
    extraBlock["trunk.layer2.2.conv1.weight"] = at::zeros({8, 8, 3, 3});
    ASSERT_CONTAINS(adviceFor(without, extraBlock), "another architecture");
    ASSERT_TRUE(adviceFor(without, extraBlock).find("feature_width") == std::string::npos);
    auto lackingAndExtra = distinctState(without, 0.5);
    lackingAndExtra["trunk.layer2.2.conv1.weight"] = at::zeros({8, 8, 3, 3});
    ASSERT_CONTAINS(adviceFor(withLayer, lackingAndExtra), "another architecture");
    ASSERT_TRUE(adviceFor(withLayer, lackingAndExtra).find("feature_width") == std::string::npos);
    auto otherShape = distinctState(without, 0.5);
    otherShape["trunk.conv1.weight"] = at::zeros({5, 3, 3, 3});
    ASSERT_CONTAINS(adviceFor(withLayer, otherShape), "another architecture");
    ASSERT_TRUE(adviceFor(withLayer, otherShape).find("feature_width") == std::string::npos);
}
