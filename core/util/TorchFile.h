#pragma once
// torch.save archives from untrusted sources (checkpoints, feature caches, state dicts): the
// zip and its pickle are read with explicit bounds (util/ZipArchive, util/Pickle), every storage
// record is checked against what the pickle declares and the memory budget, and only then are
// tensors allocated and filled. LibTorch's own unpickler is not used: it is not safe on crafted
// input. CPU tensors; any thread.

#include "util/Pickle.h"

#include <ATen/Tensor.h>

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

/// Reads a torch.save zip archive (PyTorch >= 1.6, or LibTorch's pickle_save). Throws UserError
/// naming `path` and what is wrong (not a zip, damaged record, CRC mismatch, unsupported Python
/// object, tensor outside its storage, more memory than allowed, ...).
TorchFile readTorchFile(const std::string& path, const TorchFileLimits& limits = {});

/// The string-keyed tensors of a Dict value (other entries skipped; a later duplicate wins).
std::map<std::string, at::Tensor> tensorsOf(const TorchFile& file, const pickle::Value& dict);

} // namespace swav
