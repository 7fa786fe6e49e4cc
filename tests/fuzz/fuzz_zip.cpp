// The zip reader on arbitrary files: index, then read every entry up to a total budget.
#include "FuzzInput.h"

#include "util/Expected.h"
#include "util/ZipArchive.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = swav::fuzz::writeInput("input.zip", data, size);
    try {
        const swav::ZipArchive zip(path);
        uint64_t budget = uint64_t(64) << 20;
        for (const auto& entry : zip.entries()) {
            if (entry.uncompressedSize > budget)
                continue;
            budget -= entry.uncompressedSize;
            std::vector<char> bytes(static_cast<size_t>(entry.uncompressedSize));
            zip.read(entry, bytes.data());
        }
    } catch (const swav::UserError&) {
    }
    return 0;
}
