#include "util/SystemMemory.h"

#include <cstdio>
#include <unistd.h>

namespace swav {

uint64_t physicalMemoryBytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
    return pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0;
}

uint64_t loadBudgetBytes() {
    const uint64_t physical = physicalMemoryBytes();
    // Unknown memory: assume a small machine rather than none.
    return physical > 0 ? physical / 4 * 3 : uint64_t(4) << 30;
}

std::string formatGibibytes(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", double(bytes) / double(uint64_t(1) << 30));
    return text;
}

} // namespace swav
