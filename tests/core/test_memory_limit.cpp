// Issue 32: the memory budget follows this process's own limits: the cgroup it lives in (v1 or
// v2, nested) and its rlimits, not only the machine's memory.
#include "CraftedFiles.h"
#include "TestHarness.h"

#include "util/ProcessMemoryLimit.h"
#include "util/SystemMemory.h"
#include "util/TorchFile.h"

#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace swav;
using namespace swav::test;
namespace fs = std::filesystem;

namespace {

void writeText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

/// A fake /proc and /sys under `root`: `cgroup` and `mountinfo` as given.
CgroupSources fakeSources(const TempDir& root, const std::string& cgroup,
                          const std::string& mountinfo) {
    writeText(root.file("proc/cgroup"), cgroup);
    writeText(root.file("proc/mountinfo"), mountinfo);
    return {root.file("proc/cgroup"), root.file("proc/mountinfo"), root.path()};
}

double gib(double n) {
    return n * 1024 * 1024 * 1024;
}

} // namespace

TEST(MemoryLimit, ANestedCgroupV2LimitBelowTheRootCounts) {
    TempDir root;
    const auto sources =
        fakeSources(root, "0::/user.slice/job\n",
                    "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
    writeText(root.file("sys/fs/cgroup/memory.max"), "max\n");
    writeText(root.file("sys/fs/cgroup/user.slice/memory.max"), "8589934592\n");
    writeText(root.file("sys/fs/cgroup/user.slice/job/memory.max"), "1073741824\n");
    ASSERT_EQ(cgroupMemoryLimit(sources), gib(1));
    // The tightest limit wins wherever it is on the way up.
    writeText(root.file("sys/fs/cgroup/user.slice/job/memory.max"), "max\n");
    ASSERT_EQ(cgroupMemoryLimit(sources), gib(8));
}

TEST(MemoryLimit, ACgroupV1MemoryLimitCountsAndUnlimitedDoesNot) {
    TempDir root;
    const auto sources =
        fakeSources(root, "5:devices:/\n4:memory:/process_api/abc\n0::/\n",
                    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n");
    writeText(root.file("sys/fs/cgroup/memory/memory.limit_in_bytes"), "9223372036854771712\n");
    writeText(root.file("sys/fs/cgroup/memory/process_api/memory.limit_in_bytes"),
              "9223372036854771712\n");
    ASSERT_EQ(cgroupMemoryLimit(sources), 0.0);
    writeText(root.file("sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes"),
              "1073741824\n");
    ASSERT_EQ(cgroupMemoryLimit(sources), gib(1));
}

TEST(MemoryLimit, AContainerSeesItsOwnGroupAsTheMountRoot) {
    TempDir root;
    // The mount shows the hierarchy from /docker/c1 down; the process lives in /docker/c1/inner.
    const auto sources =
        fakeSources(root, "0::/docker/c1/inner\n",
                    "41 31 0:38 /docker/c1 /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
    writeText(root.file("sys/fs/cgroup/memory.max"), "2147483648\n");
    writeText(root.file("sys/fs/cgroup/inner/memory.max"), "max\n");
    ASSERT_EQ(cgroupMemoryLimit(sources), gib(2));
}

TEST(MemoryLimit, NoCgroupFilesMeanNoLimit) {
    TempDir root;
    ASSERT_EQ(cgroupMemoryLimit({root.file("none"), root.file("none"), root.path()}), 0.0);
}

// Under `ulimit -v` a file whose tensor needs more than the room left is refused by name before
// anything is allocated, instead of dying in the allocator.
TEST(MemoryLimit, AnAddressSpaceLimitBoundsWhatAFileMayAllocate) {
    TempDir dir;
    const int64_t numel = 20 << 20; // 80 MiB of float32
    writeTorchFile(TorchFormat::Legacy, dir.file("big.pt"),
                   pk::proto() + pk::dict({{"w", pk::tensor("0", numel, 0, {numel}, {1})}}) + ".",
                   {{"0", std::string(size_t(numel) * 4, '\0')}});
    const std::string report = reportFromChild([&]() -> std::string {
        // 64 MiB of room beyond what the process maps now.
        std::ifstream status("/proc/self/status");
        std::string line;
        double vmSize = 0;
        while (std::getline(status, line))
            if (line.rfind("VmSize:", 0) == 0)
                vmSize = std::atof(line.c_str() + 7) * 1024;
        const rlim_t room = rlim_t(vmSize + 64.0 * (1 << 20));
        const rlimit limit{room, room};
        if (rlimitMemoryLeft() != 0 || ::setrlimit(RLIMIT_AS, &limit) != 0)
            return "cannot set RLIMIT_AS";
        if (loadBudgetBytes() > uint64_t(64) << 20)
            return "budget " + std::to_string(loadBudgetBytes()) + " above the 64 MiB left";
        try {
            readTorchFile(dir.file("big.pt"));
            return "an 80 MiB tensor was read with 64 MiB of room";
        } catch (const std::exception& e) {
            const std::string what = e.what();
            return what.find("more than the") == std::string::npos ? "unclear refusal: " + what
                                                                   : "";
        }
    });
    ASSERT_EQ(report, std::string());
}
