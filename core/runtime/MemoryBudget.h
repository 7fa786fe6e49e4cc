#pragma once
// A rough estimate of the memory one training step needs, checked against the machine before the
// trainer allocates anything, so that a configuration far too large for the machine fails with a
// message naming what to reduce instead of an allocation failure deep inside LibTorch.
//
// It is an estimate, not a measurement: the parameter count is exact, the rest (activations kept
// for the backward pass, Sinkhorn and queue buffers, images held in memory) is counted from the
// shapes with round factors and leaves out allocator slack, workspaces, transient gradients and
// the LibTorch runtime. It errs low (a Fashion-MNIST run estimated at 0.7 GiB peaks near 1.2 GiB
// of resident memory), so the check refuses only what cannot fit, never a run that would.

#include "config/ConfigJson.h"

#include <cstdint>
#include <string>

namespace swav {

struct MemoryEstimate {
    int64_t parameters = 0;     // trainable values: trunk, head and prototypes
    double parameterBytes = 0;  // weights and their gradients, fp32
    double optimizerBytes = 0;  // momentum (SGD, LARS) or two moments (Adam, AdamW), fp32
    double activationBytes = 0; // kept for the backward of one step: all crops, head, scores,
                                // Sinkhorn codes, augmentation buffers, the queue
    double hostDataBytes = 0;   // images in host memory the config sizes: the synthetic set or
                                // the decoded prefetch buffer of an image folder

    /// On the training device (the host too when training on the CPU).
    double deviceBytes() const { return parameterBytes + optimizerBytes + activationBytes; }
};

/// Estimate for `config` with images of `inChannels` channels. `precision` is the resolved one
/// (fp32, bf16, fp16): half precision halves the activations. Pure arithmetic, in doubles, so it
/// never overflows or allocates; call it on validated configs (arch known, widths positive).
MemoryEstimate estimateTrainingMemory(const ExperimentConfig& config, int inChannels,
                                      const std::string& precision = "fp32");

/// Where the run would train and how much memory it has (bytes); host == device on the CPU.
struct MemoryLimits {
    std::string deviceName = "cpu";
    double deviceBytes = 0;
    double hostBytes = 0;
    bool separateDevice = false; // a GPU with its own memory
};

/// Errors ("memory: ...") when the estimate exceeds the limits, naming the sizes and the fields
/// to reduce. Limits of 0 are unknown and not checked.
ValidationReport checkMemoryBudget(const MemoryEstimate& estimate, const MemoryLimits& limits);

} // namespace swav
