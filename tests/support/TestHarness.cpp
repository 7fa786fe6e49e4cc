#include "TestHarness.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>
#include <unistd.h>

namespace swav::test {

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

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string reportFromChild(const std::function<std::string()>& body) {
    int channel[2];
    if (::pipe(channel) != 0)
        return "cannot make a pipe";
    const pid_t child = fork();
    if (child == 0) {
        ::close(channel[0]);
        std::string report;
        try {
            report = body();
        } catch (const std::exception& e) {
            report = std::string("threw: ") + e.what();
        }
        (void)!::write(channel[1], report.data(), report.size());
        _exit(0);
    }
    ::close(channel[1]);
    std::string report;
    char buffer[512];
    for (ssize_t n; (n = ::read(channel[0], buffer, sizeof buffer)) > 0;)
        report.append(buffer, size_t(n));
    ::close(channel[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status))
        report += "the child died of signal " + std::to_string(WTERMSIG(status));
    return report;
}

std::string sourceDir() {
    return SWAV_TEST_SOURCE_DIR;
}

std::string sharedDir() {
    const auto candidate = std::filesystem::path(SWAV_TEST_SOURCE_DIR) / ".." / ".." / "shared";
    return std::filesystem::exists(candidate) ? candidate.lexically_normal().string() : "";
}

testing::AssertionResult containsFormat(const char* textExpression, const char* fragmentExpression,
                                        const std::string& text, const std::string& fragment) {
    if (text.find(fragment) != std::string::npos)
        return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << textExpression << " = \"" << text << "\" does not contain " << fragmentExpression
           << " = \"" << fragment << "\"";
}

} // namespace swav::test
