#include "util/AtomicFile.h"

#include "util/Expected.h"

#include <filesystem>
#include <fstream>

namespace swav {

namespace fs = std::filesystem;

void writeFileAtomically(const std::string& path, const std::string& what,
                         const std::function<void(std::ostream&)>& write) {
    const fs::path target(path);
    std::error_code error;
    if (target.has_parent_path())
        fs::create_directories(target.parent_path(), error);
    const fs::path temporary = target.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (out)
            write(out);
        out.flush();
        if (!out) {
            out.close();
            fs::remove(temporary, error);
            throw UserError(path + ": cannot write the " + what +
                            " (disk full, no permission or missing folder?)");
        }
    }
    fs::rename(temporary, target, error);
    if (error) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw UserError(path + ": cannot move the " + what + " into place: " + error.message());
    }
}

void writeFileAtomically(const std::string& path, const std::string& what, const char* data,
                         size_t size) {
    writeFileAtomically(path, what, [&](std::ostream& out) {
        out.write(data, static_cast<std::streamsize>(size));
    });
}

} // namespace swav
