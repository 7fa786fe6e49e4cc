#!/usr/bin/env bash
# Unpacks, into .gpu/root (ignored by git), the Debian packages that experiments/gpu-check.sh
# needs on a GPU machine without dev packages: JSON and CLI headers, zlib, SQLite and
# SQLiteC++ (the run database), Fashion-MNIST, and Gloo's headers (c10d's ProcessGroupGloo.hpp
# includes them; used only when the LibTorch in use does not ship its own).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .gpu && mkdir -p .gpu/debs .gpu/root
(cd .gpu/debs && apt-get download nlohmann-json3-dev libcli11-dev zlib1g-dev zlib1g \
  libsqlite3-dev libsqlite3-0 libsqlitecpp-dev dataset-fashion-mnist libgloo-dev)
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" .gpu/root; done
rm -rf .gpu/debs
du -sh .gpu
