#include "config/ConfigJson.h"
#include "config/FieldTraits.h"

#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <type_traits>

namespace swav {

using nlohmann::json;

namespace {

std::string childPath(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string indexPath(const std::string& parent, size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

/// Where `text` first nests arrays and objects deeper than kMaxConfigNesting (byte offset), or
/// npos. Strings are skipped, so brackets inside them do not count.
size_t excessNesting(const std::string& text) {
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxConfigNesting)
                return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::string::npos;
}

std::string nestingMessage() {
    return "arrays and objects are nested deeper than " + std::to_string(kMaxConfigNesting) +
           " levels (a configuration needs 4)";
}

/// A list index of an override path: digits only, below `size`.
bool parseIndex(const std::string& text, size_t size, size_t& index) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
    return error == std::errc() && end == text.data() + text.size() && index < size;
}

std::string shortDump(const json& value) {
    // Replacement characters rather than an exception for text that is not UTF-8.
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

// ---- writing --------------------------------------------------------------------------------

template <class T> json toJsonValue(const T& value);

struct JsonWriter {
    json& out;
    template <class T>
    void operator()(const char* key, const T& value, const char*, const Choices& = {}) {
        out[key] = toJsonValue(value);
    }
};

template <class T> json toJsonValue(const T& value) {
    if constexpr (isConfigStruct<T>) {
        json object = json::object();
        JsonWriter writer{object};
        T::fields(value, writer);
        return object;
    } else if constexpr (IsVector<T>::value) {
        json array = json::array();
        for (const auto& element : value)
            array.push_back(toJsonValue(element));
        return array;
    } else {
        return json(value);
    }
}

// ---- reading --------------------------------------------------------------------------------

void readValue(const json& in, bool& out, const std::string& path, const Choices&,
               ValidationReport& report) {
    if (!in.is_boolean())
        return report.error(path, "expected true or false, got " + shortDump(in));
    out = in.get<bool>();
}

void readValue(const json& in, int& out, const std::string& path, const Choices&,
               ValidationReport& report) {
    const bool integral =
        in.is_number_integer() ||
        (in.is_number_float() && std::floor(in.get<double>()) == in.get<double>());
    if (!integral)
        return report.error(path, "expected an integer, got " + shortDump(in));
    const double value = in.get<double>();
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
        return report.error(path, "integer " + shortDump(in) + " is out of range");
    out = static_cast<int>(value);
}

void readValue(const json& in, double& out, const std::string& path, const Choices&,
               ValidationReport& report) {
    if (!in.is_number())
        return report.error(path, "expected a number, got " + shortDump(in));
    out = in.get<double>();
}

void readValue(const json& in, std::string& out, const std::string& path, const Choices& choices,
               ValidationReport& report) {
    if (!in.is_string())
        return report.error(path, "expected a string, got " + shortDump(in));
    const auto text = in.get<std::string>();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
        return report.error(path, "'" + text + "' is not allowed; expected " +
                                      joinAlternatives(choices) + didYouMean(text, choices));
    }
    out = text;
}

template <class T>
void readValue(const json& in, T& out, const std::string& path, const Choices& choices,
               ValidationReport& report);

class JsonReader {
public:
    JsonReader(const json& object, std::string path, ValidationReport& report)
        : m_object(object)
        , m_path(std::move(path))
        , m_report(report) {}

    template <class T>
    void operator()(const char* key, T& value, const char*, const Choices& choices = {}) {
        m_known.emplace_back(key);
        const auto it = m_object.find(key);
        if (it != m_object.end())
            readValue(*it, value, childPath(m_path, key), choices, m_report);
    }

