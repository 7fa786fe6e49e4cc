#include "cli/SelfProcess.h"

#include <cerrno>
#include <sys/wait.h>
#include <unistd.h>

namespace swav::cli {

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
    const pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        if (capturedStdout) {
            dup2(pipeFds[1], STDOUT_FILENO);
            close(pipeFds[0]);
            close(pipeFds[1]);
        }
        execv("/proc/self/exe", raw.data());
        _exit(127);
    }
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
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 127;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

} // namespace swav::cli
