#include "model/ModelState.h"

#include "util/Expected.h"

#include <sstream>
#include <torch/utils.h>

namespace swav {

namespace {

std::string shapeText(const at::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

} // namespace

std::map<std::string, at::Tensor> modelState(torch::nn::Module& model) {
    std::map<std::string, at::Tensor> state;
    for (const auto& item : model.named_parameters())
        state[item.key()] = item.value();
    for (const auto& item : model.named_buffers())
        state[item.key()] = item.value();
    return state;
}

void loadModelState(torch::nn::Module& model, const std::map<std::string, at::Tensor>& saved,
                    const std::string& origin) {
    torch::NoGradGuard noGrad;
    auto current = modelState(model);
    for (const auto& [name, tensor] : current) {
        const auto it = saved.find(name);
        if (it == saved.end())
            throw UserError(origin + ": the checkpoint has no '" + name +
                            "'; it was made for another architecture");
        if (!it->second.sizes().equals(tensor.sizes()))
            throw UserError(origin + ": '" + name + "' has shape " + shapeText(it->second) +
                            " in the checkpoint but " + shapeText(tensor) +
                            " in the model; it was made for another architecture");
    }
    for (const auto& [name, tensor] : saved)
        if (!current.count(name))
            throw UserError(origin + ": the checkpoint has '" + name +
                            "', which this model does not; it was made for another architecture");
    for (auto& [name, tensor] : current)
        tensor.copy_(saved.at(name));
}

} // namespace swav
