#pragma once
// Running this program again as a child (a sweep's `swav train` and `swav eval`), so that each
// run gets a process of its own exactly as when typed.

#include <string>
#include <vector>

namespace swav::cli {

/// Runs `/proc/self/exe args...` and waits. Its stdout goes to `capturedStdout` when given
/// (otherwise to this process's); stderr is shared. Returns the exit code (128 + signal when it
/// was killed; 127 when it could not start).
int runSelf(const std::vector<std::string>& args, std::string* capturedStdout = nullptr);

} // namespace swav::cli
