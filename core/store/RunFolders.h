#pragma once
// Run folders are owned: every run writes into a folder of its own, created for it and never
// given to another run, and deleting the run removes only what it wrote there (RunStore
// records each file). Thread: any.

#include "util/Expected.h"

#include <string>
#include <vector>

namespace swav::store {

/// One spelling per file (absolute, symbolic links resolved), as the store records files.
std::string storedPath(const std::string& path);

/// A run name made safe as one folder name: separators and control characters become '-',
/// no "..", no leading dot or dash, at most 64 bytes (cut between UTF-8 characters); "run"
/// when nothing is left. "/abs/path" gives "abs-path", "../.." gives "run".
std::string runFolderName(const std::string& name);

/// A folder taken for one new run.
struct ClaimedFolder {
    std::string path;                 // absolute, symbolic links resolved
    std::vector<std::string> created; // folders made for the run, outermost first
};

/// Creates "<runsRoot>/<runFolderName(name)>-<local time>" with its checkpoints/ folder. When
/// that name is taken (a run started in the same second) "-2", "-3", ... is added: each try
/// is a mkdir that fails when the folder exists, so two processes never get the same folder.
/// The error names the folder when it cannot be created.
Expected<ClaimedFolder> createRunFolder(const std::string& runsRoot, const std::string& name);

/// Takes a folder the user named for a new run: created (with missing parents) when absent,
/// accepted when empty, refused with an error naming what it holds otherwise. Its
/// checkpoints/ folder is made with a mkdir that fails when it exists, so of two runs given
/// the same empty folder at once one is refused.
Expected<ClaimedFolder> claimRunFolder(const std::string& folder);

/// Removes the claimed folders again where they are still empty: for a run that never started.
void releaseRunFolder(const ClaimedFolder& folder);

/// "config.json" or "config.json, notes.txt and 3 more": up to `shown` names of what a folder
/// holds, for messages.
std::string folderContents(const std::string& folder, size_t shown);

} // namespace swav::store
