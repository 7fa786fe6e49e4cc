// The binary dataset readers on arbitrary files: IDX images and labels, a CIFAR-10 test batch,
// STL-10 test images. The first byte picks the reader; errors are fine, crashes are not.
#include "FuzzInput.h"

#include "data/Dataset.h"
#include "util/Expected.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    const uint8_t choice = data[0] % 4;
    ++data, --size;
    const std::string& dir = swav::fuzz::scratchDir();
    try {
        switch (choice) {
        case 0:
            swav::readIdxImages(swav::fuzz::writeInput("images.idx", data, size));
            break;
        case 1:
            swav::readIdxLabels(swav::fuzz::writeInput("labels.idx", data, size));
            break;
        case 2:
            swav::fuzz::writeInput("cifar/test_batch.bin", data, size);
            swav::readCifar(dir + "/cifar", false, false);
            break;
        default:
            swav::fuzz::writeInput("stl/stl10_binary/test_X.bin", data, size);
            swav::fuzz::writeInput("stl/stl10_binary/test_y.bin", data, size / 27648);
            swav::readStl10(dir + "/stl", "test");
            break;
        }
    } catch (const swav::UserError&) {
    }
    return 0;
}
