#include "data/DataFiles.h"

#include "util/Strings.h"
#include "util/SystemMemory.h"

#include "util/Expected.h"
#include "util/Strings.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace swav::data {

bool isFile(const std::string& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

bool isFolder(const std::string& path) {
    std::error_code error;
    return fs::is_directory(path, error);
}

void requireFolder(const std::string& path, const std::string& what) {
    if (path.empty())
        throw UserError(what + ": no folder given");
    if (!isFolder(path))
        throw UserError(what + ": folder " + path +
                        (isFile(path) ? " is a file, expected a folder" : " does not exist"));
}

std::string hex32(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

std::vector<std::string> readNameList(const std::string& path) {
    std::vector<std::string> names;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (!line.empty())
            names.push_back(line);
    }
    return names;
}

std::vector<std::string> numberedNames(int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i)
        names.push_back(std::to_string(i));
    return names;
}

void requireMemory(const std::string& path, uint64_t bytes, const std::string& what) {
    if (bytes > loadBudgetBytes())
        throw UserError(path + ": " + what + " would need " + formatBytes(bytes) +
                        " of memory, more than the " + formatBytes(loadBudgetBytes()) +
                        " this machine allows (is the file damaged?)");
}

int64_t fileSize(const std::string& path) {
    std::error_code error;
    const auto size = fs::file_size(path, error);
    if (error)
        throw UserError(path + ": cannot read the file (" + error.message() + ")");
    return static_cast<int64_t>(size);
}

void readBytes(const std::string& path, int64_t offset, int64_t size, void* dest) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file)
        throw UserError(path + ": cannot open the file");
    if (offset > 0 && fseeko(file.get(), static_cast<off_t>(offset), SEEK_SET) != 0)
        throw UserError(path + ": cannot seek to byte " + std::to_string(offset));
    const size_t got = std::fread(dest, 1, static_cast<size_t>(size), file.get());
    if (static_cast<int64_t>(got) != size)
        throw UserError(path + ": expected " + std::to_string(size) + " bytes at offset " +
                        std::to_string(offset) + ", got " + std::to_string(got));
}

} // namespace swav::data
