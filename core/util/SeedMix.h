#pragma once
// Derives independent random streams from a seed and a counter, so that a stream depends only
// on what names it (seed, epoch, image index), never on the order in which streams are made.

#include <cstdint>

namespace swav {

/// splitmix64 of a combination of `a` and `b`.
inline uint64_t mixSeed(uint64_t a, uint64_t b) {
    uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

} // namespace swav
