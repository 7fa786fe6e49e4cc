#pragma once
// Who is writing a run: host, pid and the process start time. A run marked running whose
// process is gone (or whose pid now belongs to another process) was interrupted.

#include <cstdint>
#include <string>

namespace swav::store {

struct ProcessIdentity {
    std::string host;
    int64_t pid = 0;
    int64_t startTicks = 0; // /proc/<pid>/stat start time; tells a reused pid apart
};

ProcessIdentity currentProcess();

/// True when that process still runs on this host. Only meaningful for identity.host == this
/// host; for other hosts the caller falls back to the heartbeat.
bool processAlive(const ProcessIdentity& identity);

/// Seconds since the Unix epoch, as stored in the database.
double unixNow();

} // namespace swav::store
