#pragma once
// Errors a user can cause cross layer boundaries as values; inside core they may travel as
// UserError exceptions, which the boundary functions convert.

#include "util/ErrorText.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace swav {

struct Error {
    std::string message;
};

/// Thrown inside core for bad input (file, field, value); the message names what and why.
class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <class T> class Expected {
public:
    Expected(T value)
        : m_value(std::move(value)) {}
    Expected(Error error)
        : m_value(std::move(error)) {}

    bool hasValue() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return hasValue(); }

    T& value() { return std::get<T>(m_value); }
    const T& value() const { return std::get<T>(m_value); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }

    const Error& error() const { return std::get<Error>(m_value); }

private:
    std::variant<T, Error> m_value;
};

/// Runs `body`, turning a UserError (or any std::exception) into an Error value.
template <class F> auto catchUserError(F&& body) -> Expected<decltype(body())> {
    try {
        return body();
    } catch (const std::exception& e) {
        return Error{describeException(e)};
    }
}

} // namespace swav
