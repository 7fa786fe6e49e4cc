// swav: headless front end of the engine.
#include "cli/Commands.h"
#include "util/ErrorText.h"

#include <iostream>

int main(int argc, char** argv) {
    try {
        return swav::cli::run(argc, argv);
    } catch (const std::exception& e) {
        // Last resort: one line, never LibTorch's backtrace or std::terminate's abort.
        std::cerr << "error: " << swav::describeException(e) << "\n";
        return swav::cli::ExitRunFailed;
    }
}
