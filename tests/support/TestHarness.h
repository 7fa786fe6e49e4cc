#pragma once
// A small test runner for the core tests. It has no Qt dependency so that a headless GPU
// server build (no Qt) runs the same tests. GUI tests use Qt Test.
//
//   SWAV_TEST(SinkhornRowsSumToOne) { VERIFY_NEAR(x, 1.0, 1e-6); }
//
// Each program prints one line per test and closes with "N passed, N failed".

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace swav::test {

struct TestCase {
    const char* name;
    std::function<void()> body;
};

std::vector<TestCase>& registry();

struct Registrar {
    Registrar(const char* name, std::function<void()> body);
};

/// Thrown by a failed check; carries file, line and the message.
struct CheckFailure {
    std::string message;
};

[[noreturn]] void fail(const char* file, int line, const std::string& message);

/// A fresh temporary folder removed when the test ends.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

/// Source folder of the tests (for committed reference data).
std::string sourceDir();
/// The shared design folder beside the repository ("../shared"), or "" when absent.
std::string sharedDir();

template <class A, class B> std::string describePair(const A& a, const B& b) {
    std::ostringstream out;
    out << "actual " << a << ", expected " << b;
    return out.str();
}

} // namespace swav::test

#define SWAV_TEST_CONCAT2(a, b) a##b
#define SWAV_TEST_CONCAT(a, b) SWAV_TEST_CONCAT2(a, b)

#define SWAV_TEST(name)                                                                            \
    static void SWAV_TEST_CONCAT(swavTest_, name)();                                               \
    static ::swav::test::Registrar SWAV_TEST_CONCAT(swavRegistrar_, name)(                         \
        #name, &SWAV_TEST_CONCAT(swavTest_, name));                                                \
    static void SWAV_TEST_CONCAT(swavTest_, name)()

#define VERIFY(condition)                                                                          \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::swav::test::fail(__FILE__, __LINE__, "VERIFY(" #condition ") failed");               \
    } while (0)

#define VERIFY_MSG(condition, message)                                                             \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::ostringstream swavOut_;                                                           \
            swavOut_ << "VERIFY(" #condition ") failed: " << message;                              \
            ::swav::test::fail(__FILE__, __LINE__, swavOut_.str());                                \
        }                                                                                          \
    } while (0)

#define VERIFY_EQ(actual, expected)                                                                \
    do {                                                                                           \
        /* Copies: `actual` may be a member of a temporary that dies with this statement. */       \
        const auto swavA_ = (actual);                                                              \
        const auto swavB_ = (expected);                                                            \
        if (!(swavA_ == swavB_))                                                                   \
            ::swav::test::fail(__FILE__, __LINE__,                                                 \
                               "VERIFY_EQ(" #actual ", " #expected "): " +                         \
                                   ::swav::test::describePair(swavA_, swavB_));                    \
    } while (0)

#define VERIFY_NEAR(actual, expected, tolerance)                                                   \
    do {                                                                                           \
        const double swavA_ = static_cast<double>(actual);                                         \
        const double swavB_ = static_cast<double>(expected);                                       \
        if (!(std::fabs(swavA_ - swavB_) <= (tolerance)))                                          \
            ::swav::test::fail(__FILE__, __LINE__,                                                 \
                               "VERIFY_NEAR(" #actual ", " #expected ", " #tolerance "): " +       \
                                   ::swav::test::describePair(swavA_, swavB_));                    \
    } while (0)

/// Passes when `statement` throws an exception whose what() contains `fragment`.
#define VERIFY_THROWS_WITH(statement, fragment)                                                    \
    do {                                                                                           \
        bool swavThrew_ = false;                                                                   \
        try {                                                                                      \
            statement;                                                                             \
        } catch (const std::exception& swavE_) {                                                   \
            swavThrew_ = true;                                                                     \
            const std::string swavWhat_ = swavE_.what();                                           \
            if (swavWhat_.find(fragment) == std::string::npos)                                     \
                ::swav::test::fail(__FILE__, __LINE__,                                             \
                                   std::string("exception message \"") + swavWhat_ +               \
                                       "\" does not contain \"" + (fragment) + "\"");              \
        }                                                                                          \
        if (!swavThrew_)                                                                           \
            ::swav::test::fail(__FILE__, __LINE__, "expected an exception from " #statement);      \
    } while (0)

/// Passes when `text` (a std::string) contains `fragment`.
#define VERIFY_CONTAINS(text, fragment)                                                            \
    do {                                                                                           \
        const std::string swavText_ = (text);                                                      \
        if (swavText_.find(fragment) == std::string::npos)                                         \
            ::swav::test::fail(__FILE__, __LINE__,                                                 \
                               "\"" + swavText_ + "\" does not contain \"" + (fragment) + "\"");   \
    } while (0)
