#!/bin/bash
# Clean-build and incremental-build cost of the release tree, without ccache.
#   experiments/build/measure-build.sh [SOURCE_DIR] [BUILD_DIR]
# Prints wall and CPU seconds (user + system of every compiler and linker) for a clean build of
# all targets, then for the rebuild after touching one core source (a LibTorch one and one that needs none).
set -euo pipefail
src=$(realpath "${1:-.}")
build=${2:-/tmp/swav-build-measure}
jobs=${JOBS:-$(nproc)}
rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWAV_USE_CCACHE=OFF >/dev/null

# Runs ninja and prints "LABEL: wall W s, cpu C s (N steps)".
measure() {
  local label=$1
  local start end steps
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$build/time.txt" ninja -C "$build" -j "$jobs" >"$build/ninja.log"
  end=$(date +%s.%N)
  steps=$(grep -c '^\[' "$build/ninja.log" || true)
  read -r user sys <"$build/time.txt"
  printf '%-40s wall %7.1f s   cpu %7.1f s   (%s steps)\n' "$label:" \
    "$(echo "$end - $start" | bc)" "$(echo "$user + $sys" | bc)" "$steps"
}

echo "$(nproc) cores, ninja -j $jobs, $(git -C "$src" rev-parse --short HEAD)"
measure "clean build (all targets)"
touch "$src/core/swav/Sinkhorn.cpp"
measure "after touching core/swav/Sinkhorn.cpp"
touch "$src/core/store/RunStore.cpp"
measure "after touching core/store/RunStore.cpp"
