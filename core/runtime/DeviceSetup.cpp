#include "runtime/DeviceSetup.h"

#include "util/Strings.h"
#include "util/SystemMemory.h"

#include "util/Expected.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#ifdef SWAV_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace swav {

std::string resolvePrecision(const std::string& requested, const at::Device& device) {
    if (requested == "auto")
        return device.is_cuda() || cpuHasNativeBf16() ? "bf16" : "fp32";
    if (!device.is_cuda() && requested == "fp16")
        throw UserError("runtime.precision: 'fp16' needs a CUDA device; the CPU trains in fp32 "
                        "or bf16");
    return requested;
}

DeviceChoice setUpDevice(const RuntimeConfig& runtime) {
    DeviceChoice choice;
    choice.threads = runtime.threads > 0 ? runtime.threads : hardwareThreads();
    at::set_num_threads(choice.threads);
    keepFreedMemoryForReuse();

    const bool cudaAvailable = torch::cuda::is_available();
    if (runtime.device == "auto") {
        choice.device = cudaAvailable ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    } else if (runtime.device == "cpu") {
        choice.device = at::Device(at::kCPU);
    } else {
        if (!cudaAvailable)
            throw UserError("runtime.device: '" + runtime.device +
                            "' was requested but this build or machine has no CUDA device "
                            "(use 'auto' or 'cpu')");
        choice.device = at::Device(runtime.device);
        const auto count = static_cast<int>(torch::cuda::device_count());
        if (choice.device.index() >= count)
            throw UserError("runtime.device: '" + runtime.device + "' does not exist; " +
                            std::to_string(count) + " CUDA device(s) found");
        if (!choice.device.has_index())
            choice.device = at::Device(at::kCUDA, 0);
    }

    if (choice.device.is_cuda()) // cuDNN picks the fastest kernel for each shape once
        at::globalContext().setBenchmarkCuDNN(true);

    const std::string precision = resolvePrecision(runtime.precision, choice.device);
    choice.precision = precision;
    choice.autocast = precision != "fp32";
    choice.autocastType = precision == "fp16"   ? at::kHalf
                          : precision == "bf16" ? at::kBFloat16
                                                : at::kFloat;
    choice.lossScaling = precision == "fp16";
    choice.description =
        choice.device.is_cuda()
            ? choice.device.str() + " " + cudaDeviceName(choice.device) + ", " + precision
            : "cpu, " + std::to_string(choice.threads) + " threads, " + precision;
    return choice;
}

std::vector<ComputeDevice> computeDevices() {
    std::vector<ComputeDevice> devices{
        {"cpu", "CPU, " + std::to_string(hardwareThreads()) + " threads"}};
    const int count =
        torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
    for (int i = 0; i < count; ++i) {
        const at::Device device(at::kCUDA, static_cast<c10::DeviceIndex>(i));
        devices.push_back(
            {device.str(), "GPU " + std::to_string(i) + ": " + cudaDeviceName(device)});
    }
    return devices;
}

std::string cudaDeviceName(const at::Device& device) {
#ifdef SWAV_WITH_CUDA
    if (device.is_cuda()) {
        const auto* props = at::cuda::getDeviceProperties(device.index());
        return std::string(props->name) + " (" + formatBytes(cudaDeviceMemoryBytes(device)) + ")";
    }
#endif
    (void)device;
    return {};
}

double cudaDeviceMemoryBytes(const at::Device& device) {
#ifdef SWAV_WITH_CUDA
    if (device.is_cuda())
        return static_cast<double>(at::cuda::getDeviceProperties(device.index())->totalGlobalMem);
#endif
    (void)device;
    return 0;
}

int64_t peakCudaMemoryBytes(const at::Device& device) {
#ifdef SWAV_WITH_CUDA
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
        return stats.allocated_bytes[0].peak; // StatType::AGGREGATE
    }
#endif
    (void)device;
    return 0;
}

DeviceMemoryUse deviceMemoryUse(const at::Device& device) {
    DeviceMemoryUse use;
#ifdef SWAV_WITH_CUDA
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
        use.inUse = stats.allocated_bytes[0].current; // StatType::AGGREGATE
        use.peak = stats.allocated_bytes[0].peak;
        return use;
    }
#endif
    if (device.is_cpu()) {
        use.inUse = processResidentBytes();
        use.peak = processPeakResidentBytes();
    }
    return use;
}

} // namespace swav
