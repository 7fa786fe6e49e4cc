#include "util/Pickle.h"

#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

namespace swav::pickle {

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr size_t kMaxNameBytes = 1024; // module and name of a Python class

struct StorageType {
    const char* dtype;
    size_t elementSize;
};

// Storage classes name a tensor's dtype inside persistent ids (also in PyTorch 2.x files).
const std::map<std::string, StorageType, std::less<>>& storageTypes() {
    static const std::map<std::string, StorageType, std::less<>> types{
        {"torch.FloatStorage", {"float32", 4}},
        {"torch.DoubleStorage", {"float64", 8}},
        {"torch.HalfStorage", {"float16", 2}},
        {"torch.BFloat16Storage", {"bfloat16", 2}},
        {"torch.LongStorage", {"int64", 8}},
        {"torch.IntStorage", {"int32", 4}},
        {"torch.ShortStorage", {"int16", 2}},
        {"torch.CharStorage", {"int8", 1}},
        {"torch.ByteStorage", {"uint8", 1}},
        {"torch.BoolStorage", {"bool", 1}},
        {"torch.ComplexFloatStorage", {"complex64", 8}},
        {"torch.ComplexDoubleStorage", {"complex128", 16}}};
    return types;
}

class Machine {
public:
    Machine(std::string_view bytes, const PickleLimits& limits)
        : m_bytes(bytes)
        , m_limits(limits) {}

    Document run(size_t* end) {
        while (true) {
            const uint8_t op = static_cast<uint8_t>(readBytes(1)[0]);
            if (op == '.') // STOP
                break;
            step(op);
        }
        if (m_stack.size() != 1 || !m_marks.empty())
            fail("malformed pickle (" + std::to_string(m_stack.size()) +
                 " values left on the stack at STOP)");
        if (m_stack.back()->kind == Kind::Global)
            fail("unsupported pickle (the result is the Python object " + m_stack.back()->text +
                 ")");
        m_document.root = std::move(m_stack.back());
        if (end)
            *end = m_pos;
        return std::move(m_document);
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw PickleError(what + " at byte " + std::to_string(m_pos));
    }

    // ---- reading the byte stream
    std::string_view readBytes(uint64_t n) {
        if (n > m_bytes.size() - m_pos)
            fail("truncated pickle");
        const auto view = m_bytes.substr(m_pos, static_cast<size_t>(n));
        m_pos += static_cast<size_t>(n);
        return view;
    }
    uint64_t readUint(size_t n) {
        const auto bytes = readBytes(n);
        uint64_t value = 0;
        for (size_t i = 0; i < n; ++i)
            value |= uint64_t(static_cast<uint8_t>(bytes[i])) << (8 * i);
        return value;
    }
    // LONG1 / LONG4: little-endian two's complement of n bytes.
    int64_t readLong(uint64_t n) {
        if (n > 8)
            fail("unsupported pickle (integer wider than 64 bits)");
        uint64_t value = readUint(static_cast<size_t>(n));
        if (n > 0 && n < 8 && ((value >> (8 * n - 1)) & 1))
            value |= ~uint64_t(0) << (8 * n);
        return static_cast<int64_t>(value);
    }
    std::string_view readLine() {
        const size_t end = m_bytes.find('\n', m_pos);
        if (end == std::string_view::npos)
            fail("truncated pickle");
        const auto line = m_bytes.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        return line;
    }

