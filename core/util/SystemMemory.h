#pragma once
// How much memory this machine has, for refusing inputs and configurations that need more than it
// can hold before anything is allocated.

#include <cstdint>

namespace swav {

/// Hardware threads of this machine (at least 1).
int hardwareThreads();

/// Physical memory of this machine, lowered to what this process's cgroups and rlimits allow
/// (util/ProcessMemoryLimit.h); 0 if unknown.
double hostMemoryBytes();

/// This process's resident memory now and at its peak (VmRSS, VmHWM); -1 when unknown.
int64_t processResidentBytes();
int64_t processPeakResidentBytes();

/// The most a single file or dataset may make the program allocate: 3/4 of hostMemoryBytes()
/// (4 GiB when that is unknown).
uint64_t loadBudgetBytes();

/// Makes the C allocator keep freed blocks of up to 32 MiB for reuse instead of returning them to
/// the kernel: a CPU training step frees and reallocates the same activations every step, and
/// with glibc's defaults each of them comes back as fresh zeroed pages (a fault per 4 KiB page,
/// about a seventh of the step here). Process-wide; idempotent.
void keepFreedMemoryForReuse();

/// Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16), so that bf16 autocast
/// speeds up its convolutions instead of emulating them.
bool cpuHasNativeBf16();

} // namespace swav
