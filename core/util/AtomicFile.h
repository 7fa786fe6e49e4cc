#pragma once
// Files that appear whole or not at all: written to "<path>.tmp", synced to disk, renamed into
// place and the folder synced, so a crash, a power cut or a full disk never leaves a
// half-written checkpoint, export or table behind.

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

namespace swav {

/// Creates the parent folder, lets `write` fill the stream, fsyncs the temporary file, renames
/// it and fsyncs the folder. On failure the temporary file is removed and a UserError says
/// "<path>: cannot write the <what> ...".
void writeFileAtomically(const std::string& path, const std::string& what,
                         const std::function<void(std::ostream&)>& write);

void writeFileAtomically(const std::string& path, const std::string& what, const char* data,
                         size_t size);

} // namespace swav
