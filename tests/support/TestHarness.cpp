#include "TestHarness.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>

namespace swav::test {

std::vector<TestCase>& registry() {
    static std::vector<TestCase> tests;
    return tests;
}

Registrar::Registrar(const char* name, std::function<void()> body) {
    registry().push_back({name, std::move(body)});
}

void fail(const char* file, int line, const std::string& message) {
    throw CheckFailure{std::string(file) + ":" + std::to_string(line) + ": " + message};
}

TempDir::TempDir() {
    std::random_device device;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        const auto candidate = base / ("swav-test-" + std::to_string(device()));
        if (std::filesystem::create_directory(candidate)) {
            m_path = candidate.string();
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string sourceDir() { return SWAV_TEST_SOURCE_DIR; }

std::string sharedDir() {
    const auto candidate = std::filesystem::path(SWAV_TEST_SOURCE_DIR) / ".." / ".." / "shared";
    return std::filesystem::exists(candidate) ? candidate.lexically_normal().string() : "";
}

} // namespace swav::test

int main(int argc, char** argv) {
    using namespace swav::test;
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0, failed = 0;
    for (const auto& test : registry()) {
        if (filter && !std::strstr(test.name, filter))
            continue;
        const auto start = std::chrono::steady_clock::now();
        std::string error;
        try {
            test.body();
        } catch (const CheckFailure& failure) {
            error = failure.message;
        } catch (const std::exception& e) {
            error = std::string("unexpected exception: ") + e.what();
        } catch (...) {
            error = "unexpected non-standard exception";
        }
        const double ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - start)
                              .count();
        if (error.empty()) {
            ++passed;
            std::printf("PASS   %s (%.0f ms)\n", test.name, ms);
        } else {
            ++failed;
            std::printf("FAIL   %s (%.0f ms)\n       %s\n", test.name, ms, error.c_str());
        }
        std::fflush(stdout);
    }
    if (passed + failed == 0) {
        std::printf("no test matched\n");
        return 1;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
