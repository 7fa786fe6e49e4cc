// Issue 32 (1, 2): every output goes through a temporary of the program's own, created
// exclusively and never through a link, and a device, FIFO or terminal is written in place,
// never replaced by a rename.
#include "TestHarness.h"

#include "util/AtomicFile.h"
#include "util/Expected.h"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

using namespace swav;
namespace fs = std::filesystem;
using swav::test::readAll;

namespace {

std::vector<std::string> namesIn(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST(AtomicFile, ANameEndingInTmpIsNeverWrittenThroughOrTaken) {
    test::TempDir dir;
    std::ofstream(dir.file("precious.txt")) << "the user's words";
    fs::create_symlink(dir.file("precious.txt"), dir.file("out.npy.tmp"));
    std::ofstream(dir.file("table.csv.tmp")) << "the user's table";

    writeFileAtomically(dir.file("out.npy"), "array", "ARRAY", 5);
    writeFileAtomically(dir.file("table.csv"), "table", "a,b\n", 4);
    ASSERT_EQ(readAll(dir.file("precious.txt")), std::string("the user's words"));
    ASSERT_TRUE(fs::is_symlink(fs::symlink_status(dir.file("out.npy.tmp"))));
    ASSERT_EQ(readAll(dir.file("table.csv.tmp")), std::string("the user's table"));
    ASSERT_TRUE(fs::is_regular_file(fs::symlink_status(dir.file("out.npy"))));
    ASSERT_EQ(readAll(dir.file("out.npy")), std::string("ARRAY"));
    ASSERT_TRUE(namesIn(dir.path()) ==
                std::vector<std::string>(
                    {"out.npy", "out.npy.tmp", "precious.txt", "table.csv", "table.csv.tmp"}));
}

TEST(AtomicFile, AFailedWriteLeavesNothingAndNamesTheFile) {
    test::TempDir dir;
    ASSERT_THROWS_WITH(writeFileAtomically(dir.file("x.pt"), "checkpoint",
                                           [](std::ostream&) { throw UserError("stopped"); }),
                       "stopped");
    ASSERT_TRUE(namesIn(dir.path()).empty());
    fs::create_directory(dir.file("folder"));
    ASSERT_THROWS_WITH(writeFileAtomically(dir.file("folder"), "table", "x", 1),
                       "a folder, not a file");
}

// A FIFO (as /dev/stdout may be) and a link to one: written in place, still a FIFO afterwards.
// The reading end is opened first, without blocking, so a write that went elsewhere fails the
// test instead of hanging it.
TEST(AtomicFile, AFifoIsWrittenInPlaceNeverReplaced) {
    test::TempDir dir;
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    fs::create_symlink(fifo, dir.file("link-to-pipe"));
    for (const std::string& target : {fifo, dir.file("link-to-pipe")}) {
        const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ASSERT_TRUE(reader >= 0);
        writeFileAtomically(target, "table", "through the pipe", 16);
        char buffer[64] = {};
        const ssize_t got = ::read(reader, buffer, sizeof buffer);
        ::close(reader);
        ASSERT_EQ(std::string(buffer, size_t(std::max<ssize_t>(got, 0))),
                  std::string("through the pipe"));
        struct stat info {};
        ASSERT_EQ(::stat(fifo.c_str(), &info), 0);
        ASSERT_TRUE(S_ISFIFO(info.st_mode));
    }
    ASSERT_TRUE(fs::is_symlink(fs::symlink_status(dir.file("link-to-pipe"))));
}

TEST(AtomicFile, TemporariesAreRecognisedByTheirTarget) {
    ASSERT_EQ(atomicTargetOf(".epoch-0001.pt.0123abcd4567.tmp"), std::string("epoch-0001.pt"));
    ASSERT_EQ(atomicTargetOf("epoch-0001.pt.tmp"), std::string());
    ASSERT_EQ(atomicTargetOf(".x.0123abcd456z.tmp"), std::string());
    ASSERT_EQ(atomicTargetOf(".0123abcd4567.tmp"), std::string());
}
