#pragma once
// Files that appear whole or not at all: written to a new temporary file of this process beside
// the target (created exclusively, never following a link, so no file or link of anyone else is
// written through), synced to disk, renamed into place and the folder synced, so a crash, a power
// cut or a full disk never leaves a half-written checkpoint, export or table behind. A target
// that is a device, FIFO or terminal (/dev/stdout, a pipe), or "-" for standard output, is written
// as it is, never replaced.

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

namespace swav {

/// Creates the parent folder, lets `write` fill the stream, fsyncs the temporary file, renames
/// it and fsyncs the folder. On failure (or when `write` throws) the temporary file is removed
/// and a UserError says "<path>: cannot write the <what>: <reason>".
void writeFileAtomically(const std::string& path, const std::string& what,
                         const std::function<void(std::ostream&)>& write);

void writeFileAtomically(const std::string& path, const std::string& what, const char* data,
                         size_t size);

/// The file name a temporary of writeFileAtomically was made for (".x.pt.0123abcd4567.tmp" ->
/// "x.pt"), or "" when `fileName` is not one: the leftovers of a write cut short.
std::string atomicTargetOf(const std::string& fileName);

} // namespace swav
