#pragma once
// SHA-256 of files, recorded with every checkpoint so a copied or damaged file is recognised.

#include <cstddef>
#include <cstdint>
#include <string>

namespace swav {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    /// Lower-case hex digest; the object is spent afterwards.
    std::string finish();

private:
    void compress(const uint8_t* block);

    uint32_t m_state[8];
    uint8_t m_buffer[64];
    size_t m_buffered = 0;
    uint64_t m_totalBytes = 0;
};

std::string sha256Hex(const std::string& bytes);

/// Digest of a file's contents; throws UserError naming the file when it cannot be read.
std::string sha256OfFile(const std::string& path);

} // namespace swav
