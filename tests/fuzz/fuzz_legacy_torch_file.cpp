// The reader of torch.save's format before PyTorch 1.6 (the SwAV release's format): the input
// follows a valid header (magic number, version, system information), so the fuzzer explores the
// saved object's pickle, the list of storage keys and the storage records behind them.
#include "FuzzInput.h"

#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "util/Expected.h"
#include "util/TorchFile.h"

#include "../support/CraftedFiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = swav::fuzz::scratchDir() + "/legacy.pt";
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        << swav::test::legacyTorchHeader()
        << std::string(reinterpret_cast<const char*>(data), size);
    try {
        swav::readTorchFile(path);
    } catch (const swav::UserError&) {
    }
    try {
        swav::loadStateDict(path);
    } catch (const swav::UserError&) {
    }
    try {
        swav::loadCheckpoint(path);
    } catch (const swav::UserError&) {
    }
    return 0;
}
