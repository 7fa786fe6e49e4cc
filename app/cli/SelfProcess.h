#pragma once
// Running this program again as a child (a sweep's `swav train` and `swav eval`), so that each
// run gets a process of its own exactly as when typed.

#include <string>
#include <vector>

namespace swav::cli {

/// Runs `/proc/self/exe args...` and waits. Its stdout goes to `capturedStdout` when given
/// (otherwise to this process's); stderr is shared. Returns the exit code (128 + signal when it
/// was killed; 127 when it could not start). The child runs in its own process group, so a
/// terminal's Ctrl-C does not reach it: the caller's handler passes it on with
/// stopChildFromSignal(). It receives SIGTERM when this process dies.
int runSelf(const std::vector<std::string>& args, std::string* capturedStdout = nullptr);

/// Sends SIGTERM to the child that runSelf is waiting for, if any (async-signal-safe).
void stopChildFromSignal();

} // namespace swav::cli
