#pragma once
// `swav runs ...`: browse and manage the runs recorded in the run database.

#include <string>

namespace CLI {
class App;
}

namespace swav::cli {

struct RunsOptions {
    std::string database; // "" = the default database
    std::string status;   // list filter
    std::string tag;      // list filter; tag to add or remove
    std::string csvFile;  // export target
    long long id = 0;
    long long otherId = 0;
    std::string text; // note
    bool removeTag = false;
    bool yes = false;       // rm without asking
    bool overwrite = false; // replace an existing --csv file
};

/// Adds the `runs` sub-command tree to `app`; returns the `runs` command.
CLI::App* addRunsCommand(CLI::App& app, RunsOptions& options);

/// Runs whichever `runs` sub-command was parsed; returns the exit code.
int runRuns(CLI::App& runsCommand, const RunsOptions& options);

} // namespace swav::cli