    // ---- values and budgets
    ValuePtr make(Kind kind) {
        if (++m_values > m_limits.maxValues)
            fail("pickle too large (more than " + std::to_string(m_limits.maxValues) + " values)");
        auto value = std::make_shared<Value>();
        value->kind = kind;
        return value;
    }
    void spendReference() {
        if (++m_references > m_limits.maxReferences)
            fail("pickle too large (more than " + std::to_string(m_limits.maxReferences) +
                 " references)");
    }
    void push(ValuePtr value) {
        spendReference();
        m_stack.push_back(std::move(value));
    }
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    ValuePtr pop() {
        if (m_stack.size() <= floor())
            fail("malformed pickle (stack underflow)");
        ValuePtr top = std::move(m_stack.back());
        m_stack.pop_back();
        return top;
    }
    const ValuePtr& top() const {
        if (m_stack.size() <= floor())
            fail("malformed pickle (empty stack)");
        return m_stack.back();
    }
    std::vector<ValuePtr> popToMark() {
        if (m_marks.empty())
            fail("malformed pickle (no MARK)");
        const size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<ValuePtr> items(std::make_move_iterator(m_stack.begin() + mark),
                                    std::make_move_iterator(m_stack.end()));
        m_stack.resize(mark);
        return items;
    }
    std::vector<ValuePtr> popN(size_t n) {
        std::vector<ValuePtr> items(n);
        for (auto it = items.rbegin(); it != items.rend(); ++it)
            *it = pop();
        return items;
    }

    // Adding sealed items keeps the tree acyclic and its depth exact.
    void addItem(Value& container, ValuePtr item) {
        // A class name is inert inside a tuple (storage classes in persistent ids) but is not
        // data anywhere else.
        if (item->kind == Kind::Global && container.kind != Kind::Tuple)
            fail("unsupported pickle (the Python object " + item->text + " used as a value)");
        if (item.get() == &container)
            fail("unsupported pickle (a container holding itself)");
        item->sealed = true;
        container.depth = std::max(container.depth, item->depth + 1);
        if (container.depth > m_limits.maxDepth)
            fail("pickle nested deeper than " + std::to_string(m_limits.maxDepth) + " levels");
        spendReference();
        container.items.push_back(std::move(item));
    }
    ValuePtr container(Kind kind, std::vector<ValuePtr> items) {
        auto value = make(kind);
        for (auto& item : items)
            addItem(*value, std::move(item));
        return value;
    }
    void extend(Kind kind, std::vector<ValuePtr> items) {
        const ValuePtr& target = top();
        if (target->kind != kind)
            fail(kind == Kind::Dict ? "unsupported pickle (items set on a non-dict)"
                                    : "unsupported pickle (items appended to a non-list)");
        if (target->sealed)
            fail("unsupported pickle (a container changed after it was used)");
        if (kind == Kind::Dict && items.size() % 2)
            fail("malformed pickle (odd number of dict items)");
        for (auto& item : items)
            addItem(*target, std::move(item));
    }

    void memoize(uint64_t slot) {
        spendReference();
        m_memo[slot] = top();
    }
    void recall(uint64_t slot) {
        const auto it = m_memo.find(slot);
        if (it == m_memo.end())
            fail("malformed pickle (unknown memo entry " + std::to_string(slot) + ")");
        push(it->second);
    }

    void pushScalar(Kind kind, int64_t integer, double real = 0) {
        auto value = make(kind);
        value->integer = integer;
        value->boolean = integer != 0;
        value->real = real;
        push(std::move(value));
    }
    void pushText(Kind kind, std::string_view text) {
        // Text read from the input costs its own bytes; names joined by STACK_GLOBAL from
        // memoised strings could repeat them without end: every byte made counts.
        m_textBytes += text.size();
        if (m_textBytes > textBudget())
            fail("pickle too large (it makes more than " + std::to_string(textBudget()) +
                 " bytes of text from " + std::to_string(m_bytes.size()) + ")");
        auto value = make(kind);
        value->text.assign(text.data(), text.size());
        push(std::move(value));
    }

    void step(uint8_t op) {
        if (!stepStackOrNumber(op) && !stepTextOrContainer(op) && !stepMemoOrObject(op))
            fail("unsupported pickle opcode 0x" + hex(op));
    }

