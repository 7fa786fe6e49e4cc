#include "dist/WorkerLauncher.h"

#include "dist/DistributedSetup.h"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace swav {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_forwardedSignals{0};
std::atomic<int> g_lastSignal{0};
std::atomic<int> g_pauseSignals{0};
std::atomic<int> g_lastPauseSignal{0};

extern "C" void onLauncherSignal(int signal) {
    if (signal == SIGUSR1 || signal == SIGUSR2) {
        g_lastPauseSignal.store(signal);
        g_pauseSignals.fetch_add(1);
        return;
    }
    g_lastSignal.store(signal);
    g_forwardedSignals.fetch_add(1);
}

struct Worker {
    int rank = 0;
    pid_t pid = -1;
    bool running = false;
    int exitCode = 0;
};

/// Forks and execs one worker in its own process group (the terminal's Ctrl-C reaches the
/// launcher only, which passes it on once), set to die with the launcher.
pid_t spawn(const LaunchPlan& plan, int localRank) {
    const int rank = plan.nodeRank * plan.processesPerNode + localRank;
    std::vector<std::string> environment = {
        "RANK=" + std::to_string(rank),
        "WORLD_SIZE=" + std::to_string(plan.nodes * plan.processesPerNode),
        "LOCAL_RANK=" + std::to_string(localRank),
        "LOCAL_WORLD_SIZE=" + std::to_string(plan.processesPerNode),
        "MASTER_ADDR=" + plan.masterAddr,
        "MASTER_PORT=" + std::to_string(plan.masterPort),
        "SWAV_LAUNCHER=swav"};
    environment.insert(environment.end(), plan.setEnvironment.begin(), plan.setEnvironment.end());
    std::vector<char*> argv;
    for (const auto& a : plan.arguments)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid != 0)
        return pid;
    // Child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // A pause or resume that comes before the worker installs its handlers must not kill it.
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    if (getppid() != parent)
        _exit(127);
    for (auto& variable : environment)
        putenv(variable.data());
    execv("/proc/self/exe", argv.data());
    _exit(127);
}

void signalAll(std::vector<Worker>& workers, int signal) {
    for (auto& w : workers)
        if (w.running)
            kill(w.pid, signal);
}

std::string describeExit(int status, int& code) {
    if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
        return "exited with code " + std::to_string(code);
    }
    if (WIFSIGNALED(status)) {
        code = 128 + WTERMSIG(status);
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    }
    code = 1;
    return "ended";
}

} // namespace

std::string launchConflict(const DistributedSetup& environment, const LaunchPlan& plan) {
    const bool launchOptions = wantsLauncher(plan) || plan.nodeRank != 0 ||
                               !plan.masterAddr.empty() || plan.masterPort != 0;
    if (environment.launcher == "swav" || !launchOptions)
        return {};
    const std::string variables =
        environment.launcher == "slurm" ? "SLURM_PROCID and SLURM_NTASKS" : "RANK and WORLD_SIZE";
    return "the environment makes this process rank " + std::to_string(environment.rank) + " of " +
           std::to_string(environment.worldSize) + " (" + variables +
           " are set: by torchrun or srun, or left over in this shell), and the command line "
           "asks to launch ranks (--nproc-per-node, --nnodes, --node-rank, --master-addr or "
           "--master-port): drop those options when torchrun or srun starts this process, or "
           "unset " +
           variables + " to launch from here";
}

int freeLoopbackPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

Expected<LaunchPlan> resolveLaunchPlan(LaunchPlan plan) {
    if (plan.processesPerNode == 0)
        plan.processesPerNode = 1;
    if (plan.processesPerNode < 1 || plan.processesPerNode > 1024)
        return Error{"--nproc-per-node must be 1 to 1024, got " +
                     std::to_string(plan.processesPerNode)};
    if (plan.nodes < 1)
        return Error{"--nnodes must be at least 1, got " + std::to_string(plan.nodes)};
    if (plan.nodeRank < 0 || plan.nodeRank >= plan.nodes)
        return Error{"--node-rank " + std::to_string(plan.nodeRank) + " is outside 0.." +
                     std::to_string(plan.nodes - 1)};
    if (plan.masterAddr.empty()) {
        if (plan.nodes > 1)
            return Error{"--master-addr: a run over " + std::to_string(plan.nodes) +
                         " hosts needs the address of node 0's host, the same on every host"};
        plan.masterAddr = "127.0.0.1";
    }
    if (plan.masterPort == 0) {
        if (plan.nodes > 1)
            return Error{"--master-port: a run over several hosts needs a port every host agrees "
                         "on (e.g. 29500)"};
        plan.masterPort = freeLoopbackPort();
        if (plan.masterPort == 0)
            return Error{"cannot find a free port on 127.0.0.1; give one with --master-port"};
    }
    if (plan.masterPort < 1 || plan.masterPort > 65535)
        return Error{"--master-port must be 1 to 65535, got " + std::to_string(plan.masterPort)};
    return plan;
}

