#pragma once
// torch.save files from untrusted sources (checkpoints, feature caches, state dicts), in the zip
// format of PyTorch >= 1.6 and LibTorch or in the format before it (util/LegacyTorchFile): the
// container and its pickle are read with explicit bounds (util/ZipArchive, util/Pickle), every
// storage record is checked against what the pickle declares and the memory budget, and only then
// are tensors allocated and filled. LibTorch's own unpickler is not used: it is not safe on crafted
// input. CPU tensors; any thread.

#include "util/Pickle.h"

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace swav {

struct TorchFileLimits {
    uint64_t maxPickleBytes = 32ull << 20; // the data.pkl record
    uint64_t maxTensorBytes = 0;           // all storages together; 0 = loadBudgetBytes()
    pickle::PickleLimits pickle;
};

/// The pickled value tree with every tensor built. Tensor values index `tensors`.
struct TorchFile {
    pickle::ValuePtr root;
    std::vector<at::Tensor> tensors;

    /// The tensor of a Tensor value.
    const at::Tensor& tensor(const pickle::Value& value) const;
};

/// The pickle of a torch.save file and its storages (flat, by the document's storage index),
/// before the tensors that view them are built.
struct TorchFileParts {
    pickle::Document document;
    std::vector<at::Tensor> storages;
};

/// A storage's element type by the pickle's dtype name ("float32", "int64", ...).
at::ScalarType storageScalarType(const std::string& dtype);

/// Throws UserError naming `path` when storages of `bytes` exceed the limits' memory budget.
void checkTensorBudget(const std::string& path, uint64_t bytes, const TorchFileLimits& limits);

/// Reads a torch.save file: the zip archive of PyTorch >= 1.6 and LibTorch's pickle_save, or
/// the format before PyTorch 1.6. Throws UserError naming `path` and what is wrong (neither
/// format, damaged record, CRC mismatch, unsupported Python object, tensor outside its storage,
/// more memory than allowed, ...).
TorchFile readTorchFile(const std::string& path, const TorchFileLimits& limits = {});

/// The string-keyed tensors of a Dict value (other entries skipped; a later duplicate wins).
std::map<std::string, at::Tensor> tensorsOf(const TorchFile& file, const pickle::Value& dict);

} // namespace swav
