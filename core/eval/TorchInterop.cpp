#include "eval/TorchInterop.h"

#include "model/ModelState.h"
#include "util/AtomicFile.h"
#include "util/Expected.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace swav {

namespace fs = std::filesystem;

namespace {

std::string shapeText(const at::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

bool startsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

std::string listKeys(const std::vector<std::string>& keys) {
    constexpr size_t kShown = 8;
    std::string out;
    for (size_t i = 0; i < keys.size() && i < kShown; ++i)
        out += (i ? ", '" : "'") + keys[i] + "'";
    if (keys.size() > kShown)
        out += " and " + std::to_string(keys.size() - kShown) + " more";
    return out;
}

// Reads the data.pkl of a torch.save zip archive. LibTorch's own unpickler cannot read a Python
// state dict: it turns collections.OrderedDict into None (it expects one only as a tensor's unused
// backward hooks), cannot apply BUILD (the `_metadata` attribute) to a dict, and 1.13 lacks
// SETITEM (one-item dicts). This one knows just what state dicts contain: containers, scalars,
// strings, OrderedDict and tensors (torch._utils._rebuild_tensor_v2 / _rebuild_parameter); BUILD
// state is dropped. Pickle protocols 2 (torch.save's default) to 4, little-endian data.
class StateDictUnpickler {
public:
    explicit StateDictUnpickler(caffe2::serialize::PyTorchStreamReader& archive)
        : m_archive(archive) {}

    c10::IValue parse() {
        at::DataPtr data;
        size_t size = 0;
        std::tie(data, size) = m_archive.getRecord("data.pkl");
        m_data = static_cast<const char*>(data.get());
        m_size = size;
        m_pos = 0;
        while (true) {
            need(1);
            const uint8_t op = static_cast<uint8_t>(m_data[m_pos++]);
            if (op == '.') // STOP
                break;
            step(op);
        }
        if (m_stack.size() != 1 || m_stack.back().isGlobal())
            fail("malformed pickle");
        return m_stack.back().value;
    }

private:
    struct Value {
        c10::IValue value;
        std::string global; // "module.name" when the value is a Python class or function
        bool isGlobal() const { return !global.empty(); }
    };

    [[noreturn]] static void fail(const std::string& what) { throw std::runtime_error(what); }

    void need(size_t n) const {
        if (m_pos + n > m_size)
            fail("truncated pickle");
    }
    uint64_t readUint(size_t bytes) {
        need(bytes);
        uint64_t value = 0;
        for (size_t i = 0; i < bytes; ++i)
            value |= uint64_t(static_cast<uint8_t>(m_data[m_pos + i])) << (8 * i);
        m_pos += bytes;
        return value;
    }
    std::string readBytes(size_t n) {
        need(n);
        std::string text(m_data + m_pos, n);
        m_pos += n;
        return text;
    }
    std::string readLine() {
        const void* end = std::memchr(m_data + m_pos, '\n', m_size - m_pos);
        if (!end)
            fail("truncated pickle");
        std::string line =
            readBytes(static_cast<size_t>(static_cast<const char*>(end) - (m_data + m_pos)));
        ++m_pos; // the newline
        return line;
    }

    void push(c10::IValue value) { m_stack.push_back({std::move(value), {}}); }
    // Storage classes only name a dtype inside persistent ids, so they become plain strings.
    void pushGlobal(const std::string& name) {
        if (m_storageTypes.count(name))
            push(name);
        else
            m_stack.push_back({c10::IValue(), name});
    }
    Value pop() {
        if (m_stack.size() <= (m_marks.empty() ? 0 : m_marks.back()))
            fail("malformed pickle (stack underflow)");
        Value top = std::move(m_stack.back());
        m_stack.pop_back();
        return top;
    }
    c10::IValue popValue() {
        Value top = pop();
        if (top.isGlobal())
            fail("unsupported use of " + top.global);
        return top.value;
    }
    std::vector<c10::IValue> popToMark() {
        if (m_marks.empty())
            fail("malformed pickle (no MARK)");
        const size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<c10::IValue> items;
        for (size_t i = mark; i < m_stack.size(); ++i) {
            if (m_stack[i].isGlobal())
                fail("unsupported use of " + m_stack[i].global);
            items.push_back(m_stack[i].value);
        }
        m_stack.resize(mark);
        return items;
    }
    Value& top() {
        if (m_stack.empty())
            fail("malformed pickle (empty stack)");
        return m_stack.back();
    }
    void memoize(uint64_t slot) { m_memo[slot] = top(); }
    void recall(uint64_t slot) {
        const auto it = m_memo.find(slot);
        if (it == m_memo.end())
            fail("malformed pickle (unknown memo entry)");
        m_stack.push_back(it->second);
    }
    static c10::impl::GenericDict newDict() {
        return c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get());
    }
    static c10::IValue tuple(std::vector<c10::IValue> items) {
        return c10::ivalue::Tuple::create(std::move(items));
    }
    void setItems(std::vector<c10::IValue> items) {
        if (items.size() % 2)
            fail("malformed pickle (odd SETITEMS)");
        Value& target = top();
        if (target.isGlobal() || !target.value.isGenericDict())
            fail("unsupported pickle (items set on a non-dict)");
        auto dict = target.value.toGenericDict();
        for (size_t i = 0; i < items.size(); i += 2)
            dict.insert_or_assign(items[i], items[i + 1]);
    }
    void appendItems(std::vector<c10::IValue> items) {
        Value& target = top();
        if (target.isGlobal() || !target.value.isList())
            fail("unsupported pickle (items appended to a non-list)");
        auto list = target.value.toList();
        for (auto& item : items)
            list.push_back(std::move(item));
    }

    void step(uint8_t op) {
        switch (op) {
        case 0x80: // PROTO
            readUint(1);
            break;
        case 0x95: // FRAME
            readUint(8);
            break;
        case '(': // MARK
            m_marks.push_back(m_stack.size());
            break;
        case '0': // POP
            pop();
            break;
        case '1': // POP_MARK
            popToMark();
            break;
        case '2': // DUP
            m_stack.push_back(top());
            break;
        case 'N':
            push(c10::IValue());
            break;
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
            push(op == 0x88);
            break;
        case 'K': // BININT1
            push(int64_t(readUint(1)));
            break;
        case 'M': // BININT2
            push(int64_t(readUint(2)));
            break;
        case 'J': // BININT
            push(int64_t(int32_t(uint32_t(readUint(4)))));
            break;
        case 0x8a: { // LONG1: little-endian two's complement
            const size_t n = readUint(1);
            if (n > 8)
                fail("unsupported pickle (integer wider than 64 bits)");
            uint64_t value = readUint(n);
            if (n > 0 && n < 8 && (value >> (8 * n - 1)) & 1)
                value |= ~uint64_t(0) << (8 * n);
            push(int64_t(value));
            break;
        }
        case 'G': { // BINFLOAT: big-endian double
            uint64_t bits = 0;
            for (const char byte : readBytes(8))
                bits = (bits << 8) | static_cast<uint8_t>(byte);
            double value;
            std::memcpy(&value, &bits, sizeof value);
            push(value);
            break;
        }
        case 'X':  // BINUNICODE
        case 'T':  // BINSTRING
        case 0x8c: // SHORT_BINUNICODE
        case 'U':  // SHORT_BINSTRING
        case 0x8d: // BINUNICODE8
            push(readBytes(readUint(op == 'X' || op == 'T' ? 4 : op == 0x8d ? 8 : 1)));
            break;
        case ')': // EMPTY_TUPLE
            push(tuple({}));
            break;
        case 't': // TUPLE
            push(tuple(popToMark()));
            break;
        case 0x85: // TUPLE1..3
        case 0x86:
        case 0x87: {
            std::vector<c10::IValue> items(op - 0x85 + 1);
            for (auto it = items.rbegin(); it != items.rend(); ++it)
                *it = popValue();
            push(tuple(std::move(items)));
            break;
        }
        case ']': // EMPTY_LIST
            push(c10::impl::GenericList(c10::AnyType::get()));
            break;
        case 'l': { // LIST
            auto items = popToMark();
            push(c10::impl::GenericList(c10::AnyType::get()));
            appendItems(std::move(items));
            break;
        }
        case 'a': // APPEND
            appendItems({popValue()});
            break;
        case 'e': // APPENDS
            appendItems(popToMark());
            break;
        case '}': // EMPTY_DICT
            push(newDict());
            break;
        case 'd': { // DICT
            auto items = popToMark();
            push(newDict());
            setItems(std::move(items));
            break;
        }
        case 's': { // SETITEM
            auto value = popValue();
            auto key = popValue();
            setItems({std::move(key), std::move(value)});
            break;
        }
        case 'u': // SETITEMS
            setItems(popToMark());
            break;
        case 'q': // BINPUT, LONG_BINPUT, MEMOIZE
            memoize(readUint(1));
            break;
        case 'r':
            memoize(readUint(4));
            break;
        case 0x94:
            memoize(m_memo.size());
            break;
        case 'h': // BINGET, LONG_BINGET
            recall(readUint(1));
            break;
        case 'j':
            recall(readUint(4));
            break;
        case 'c': { // GLOBAL
            auto module = readLine();
            pushGlobal(module + "." + readLine());
            break;
        }
        case 0x93: { // STACK_GLOBAL
            auto name = popValue();
            auto module = popValue();
            if (!name.isString() || !module.isString())
                fail("malformed pickle (STACK_GLOBAL)");
            pushGlobal(module.toStringRef() + "." + name.toStringRef());
            break;
        }
        case 'R': { // REDUCE
            auto args = popValue();
            Value callable = pop();
            if (!callable.isGlobal() || !args.isTuple())
                fail("malformed pickle (REDUCE)");
            const auto& elements = args.toTupleRef().elements();
            push(call(callable.global, std::vector<c10::IValue>(elements.begin(), elements.end())));
            break;
        }
        case 'b': // BUILD: object attributes (an OrderedDict's _metadata) are not needed
            popValue();
            break;
        case 'Q': // BINPERSID
            push(storage(popValue()));
            break;
        default:
            fail("unsupported pickle opcode " + std::to_string(op));
        }
    }

    c10::IValue call(const std::string& function, const std::vector<c10::IValue>& args) {
        if (function == "collections.OrderedDict") {
            auto dict = newDict();
            if (!args.empty() && args[0].isList())
                for (const auto& pair : args[0].toListRef()) {
                    const auto& item = pair.toTupleRef().elements();
                    dict.insert_or_assign(item.at(0), item.at(1));
                }
            return dict;
        }
        if (function == "torch._utils._rebuild_tensor_v2" && args.size() >= 4) {
            const auto& storage = args[0].toTensor();
            const auto size = intList(args[2]);
            const auto stride = intList(args[3]);
            auto tensor = at::empty({0}, storage.options());
            tensor.set_(storage.storage(), args[1].toInt(), size, stride);
            return tensor;
        }
        if ((function == "torch._utils._rebuild_parameter" ||
             function == "torch._utils._rebuild_parameter_with_state") &&
            !args.empty() && args[0].isTensor())
            return args[0];
        if (function == "torch.jit._pickle.restore_type_tag" && !args.empty())
            return args[0];
        fail("unsupported Python object " + function);
    }

    static std::vector<int64_t> intList(const c10::IValue& value) {
        std::vector<int64_t> out;
        for (const auto& item : value.toTupleRef().elements())
            out.push_back(item.toInt());
        return out;
    }

    // ('storage', torch.FloatStorage, key, location, numel) -> a 1-D tensor of the record.
    at::Tensor storage(const c10::IValue& id) {
        if (!id.isTuple())
            fail("malformed pickle (persistent id)");
        const auto& elements = id.toTupleRef().elements();
        const std::vector<c10::IValue> parts(elements.begin(), elements.end());
        if (parts.size() < 5 || !parts[0].isString() || parts[0].toStringRef() != "storage" ||
            !parts[2].isString())
            fail("malformed pickle (persistent id)");
        const std::string key = parts[2].toStringRef();
        const auto cached = m_storages.find(key);
        if (cached != m_storages.end())
            return cached->second;
        const auto type = m_storageTypes.find(parts[1].toStringRef());
        if (type == m_storageTypes.end())
            fail("unsupported storage type " + parts[1].toStringRef());
        const int64_t numel = parts[4].toInt();
        auto tensor = at::empty({numel}, at::TensorOptions().dtype(type->second));
        const size_t bytes = static_cast<size_t>(numel) * tensor.element_size();
        if (bytes > 0) {
            at::DataPtr data;
            size_t size = 0;
            std::tie(data, size) = m_archive.getRecord("data/" + key);
            if (size < bytes)
                fail("truncated tensor data " + key);
            std::memcpy(tensor.data_ptr(), data.get(), bytes);
        }
        m_storages[key] = tensor;
        return tensor;
    }

    caffe2::serialize::PyTorchStreamReader& m_archive;
    const char* m_data = nullptr;
    size_t m_size = 0;
    size_t m_pos = 0;
    std::vector<Value> m_stack;
    std::vector<size_t> m_marks; // stack sizes at each MARK
    std::map<uint64_t, Value> m_memo;
    std::map<std::string, at::Tensor> m_storages;
    // Storage classes are pushed by GLOBAL and land in the persistent id as their names.
    const std::map<std::string, at::ScalarType> m_storageTypes{
        {"torch.FloatStorage", at::kFloat},
        {"torch.DoubleStorage", at::kDouble},
        {"torch.HalfStorage", at::kHalf},
        {"torch.BFloat16Storage", at::kBFloat16},
        {"torch.LongStorage", at::kLong},
        {"torch.IntStorage", at::kInt},
        {"torch.ShortStorage", at::kShort},
        {"torch.CharStorage", at::kChar},
        {"torch.ByteStorage", at::kByte},
        {"torch.BoolStorage", at::kBool},
        {"torch.ComplexFloatStorage", at::kComplexFloat},
        {"torch.ComplexDoubleStorage", at::kComplexDouble}};
};

c10::IValue readPickleArchive(const std::string& path) {
    caffe2::serialize::PyTorchStreamReader archive(path);
    return StateDictUnpickler(archive).parse();
}

bool isStringKeyedDict(const c10::IValue& value) {
    if (!value.isGenericDict())
        return false;
    for (const auto& entry : value.toGenericDict())
        if (!entry.key().isString())
            return false;
    return true;
}

std::string readMagic(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, sizeof magic);
    return std::string(magic, static_cast<size_t>(in.gcount()));
}

} // namespace