int launchFromOptions(const LaunchPlan& options) {
    auto plan = resolveLaunchPlan(options);
    if (!plan) {
        std::fprintf(stderr, "%s\n", plan.error().message.c_str());
        return 2;
    }
    std::printf("starting %d processes on this host (%d in all), rendezvous at %s:%d\n",
                plan->processesPerNode, plan->processesPerNode * plan->nodes,
                plan->masterAddr.c_str(), plan->masterPort);
    std::fflush(stdout);
    return launchWorkers(*plan);
}

int launchWorkers(const LaunchPlan& plan) {
    g_forwardedSignals = 0;
    struct sigaction action {};
    action.sa_handler = onLauncherSignal;
    sigemptyset(&action.sa_mask);
    struct sigaction oldInt {
    }, oldTerm{}, oldHangUp{}, oldPause{}, oldResume{};
    sigaction(SIGINT, &action, &oldInt);
    sigaction(SIGTERM, &action, &oldTerm);
    sigaction(SIGHUP, &action, &oldHangUp); // the terminal closed: the workers stop cleanly
    sigaction(SIGUSR1, &action, &oldPause);
    sigaction(SIGUSR2, &action, &oldResume);

    std::vector<Worker> workers(static_cast<size_t>(plan.processesPerNode));
    int firstFailure = 0;
    for (int local = 0; local < plan.processesPerNode; ++local) {
        auto& w = workers[static_cast<size_t>(local)];
        w.rank = plan.nodeRank * plan.processesPerNode + local;
        w.pid = spawn(plan, local);
        if (w.pid < 0) {
            std::fprintf(stderr, "cannot start rank %d: %s\n", w.rank, std::strerror(errno));
            firstFailure = 1;
            break;
        }
        w.running = true;
    }

    int forwarded = 0, pauseForwarded = 0;
    Clock::time_point failedAt{};
    bool terminated = false, killed = false;
    auto anyRunning = [&] {
        for (const auto& w : workers)
            if (w.running)
                return true;
        return false;
    };
    if (firstFailure)
        failedAt = Clock::now();
    while (anyRunning()) {
        // Pass on each Ctrl-C, SIGTERM or SIGHUP once (a hang-up as SIGTERM).
        for (const int seen = g_forwardedSignals.load(); forwarded < seen; ++forwarded)
            signalAll(workers, g_lastSignal.load() == SIGINT ? SIGINT : SIGTERM);
        // Pause (SIGUSR1) and resume (SIGUSR2): the latest one wins.
        if (const int seen = g_pauseSignals.load(); pauseForwarded < seen) {
            signalAll(workers, g_lastPauseSignal.load());
            pauseForwarded = seen;
        }
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (auto& w : workers) {
                if (w.pid != pid || !w.running)
                    continue;
                w.running = false;
                const std::string how = describeExit(status, w.exitCode);
                if (w.exitCode != 0) {
                    std::fprintf(stderr, "rank %d (pid %d) %s\n", w.rank, static_cast<int>(pid),
                                 how.c_str());
                    if (firstFailure == 0) {
                        firstFailure = w.exitCode;
                        failedAt = Clock::now();
                    }
                }
            }
            continue;
        }
        if (firstFailure != 0) {
            const auto since = Clock::now() - failedAt;
            if (!terminated && since > std::chrono::seconds(plan.graceSeconds)) {
                signalAll(workers, SIGTERM);
                signalAll(workers, SIGCONT); // a stopped worker must run to see it
                terminated = true;
            } else if (!killed && since > std::chrono::seconds(plan.graceSeconds + 15)) {
                signalAll(workers, SIGKILL);
                killed = true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    sigaction(SIGHUP, &oldHangUp, nullptr);
    sigaction(SIGUSR1, &oldPause, nullptr);
    sigaction(SIGUSR2, &oldResume, nullptr);
    return firstFailure;
}

} // namespace swav
