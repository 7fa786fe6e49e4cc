#pragma once
// A model's parameters and buffers by registered name, and loading them with shape checks.

#include "model/SwavModel.h"

#include <map>
#include <string>

namespace swav {

/// Parameters and buffers (BatchNorm statistics included), sharing storage with the model.
std::map<std::string, at::Tensor> modelState(torch::nn::Module& model);

/// Copies `saved` into the model. Every name must exist on both sides with the same shape;
/// otherwise throws UserError naming `origin`, the tensor and both shapes.
void loadModelState(torch::nn::Module& model, const std::map<std::string, at::Tensor>& saved,
                    const std::string& origin);

} // namespace swav
