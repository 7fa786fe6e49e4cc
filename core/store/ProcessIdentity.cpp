#include "store/ProcessIdentity.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace swav::store {

namespace {

struct ProcStat {
    bool exists = false;
    bool zombie = false;    // exited, not yet reaped by its parent: no longer writing
    int64_t startTicks = 0; // field 22: start time in clock ticks since boot
};

ProcStat readProcStat(int64_t pid) {
    ProcStat result;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return result;
    result.exists = true;
    // The command name (field 2) may contain spaces and parentheses: skip past its last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size())
        return result;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 3)
            result.zombie = field == "Z" || field == "X";
        if (index == 22)
            result.startTicks = std::stoll(field);
    }
    return result;
}

} // namespace

ProcessIdentity currentProcess() {
    ProcessIdentity self;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0)
        self.host = host;
    self.pid = getpid();
    self.startTicks = readProcStat(self.pid).startTicks;
    return self;
}

bool processAlive(const ProcessIdentity& identity) {
    if (identity.pid <= 0)
        return false;
    if (kill(pid_t(identity.pid), 0) != 0 && errno != EPERM)
        return false;
    const ProcStat stat = readProcStat(identity.pid);
    if (!stat.exists)
        return true; // no /proc to ask: trust kill()
    if (stat.zombie)
        return false;
    // The pid exists; it is the same process only if it started at the same time.
    return identity.startTicks == 0 || stat.startTicks == identity.startTicks;
}

double unixNow() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace swav::store