    /// Protocol, framing, the stack and marks, None, booleans, integers and floats.
    bool stepStackOrNumber(uint8_t op) {
        switch (op) {
        case 0x80: // PROTO
            if (readUint(1) > 5)
                fail("unsupported pickle protocol");
            break;
        case 0x95: // FRAME: framing only, the bytes follow inline
            readUint(8);
            break;
        case '(': // MARK
            spendReference();
            m_marks.push_back(m_stack.size());
            break;
        case '0': // POP
            pop();
            break;
        case '1': // POP_MARK
            popToMark();
            break;
        case '2': // DUP
            push(top());
            break;
        case 'N':
            pushScalar(Kind::None, 0);
            break;
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
            pushScalar(Kind::Bool, op == 0x88);
            break;
        case 'K': // BININT1
            pushScalar(Kind::Int, static_cast<int64_t>(readUint(1)));
            break;
        case 'M': // BININT2
            pushScalar(Kind::Int, static_cast<int64_t>(readUint(2)));
            break;
        case 'J': // BININT
            pushScalar(Kind::Int, int32_t(uint32_t(readUint(4))));
            break;
        case 0x8a: // LONG1
            pushScalar(Kind::Int, readLong(readUint(1)));
            break;
        case 0x8b: // LONG4
            pushScalar(Kind::Int, readLong(readUint(4)));
            break;
        case 'G': { // BINFLOAT: big-endian double
            const auto bytes = readBytes(8);
            uint64_t bits = 0;
            for (const char byte : bytes)
                bits = (bits << 8) | static_cast<uint8_t>(byte);
            double value;
            std::memcpy(&value, &bits, sizeof value);
            pushScalar(Kind::Float, 0, value);
            break;
        }
        default:
            return false;
        }
        return true;
    }

    /// Strings and bytes, tuples, lists and dicts.
    bool stepTextOrContainer(uint8_t op) {
        switch (op) {
        case 'X': // BINUNICODE
        case 'T': // BINSTRING
        case 'B': // BINBYTES
            pushText(Kind::String, readBytes(readUint(4)));
            break;
        case 0x8c: // SHORT_BINUNICODE
        case 'U':  // SHORT_BINSTRING
        case 'C':  // SHORT_BINBYTES
            pushText(Kind::String, readBytes(readUint(1)));
            break;
        case 0x8d: // BINUNICODE8
        case 0x8e: // BINBYTES8
            pushText(Kind::String, readBytes(readUint(8)));
            break;
        case ')': // EMPTY_TUPLE
            push(make(Kind::Tuple));
            break;
        case 't': // TUPLE
            push(container(Kind::Tuple, popToMark()));
            break;
        case 0x85: // TUPLE1..3
        case 0x86:
        case 0x87:
            push(container(Kind::Tuple, popN(op - 0x85 + 1)));
            break;
        case ']': // EMPTY_LIST
            push(make(Kind::List));
            break;
        case 'l': // LIST
            push(container(Kind::List, popToMark()));
            break;
        case 'a': // APPEND
            extend(Kind::List, popN(1));
            break;
        case 'e': // APPENDS
            extend(Kind::List, popToMark());
            break;
        case '}': // EMPTY_DICT
            push(make(Kind::Dict));
            break;
        case 'd': { // DICT
            auto items = popToMark();
            if (items.size() % 2)
                fail("malformed pickle (odd number of dict items)");
            push(container(Kind::Dict, std::move(items)));
            break;
        }
        case 's': // SETITEM
            extend(Kind::Dict, popN(2));
            break;
        case 'u': // SETITEMS
            extend(Kind::Dict, popToMark());
            break;
        default:
            return false;
        }
        return true;
    }

