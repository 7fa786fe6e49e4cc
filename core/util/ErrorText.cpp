#include "util/ErrorText.h"

#include <c10/util/Exception.h>

#include <new>

namespace swav {

std::string describeException(const std::exception& error) {
    if (const auto* torchError = dynamic_cast<const c10::Error*>(&error)) {
        std::string message = torchError->what_without_backtrace();
        message = message.substr(0, message.find('\n'));
        while (!message.empty() && (message.back() == ' ' || message.back() == '\r'))
            message.pop_back();
        return message.empty() ? std::string("LibTorch error") : message;
    }
    if (dynamic_cast<const std::bad_alloc*>(&error))
        return "out of memory: an allocation failed (" + std::string(error.what()) + ")";
    return error.what();
}

} // namespace swav
