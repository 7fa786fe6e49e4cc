#pragma once
// Opening a run database in a test: a failure fails the test with the store's message.

#include "TestHarness.h"

#include "store/RunStore.h"

#include <memory>
#include <string>

namespace swav::test {

inline std::unique_ptr<store::RunStore> openStore(const std::string& path) {
    auto store = store::RunStore::open(path);
    SWAV_REQUIRE(store.hasValue(), (store ? "" : store.error().message));
    return std::move(*store);
}

} // namespace swav::test
