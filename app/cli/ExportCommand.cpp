#include "cli/ExportCommand.h"

#include "cli/Commands.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "config/ConfigJson.h"
#include "eval/Features.h"
#include "model/ModelState.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "workflow/RunResults.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace swav::cli {

namespace {

struct Exported {
    std::string path;
    std::vector<std::string> createdFolders; // made for the default path in the run folder
    size_t tensors = 0;
    ModelConfig model;
    ResNetSpec spec;
    int featureDim = 0;
    EvalTransform transform;
};

template <class T> std::string listText(const std::vector<T>& values) {
    std::ostringstream out;
    out << "[";
    for (size_t i = 0; i < values.size(); ++i)
        out << (i ? ", " : "") << values[i];
    out << "]";
    return out.str();
}

// How to load the file in Python: a torchvision constructor where one matches.
std::string pythonSnippet(const Exported& e) {
    const auto& m = e.model;
    const auto& s = e.spec;
    // Absolute, so that the snippet works from any folder; JSON quoting is valid Python.
    const std::string file = nlohmann::json(std::filesystem::absolute(e.path).string()).dump();
    std::ostringstream out;
    const bool named = m.arch == "resnet18" || m.arch == "resnet34" || m.arch == "resnet50";
    if (!named || m.widthMultiplier != 1.0 || s.featureWidth > 0) {
        out << "No torchvision model matches this trunk (" << m.arch;
        if (m.widthMultiplier != 1.0)
            out << ", width x" << m.widthMultiplier;
        if (s.featureWidth > 0)
            out << ", feature layer";
        out << ").\nThe file holds torchvision-style keys (conv1.weight, bn1.*, "
               "layerS.B.conv1.weight,\nlayerS.B.downsample.0.weight, ...; no fc) of a trunk with "
            << s.block << " blocks, depths " << listText(s.depths) << ",\nwidths "
            << listText(s.widths) << ", strides " << listText(s.strides) << ", " << s.stem
            << " stem of " << s.stemWidth << " channels, " << s.inChannels << " input channels";
        if (s.featureWidth > 0)
            out << ",\nthen a 1x1 convolution, batch norm and ReLU (feature_conv.weight, "
                   "feature_bn.*)";
        out << " and " << e.featureDim << "-d features. In Python:\n"
            << "    state = torch.load(" << file << ")  # dict: name -> tensor\n";
        return out.str();
    }
    out << "Load it in Python:\n"
        << "    import torch, torchvision\n"
        << "    model = torchvision.models." << m.arch << "()\n";
    if (s.stem == "cifar")
        out << "    model.conv1 = torch.nn.Conv2d(" << s.inChannels << ", " << s.stemWidth
            << ", 3, 1, 1, bias=False)  # cifar stem\n"
            << "    model.maxpool = torch.nn.Identity()\n";
    else if (s.inChannels != 3)
        out << "    model.conv1 = torch.nn.Conv2d(" << s.inChannels << ", " << s.stemWidth
            << ", 7, 2, 3, bias=False)\n";
    out << "    model.fc = torch.nn.Identity()  # the file holds the trunk only: " << e.featureDim
        << "-d features\n"
        << "    model.load_state_dict(torch.load(" << file << "), strict=True)\n"
        << "    model.eval()\n";
    return out.str();
}

Exported exportPytorch(const LoadedCheckpoint& loaded, const ExportOptions& options) {
    const std::string& checkpoint = loaded.path;
    const CheckpointState& saved = loaded.state;
    auto config = loadConfig(saved.configJson, checkpoint, {}, nullptr, DataUse::Later);
    if (!config)
        throw UserError(config.error().message);
    // The input channels come from the weights, so the dataset need not be present.
    const auto conv1 = saved.model.find("trunk.conv1.weight");
    if (conv1 == saved.model.end() || conv1->second.dim() != 4)
        throw UserError(checkpoint + ": the checkpoint has no 'trunk.conv1.weight'");
    SwavModel model(config->model, static_cast<int>(conv1->second.size(1)));
    loadModelState(*model, saved.model, checkpoint);
    const auto state = torchvisionStateDict(model);

    Exported e;
    e.path = options.outFile.empty() ? runOutputPath(options.runDir, "export", checkpoint,
                                                     "resnet.pt", e.createdFolders)
                                     : options.outFile;
    saveStateDict(state, e.path);
    e.tensors = state.size();
    e.model = config->model;
    e.spec = model->trunk()->spec();
    e.featureDim = model->featureDim();
    e.transform = evalTransformFor(*config);
    return e;
}

} // namespace

int runExport(const ExportOptions& options) {
    if (options.format == "torchscript") {
        std::cerr << "--format torchscript is not available: LibTorch's C++ API cannot script or "
                     "trace a C++ module into TorchScript. Export with --format pytorch and "
                     "script it in Python:\n"
                     "    model.load_state_dict(torch.load(path)); "
                     "torch.jit.script(model).save(\"trunk.ts\")\n";
        return ExitBadUsage;
    }
    if (options.format != "pytorch") {
        std::cerr << "--format must be pytorch or torchscript, not '" << options.format << "'\n";
        return ExitBadUsage;
    }
    if (!options.outFile.empty()) {
        if (!outputAllowed(options.database, options.outFile, options.overwrite))
            return ExitBadUsage;
    }
    auto checkpoint = chooseCheckpoint(options.runDir, options.checkpointEpoch, options.database);
    if (!checkpoint) {
        std::cerr << checkpoint.error().message << "\n";
        return ExitBadUsage;
    }
    auto exported = catchUserError([&] { return exportPytorch(*checkpoint, options); });
    if (!exported) {
        std::cerr << "export failed: " << exported.error().message << "\n";
        return ExitRunFailed;
    }
    const auto& e = *exported;
    // A file in the run folder is the run's (deleted with it); one the user named with --out
    // is the user's.
    if (options.outFile.empty())
        recordForRun(options.database, options.runDir, [&](store::RunStore& runs, int64_t id) {
            runs.addRunFiles(id, {e.path}, e.createdFolders);
        });
    std::printf("wrote %s (%zu tensors: the %s trunk of %s)\n", e.path.c_str(), e.tensors,
                e.model.arch.c_str(), checkpoint->path.c_str());
    std::printf("%s", pythonSnippet(e).c_str());
    std::printf("Inputs: float [B, %d, H, W] scaled to [0, 1], normalised with mean %s and std %s "
                "(trained on %d px crops).\n",
                e.spec.inChannels, listText(e.transform.mean).c_str(),
                listText(e.transform.std).c_str(), e.transform.side);
    return ExitOk;
}

} // namespace swav::cli
