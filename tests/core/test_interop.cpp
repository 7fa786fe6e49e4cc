#include "TestHarness.h"

#include "eval/TorchInterop.h"
#include "model/ModelState.h"
#include "train/Checkpoint.h"

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

SWAV_TEST(TorchvisionStateDictHasTorchvisionResnet18Keys) {
    SwavModel model(resnet18Config(), 3);
    const auto state = torchvisionStateDict(model);
    // torchvision's resnet18 state dict has 122 entries, two of them fc.weight and fc.bias.
    VERIFY_EQ(state.size(), size_t(120));
    for (const char* key : {"conv1.weight", "bn1.num_batches_tracked", "bn1.running_mean",
                            "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                            "layer2.0.downsample.1.running_var", "layer4.1.bn2.running_var"})
        VERIFY_MSG(state.count(key), key);
    for (const auto& [name, tensor] : state) {
        VERIFY_MSG(name.rfind("trunk.", 0) == std::string::npos, name);
        VERIFY_MSG(name.rfind("fc.", 0) == std::string::npos, name);
        VERIFY_MSG(name.find("projection_head") == std::string::npos, name);
        VERIFY(tensor.device().is_cpu());
        VERIFY(tensor.is_contiguous());
    }
    VERIFY(state.at("conv1.weight").sizes() == at::IntArrayRef({64, 3, 7, 7}));
    VERIFY_EQ(state.at("bn1.num_batches_tracked").scalar_type(), at::kLong);
}

SWAV_TEST(TorchvisionStateDictIsASnapshot) {
    SwavModel model(tinyConfig(), 3);
    const auto state = torchvisionStateDict(model);
    const auto before = state.at("conv1.weight").clone();
    {
        torch::NoGradGuard noGrad;
        model->trunk()->named_parameters()["conv1.weight"].add_(1.0);
    }
    VERIFY(at::equal(state.at("conv1.weight"), before));
}

SWAV_TEST(SaveAndLoadStateDictRoundTrip) {
    swav::test::TempDir dir;
    SwavModel model(tinyConfig(), 3);
    const auto state = distinctState(model, 0.25);
    const auto path = dir.file("sub/weights.pt");
    saveStateDict(state, path);
    VERIFY(!std::ifstream(path + ".tmp").good());
    const auto loaded = loadStateDict(path);
    VERIFY(sameTensors(loaded, state));
}

SWAV_TEST(LoadStateDictUnwrapsCheckpoints) {
    swav::test::TempDir dir;
    SwavModel model(tinyConfig(), 3);
    CheckpointState checkpoint;
    checkpoint.configJson = "{}";
    checkpoint.model = distinctState(model, 0.5);
    checkpoint.optimizer["momentum.0"] = at::ones({3});
    const auto path = dir.file("epoch-0001.pt");
    saveCheckpoint(checkpoint, path);
    const auto loaded = loadStateDict(path);
    VERIFY(sameTensors(loaded, checkpoint.model));
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, loaded, path);
    VERIFY_EQ(report.format, std::string("swav-workbench"));
    VERIFY(sameTensors(modelState(*target), checkpoint.model));
}

SWAV_TEST(LoadsAnOrderedDictPickledByPython) {
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
    VERIFY_EQ(loaded.size(), size_t(2));
    VERIFY(at::equal(loaded.at("w"), at::tensor(at::ArrayRef<float>(w, 3))));
    VERIFY_EQ(loaded.at("n").scalar_type(), at::kLong);
    VERIFY_EQ(loaded.at("n").item<int64_t>(), int64_t(7));
}

SWAV_TEST(LoadStateDictNamesTheFileOfGarbage) {
    swav::test::TempDir dir;
    const auto garbage = dir.file("garbage.pt");
    std::ofstream(garbage) << "this is not a PyTorch file at all";
    VERIFY_THROWS_WITH(loadStateDict(garbage), garbage);
    VERIFY_THROWS_WITH(loadStateDict(garbage), "not a PyTorch file");

    const auto truncated = dir.file("truncated.pt");
    std::ofstream(truncated, std::ios::binary) << std::string("PK\x03\x04\x14\x00\x00\x00", 8);
    VERIFY_THROWS_WITH(loadStateDict(truncated), truncated);

    const auto legacy = dir.file("legacy.pt");
    std::ofstream(legacy, std::ios::binary) << std::string("\x80\x02\x8a\x0a", 4);
    VERIFY_THROWS_WITH(loadStateDict(legacy), "legacy format");

    VERIFY_THROWS_WITH(loadStateDict(dir.file("missing.pt")), dir.file("missing.pt"));
}

SWAV_TEST(ImportsTorchvisionStateDict) {
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
    VERIFY_EQ(report.format, std::string("torchvision"));
    VERIFY_EQ(report.trunkTensors, 120);
    VERIFY_EQ(report.headTensors, 0);
    VERIFY(!report.prototypesLoaded);
    VERIFY_EQ(report.ignoredKeys, (std::vector<std::string>{"fc.bias", "fc.weight"}));
    VERIFY_EQ(report.notes.size(), size_t(2)); // no head, no prototypes in the file
    VERIFY_CONTAINS(report.summary(), "120 trunk tensors");
    const auto trunk = torchvisionStateDict(target);
    for (const auto& [name, tensor] : trunk)
        VERIFY_MSG(at::equal(tensor, torchvision.at(name)), name);
    VERIFY(at::equal(modelState(*target).at("projection_head.0.weight"), headBefore));
}

SWAV_TEST(ImportsSwavReleaseStateDict) {
    SwavModel source(tinyConfig(), 3);
    const auto dict = distinctState(source, 0.125);
    std::map<std::string, at::Tensor> release;
    for (const auto& [name, tensor] : dict) {
        const bool trunk = name.rfind("trunk.", 0) == 0;
        release["module." + (trunk ? name.substr(6) : name)] = tensor;
    }
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, release, "swav_800ep_pretrain.pth.tar");
    VERIFY_EQ(report.format, std::string("swav-release"));
    VERIFY_EQ(report.headTensors, 9); // two Linear (weight, bias) and BatchNorm1d's five tensors
    VERIFY(report.prototypesLoaded);
    VERIFY(report.ignoredKeys.empty());
    VERIFY(report.notes.empty());
    VERIFY(sameTensors(modelState(*target), dict));
}