    void reportUnknownKeys() const {
        for (const auto& item : m_object.items()) {
            if (std::find(m_known.begin(), m_known.end(), item.key()) != m_known.end())
                continue;
            const std::string hint = didYouMean(item.key(), m_known);
            std::string message =
                "unknown key" +
                (hint.empty() ? "; known keys: " + joinAlternatives(m_known) : hint);
            m_report.error(childPath(m_path, item.key()), message);
        }
    }

private:
    const json& m_object;
    std::string m_path;
    ValidationReport& m_report;
    std::vector<std::string> m_known;
};

template <class T>
void readValue(const json& in, T& out, const std::string& path, const Choices& choices,
               ValidationReport& report) {
    if constexpr (isConfigStruct<T>) {
        if (!in.is_object())
            return report.error(path, "expected an object, got " + shortDump(in));
        JsonReader reader(in, path, report);
        T::fields(out, reader);
        reader.reportUnknownKeys();
    } else if constexpr (IsVector<T>::value) {
        if (!in.is_array())
            return report.error(path, "expected a list, got " + shortDump(in));
        T values;
        const size_t errorsBefore = report.errors.size();
        for (size_t i = 0; i < in.size(); ++i) {
            typename T::value_type element{};
            readValue(in[i], element, indexPath(path, i), choices, report);
            values.push_back(element);
        }
        if (report.errors.size() == errorsBefore)
            out = std::move(values);
    } else {
        static_assert(sizeof(T) == 0, "unsupported config field type");
    }
}

// ---- choice checks for configs built in code ------------------------------------------------

struct ChoiceChecker {
    ValidationReport& report;
    std::string path;

    void operator()(const char* key, const std::string& value, const char*,
                    const Choices& choices = {}) {
        if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end())
            report.error(childPath(path, key),
                         "'" + value + "' is not allowed; expected " + joinAlternatives(choices));
    }
    template <class T>
    void operator()(const char* key, const T& value, const char*, const Choices& = {}) {
        if constexpr (isConfigStruct<T>) {
            ChoiceChecker nested{report, childPath(path, key)};
            T::fields(value, nested);
        } else if constexpr (IsVector<T>::value) {
            if constexpr (isConfigStruct<typename T::value_type>) {
                for (size_t i = 0; i < value.size(); ++i) {
                    ChoiceChecker nested{report, indexPath(childPath(path, key), i)};
                    T::value_type::fields(value[i], nested);
                }
            }
        }
    }
};

} // namespace

void ValidationReport::error(const std::string& path, const std::string& message) {
    errors.push_back({path, message});
}

void ValidationReport::warning(const std::string& path, const std::string& message) {
    warnings.push_back({path, message});
}

void ValidationReport::append(const ValidationReport& other) {
    errors.insert(errors.end(), other.errors.begin(), other.errors.end());
    warnings.insert(warnings.end(), other.warnings.begin(), other.warnings.end());
}

std::string ValidationReport::format() const {
    std::ostringstream out;
    for (const auto& issue : errors)
        out << "error: " << issue.path << ": " << issue.message << "\n";
    for (const auto& issue : warnings)
        out << "warning: " << issue.path << ": " << issue.message << "\n";
    return out.str();
}

json toJson(const ExperimentConfig& config) {
    return toJsonValue(config);
}

ExperimentConfig configFromJson(const json& in, ValidationReport& report) {
    ExperimentConfig config;
    readValue(in, config, "", {}, report);
    return config;
}

double syntheticDataBytes(const DatasetConfig& dataset) {
    return double(dataset.syntheticCount) * dataset.syntheticSize * dataset.syntheticSize *
           std::max(1, dataset.syntheticChannels);
}

void applyOverride(json& root, const std::string& assignment, ValidationReport& report) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0)
        return report.error(assignment, "expected key=value, e.g. swav.epsilon=0.03");
    const std::string path = trim(assignment.substr(0, equals));
    const std::string text = trim(assignment.substr(equals + 1));

    json* node = &root;
    std::string walked;
    std::stringstream parts(path);
    std::string part;
    while (std::getline(parts, part, '.')) {
        walked = childPath(walked, part);
        if (node->is_array()) {
            size_t index = 0;
            if (!parseIndex(part, node->size(), index))
                return report.error(walked,
                                    "expected an index below " + std::to_string(node->size()));
            node = &(*node)[index];
        } else if (node->is_object()) {
            if (!node->contains(part)) {
                std::vector<std::string> keys;
                for (const auto& item : node->items())
                    keys.push_back(item.key());
                return report.error(walked, "unknown key" + didYouMean(part, keys));
            }
            node = &(*node)[part];
        } else {
            return report.error(walked, "is not an object or a list");
        }
    }
    // A whole section replaced by a value would silently reset every field it leaves out.
    if (node->is_object())
        return report.error(walked.empty() ? path : walked,
                            "a section: set its fields one at a time, e.g. " +
                                (walked.empty() ? std::string("swav") : walked) + "." +
                                (node->empty() ? std::string("field") : node->begin().key()) +
                                "=...");
    // Formatting a deeply nested value in an error message would overflow the stack.
    if (excessNesting(text) != std::string::npos)
        return report.error(path, "the value's " + nestingMessage());
    // Bare words are strings so that `--set dataset.kind=mnist` needs no quotes.
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded() && !isValidUtf8(text))
        return report.error(walked, "the value is not UTF-8 text");
    if (value.is_discarded())
        value = text;
    *node = value;
}

