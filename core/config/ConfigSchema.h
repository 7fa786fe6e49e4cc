#pragma once
// The shape of ExperimentConfig as data: every field with its JSON key, help text, type and
// allowed values, nested as in the config. Front ends build forms and tooltips from it.

#include <string>
#include <vector>

namespace swav {

enum class FieldType { Text, Integer, Real, Boolean, IntegerList, RealList, Group, GroupList };

struct FieldInfo {
    std::string key;
    std::string help;
    FieldType type = FieldType::Text;
    std::vector<std::string> choices; // Text fields with fixed values
    std::vector<FieldInfo> children;  // Group: its fields; GroupList: the fields of one element
};

/// The top-level fields of ExperimentConfig, in declaration order.
const std::vector<FieldInfo>& configSchema();

/// Whether a field of DatasetConfig ("synthetic_count", "image_size", ...) means anything for
/// datasets of `kind`: synthetic_* for synthetic data, the image-folder settings for folders,
/// path and split for everything read from files.
bool datasetFieldApplies(const std::string& kind, const std::string& field);

} // namespace swav
