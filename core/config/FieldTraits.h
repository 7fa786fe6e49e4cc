#pragma once
// What kind of value a configuration field holds, for the visitors of fields() (JSON reading and
// writing, the schema).

#include <string>
#include <type_traits>
#include <vector>

namespace swav {

template <class T> struct IsVector : std::false_type {};
template <class T> struct IsVector<std::vector<T>> : std::true_type {};

/// A section of the configuration (a struct with fields()), not a value.
template <class T>
constexpr bool isConfigStruct =
    std::is_class_v<T> && !std::is_same_v<T, std::string> && !IsVector<T>::value;

} // namespace swav
