#pragma once
// Turns SQLite failures inside the store into UserErrors that name the database and the action.

#include "util/Expected.h"

#include <SQLiteCpp/Exception.h>

#include <string>

namespace swav::store {

template <class F>
auto withStoreErrors(const std::string& databasePath, const char* action, F&& body)
    -> decltype(body()) {
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        throw UserError(databasePath + ": cannot " + action + ": " + e.what());
    }
}

} // namespace swav::store
