#pragma once
// Turns SQLite failures inside the store into UserErrors that name the database, the action and
// the cause in the user's terms: the file or folder that is read-only, the full disk, the
// process holding the lock, a damaged file.

#include "util/Expected.h"

#include <SQLiteCpp/Exception.h>

#include <string>

namespace swav::store {

/// A failure that may pass (a full disk, a read-only or locked database, an I/O error): what was
/// being written can be tried again later.
class StoreUnavailable : public UserError {
public:
    using UserError::UserError;
};

/// Whether an SQLite failure is one of StoreUnavailable's.
bool isUnavailable(const SQLite::Exception& error);

/// "<path>: cannot <action>: <cause>".
std::string storeFailure(const std::string& databasePath, const char* action,
                         const SQLite::Exception& error);

template <class F>
auto withStoreErrors(const std::string& databasePath, const char* action, F&& body)
    -> decltype(body()) {
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        if (isUnavailable(e))
            throw StoreUnavailable(storeFailure(databasePath, action, e));
        throw UserError(storeFailure(databasePath, action, e));
    }
}

} // namespace swav::store
