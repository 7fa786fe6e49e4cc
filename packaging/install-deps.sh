#!/usr/bin/env bash
# Installs every Debian/Ubuntu package that the build, the tests and the default dataset need.
# Idempotent: when everything is present it only runs one dpkg query per package.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format
  # core
  libtorch-dev zlib1g-dev nlohmann-json3-dev libsqlite3-dev libsqlitecpp-dev libcli11-dev
  libopencv-dev
  # c10d process groups (ProcessGroupGloo.hpp includes gloo headers)
  libgloo-dev libgoogle-glog-dev
  # optimised BLAS behind LibTorch's linear layers (the default reference BLAS is slow)
  libopenblas0-openmp
  # GUI
  qt6-base-dev libqcustomplot-dev
  # default dataset
  dataset-fashion-mnist
  # core tests
  libgtest-dev
  # GUI tests and screenshots
  xvfb xauth imagemagick
  # interop tests (PyTorch round trip, `swav embed` read by NumPy)
  python3-torch python3-torchvision python3-numpy
  # the package's man pages and icons (make package)
  help2man librsvg2-bin
)

# `--sanitizers`: clang with its sanitizer and libFuzzer runtimes (make test-asan, make fuzz).
if [[ "${1:-}" == "--sanitizers" ]]; then
  packages+=(clang libclang-rt-dev)
fi
# `--packaging`: the checks of the package (make test-install).
if [[ "${1:-}" == "--packaging" ]]; then
  packages+=(lintian desktop-file-utils appstream)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
