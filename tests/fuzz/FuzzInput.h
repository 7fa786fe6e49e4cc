#pragma once
// Shared by the fuzz targets: inputs become files, because the readers take paths.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace swav::fuzz {

/// A scratch folder of this process, created once.
inline const std::string& scratchDir() {
    static const std::string dir = [] {
        std::string path = "/tmp/swav-fuzz-" + std::to_string(::getpid());
        std::filesystem::create_directories(path + "/cifar");
        std::filesystem::create_directories(path + "/stl/stl10_binary");
        return path;
    }();
    return dir;
}

/// Writes `size` bytes to scratchDir()/name and returns the path.
inline std::string writeInput(const std::string& name, const uint8_t* data, size_t size) {
    const std::string path = scratchDir() + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

} // namespace swav::fuzz
