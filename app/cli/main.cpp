// swav: headless front end of the engine.
#include "cli/Commands.h"

int main(int argc, char** argv) {
    return swav::cli::run(argc, argv);
}
