#pragma once

#include <string>
#include <vector>

namespace swav {

/// Edit distance between two strings (for "did you mean" hints).
int editDistance(const std::string& a, const std::string& b);

/// The candidate closest to `word`, or "" when none is reasonably close.
std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" with the candidate closest to `word`, or "" when none is close.
std::string didYouMean(const std::string& word, const std::vector<std::string>& candidates);

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

/// Whether `text` holds a control character (below 0x20, or 0x7f): a line break or a terminal
/// escape sequence where a single-line name belongs.
bool hasControlCharacters(const std::string& text);

/// `text` safe to print on a terminal: control characters shown as \n, \t, \e or \xNN, so that
/// stored text (notes, names, messages) cannot move the cursor or recolour the screen. With
/// `keepLineBreaks`, line breaks stay.
std::string printable(const std::string& text, bool keepLineBreaks = false);

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
std::string csvField(const std::string& text);

} // namespace swav
