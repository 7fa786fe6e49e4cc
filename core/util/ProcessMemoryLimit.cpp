#include "util/ProcessMemoryLimit.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace swav {

namespace {

struct CgroupMount {
    std::string root;  // the hierarchy's folder mounted there
    std::string point; // where it is mounted
    bool v2 = false;
};

/// The cgroup2 mount, or the cgroup v1 mount with the memory controller.
std::vector<CgroupMount> memoryMounts(const CgroupSources& sources) {
    std::vector<CgroupMount> mounts;
    std::ifstream info(sources.mountInfo);
    std::string line;
    while (std::getline(info, line)) {
        // "36 35 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"
        const size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream head(line.substr(0, dash));
        std::istringstream tail(line.substr(dash + 3));
        std::string id, parent, device, root, point, type, source, options;
        head >> id >> parent >> device >> root >> point;
        tail >> type >> source >> options;
        const bool memoryV1 =
            type == "cgroup" && ("," + options + ",").find(",memory,") != std::string::npos;
        if (type == "cgroup2" || memoryV1)
            mounts.push_back({root, sources.rootPrefix + point, type == "cgroup2"});
    }
    return mounts;
}

/// This process's cgroup path in the v2 hierarchy ("0::/a/b") or the v1 memory one
/// ("4:memory:/a/b"); "" when absent.
std::string cgroupPath(const CgroupSources& sources, bool v2) {
    std::ifstream file(sources.selfCgroup);
    std::string line;
    while (std::getline(file, line)) {
        const size_t first = line.find(':');
        const size_t second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos)
            continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const bool matches = v2 ? line.compare(0, first, "0") == 0 && controllers.empty()
                                : ("," + controllers + ",").find(",memory,") != std::string::npos;
        if (matches)
            return line.substr(second + 1);
    }
    return {};
}

/// A limit file's value in bytes; 0 for "max", the v1 "unlimited" (near 2^63) and anything
/// unreadable.
double limitIn(const std::string& file) {
    std::ifstream in(file);
    std::string text;
    if (!(in >> text) || text == "max")
        return 0;
    try {
        const double value = std::stod(text);
        return value > 0 && value < 4e18 ? value : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

/// The smallest limit from the process's folder up to the mount point.
double limitAlong(const CgroupMount& mount, const std::string& path) {
    // The mount shows the hierarchy from `root` down (a container sees its own group as "/").
    std::string relative = path;
    if (mount.root != "/" && relative.compare(0, mount.root.size(), mount.root) == 0)
        relative = relative.substr(mount.root.size());
    const char* file = mount.v2 ? "/memory.max" : "/memory.limit_in_bytes";
    double smallest = 0;
    for (std::string folder = relative;; folder = folder.substr(0, folder.rfind('/'))) {
        const double limit = limitIn(mount.point + folder + file);
        if (limit > 0 && (smallest == 0 || limit < smallest))
            smallest = limit;
        if (folder.empty() || folder == "/")
            break;
    }
    return smallest;
}

/// "VmSize:  1234 kB" of /proc/self/status in bytes; 0 when absent.
double statusBytes(const char* name) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(name) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0)
            return std::atof(line.c_str() + prefix.size()) * 1024;
    return 0;
}

double smallestPositive(double a, double b) {
    if (a <= 0)
        return b;
    return b <= 0 ? a : std::min(a, b);
}

} // namespace

double cgroupMemoryLimit(const CgroupSources& sources) {
    double smallest = 0;
    for (const CgroupMount& mount : memoryMounts(sources)) {
        const std::string path = cgroupPath(sources, mount.v2);
        if (!path.empty())
            smallest = smallestPositive(smallest, limitAlong(mount, path));
    }
    return smallest;
}

double rlimitMemoryLeft() {
    double left = 0;
    const std::pair<int, const char*> limits[] = {{RLIMIT_AS, "VmSize"}, {RLIMIT_DATA, "VmData"}};
    for (const auto& [resource, used] : limits) {
        rlimit limit{};
        if (::getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
            continue;
        const double room = std::max(1.0, double(limit.rlim_cur) - statusBytes(used));
        left = smallestPositive(left, room);
    }
    return left;
}

double processMemoryLimit() {
    return smallestPositive(cgroupMemoryLimit(), rlimitMemoryLeft());
}

} // namespace swav
