#pragma once
// The few LibTorch API differences between 1.13 (Debian) and 2.x (CUDA builds).

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define SWAV_TORCH_AT_LEAST(major, minor)                                                          \
    (TORCH_VERSION_MAJOR > (major) ||                                                              \
     (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace swav::compat {

/// Enables autocast on `device` (CUDA or CPU) with `dtype` for the guard's lifetime (no-op when
/// disabled).
class AutocastGuard {
public:
    AutocastGuard(bool enabled, at::DeviceType device, at::ScalarType dtype)
        : m_enabled(enabled)
        , m_device(device) {
        if (m_enabled)
            enable(true, dtype);
    }
    ~AutocastGuard() {
        if (!m_enabled)
            return;
        enable(false, at::kFloat);
        at::autocast::clear_cache();
    }
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

private:
    void enable(bool on, at::ScalarType dtype) {
#if SWAV_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(m_device, on);
        if (on)
            at::autocast::set_autocast_dtype(m_device, dtype);
#else
        if (m_device == at::kCPU) {
            at::autocast::set_cpu_enabled(on);
            if (on)
                at::autocast::set_autocast_cpu_dtype(dtype);
        } else {
            at::autocast::set_enabled(on);
            if (on)
                at::autocast::set_autocast_gpu_dtype(dtype);
        }
#endif
    }

    bool m_enabled;
    at::DeviceType m_device;
};

} // namespace swav::compat
