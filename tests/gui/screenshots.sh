#!/usr/bin/env bash
# Screenshots of every panel during and after a short Fashion-MNIST run, at two window sizes,
# under a virtual X server. Look at them before calling a GUI change done.
# Usage: tests/gui/screenshots.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build/release}
out=${2:-$here/build/screenshots}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
for size in ${SWAV_SCREENSHOT_SIZES:-1280x800 1920x1080}; do
  mkdir -p "$out/$size"
  # A fresh home: no saved layout or theme, a scratch run database.
  HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data-$size \
    xvfb-run -a -s "-screen 0 ${size}x24" \
    "$build/app/swav-workbench" --size "$size" --screenshot-tour "$out/$size"
done
ls "$out"/*/*.png
