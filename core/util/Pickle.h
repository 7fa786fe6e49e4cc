#pragma once
// A bounded pickle reader for the data.pkl of torch.save archives from untrusted sources. It
// runs no Python: it knows containers, numbers, strings, OrderedDict, storages (persistent ids)
// and tensors (torch._utils._rebuild_tensor_v2 and _rebuild_parameter); anything else is an
// error. Stack, memo, nesting depth, value count and tensor geometry are checked as it reads, so
// a crafted file yields an error, never a crash, a hang or a huge allocation. Iterative; the value
// tree it returns is at most `maxDepth` deep and acyclic. No torch dependency; any thread.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace swav::pickle {

/// A malformed or unsupported pickle; the message says what was found.
class PickleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct PickleLimits {
    int maxDepth = 100;               // container nesting
    size_t maxValues = 1'000'000;     // values created
    size_t maxReferences = 4'000'000; // container items, memo entries and stack slots together
    size_t maxDims = 64;              // tensor dimensions
};

enum class Kind : uint8_t {
    None,
    Bool,
    Int,
    Float,
    String,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor
};

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0; // Int; Storage and Tensor: index into Document's tables
    double real = 0;
    std::string text;            // String (or bytes), Global's "module.name"
    std::vector<ValuePtr> items; // Tuple, List; Dict as key, value, key, value, ...
    int depth = 0;               // 0 for scalars, 1 + the deepest item for containers
    bool sealed = false;         // inside another container: no longer changes

    bool isString() const { return kind == Kind::String; }
    /// The value under a string key of a Dict (a later duplicate wins), or nullptr.
    const Value* find(std::string_view key) const;
};

/// A storage named by a persistent id: ('storage', torch.FloatStorage, key, location, numel).
struct StorageRef {
    std::string key;   // record "data/<key>" of the archive
    std::string dtype; // "float32", "int64", ... (see elementSize)
    int64_t numel = 0; // elements of dtype
    size_t elementSize = 0;
};

/// A tensor view of a storage, already checked to lie inside it.
struct TensorRef {
    int64_t storage = 0; // index into Document::storages
    int64_t offset = 0;  // in elements
    std::vector<int64_t> sizes, strides;
};

struct Document {
    ValuePtr root;
    std::vector<StorageRef> storages;
    std::vector<TensorRef> tensors;
};

/// Parses pickle protocols 2 to 5 (the opcodes torch.save and LibTorch's pickler write). Reading
/// stops at the first STOP; when `end` is given it receives the offset just past it (torch.save's
/// format before PyTorch 1.6 writes several pickles one after another).
Document parse(std::string_view bytes, const PickleLimits& limits = {}, size_t* end = nullptr);

} // namespace swav::pickle
