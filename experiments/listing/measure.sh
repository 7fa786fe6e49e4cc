#!/usr/bin/env bash
# How long an ImageNet-sized image folder takes to open, next to Python's os.scandir and the
# torchvision ImageFolder the authors' main_swav.py builds on, and how many files `swav bench data`
# opens. The tree is ImageNet's shape (class folders n00000000..., files <class>_<n>.JPEG), its
# files hard links to one real JPEG per class, so that a million entries cost little disk space.
# Usage: measure.sh SWAV SCRATCH_DIR CLASSES FILES_PER_CLASS
set -euo pipefail
swav=${1:?swav binary}; scratch=${2:?scratch folder}; classes=${3:?classes}; per=${4:?files per class}
python=/usr/bin/python3 # Debian's python3-torch and python3-torchvision
tree="$scratch/tree-$classes-$per"

if [[ ! -d "$tree/train" ]]; then
  "$python" - "$tree" "$classes" "$per" << 'PY'
import os, sys, torch, torchvision.io as io
tree, classes, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{tree}/sources")
torch.manual_seed(0)
image = torch.randint(0, 256, (3, 375, 500), dtype=torch.uint8)
for c in range(classes):  # one photograph per class: a file takes at most 65000 links
    source = f"{tree}/sources/{c}.jpg"
    io.write_jpeg(image.roll(c, 2), source, quality=90)
    folder = f"{tree}/train/n{c:08d}"
    os.makedirs(folder)
    for i in range(per):
        os.link(source, f"{folder}/n{c:08d}_{i}.JPEG")
PY
fi
entries=$((classes * per))
echo "tree: $entries files in $classes class folders ($tree/train)"

sync
echo 3 > /proc/sys/vm/drop_caches 2> /dev/null && echo "page cache dropped before each listing" || echo "page cache kept (cannot drop it here): warm listings"
drop() { echo 3 > /proc/sys/vm/drop_caches 2> /dev/null || true; }

drop
"$python" - "$tree/train" << 'PY'
import os, sys, time
start = time.perf_counter()
files = []
def walk(folder):
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                walk(entry.path)
            else:
                files.append(entry.path)
walk(sys.argv[1])
files.sort()
print(f"os.scandir walk:           {time.perf_counter() - start:7.2f} s ({len(files)} files)")
PY
drop
"$python" - "$tree/train" << 'PY'
import sys, time, torchvision
start = time.perf_counter()
data = torchvision.datasets.ImageFolder(sys.argv[1])
print(f"torchvision ImageFolder:   {time.perf_counter() - start:7.2f} s ({len(data)} images)")
PY
drop
"$swav" bench data --preset imagenet-resnet50-800ep --images "$tree/train" --steps 2 --warmup 1 \
  --threads 2 --set optim.batch_size=32 2> /dev/null | sed -n 's/^opened in \([0-9.]*\) s: \([0-9]*\) files.*/swav (image-folder open):  \1 s (\2 files)/p'

if command -v strace > /dev/null; then
  log="$scratch/strace-$classes-$per.txt"
  strace -f -e trace=openat -o "$log" "$swav" bench data --preset imagenet-resnet50-800ep \
    --images "$tree/train" --steps 2 --warmup 1 --threads 2 --set optim.batch_size=32 \
    > "$scratch/bench-$classes-$per.txt" 2>&1
  decoded=$(sed -n 's/.* \([0-9]*\) images decoded since.*/\1/p' "$scratch/bench-$classes-$per.txt")
  opens=$(grep 'openat(' "$log" | grep "$tree/train/n")
  echo "swav bench data: $(grep -c 'openat(' "$log") openat calls in all:" \
    "$(grep -vc O_DIRECTORY <<< "$opens") image files for $decoded decoded images," \
    "$(grep -c O_DIRECTORY <<< "$opens") class folders, the rest libraries and devices"
fi
