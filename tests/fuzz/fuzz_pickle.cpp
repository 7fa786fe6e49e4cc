// The bounded pickle reader on arbitrary bytes: errors are fine, crashes, hangs and leaks not.
#include "util/Pickle.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        swav::pickle::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const swav::pickle::PickleError&) {
    }
    return 0;
}
