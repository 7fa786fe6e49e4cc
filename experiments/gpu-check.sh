#!/usr/bin/env bash
# GPU check for a machine with CUDA, CMake, ninja and a PyTorch wheel (whose LibTorch we use),
# but no Qt, OpenCV or dev packages. Headers that the build needs travel in .gpu/ (see
# experiments/prepare-gpu-check.sh). Builds core + CLI + tests, runs the tests (gpu label
# included), then benchmarks two presets with mixed precision on synthetic images.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
deps=$PWD/.gpu/root

if [[ ! -d /usr/share/datasets/fashion-mnist && -d $deps/usr/share/datasets/fashion-mnist ]]; then
  mkdir -p /usr/share/datasets
  ln -s "$deps/usr/share/datasets/fashion-mnist" /usr/share/datasets/fashion-mnist
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt" || true
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# nccl.h of the wheel's NCCL package, for c10d's ProcessGroupNCCL (empty: Gloo on CUDA).
nccl_include=$(python3 -c 'import os, nvidia.nccl as n; print(os.path.join(list(n.__path__)[0], "include"))' 2> /dev/null || true)
start=$(date +%s)
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSWAV_BUILD_GUI=OFF -DSWAV_WITH_OPENCV=OFF -DSWAV_USE_CCACHE=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" -DCMAKE_CUDA_ARCHITECTURES=90 \
  ${nccl_include:+-DSWAV_NCCL_INCLUDE_DIR="$nccl_include"} \
  > "$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; exit 1; }
cmake --build build/gpu -j "$(nproc)" > "$OUT/build.log" 2>&1 || { grep -m20 -A5 error "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"

# Tests first; a failure is reported but the benchmarks still run.
(cd build/gpu && ctest --output-on-failure -j 4 2>&1 | tee "$OUT/ctest.log" | tail -25) || true

# Data-parallel path through NCCL: world size 1 on one GPU, then every GPU of the machine.
gpus=$(nvidia-smi -L 2> /dev/null | wc -l)
for procs in 1 $([[ $gpus -gt 1 ]] && echo "$gpus"); do
  echo "== NCCL, $procs process(es)"
  ./build/gpu/app/swav bench --preset cifar10-resnet18 --synthetic --steps 20 --warmup 5 \
    --nproc-per-node "$procs" --set runtime.device=cuda --set dataset.path=/nonexistent 2>&1 |
    tee -a "$OUT/nccl.log" | grep -v '^using\|no such' || true
done

# SWAV_GPU_BENCH=0 skips the benchmarks (tests only).
[[ "${SWAV_GPU_BENCH:-1}" == 0 ]] && exit 0
for preset in cifar10-resnet18 imagenet-resnet50-800ep; do
  for precision in bf16 fp16; do
    echo "== $preset $precision"
    ./build/gpu/app/swav bench --preset "$preset" --synthetic --steps 20 --warmup 5 \
      --set runtime.precision=$precision --set runtime.device=cuda \
      --set dataset.path=/nonexistent 2>&1 | tee -a "$OUT/bench.log" | grep -v '^using\|no such' || true
  done
done
