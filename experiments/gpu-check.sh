#!/usr/bin/env bash
# GPU check for a machine with CUDA, CMake, ninja and a PyTorch wheel (whose LibTorch we use),
# but no Qt, OpenCV or dev packages. Headers that the build needs travel in .gpu/ (see
# experiments/prepare-gpu-check.sh). Builds core + CLI + tests, runs the tests (gpu label
# included), then measures in one run (about 10 minutes on an H200 with 16 cores):
# - model-only ResNet-50 2x224 + 6x96 in bf16 at growing batch sizes up to the largest that
#   fits (images/s, time split, peak memory), and cifar10 ResNet-18 in bf16 and fp16;
# - when this machine has OpenCV: a JPEG folder made by `swav make-images`, the data pipeline
#   alone on every core (`swav bench data`), and end-to-end training from that folder at the
#   best batch, against the model-only figure.
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
  -DSWAV_BUILD_GUI=OFF -DSWAV_WITH_OPENCV=AUTO -DSWAV_USE_CCACHE=OFF \
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
swav=./build/gpu/app/swav
common=(--set runtime.device=cuda --set dataset.path=/nonexistent)

echo "== cifar10-resnet18 (model only)"
for precision in bf16 fp16; do
  $swav bench --preset cifar10-resnet18 --synthetic --steps 30 --warmup 10 \
    --set runtime.precision=$precision "${common[@]}" 2>&1 | tee -a "$OUT/bench.log" |
    grep -E '^preset|images/s|peak' || true
done

# Model-only ceiling of ResNet-50 multi-crop, growing the batch until it no longer fits.
best_batch=0
best_rate=0
for batch in 64 128 256 512 768; do
  echo "== imagenet-resnet50 bf16, batch $batch (model only)"
  if ! $swav bench --preset imagenet-resnet50-800ep --synthetic --steps 12 --warmup 4 \
    --set runtime.precision=bf16 --set optim.batch_size=$batch "${common[@]}" \
    > "$OUT/resnet50-b$batch.log" 2>&1; then
    tail -3 "$OUT/resnet50-b$batch.log"
    break
  fi
  grep -v '^warning' "$OUT/resnet50-b$batch.log"
  rate=$(sed -n 's/^images\/s: \([0-9.]*\).*/\1/p' "$OUT/resnet50-b$batch.log")
  if awk "BEGIN{exit !($rate > $best_rate)}"; then best_rate=$rate; best_batch=$batch; fi
done
echo "model-only best: $best_rate images/s at batch $best_batch" | tee -a "$OUT/summary.txt"

if ! $swav make-images --help > /dev/null 2>&1 || [[ ! -d ${PHOTOS:-$deps/usr/lib/python3/dist-packages/skimage/data} ]]; then
  echo "end-to-end from JPEGs: not measured (no photographs in .gpu)" | tee -a "$OUT/summary.txt"
  exit 0
fi
images=/tmp/swav-bench-images
rm -rf "$images"
if ! $swav make-images --out "$images" --count 6000 \
  --photos "${PHOTOS:-$deps/usr/lib/python3/dist-packages/skimage/data}" > "$OUT/make-images.log" 2>&1; then
  # Built without OpenCV: image folders are unavailable here.
  tail -2 "$OUT/make-images.log" | tee -a "$OUT/summary.txt"
  exit 0
fi
echo "== data pipeline alone, $(nproc) threads, colour on the GPU and on the threads"
for finish in device workers; do
  $swav bench data --preset imagenet-resnet50-800ep --images "$images" --threads "$(nproc)" \
    --steps 20 --warmup 4 --set optim.batch_size=$best_batch --set dataset.crop_finish=$finish \
    --set runtime.device=cuda 2>&1 | tee -a "$OUT/data.log" | grep -v '^warning' || true
done
echo "== end to end from JPEGs, batch $best_batch"
$swav bench --preset imagenet-resnet50-800ep --steps 12 --warmup 4 \
  --set runtime.precision=bf16 --set optim.batch_size=$best_batch --set runtime.device=cuda \
  --set dataset.path="$images" --set dataset.decode_threads="$(nproc)" 2>&1 |
  tee "$OUT/end-to-end.log" | grep -v '^warning' || true
rate=$(sed -n 's/^images\/s: \([0-9.]*\).*/\1/p' "$OUT/end-to-end.log")
echo "end-to-end: ${rate:-?} images/s = $(awk "BEGIN{printf \"%.2f\", ${rate:-0} / $best_rate}") of model-only" |
  tee -a "$OUT/summary.txt"
