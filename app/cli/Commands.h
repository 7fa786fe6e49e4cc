#pragma once

namespace swav::cli {

/// Exit codes of the `swav` program.
enum ExitCode : int { ExitOk = 0, ExitRunFailed = 1, ExitBadUsage = 2 };

/// Parses the command line and runs the chosen sub-command.
int run(int argc, char** argv);

} // namespace swav::cli