std::map<std::string, at::Tensor> torchvisionStateDict(SwavModel& model) {
    std::map<std::string, at::Tensor> state;
    for (const auto& [name, tensor] : modelState(*model->trunk()))
        state[name] =
            tensor.detach().to(at::kCPU, /*non_blocking=*/false, /*copy=*/true).contiguous();
    return state;
}

void saveStateDict(const std::map<std::string, at::Tensor>& state, const std::string& path) {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : state)
        dict.insert(name, tensor.detach().to(at::kCPU).contiguous());
    const std::vector<char> bytes = torch::jit::pickle_save(dict);
    writeFileAtomically(path, "state dict", bytes.data(), bytes.size());
}

std::map<std::string, at::Tensor> loadStateDict(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw UserError(path + ": no such file");
    if (!fs::is_regular_file(path, ec))
        throw UserError(path + ": not a file");
    const std::string magic = readMagic(path);
    if (magic.size() >= 1 && static_cast<uint8_t>(magic[0]) == 0x80)
        throw UserError(path + ": saved in PyTorch's legacy format (before 1.6), which cannot be "
                               "read here; re-save it in Python with "
                               "torch.save(torch.load(old_path), new_path)");
    if (magic != std::string("PK\x03\x04", 4))
        throw UserError(path + ": not a PyTorch file (expected a torch.save zip archive)");

    c10::IValue value;
    try {
        value = readPickleArchive(path);
    } catch (const std::exception& e) {
        std::string reason = e.what();
        reason = reason.substr(0, reason.find('\n'));
        throw UserError(path + ": not a readable PyTorch state dict (" + reason + ")");
    }
    if (!isStringKeyedDict(value))
        throw UserError(path + ": holds a " + std::string(value.tagKind()) +
                        ", not a state dict (a dict of tensors)");
    auto dict = value.toGenericDict();
    // Checkpoints keep the weights one level down.
    for (const char* wrapper : {"state_dict", "model"}) {
        for (const auto& entry : dict) {
            if (entry.key().toStringRef() == wrapper && isStringKeyedDict(entry.value())) {
                dict = entry.value().toGenericDict();
                break;
            }
        }
    }
    std::map<std::string, at::Tensor> state;
    for (const auto& entry : dict)
        if (entry.value().isTensor())
            state[entry.key().toStringRef()] = entry.value().toTensor();
    if (state.empty())
        throw UserError(path + ": holds no tensors; expected a state dict");
    return state;
}

