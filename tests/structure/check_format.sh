#!/usr/bin/env bash
# Every C++ source and header of the project is as clang-format (.clang-format) writes it.
# Usage: check_format.sh SOURCE_DIR
set -uo pipefail
cd "$1"
command -v clang-format > /dev/null || { echo "clang-format is not installed (packaging/install-deps.sh)"; exit 1; }
files=$(find app core tests widgets -name '*.cpp' -o -name '*.h' | sort)
[ -n "$files" ] || { echo "no sources found under $1"; exit 1; }
unformatted=$(for f in $files; do
  clang-format --dry-run --Werror "$f" > /dev/null 2>&1 || echo "$f"
done)
if [ -n "$unformatted" ]; then
  echo "not clang-format clean (run clang-format -i on them):"
  echo "$unformatted"
  exit 1
fi
echo "$(echo "$files" | wc -l) files are clang-format clean"
