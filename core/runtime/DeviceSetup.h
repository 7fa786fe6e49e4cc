#pragma once
// Chooses the device, the precision and the CPU thread count from the runtime config.

#include "config/ExperimentConfig.h"

#include <ATen/Device.h>
#include <c10/core/ScalarType.h>

#include <string>
#include <vector>

namespace swav {

struct DeviceChoice {
    at::Device device{at::kCPU};
    bool autocast = false;                    // run the trunk under autocast
    at::ScalarType autocastType = at::kFloat; // bf16 or fp16 when autocast
    bool lossScaling = false;                 // fp16 needs a dynamic loss scale
    int threads = 1;                          // intra-op CPU threads in use
    std::string description;                  // "cpu, 2 threads" / "cuda:0, bf16"
    std::string precision;                    // fp32, bf16 or fp16
};

/// Resolves runtime.device ("auto" picks CUDA when available), runtime.precision ("auto" =
/// bf16 on CUDA and on CPUs with native bf16, fp32 elsewhere), sets the intra-op thread count
/// (0 = all cores; LibTorch otherwise may start with a single thread) and keeps freed host
/// memory for reuse. Throws UserError when CUDA is asked for but absent, or fp16 on the CPU.
DeviceChoice setUpDevice(const RuntimeConfig& runtime);

/// runtime.precision as it applies on `device`: "auto" becomes bf16 on CUDA and on CPUs with
/// native bf16, fp32 elsewhere. Throws UserError for fp16 on the CPU.
std::string resolvePrecision(const std::string& requested, const at::Device& device);

struct ComputeDevice {
    std::string id;          // "cpu" or "cuda:N": a runtime.device value
    std::string description; // "CPU, 16 threads" or "GPU 0: NVIDIA H100 80GB HBM3 (79.1 GiB)"
};

/// This machine's CPU and every CUDA device, for device pickers.
std::vector<ComputeDevice> computeDevices();

/// Name and memory of a CUDA device ("NVIDIA H100 80GB HBM3, 79.1 GiB"), "" elsewhere.
std::string cudaDeviceName(const at::Device& device);
/// Total memory of a CUDA device in bytes (0 elsewhere).
double cudaDeviceMemoryBytes(const at::Device& device);
/// Peak memory allocated by tensors on a CUDA device since the start (0 elsewhere).
int64_t peakCudaMemoryBytes(const at::Device& device);

struct DeviceMemoryUse {
    int64_t inUse = -1;
    int64_t peak = -1;
};
/// A CUDA device: bytes its caching allocator holds for tensors now and at peak. The CPU: this
/// process's resident memory now and at peak.
DeviceMemoryUse deviceMemoryUse(const at::Device& device);

} // namespace swav
