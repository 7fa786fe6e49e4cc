#include "config/ConfigSchema.h"

#include "config/ExperimentConfig.h"
#include "config/FieldTraits.h"

#include <type_traits>

namespace swav {

namespace {

struct SchemaBuilder {
    std::vector<FieldInfo>& out;

    template <class T>
    void operator()(const char* key, const T&, const char* help, const Choices& choices = {}) {
        FieldInfo field;
        field.key = key;
        field.help = help;
        field.choices = choices;
        describe<T>(field);
        out.push_back(std::move(field));
    }

    template <class T> static void describe(FieldInfo& field) {
        if constexpr (std::is_same_v<T, bool>) {
            field.type = FieldType::Boolean;
        } else if constexpr (std::is_integral_v<T>) {
            field.type = FieldType::Integer;
        } else if constexpr (std::is_floating_point_v<T>) {
            field.type = FieldType::Real;
        } else if constexpr (std::is_same_v<T, std::string>) {
            field.type = FieldType::Text;
        } else if constexpr (IsVector<T>::value) {
            using Element = typename T::value_type;
            if constexpr (std::is_integral_v<Element>) {
                field.type = FieldType::IntegerList;
            } else if constexpr (std::is_floating_point_v<Element>) {
                field.type = FieldType::RealList;
            } else {
                field.type = FieldType::GroupList;
                const Element element{};
                SchemaBuilder nested{field.children};
                Element::fields(element, nested);
            }
        } else {
            field.type = FieldType::Group;
            const T value{};
            SchemaBuilder nested{field.children};
            T::fields(value, nested);
        }
    }
};

} // namespace

const std::vector<FieldInfo>& configSchema() {
    static const std::vector<FieldInfo> schema = [] {
        std::vector<FieldInfo> fields;
        const ExperimentConfig config;
        SchemaBuilder builder{fields};
        ExperimentConfig::fields(config, builder);
        return fields;
    }();
    return schema;
}

bool datasetFieldApplies(const std::string& kind, const std::string& field) {
    const bool synthetic = kind == "synthetic";
    if (field.rfind("synthetic_", 0) == 0)
        return synthetic;
    if (field == "image_size" || field == "prefetch_images" || field == "decode_threads" ||
        field == "crop_finish")
        return kind == "image-folder";
    if (field == "path" || field == "split")
        return !synthetic;
    return true;
}

} // namespace swav
