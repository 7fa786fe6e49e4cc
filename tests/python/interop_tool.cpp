// Helper of test_torchvision_roundtrip.py: the C++ side of the PyTorch round trip.
//
//   interop_tool export ARCH OUTDIR        writes OUTDIR/resnet.pt (trunk state dict) and
//                                          OUTDIR/outputs.pt {input, feature_map, features}
//   interop_tool import FILE INPUT OUTPUT  imports FILE into a fresh resnet18 model, runs it on
//                                          INPUT's "input" and writes {features, embeddings,
//                                          scores}; prints the import report as JSON
//
// Models: imagenet stem, 3 input channels, MLP head 64 -> 16, 10 prototypes, seed 0, eval mode.

#include "model/ModelState.h"
#include "model/WeightInterop.h"
#include "util/Expected.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>

#include <cstdio>
#include <iostream>
#include <string>

using namespace swav;

namespace {

SwavModel makeModel(const std::string& arch) {
    ModelConfig config;
    config.arch = arch;
    config.stem = "imagenet";
    config.inChannels = 3;
    config.head.kind = "mlp";
    config.head.hiddenDim = 64;
    config.head.outputDim = 16;
    config.numPrototypes = 10;
    at::manual_seed(0);
    return SwavModel(config, 3);
}

// Fresh BatchNorm layers are identities in eval mode; random affine parameters and statistics
// gathered in train mode make a mix-up of their tensors visible in the outputs.
void randomizeBatchNorm(SwavModel& model) {
    torch::NoGradGuard noGrad;
    for (auto& module : model->trunk()->modules(/*include_self=*/false)) {
        if (auto* bn = module->as<SyncBatchNorm>()) {
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.normal_(0.0, 0.1);
        }
    }
    model->train();
    for (int i = 0; i < 8; ++i)
        model->trunkFeatures(at::randn({4, 3, 64, 64}));
    model->eval();
}

int exportModel(const std::string& arch, const std::string& outDir) {
    auto model = makeModel(arch);
    randomizeBatchNorm(model);
    torch::NoGradGuard noGrad;
    const auto input = at::randn({2, 3, 96, 96});
    saveStateDict(torchvisionStateDict(model), outDir + "/resnet.pt");
    saveStateDict({{"input", input},
                   {"feature_map", model->trunk()->featureMap(input)},
                   {"features", model->trunkFeatures(input)}},
                  outDir + "/outputs.pt");
    return 0;
}

int importModel(const std::string& file, const std::string& inputFile, const std::string& output) {
    auto model = makeModel("resnet18");
    const auto report = importWeights(model, loadStateDict(file), file);
    model->eval();
    torch::NoGradGuard noGrad;
    const auto input = loadStateDict(inputFile).at("input");
    const auto features = model->trunkFeatures(input);
    const auto embeddings = model->embed(features);
    saveStateDict({{"features", features},
                   {"embeddings", embeddings},
                   {"scores", model->prototypes()(embeddings)}},
                  output);
    nlohmann::json json{{"format", report.format},
                        {"trunk_tensors", report.trunkTensors},
                        {"head_tensors", report.headTensors},
                        {"prototypes_loaded", report.prototypesLoaded},
                        {"ignored_keys", report.ignoredKeys},
                        {"notes", report.notes},
                        {"summary", report.summary()}};
    std::cout << json.dump() << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "export" && argc == 4)
            return exportModel(argv[2], argv[3]);
        if (command == "import" && argc == 5)
            return importModel(argv[2], argv[3], argv[4]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "interop_tool: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: interop_tool export ARCH OUTDIR\n"
                         "       interop_tool import FILE INPUT OUTPUT\n");
    return 2;
}
