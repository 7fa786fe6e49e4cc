#include "util/SystemMemory.h"
#include "util/ProcessMemoryLimit.h"

#include <algorithm>
#include <fstream>
#include <malloc.h>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace swav {

int hardwareThreads() {
    static const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return threads;
}

double hostMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    double bytes = pages > 0 && pageSize > 0 ? double(pages) * double(pageSize) : 0;
    // A cgroup's limit or an rlimit is what the kernel enforces on this process.
    const double limit = processMemoryLimit();
    if (limit > 0 && (bytes == 0 || limit < bytes))
        bytes = limit;
    return bytes;
}

void keepFreedMemoryForReuse() {
    static std::once_flag once;
    std::call_once(once, [] {
        // 32 MiB is glibc's largest mmap threshold; the trim threshold keeps a freed heap top.
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_TOP_PAD, 64 << 20);
    });
}

bool cpuHasNativeBf16() {
    static const bool native = [] {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        while (std::getline(cpuinfo, line)) {
            if (line.rfind("flags", 0) != 0)
                continue;
            std::istringstream flags(line.substr(line.find(':') + 1));
            std::string flag;
            while (flags >> flag)
                if (flag == "avx512_bf16" || flag == "amx_bf16")
                    return true;
            return false;
        }
        return false;
    }();
    return native;
}

uint64_t loadBudgetBytes() {
    const double host = hostMemoryBytes();
    // Unknown memory: assume a small machine rather than none.
    return host > 0 ? static_cast<uint64_t>(host / 4 * 3) : uint64_t(4) << 30;
}

} // namespace swav

namespace swav {

namespace {

/// A "Name:   1234 kB" line of /proc/self/status, in bytes; -1 when absent.
int64_t statusKilobytes(const char* name) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(name) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0) {
            try {
                return std::stoll(line.substr(prefix.size())) * 1024;
            } catch (const std::exception&) {
                return -1;
            }
        }
    return -1;
}

} // namespace

int64_t processResidentBytes() {
    return statusKilobytes("VmRSS");
}

int64_t processPeakResidentBytes() {
    return statusKilobytes("VmHWM");
}

} // namespace swav
