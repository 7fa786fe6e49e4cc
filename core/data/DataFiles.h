#pragma once
// Helpers the dataset readers share (internal to core/data): file checks that throw UserError
// naming the path, and class-name lists.

#include <cstdint>
#include <string>
#include <vector>

namespace swav::data {

bool isFile(const std::string& path);
bool isFolder(const std::string& path);

/// Throws UserError "<what>: folder <path> does not exist" unless `path` is a folder.
void requireFolder(const std::string& path, const std::string& what);

/// "0x00000803".
std::string hex32(uint32_t value);

/// Non-empty trimmed lines of a text file (class-name lists); empty when the file is absent.
std::vector<std::string> readNameList(const std::string& path);

/// "0", "1", ... "n-1".
std::vector<std::string> numberedNames(int n);

/// Size of a plain file in bytes; throws UserError naming the file when it cannot be read.
int64_t fileSize(const std::string& path);

/// Throws UserError naming `path` when loading `bytes` (of `what`) would need more memory than
/// this machine can give, before anything is allocated.
void requireMemory(const std::string& path, uint64_t bytes, const std::string& what);

/// Reads exactly `size` bytes at `offset` of a plain file into `dest`; throws UserError naming
/// the file otherwise.
void readBytes(const std::string& path, int64_t offset, int64_t size, void* dest);

} // namespace swav::data
