#pragma once
// What the core tests share on top of GoogleTest: temporary folders, where the reference data
// lies, and two checks GoogleTest lacks. No Qt, so that a headless GPU server build runs them.
//
//   TEST(Sinkhorn, RowsSumToOne) { ASSERT_NEAR(x, 1.0, 1e-6); }
//
// Helpers that return a value, and child processes the tests start, check with SWAV_REQUIRE:
// it throws, and GoogleTest reports the exception as the test's failure.

#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace swav::test {

/// Thrown by SWAV_REQUIRE; carries file, line and the message.
struct CheckFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

/// The whole file as bytes ("" when it cannot be read).
std::string readAll(const std::string& path);

/// Runs `body` in a forked child (for what must not touch this process: dropping privileges,
/// lowering rlimits) and returns what it returned ("" = all held), or why the child died.
std::string reportFromChild(const std::function<std::string()>& body);

/// Source folder of the tests (for committed reference data).
std::string sourceDir();
/// The shared design folder beside the repository ("../shared"), or "" when absent.
std::string sharedDir();

/// ASSERT_CONTAINS: passes when `text` contains `fragment`.
testing::AssertionResult containsFormat(const char* textExpression, const char* fragmentExpression,
                                        const std::string& text, const std::string& fragment);

} // namespace swav::test

/// Passes when `text` (a std::string) contains `fragment`.
#define ASSERT_CONTAINS(text, fragment)                                                            \
    ASSERT_PRED_FORMAT2(::swav::test::containsFormat, text, fragment)

/// Passes when `statement` throws a std::exception whose what() contains `fragment`.
#define ASSERT_THROWS_WITH(statement, fragment)                                                    \
    do {                                                                                           \
        bool swavThrew_ = false;                                                                   \
        std::string swavWhat_;                                                                     \
        try {                                                                                      \
            statement;                                                                             \
        } catch (const std::exception& swavE_) {                                                   \
            swavThrew_ = true;                                                                     \
            swavWhat_ = swavE_.what();                                                             \
        }                                                                                          \
        ASSERT_TRUE(swavThrew_) << "expected an exception from " #statement;                       \
        ASSERT_CONTAINS(swavWhat_, fragment);                                                      \
    } while (0)

/// For code that cannot return early (a helper returning a value, a child process's work):
/// throws CheckFailure naming the place and the message when `condition` is false.
#define SWAV_REQUIRE(condition, message)                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::ostringstream swavOut_;                                                           \
            swavOut_ << __FILE__ << ":" << __LINE__ << ": " #condition " failed: " << message;     \
            throw ::swav::test::CheckFailure(swavOut_.str());                                      \
        }                                                                                          \
    } while (0)