    /// The memo, globals, calls, object state and storages.
    bool stepMemoOrObject(uint8_t op) {
        switch (op) {
        case 'q': // BINPUT
            memoize(readUint(1));
            break;
        case 'r': // LONG_BINPUT
            memoize(readUint(4));
            break;
        case 0x94: // MEMOIZE
            memoize(m_memo.size());
            break;
        case 'h': // BINGET
            recall(readUint(1));
            break;
        case 'j': // LONG_BINGET
            recall(readUint(4));
            break;
        case 'c': { // GLOBAL
            const auto module = readLine();
            const auto name = readLine();
            if (module.size() + name.size() > kMaxNameBytes)
                fail("unsupported pickle (a Python name of " +
                     std::to_string(module.size() + name.size()) + " bytes)");
            pushText(Kind::Global, std::string(module) + "." + std::string(name));
            break;
        }
        case 0x93: { // STACK_GLOBAL
            const auto parts = popN(2);
            if (!parts[0]->isString() || !parts[1]->isString())
                fail("malformed pickle (STACK_GLOBAL)");
            if (parts[0]->text.size() + parts[1]->text.size() > kMaxNameBytes)
                fail("unsupported pickle (a Python name of " +
                     std::to_string(parts[0]->text.size() + parts[1]->text.size()) + " bytes)");
            pushText(Kind::Global, parts[0]->text + "." + parts[1]->text);
            break;
        }
        case 'R': { // REDUCE
            auto args = pop();
            auto callable = pop();
            if (callable->kind != Kind::Global || args->kind != Kind::Tuple)
                fail("malformed pickle (REDUCE needs a Python callable and an argument tuple)");
            push(call(callable->text, args->items));
            break;
        }
        case 'b': { // BUILD: object state (an OrderedDict's _metadata) is not needed
            pop();
            top();
            break;
        }
        case 'Q': // BINPERSID
            push(storage(*pop()));
            break;
        default:
            return false;
        }
        return true;
    }

    static std::string hex(uint8_t byte) {
        const char* digits = "0123456789abcdef";
        return {digits[byte >> 4], digits[byte & 15]};
    }

    ValuePtr call(const std::string& function, const std::vector<ValuePtr>& args) {
        if (function == "collections.OrderedDict")
            return orderedDict(args);
        if (function == "torch._utils._rebuild_tensor_v2")
            return tensor(args);
        if ((function == "torch._utils._rebuild_parameter" ||
             function == "torch._utils._rebuild_parameter_with_state" ||
             function == "torch.jit._pickle.restore_type_tag") &&
            !args.empty() && args[0]->kind != Kind::Global)
            return args[0];
        fail("unsupported Python object '" + function +
             "' (only containers, numbers, strings and tensors are read)");
    }

    ValuePtr orderedDict(const std::vector<ValuePtr>& args) {
        auto dict = make(Kind::Dict);
        if (args.empty())
            return dict;
        if (args.size() != 1 || (args[0]->kind != Kind::List && args[0]->kind != Kind::Tuple))
            fail("malformed pickle (OrderedDict arguments)");
        for (const auto& pair : args[0]->items) {
            if (pair->kind != Kind::Tuple || pair->items.size() != 2)
                fail("malformed pickle (OrderedDict item is not a pair)");
            addItem(*dict, pair->items[0]);
            addItem(*dict, pair->items[1]);
        }
        return dict;
    }

    int64_t intArg(const Value& value, const char* what) const {
        if (value.kind != Kind::Int)
            fail(std::string("malformed tensor (") + what + " is not an integer)");
        return value.integer;
    }

    // ('storage', torch.FloatStorage, key, location, numel)
    ValuePtr storage(const Value& id) {
        const auto& parts = id.items;
        if (id.kind != Kind::Tuple || parts.size() < 5 || !parts[0]->isString() ||
            parts[0]->text != "storage" || parts[1]->kind != Kind::Global || !parts[2]->isString())
            fail("malformed pickle (persistent id is not a storage)");
        const auto type = storageTypes().find(parts[1]->text);
        if (type == storageTypes().end())
            fail("unsupported storage type " + parts[1]->text);
        const int64_t numel = intArg(*parts[4], "the storage size");
        const auto elementSize = static_cast<int64_t>(type->second.elementSize);
        if (numel < 0 || numel > kInt64Max / elementSize)
            fail("malformed storage (size " + std::to_string(numel) + ")");
        const std::string& key = parts[2]->text;
        auto value = make(Kind::Storage);
        const auto known = m_storageIndex.find(key);
        if (known != m_storageIndex.end()) {
            const auto& seen = m_document.storages[known->second];
            if (seen.numel != numel || seen.dtype != type->second.dtype)
                fail("malformed pickle (storage " + key + " declared twice differently)");
            value->integer = static_cast<int64_t>(known->second);
            return value;
        }
        m_storageIndex[key] = m_document.storages.size();
        value->integer = static_cast<int64_t>(m_document.storages.size());
        m_document.storages.push_back({key, type->second.dtype, numel, type->second.elementSize});
        return value;
    }

