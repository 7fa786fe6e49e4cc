#pragma once

#include <string>
#include <vector>

namespace swav {

/// Edit distance between two strings (for "did you mean" hints).
int editDistance(const std::string& a, const std::string& b);

/// The candidate closest to `word`, or "" when none is reasonably close.
std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates);

/// "a, b or c" for messages listing allowed values.
/// Whether `text` begins with `prefix`.
bool startsWith(const std::string& text, const std::string& prefix);

std::string joinAlternatives(const std::vector<std::string>& values);

std::string trim(const std::string& text);

/// Whether `text` is well-formed UTF-8 (JSON can hold nothing else).
bool isValidUtf8(const std::string& text);

/// Human-readable byte count ("12.3 MiB").
std::string formatBytes(double bytes);

/// "1h 02m", "3m 05s", "12s".
std::string formatDuration(double seconds);

/// Local time now as 20261126-145458 (for file and folder names).
std::string timestampNow();

/// Local time of a Unix timestamp as "2026-11-26 16:35:41" ("" for 0).
std::string formatLocalTime(double unixSeconds);

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
std::string csvField(const std::string& text);

} // namespace swav
