#include "cli/SelfProcess.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace swav::cli {

namespace {
std::atomic<pid_t> g_child{0}; // the child being waited for, for the signal handler
static_assert(std::atomic<pid_t>::is_always_lock_free);
} // namespace

void stopChildFromSignal() {
    if (const pid_t child = g_child.load(); child > 0)
        kill(child, SIGTERM);
}

int runSelf(const std::vector<std::string>& args, std::string* capturedStdout) {
    std::vector<std::string> argv{"swav"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& a : argv)
        raw.push_back(a.data());
    raw.push_back(nullptr);
    int pipeFds[2] = {-1, -1};
    if (capturedStdout && pipe(pipeFds) != 0)
        return 127;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec. Its own process group, so that a
        // terminal's Ctrl-C reaches the parent only, which passes it on once; and SIGTERM
        // when the parent dies, so that a killed sweep stops its current run too.
        if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(127);
        if (capturedStdout) {
            dup2(pipeFds[1], STDOUT_FILENO);
            close(pipeFds[0]);
            close(pipeFds[1]);
        }
        execv("/proc/self/exe", raw.data());
        _exit(127);
    }
    g_child = pid;
    if (capturedStdout) {
        close(pipeFds[1]);
        char buffer[4096];
        ssize_t n;
        while ((n = read(pipeFds[0], buffer, sizeof buffer)) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            capturedStdout->append(buffer, size_t(n));
        }
        close(pipeFds[0]);
    }
    int status = 0;
    int waited;
    while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    g_child = 0;
    if (waited < 0)
        return 127;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

} // namespace swav::cli
