#include "TestHarness.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <execinfo.h>
#include <filesystem>
#include <iostream>
#include <unistd.h>

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
    // mkdtemp rather than std::random_device: PyTorch wheels export an older libstdc++'s
    // random_device, which crashes programs built with a newer compiler.
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/swav-test-XXXXXX";
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary folder under " + pattern);
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string sourceDir() {
    return SWAV_TEST_SOURCE_DIR;
}

std::string sharedDir() {
    const auto candidate = std::filesystem::path(SWAV_TEST_SOURCE_DIR) / ".." / ".." / "shared";
    return std::filesystem::exists(candidate) ? candidate.lexically_normal().string() : "";
}

} // namespace swav::test

namespace {

const char* g_currentTest = "(none)";

// A crash names the test and prints a backtrace instead of vanishing without a word.
extern "C" void onCrash(int signal) {
    const char header[] = "\nCRASH  in test ";
    (void)!write(STDERR_FILENO, header, sizeof header - 1);
    (void)!write(STDERR_FILENO, g_currentTest, std::strlen(g_currentTest));
    (void)!write(STDERR_FILENO, "\n", 1);
    void* frames[64];
    const int count = backtrace(frames, 64);
    backtrace_symbols_fd(frames, count, STDERR_FILENO);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

} // namespace

int main(int argc, char** argv) {
    using namespace swav::test;
    std::signal(SIGSEGV, onCrash);
    std::signal(SIGBUS, onCrash);
    std::signal(SIGABRT, onCrash);
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0, failed = 0;
    for (const auto& test : registry()) {
        if (filter && !std::strstr(test.name, filter))
            continue;
        g_currentTest = test.name;
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
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
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
