#include "model/WeightInterop.h"

#include "model/ModelState.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"

#include "util/Strings.h"
#include "util/TorchFile.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

namespace swav {

namespace fs = std::filesystem;

namespace {

std::string shapeText(const at::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

bool isFeatureLayerKey(const std::string& key) {
    return key.find("feature_conv.") != std::string::npos ||
           key.find("feature_bn.") != std::string::npos;
}

/// A tensor of an imported dict, filed under the model-relative name.
struct DictEntry {
    std::string key; // as named in the dict
    at::Tensor tensor;
};

/// When the trunks differ in the feature layer (model.feature_width) and in nothing else, says
/// which width matches the weights; otherwise "".
std::string featureLayerHint(const std::vector<std::string>& missing,
                             const std::vector<std::string>& unexpected,
                             const std::map<std::string, DictEntry>& weights,
                             const std::map<std::string, at::Tensor>& model) {
    if (missing.empty() && unexpected.empty())
        return "";
    if (!std::all_of(missing.begin(), missing.end(), isFeatureLayerKey) ||
        !std::all_of(unexpected.begin(), unexpected.end(), isFeatureLayerKey))
        return "";
    for (const auto& [name, entry] : weights) {
        const auto ours = model.find(name);
        if (ours != model.end() && !isFeatureLayerKey(name) &&
            !entry.tensor.sizes().equals(ours->second.sizes()))
            return "";
    }
    int64_t width = 0; // the weights have no feature layer
    if (!unexpected.empty()) {
        const auto conv = weights.find("feature_conv.weight");
        if (conv == weights.end() || conv->second.tensor.dim() != 4)
            return "";
        width = conv->second.tensor.size(0);
    }
    return " (only the feature layer differs: --set model.feature_width=" + std::to_string(width) +
           ")";
}

std::string listKeys(const std::vector<std::string>& keys) {
    constexpr size_t kShown = 8;
    std::string out;
    for (size_t i = 0; i < keys.size() && i < kShown; ++i)
        out += (i ? ", '" : "'") + keys[i] + "'";
    if (keys.size() > kShown)
        out += " and " + std::to_string(keys.size() - kShown) + " more";
    return out;
}

bool isStringKeyedDict(const pickle::Value& value) {
    if (value.kind != pickle::Kind::Dict)
        return false;
    for (size_t i = 0; i < value.items.size(); i += 2)
        if (!value.items[i]->isString())
            return false;
    return true;
}

const char* kindName(pickle::Kind kind) {
    switch (kind) {
    case pickle::Kind::Tuple:
        return "tuple";
    case pickle::Kind::List:
        return "list";
    case pickle::Kind::Dict:
        return "dict with non-string keys";
    case pickle::Kind::Tensor:
        return "single tensor";
    default:
        return "scalar";
    }
}

} // namespace

std::map<std::string, at::Tensor> torchvisionStateDict(SwavModel& model) {
    std::map<std::string, at::Tensor> state;
    for (const auto& [name, tensor] : modelState(*model->trunk()))
        state[name] =
            tensor.detach().to(at::kCPU, /*non_blocking=*/false, /*copy=*/true).contiguous();
    return state;
}

void saveStateDict(const std::map<std::string, at::Tensor>& state, const std::string& path) {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : state)
        dict.insert(name, tensor.detach().to(at::kCPU).contiguous());
    const std::vector<char> bytes = torch::jit::pickle_save(dict);
    writeFileAtomically(path, "state dict", bytes.data(), bytes.size());
}

namespace {

/// Weights are finite real numbers (integer buffers, such as batch norm's step counter, pass).
void checkWeightValues(const std::string& path, const std::string& key, const at::Tensor& tensor) {
    if (tensor.is_complex() || tensor.scalar_type() == at::kBool)
        throw UserError(path + ": '" + key + "' is a " +
                        std::string(c10::toString(tensor.scalar_type())) +
                        " tensor; weights are real numbers");
    if (tensor.is_floating_point() && !at::isfinite(tensor).all().item<bool>())
        throw UserError(path + ": '" + key + "' holds NaN or infinite values");
}

} // namespace

std::map<std::string, at::Tensor> loadStateDict(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw UserError(path + ": no such file");
    if (!fs::is_regular_file(path, ec))
        throw UserError(path + ": not a file");
    const TorchFile file = readTorchFile(path);
    const pickle::Value* dict = file.root.get();
    if (!isStringKeyedDict(*dict))
        throw UserError(path + ": holds a " + kindName(dict->kind) +
                        ", not a state dict (a dict of tensors)");
    // Checkpoints keep the weights one level down.
    for (const char* wrapper : {"state_dict", "model"})
        if (const pickle::Value* inner = dict->find(wrapper); inner && isStringKeyedDict(*inner)) {
            dict = inner;
            break;
        }
    auto state = tensorsOf(file, *dict);
    if (state.empty())
        throw UserError(path + ": holds no tensors; expected a state dict");
    for (const auto& [key, tensor] : state)
        checkWeightValues(path, key, tensor);
    return state;
}

std::string ImportReport::summary() const {
    std::ostringstream out;
    out << format << " weights: " << trunkTensors << " trunk tensors";
    out << (headTensors ? ", " + std::to_string(headTensors) + " projection head tensors"
                        : std::string(", projection head not loaded"));
    out << (prototypesLoaded ? ", prototypes" : ", prototypes not loaded");
    if (!ignoredKeys.empty())
        out << "; " << ignoredKeys.size() << " keys ignored";
    return out.str();
}

namespace {

const std::string kModule = "module.", kTrunk = "trunk.", kHead = "projection_head.",
                  kPrototypes = "prototypes.";

std::string withoutModule(const std::string& key) {
    return startsWith(key, kModule) ? key.substr(kModule.size()) : key;
}

/// A state dict's keys sorted into trunk (by our trunk-relative name), head and prototypes.
struct SortedWeights {
    bool modulePrefix = false, ownNames = false;
    std::map<std::string, DictEntry> trunk, head, prototypes;
};

/// Sorts the keys and names the format in `report`; keys of none of the parts are ignored there.
SortedWeights sortWeights(const std::map<std::string, at::Tensor>& dict, ImportReport& report) {
    SortedWeights sorted;
    bool headKeys = false;
    for (const auto& [key, tensor] : dict) {
        const std::string name = withoutModule(key);
        sorted.modulePrefix = sorted.modulePrefix || startsWith(key, kModule);
        sorted.ownNames = sorted.ownNames || startsWith(name, kTrunk);
        headKeys = headKeys || startsWith(name, kHead) || startsWith(name, kPrototypes);
    }
    report.format = sorted.ownNames
                        ? "swav-workbench"
                        : (sorted.modulePrefix || headKeys ? "swav-release" : "torchvision");
    for (const auto& [key, tensor] : dict) {
        const std::string name = withoutModule(key);
        if (startsWith(name, kHead))
            sorted.head[name] = {key, tensor};
        else if (startsWith(name, kPrototypes))
            sorted.prototypes[name] = {key, tensor};
        else if (sorted.ownNames && startsWith(name, kTrunk))
            sorted.trunk[name.substr(kTrunk.size())] = {key, tensor};
        else if (!sorted.ownNames && !startsWith(name, "fc."))
            sorted.trunk[name] = {key, tensor};
        else
            report.ignoredKeys.push_back(key);
    }
    return sorted;
}

/// The trunk must match exactly: every tensor present with the model's shape, nothing more.
void checkTrunk(const SortedWeights& sorted, const std::map<std::string, at::Tensor>& trunkState,
                const std::string& format, const std::string& origin) {
    const std::string expectedPrefix =
        (sorted.modulePrefix ? kModule : "") + (sorted.ownNames ? kTrunk : "");
    std::vector<std::string> missing, unexpected;
    for (const auto& [name, tensor] : trunkState)
        if (!sorted.trunk.count(name))
            missing.push_back(expectedPrefix + name);
    for (const auto& [name, entry] : sorted.trunk)
        if (!trunkState.count(name))
            unexpected.push_back(entry.key);
    const std::string hint = featureLayerHint(missing, unexpected, sorted.trunk, trunkState);
    if (!missing.empty())
        throw UserError(origin + ": the " + format + " weights lack " +
                        std::to_string(missing.size()) + " trunk tensors of this model: " +
                        listKeys(missing) + "; they were made for another architecture" + hint);
    if (!unexpected.empty())
        throw UserError(origin + ": " + listKeys(unexpected) +
                        " not in this model's trunk; the weights were made for another "
                        "architecture" +
                        hint);
    for (const auto& [name, tensor] : trunkState) {
        const auto& entry = sorted.trunk.at(name);
        if (!entry.tensor.sizes().equals(tensor.sizes()))
            throw UserError(origin + ": '" + entry.key + "' has shape " + shapeText(entry.tensor) +
                            " in the weights but " + shapeText(tensor) +
                            " in the model; they were made for another architecture");
    }
}

/// Why `given` cannot be the model's `target` part ("" when it can).
std::string partProblem(const std::string& part, const std::map<std::string, DictEntry>& given,
                        const std::map<std::string, at::Tensor>& target) {
    if (target.empty())
        return "this model has no " + part;
    for (const auto& [name, tensor] : target) {
        const auto it = given.find(name);
        if (it == given.end())
            return "'" + name + "' is missing";
        if (!it->second.tensor.sizes().equals(tensor.sizes()))
            return "'" + it->second.key + "' has shape " + shapeText(it->second.tensor) +
                   " but the model's is " + shapeText(tensor);
    }
    for (const auto& [name, entry] : given)
        if (!target.count(name))
            return "'" + entry.key + "' is not in this model";
    return {};
}

/// Copies a head or the prototypes, all or nothing (a half-loaded head is worse than none);
/// returns the tensors copied and says in `report` why not.
int loadPart(const std::string& part, const std::map<std::string, DictEntry>& given,
             const std::map<std::string, at::Tensor>& target, ImportReport& report) {
    if (given.empty()) {
        if (!target.empty())
            report.notes.push_back("the weights have no " + part +
                                   "; the model keeps its initial one");
        return 0;
    }
    if (const std::string problem = partProblem(part, given, target); !problem.empty()) {
        report.notes.push_back(part + " not loaded: " + problem);
        for (const auto& [name, entry] : given)
            report.ignoredKeys.push_back(entry.key);
        return 0;
    }
    torch::NoGradGuard noGrad;
    for (const auto& [name, tensor] : target)
        tensor.copy_(given.at(name).tensor);
    return static_cast<int>(target.size());
}

} // namespace

ImportReport importWeights(SwavModel& model, const std::map<std::string, at::Tensor>& dict,
                           const std::string& origin) {
    ImportReport report;
    const SortedWeights sorted = sortWeights(dict, report);
    // Everything is checked before anything is copied.
    const auto trunkState = modelState(*model->trunk());
    checkTrunk(sorted, trunkState, report.format, origin);
    {
        torch::NoGradGuard noGrad;
        for (const auto& [name, tensor] : trunkState)
            tensor.copy_(sorted.trunk.at(name).tensor);
    }
    report.trunkTensors = static_cast<int>(trunkState.size());

    std::map<std::string, at::Tensor> modelHead, modelPrototypes;
    for (const auto& [name, tensor] : modelState(*model)) {
        if (startsWith(name, kHead))
            modelHead[name] = tensor;
        else if (startsWith(name, kPrototypes))
            modelPrototypes[name] = tensor;
    }
    report.headTensors = loadPart("projection head", sorted.head, modelHead, report);
    report.prototypesLoaded =
        loadPart("prototypes", sorted.prototypes, modelPrototypes, report) > 0;
    std::sort(report.ignoredKeys.begin(), report.ignoredKeys.end());
    return report;
}

} // namespace swav
