#!/usr/bin/env bash
# make-bench-images.sh OUT [COUNT] [SWAV]: a folder of COUNT (default 2000) ImageNet-like JPEGs
# (about 500 x 375, quality 90, one class per photograph) for `swav bench data`, cut from the
# photographs Debian's python3-skimage ships. When that package is not installed, its .deb is
# downloaded and unpacked into a cache folder (nothing is installed).
set -euo pipefail
out=${1:?usage: make-bench-images.sh OUT [COUNT] [SWAV]}
count=${2:-2000}
swav=${3:-swav}
photos=/usr/lib/python3/dist-packages/skimage/data
if [ ! -d "$photos" ]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/swav-workbench/skimage
  photos=$cache/usr/lib/python3/dist-packages/skimage/data
  if [ ! -d "$photos" ]; then
    mkdir -p "$cache"
    (cd "$cache" && apt-get download python3-skimage >/dev/null && dpkg -x python3-skimage_*.deb .)
  fi
fi
"$swav" make-images --out "$out" --count "$count" --photos "$photos"
