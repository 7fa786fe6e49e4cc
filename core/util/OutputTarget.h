#pragma once
// Where a command may write a file the user named: nowhere a file already is, unless the user
// said --overwrite. Streams (a device, a FIFO, standard output as "-") are always fine: they are
// written in place, never replaced (util/AtomicFile.h).

#include <string>

namespace swav {

/// The descriptor "-" (1), /dev/stdout (1), /dev/stderr (2), /dev/fd/N or /proc/self/fd/N names:
/// one the process already has open (the shell made `> file` before the program started), always
/// written in place, at its offset. -1 for any other path.
int openDescriptorOf(const std::string& path);

/// Refuses (UserError naming the path) a folder, and an existing file or link unless
/// `overwrite`.
void checkOutputTarget(const std::string& path, bool overwrite);

/// Whether both paths name one existing file (device and inode, links followed).
bool sameFile(const std::string& a, const std::string& b);

} // namespace swav
