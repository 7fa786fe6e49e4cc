#include "util/OutputTarget.h"

#include "util/Expected.h"
#include "util/Strings.h"

#include <sys/stat.h>

namespace swav {

int openDescriptorOf(const std::string& path) {
    if (path == "-" || path == "/dev/stdout")
        return 1;
    if (path == "/dev/stderr")
        return 2;
    for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
        if (!startsWith(path, prefix) || path.size() == prefix.size() ||
            path.size() > prefix.size() + 6)
            continue;
        const std::string digits = path.substr(prefix.size());
        if (digits.find_first_not_of("0123456789") == std::string::npos)
            return std::stoi(digits);
    }
    return -1;
}

void checkOutputTarget(const std::string& path, bool overwrite) {
    if (openDescriptorOf(path) >= 0)
        return;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0)
        return; // nothing there yet
    struct stat target {};
    const bool resolves = ::stat(path.c_str(), &target) == 0;
    if (resolves && S_ISDIR(target.st_mode))
        throw UserError(path + ": a folder; name a file to write");
    if (resolves && !S_ISREG(target.st_mode))
        return; // a device or FIFO: written in place
    if (!overwrite)
        throw UserError(path + ": already exists; choose another name or pass --overwrite");
}

bool sameFile(const std::string& a, const std::string& b) {
    struct stat first {};
    struct stat second {};
    return ::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0 &&
           first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

} // namespace swav
