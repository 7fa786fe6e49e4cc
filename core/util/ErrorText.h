#pragma once
// Exceptions as one readable message for the user: LibTorch errors carry a C++ backtrace of some
// twenty frames that says nothing to someone who set a batch size too large.

#include <exception>
#include <string>

namespace swav {

/// The message of `error`: a c10::Error (LibTorch) keeps the first line of its message without
/// the backtrace, std::bad_alloc says that memory ran out, anything else is what() unchanged.
std::string describeException(const std::exception& error);

} // namespace swav
