// The checkpoint, state-dict and feature-cache readers: the input is the data.pkl of an
// otherwise valid torch.save archive whose storages "0".."3" hold 0, 4, 24 and 64 bytes, so the
// fuzzer explores the pickle and the tensors rather than the zip checksums.
#include "FuzzInput.h"

#include "eval/Features.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "util/Expected.h"

#include "../support/CraftedFiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = swav::fuzz::scratchDir() + "/checkpoint.pt";
    swav::test::writeTorchArchive(path, std::string(reinterpret_cast<const char*>(data), size),
                                  {{"0", ""},
                                   {"1", std::string(4, '\1')},
                                   {"2", std::string(24, '\2')},
                                   {"3", std::string(64, '\3')}});
    try {
        swav::loadCheckpoint(path);
    } catch (const swav::UserError&) {
    }
    try {
        swav::loadStateDict(path);
    } catch (const swav::UserError&) {
    }
    swav::FeatureSet features;
    swav::loadCachedFeatures(path, "key", {2, 3, at::Tensor()}, features);
    return 0;
}
