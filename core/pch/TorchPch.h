// Precompiled header: the LibTorch parts the core translation units need.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/serialize.h>
#include <torch/types.h>
