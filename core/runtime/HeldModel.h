#pragma once
// A copy of the model a paused trainer holds, for views that look inside it (the teaching lab).

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

namespace swav {

struct HeldModel {
    int64_t step = 0;                        // the trainer holds before this global step
    int epoch = 0;                           // 0-based epoch of that step
    std::string configJson;                  // the run's full configuration
    std::map<std::string, at::Tensor> state; // parameters and buffers, CPU copies
};

/// The number a window shows for the step a paused trainer holds before (HeldModel::step, the
/// metrics' step: counted from 0): steps count from 1 on screen, as the status bar's "step 3/47".
inline int64_t shownStepNumber(int64_t heldStep) {
    return heldStep + 1;
}

} // namespace swav
