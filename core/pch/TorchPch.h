// Precompiled header: what most LibTorch translation units need, and no more. A larger one (the
// C++ frontend's torch/nn.h, serialisation, CUDA) was slower overall: every user pays to load it.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