    std::vector<int64_t> intTuple(const Value& value, const char* what) const {
        if (value.kind != Kind::Tuple)
            fail(std::string("malformed tensor (") + what + " is not a tuple)");
        if (value.items.size() > m_limits.maxDims)
            fail("malformed tensor (more than " + std::to_string(m_limits.maxDims) +
                 " dimensions)");
        std::vector<int64_t> out;
        for (const auto& item : value.items)
            out.push_back(intArg(*item, what));
        return out;
    }

    // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
    ValuePtr tensor(const std::vector<ValuePtr>& args) {
        if (args.size() < 4 || args[0]->kind != Kind::Storage)
            fail("malformed tensor (expected a storage, offset, size and stride)");
        TensorRef ref;
        ref.storage = args[0]->integer;
        ref.offset = intArg(*args[1], "the storage offset");
        ref.sizes = intTuple(*args[2], "the size");
        ref.strides = intTuple(*args[3], "the stride");
        checkGeometry(ref, m_document.storages[static_cast<size_t>(ref.storage)]);
        auto value = make(Kind::Tensor);
        value->integer = static_cast<int64_t>(m_document.tensors.size());
        m_document.tensors.push_back(std::move(ref));
        return value;
    }

    // Every element the view can address must lie inside the storage.
    void checkGeometry(const TensorRef& ref, const StorageRef& storage) const {
        if (ref.sizes.size() != ref.strides.size())
            fail("malformed tensor (size and stride differ in length)");
        if (ref.offset < 0 || ref.offset > storage.numel)
            fail("malformed tensor (storage offset " + std::to_string(ref.offset) +
                 " outside a storage of " + std::to_string(storage.numel) + " elements)");
        bool empty = false;
        int64_t numel = 1;
        for (size_t d = 0; d < ref.sizes.size(); ++d) {
            if (ref.sizes[d] < 0 || ref.strides[d] < 0)
                fail("malformed tensor (negative size or stride)");
            empty = empty || ref.sizes[d] == 0;
            if (ref.sizes[d] > 0 && numel > kInt64Max / ref.sizes[d])
                fail("malformed tensor (element count overflows)");
            numel *= std::max<int64_t>(ref.sizes[d], 1);
        }
        if (empty)
            return;
        int64_t last = ref.offset; // index of the farthest element
        for (size_t d = 0; d < ref.sizes.size(); ++d) {
            const int64_t extent = ref.sizes[d] - 1;
            if (extent > 0 && ref.strides[d] > (kInt64Max - last) / extent)
                fail("malformed tensor (stride " + std::to_string(ref.strides[d]) +
                     " reaches past its storage)");
            last += extent * ref.strides[d];
        }
        if (last >= storage.numel)
            fail("malformed tensor (shape needs element " + std::to_string(last) +
                 " of a storage of " + std::to_string(storage.numel) + ")");
    }

    std::string_view m_bytes;
    const PickleLimits& m_limits;
    size_t m_pos = 0;
    size_t m_values = 0, m_references = 0;
    size_t m_textBytes = 0;
    /// Twice the input and 64 KiB: every string of a pickle is read from it once, and the names
    /// of the few classes a torch.save file names are short.
    size_t textBudget() const { return 2 * m_bytes.size() + (size_t(64) << 10); }
    std::vector<ValuePtr> m_stack;
    std::vector<size_t> m_marks; // stack sizes at each MARK
    std::unordered_map<uint64_t, ValuePtr> m_memo;
    std::unordered_map<std::string, size_t> m_storageIndex;
    Document m_document;
};

} // namespace

const Value* Value::find(std::string_view key) const {
    if (kind != Kind::Dict)
        return nullptr;
    const Value* found = nullptr;
    for (size_t i = 0; i + 1 < items.size(); i += 2)
        if (items[i]->isString() && items[i]->text == key)
            found = items[i + 1].get();
    return found;
}

Document parse(std::string_view bytes, const PickleLimits& limits, size_t* end) {
    return Machine(bytes, limits).run(end);
}

} // namespace swav::pickle
