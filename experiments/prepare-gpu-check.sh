#!/usr/bin/env bash
# Unpacks, into .gpu/root (ignored by git), the Debian packages that experiments/gpu-check.sh
# needs on a GPU machine without dev packages: JSON and CLI headers, zlib, SQLite and
# SQLiteC++ (the run database), GoogleTest (the tests), Fashion-MNIST, and Gloo's headers
# (c10d's ProcessGroupGloo.hpp includes them; used only when the LibTorch in use does not ship
# its own), and the photographs of python3-skimage for the JPEG folder of the data benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .gpu && mkdir -p .gpu/debs .gpu/root
(cd .gpu/debs && apt-get download nlohmann-json3-dev libcli11-dev zlib1g-dev zlib1g \
  libsqlite3-dev libsqlite3-0 libsqlitecpp-dev dataset-fashion-mnist libgloo-dev \
  python3-skimage libgtest-dev)
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" .gpu/root; done
# Of scikit-image only its sample photographs are kept.
find .gpu/root/usr/lib/python3/dist-packages/skimage -mindepth 1 -maxdepth 1 ! -name data \
  -exec rm -rf {} +
rm -rf .gpu/debs
du -sh .gpu