Expected<ExperimentConfig> loadConfig(const std::string& jsonText, const std::string& origin,
                                      const std::vector<std::string>& overrides,
                                      ValidationReport* warnings, DataUse data) {
    if (const size_t at = excessNesting(jsonText); at != std::string::npos)
        return Error{origin + ": " + nestingMessage() + " at byte " + std::to_string(at)};
    json parsed;
    try {
        parsed = json::parse(jsonText);
    } catch (const json::exception& e) {
        // parse_error, and out_of_range for numbers beyond a double (1e400).
        return Error{origin + ": not valid JSON: " + e.what()};
    }
    if (!parsed.is_object())
        return Error{origin + ": expected a JSON object at the top level"};

    ValidationReport report;
    // Read once so that unknown keys in the file are reported against the file...
    ExperimentConfig config = configFromJson(parsed, report);
    if (!overrides.empty()) {
        // ...then apply the overrides to the complete JSON so every key exists.
        json full = toJson(config);
        for (const auto& assignment : overrides)
            applyOverride(full, assignment, report);
        ValidationReport overrideReport;
        config = configFromJson(full, overrideReport);
        report.append(overrideReport);
    }
    // Fields with type errors kept their defaults, so the rest can still be checked: the user
    // sees every problem at once.
    report.append(validateConfig(config, 1, data));
    if (warnings)
        warnings->warnings = report.warnings;
    if (!report.ok())
        return Error{origin + ": invalid configuration\n" + report.format()};
    return config;
}

Expected<ExperimentConfig> loadConfigFile(const std::string& path,
                                          const std::vector<std::string>& overrides,
                                          ValidationReport* warnings, DataUse data) {
    // A device or a pipe (/dev/zero, a FIFO) would be read without end: only regular files are
    // read. O_NONBLOCK keeps open() from waiting for a FIFO's writer; fstat() then checks the
    // file actually opened.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return Error{path + ": cannot open the configuration file: " + std::strerror(errno)};
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        return Error{path + ": cannot read the configuration file: " + std::strerror(errno)};
    if (!S_ISREG(info.st_mode))
        return Error{path + ": not a regular file (a configuration must be a JSON file, not " +
                     (S_ISDIR(info.st_mode) ? "a folder" : "a device, pipe or socket") + ")"};
    const std::string tooLarge = path + ": larger than " +
                                 std::to_string(kMaxConfigFileBytes / 1024) +
                                 " KiB; a configuration is a few KiB of JSON";
    if (info.st_size > kMaxConfigFileBytes)
        return Error{tooLarge};
    // Read at most one byte past the limit: the file may have grown since fstat().
    std::string text(static_cast<size_t>(kMaxConfigFileBytes) + 1, '\0');
    size_t filled = 0;
    while (filled < text.size()) {
        const ssize_t got = ::read(fd, text.data() + filled, text.size() - filled);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error{path + ": cannot read the configuration file: " + std::strerror(errno)};
        if (got == 0)
            break;
        filled += static_cast<size_t>(got);
    }
    if (filled > static_cast<size_t>(kMaxConfigFileBytes))
        return Error{tooLarge};
    text.resize(filled);
    return loadConfig(text, path, overrides, warnings, data);
}

ValidationReport validateChoices(const ExperimentConfig& config) {
    ValidationReport report;
    ChoiceChecker checker{report, ""};
    ExperimentConfig::fields(config, checker);
    return report;
}

} // namespace swav