std::string ImportReport::summary() const {
    std::ostringstream out;
    out << format << " weights: " << trunkTensors << " trunk tensors";
    out << (headTensors ? ", " + std::to_string(headTensors) + " projection head tensors"
                        : std::string(", projection head not loaded"));
    out << (prototypesLoaded ? ", prototypes" : ", prototypes not loaded");
    if (!ignoredKeys.empty())
        out << "; " << ignoredKeys.size() << " keys ignored";
    return out.str();
}

ImportReport importWeights(SwavModel& model, const std::map<std::string, at::Tensor>& dict,
                           const std::string& origin) {
    const std::string kModule = "module.", kTrunk = "trunk.", kHead = "projection_head.",
                      kPrototypes = "prototypes.";
    ImportReport report;
    bool modulePrefix = false, ownNames = false, headKeys = false;
    for (const auto& [key, tensor] : dict) {
        modulePrefix = modulePrefix || startsWith(key, kModule);
        const std::string name = startsWith(key, kModule) ? key.substr(kModule.size()) : key;
        ownNames = ownNames || startsWith(name, kTrunk);
        headKeys = headKeys || startsWith(name, kHead) || startsWith(name, kPrototypes);
    }
    report.format =
        ownNames ? "swav-workbench" : (modulePrefix || headKeys ? "swav-release" : "torchvision");

    // Sort the dict's keys into trunk (by our trunk-relative name), head, prototypes, ignored.
    struct Entry {
        std::string key; // as named in the dict
        at::Tensor tensor;
    };
    std::map<std::string, Entry> trunk, head, prototypes;
    for (const auto& [key, tensor] : dict) {
        const std::string name = startsWith(key, kModule) ? key.substr(kModule.size()) : key;
        if (startsWith(name, kHead))
            head[name] = {key, tensor};
        else if (startsWith(name, kPrototypes))
            prototypes[name] = {key, tensor};
        else if (ownNames && startsWith(name, kTrunk))
            trunk[name.substr(kTrunk.size())] = {key, tensor};
        else if (!ownNames && !startsWith(name, "fc."))
            trunk[name] = {key, tensor};
        else
            report.ignoredKeys.push_back(key);
    }

    // The trunk must match exactly; check everything before copying anything.
    const auto trunkState = modelState(*model->trunk());
    const std::string expectedPrefix = (modulePrefix ? kModule : "") + (ownNames ? kTrunk : "");
    std::vector<std::string> missing, unexpected;
    for (const auto& [name, tensor] : trunkState)
        if (!trunk.count(name))
            missing.push_back(expectedPrefix + name);
    if (!missing.empty())
        throw UserError(origin + ": the " + report.format + " weights lack " +
                        std::to_string(missing.size()) + " trunk tensors of this model: " +
                        listKeys(missing) + "; they were made for another architecture");
    for (const auto& [name, entry] : trunk)
        if (!trunkState.count(name))
            unexpected.push_back(entry.key);
    if (!unexpected.empty())
        throw UserError(origin + ": " + listKeys(unexpected) +
                        " not in this model's trunk; the weights were made for another "
                        "architecture");
    for (const auto& [name, tensor] : trunkState) {
        const auto& entry = trunk.at(name);
        if (!entry.tensor.sizes().equals(tensor.sizes()))
            throw UserError(origin + ": '" + entry.key + "' has shape " + shapeText(entry.tensor) +
                            " in the weights but " + shapeText(tensor) +
                            " in the model; they were made for another architecture");
    }

    torch::NoGradGuard noGrad;
    for (const auto& [name, tensor] : trunkState)
        tensor.copy_(trunk.at(name).tensor);
    report.trunkTensors = static_cast<int>(trunkState.size());

    // Head and prototypes: all or nothing each, since a half-loaded head is worse than none.
    std::map<std::string, at::Tensor> modelHead, modelPrototypes;
    for (const auto& [name, tensor] : modelState(*model)) {
        if (startsWith(name, kHead))
            modelHead[name] = tensor;
        else if (startsWith(name, kPrototypes))
            modelPrototypes[name] = tensor;
    }
    auto loadPart = [&](const std::string& part, const std::map<std::string, Entry>& given,
                        const std::map<std::string, at::Tensor>& target) -> int {
        if (given.empty()) {
            if (!target.empty())
                report.notes.push_back("the weights have no " + part +
                                       "; the model keeps its initial one");
            return 0;
        }
        std::string problem;
        if (target.empty())
            problem = "this model has no " + part;
        for (const auto& [name, tensor] : target) {
            if (!problem.empty())
                break;
            const auto it = given.find(name);
            if (it == given.end())
                problem = "'" + name + "' is missing";
            else if (!it->second.tensor.sizes().equals(tensor.sizes()))
                problem = "'" + it->second.key + "' has shape " + shapeText(it->second.tensor) +
                          " but the model's is " + shapeText(tensor);
        }
        for (const auto& [name, entry] : given)
            if (problem.empty() && !target.count(name))
                problem = "'" + entry.key + "' is not in this model";
        if (!problem.empty()) {
            report.notes.push_back(part + " not loaded: " + problem);
            for (const auto& [name, entry] : given)
                report.ignoredKeys.push_back(entry.key);
            return 0;
        }
        for (const auto& [name, tensor] : target)
            tensor.copy_(given.at(name).tensor);
        return static_cast<int>(target.size());
    };
    report.headTensors = loadPart("projection head", head, modelHead);
    report.prototypesLoaded = loadPart("prototypes", prototypes, modelPrototypes) > 0;
    std::sort(report.ignoredKeys.begin(), report.ignoredKeys.end());
    return report;
}

} // namespace swav
