#!/usr/bin/env bash
# Builds the Debian package against a CUDA LibTorch from the PyTorch wheels (for example
# `pip install torch` with CUDA 13) instead of Debian's CPU-only LibTorch 1.13.
#
# The wheel's libraries (libtorch*, libc10*, and the NVIDIA ones the wheels put in
# site-packages/nvidia/*/lib: cuBLAS, cuDNN, NCCL, ...) are not Debian packages, so they travel
# inside this package, in /usr/lib/x86_64-linux-gnu/swav-workbench-cuda, found through the programs'
# RPATH; dpkg-shlibdeps computes the rest (Qt 6, OpenCV, SQLite, ...) as for the CPU package. The
# package is called swav-workbench-cuda and replaces swav-workbench (both install /usr/bin/swav).
# What it needs from the machine besides: the NVIDIA driver (libcuda.so.1, from the driver
# packages, not a dependency the package can name in Debian main).
#
# usage: experiments/cuda-package.sh [BUILD_DIR]     (default build/cuda-package)
# needs: python3 with a CUDA torch, and the build dependencies of packaging/install-deps.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/cuda-package}

if ! python3 -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
    echo "cuda-package: python3's torch is missing or built without CUDA" >&2
    exit 1
fi
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# NCCL's header sits in the nvidia-nccl wheel, beside torch in site-packages.
nccl=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(os.path.dirname(torch.__file__)), "nvidia", "nccl", "include"))')

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DSWAV_NCCL_INCLUDE_DIR="$nccl" -DSWAV_BUILD_TESTS=OFF -DSWAV_BUNDLE_TORCH=ON
cmake --build "$build"
cmake --build "$build" --target swav_package_files
(cd "$build" && cpack -G DEB)
ls -l "$build"/swav-workbench-cuda_*.deb
dpkg-deb -f "$build"/swav-workbench-cuda_*.deb Depends
