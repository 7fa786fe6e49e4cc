#pragma once
// The few LibTorch API differences between 1.13 (Debian) and 2.x (CUDA builds).

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define SWAV_TORCH_AT_LEAST(major, minor)                                                          \
    (TORCH_VERSION_MAJOR > (major) ||                                                              \
     (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace swav::compat {

/// Enables CUDA autocast with `dtype` for the guard's lifetime (no-op when disabled).
class CudaAutocastGuard {
public:
    CudaAutocastGuard(bool enabled, at::ScalarType dtype)
        : m_enabled(enabled) {
        if (!m_enabled)
            return;
#if SWAV_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(at::kCUDA, true);
        at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
        at::autocast::set_enabled(true);
        at::autocast::set_autocast_gpu_dtype(dtype);
#endif
    }
    ~CudaAutocastGuard() {
        if (!m_enabled)
            return;
#if SWAV_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
        at::autocast::set_enabled(false);
#endif
        at::autocast::clear_cache();
    }
    CudaAutocastGuard(const CudaAutocastGuard&) = delete;
    CudaAutocastGuard& operator=(const CudaAutocastGuard&) = delete;

private:
    bool m_enabled;
};

} // namespace swav::compat
