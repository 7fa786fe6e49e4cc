#pragma once
// Weights to and from PyTorch: the trunk as a torchvision ResNet state dict, and importing
// torchvision, official SwAV release and SwAV Workbench state dicts into a SwavModel.
// Files written are torch.save zip archives, both torch.save formats are read; tensors are CPU. Any
// thread, one model at a time.

#include "model/SwavModel.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace swav {

/// The trunk's parameters and buffers under torchvision names ("conv1.weight",
/// "layer1.0.bn1.running_mean", "bn1.num_batches_tracked", ...; no "fc."): contiguous CPU copies
/// with the model's dtypes (float32, int64 for num_batches_tracked).
std::map<std::string, at::Tensor> torchvisionStateDict(SwavModel& model);

/// Writes a dict of tensors that Python's torch.load returns as a plain dict, ready for
/// load_state_dict(strict=True). Atomic (temporary file + rename); throws UserError.
void saveStateDict(const std::map<std::string, at::Tensor>& state, const std::string& path);

/// Reads a state dict written by Python's torch.save (dict or OrderedDict of tensors, in the zip
/// format of PyTorch >= 1.6 or the format before it, as the SwAV release) or by saveStateDict. A
/// dict wrapping it under "state_dict" (training checkpoints) or "model" (SwAV Workbench
/// checkpoints) is unwrapped; non-tensor entries are skipped. Throws UserError naming the file when
/// it is unreadable or foreign.
std::map<std::string, at::Tensor> loadStateDict(const std::string& path);

struct ImportReport {
    std::string format;                   // torchvision, swav-release or swav-workbench
    int trunkTensors = 0;                 // trunk parameters and buffers copied
    int headTensors = 0;                  // projection head tensors copied (0: head untouched)
    bool prototypesLoaded = false;        // prototypes copied
    std::vector<std::string> ignoredKeys; // keys of the dict that were not used, as named there
    std::vector<std::string> notes;       // why a head or prototypes were not loaded

    /// One line for the user: what was loaded and how many keys were ignored.
    std::string summary() const;
};

/// Copies weights into `model`. Accepts a torchvision ResNet state dict (fc.* ignored), the
/// official SwAV release ("module." prefixes, trunk keys at top level, "projection_head.N.*",
/// "prototypes.weight") and SwAV Workbench names ("trunk.*"). Every trunk tensor must be present
/// with the model's shape, and the dict may hold no trunk tensor the model lacks; otherwise throws
/// UserError naming `origin`, the key and both shapes, and leaves the model unchanged. The head
/// and prototypes are copied when present and shape-compatible, else reported in `notes`.
ImportReport importWeights(SwavModel& model, const std::map<std::string, at::Tensor>& dict,
                           const std::string& origin);

} // namespace swav
