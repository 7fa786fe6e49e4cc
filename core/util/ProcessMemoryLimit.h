#pragma once
// The memory this process may use, whatever limits it: the cgroup it lives in (v1 or v2, and
// every cgroup above it), and its address-space and data-segment rlimits. A container's root
// /sys/fs/cgroup/memory.max says nothing of a nested group or of `ulimit -v`.

#include <functional>
#include <string>

namespace swav {

/// Where the cgroup limits are read from; the defaults read this process's own files. Tests give
/// a folder made to look like them.
struct CgroupSources {
    std::string selfCgroup = "/proc/self/cgroup";
    std::string mountInfo = "/proc/self/mountinfo";
    std::string rootPrefix; // prepended to every mount point
};

/// The smallest memory limit of this process's cgroup and its ancestors (memory.max under v2,
/// memory.limit_in_bytes under v1), in bytes; 0 when none applies.
double cgroupMemoryLimit(const CgroupSources& sources = {});

/// What RLIMIT_AS and RLIMIT_DATA leave this process beyond what it maps or uses now, in bytes;
/// 0 when neither is set.
double rlimitMemoryLeft();

/// min(cgroup limit, rlimit room); 0 when neither applies.
double processMemoryLimit();

} // namespace swav
