#pragma once
// torch.save's format before PyTorch 1.6, in which the SwAV release and much published work was
// written: five pickles one after another (a magic number, the format version 1001, the writer's
// byte order and type sizes, the saved object, the list of storage keys), then every storage in
// that order as an 8-byte little-endian element count followed by its bytes. Read with the
// bounds of the zip format (util/TorchFile): the pickles by the bounded reader, every storage
// record checked against what the pickle declares, the file's size and the memory budget before
// anything is allocated.

#include "util/TorchFile.h"

#include <string_view>

namespace swav {

class ReadOnlyFile;

/// Whether `head`, the first bytes of a file, starts torch.save's format before PyTorch 1.6.
bool startsLegacyTorchFile(std::string_view head);

/// Reads the pickle and the storages of a legacy torch.save file; throws UserError naming it.
TorchFileParts readLegacyTorchFile(const ReadOnlyFile& file, const TorchFileLimits& limits);

} // namespace swav
