#pragma once
// How much memory this machine has, for refusing inputs that declare more than it can hold
// before anything is allocated.

#include <cstdint>
#include <string>

namespace swav {

/// Bytes of physical memory (0 when unknown).
uint64_t physicalMemoryBytes();

/// The most a single file or dataset may make the program allocate: 3/4 of physical memory.
uint64_t loadBudgetBytes();

/// "3.2 GiB".
std::string formatGibibytes(uint64_t bytes);

} // namespace swav