SWAV_TEST(ImportsOwnFullNames) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.75);
    dict["extra.something"] = at::ones({2});
    SwavModel target(tinyConfig(), 3);
    const auto report = importWeights(target, dict, "run checkpoint");
    VERIFY_EQ(report.format, std::string("swav-workbench"));
    VERIFY(report.prototypesLoaded);
    VERIFY(report.headTensors > 0);
    VERIFY_EQ(report.ignoredKeys, std::vector<std::string>{"extra.something"});
    dict.erase("extra.something");
    VERIFY(sameTensors(modelState(*target), dict));
}

SWAV_TEST(IncompatibleHeadIsReportedNotLoaded) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.5);
    auto config = tinyConfig();
    config.head.hiddenDim = 9; // another head; same trunk and prototypes
    SwavModel target(config, 3);
    const auto headBefore = modelState(*target).at("projection_head.0.weight").clone();
    const auto report = importWeights(target, dict, "other-head.pt");
    VERIFY_EQ(report.headTensors, 0);
    VERIFY(report.prototypesLoaded);
    VERIFY_EQ(report.notes.size(), size_t(1));
    VERIFY_CONTAINS(report.notes[0], "'projection_head.0.bias' has shape [6]");
    VERIFY_CONTAINS(report.notes[0], "[9]");
    VERIFY(std::find(report.ignoredKeys.begin(), report.ignoredKeys.end(),
                     "projection_head.3.bias") != report.ignoredKeys.end());
    VERIFY(at::equal(modelState(*target).at("projection_head.0.weight"), headBefore));
}

SWAV_TEST(WrongTrunkShapeNamesKeyAndBothShapes) {
    SwavModel source(tinyConfig(), 3);
    auto dict = distinctState(source, 0.5);
    dict["trunk.layer2.0.conv1.weight"] = at::zeros({8, 4, 5, 5});
    SwavModel target(tinyConfig(), 3);
    const auto before = torchvisionStateDict(target);
    VERIFY_THROWS_WITH(importWeights(target, dict, "bad.pt"), "bad.pt");
    VERIFY_THROWS_WITH(importWeights(target, dict, "bad.pt"), "'trunk.layer2.0.conv1.weight'");
    VERIFY_THROWS_WITH(importWeights(target, dict, "bad.pt"), "[8, 4, 5, 5]");
    VERIFY_THROWS_WITH(importWeights(target, dict, "bad.pt"), "[8, 4, 3, 3]");
    // Nothing was copied before the check failed.
    VERIFY(sameTensors(torchvisionStateDict(target), before));
}

SWAV_TEST(MissingAndUnexpectedTrunkKeysAreNamed) {
    SwavModel source(tinyConfig(), 3);
    const auto dict = distinctState(source, 0.5);
    std::map<std::string, at::Tensor> release;
    for (const auto& [name, tensor] : dict)
        if (name.rfind("trunk.", 0) == 0)
            release["module." + name.substr(6)] = tensor;
    auto missing = release;
    missing.erase("module.layer2.1.bn2.running_var");
    SwavModel target(tinyConfig(), 3);
    VERIFY_THROWS_WITH(importWeights(target, missing, "m.pt"), "'module.layer2.1.bn2.running_var'");
    VERIFY_THROWS_WITH(importWeights(target, missing, "m.pt"), "m.pt");

    // A deeper network's weights contain all of ours; the extra block must not pass silently.
    auto deeper = release;
    deeper["module.layer2.2.conv1.weight"] = at::zeros({8, 8, 3, 3});
    VERIFY_THROWS_WITH(importWeights(target, deeper, "deep.pt"), "'module.layer2.2.conv1.weight'");
}
