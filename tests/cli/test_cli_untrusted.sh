#!/usr/bin/env bash
# Issue 10: crafted checkpoints, caches and state dicts given to the command line end in a clear
# error (exit 1 or 2, the file named), never in a crash; a damaged newest checkpoint falls back to
# an older one; the run's own files are never replaced by the crafted ones.
# Usage: test_cli_untrusted.sh SWAV_BINARY
set -uo pipefail
swav=$1
here=$(cd "$(dirname "$0")" && pwd)
python=${SWAV_TEST_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/data"
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS   $name"
  else failed=$((failed + 1)); echo "FAIL   $name"; fi
}
# A clean refusal: exit 1 or 2 (not a signal), the file named, no LibTorch backtrace.
refused() { # refused CODE LOG FILE
  [ "$1" -eq 1 -o "$1" -eq 2 ] && grep -qF "$3" "$2" && ! grep -q "frame #" "$2"
}

"$swav" train --config "$here/tiny-synthetic.json" --set optim.epochs=2 --set dataset.synthetic_count=256 \
  --out "$work/run" > "$work/train.txt" 2>&1
check "a tiny run trains" test $? -eq 0
good=$(ls "$work/run/checkpoints/"epoch-*.pt | tail -1)
check "the run has a checkpoint" test -f "$good"

for case in $("$python" "$here/craft_torch_file.py" --list); do
  crafted="$work/$case.pt"
  "$python" "$here/craft_torch_file.py" "$case" "$crafted"
  "$swav" train --resume "$crafted" --no-store > "$work/$case-resume.txt" 2>&1
  check "resume from $case is refused cleanly" refused $? "$work/$case-resume.txt" "$crafted"
done
# The run's own checkpoint with its first weight tensor reaching outside its storage (these
# crashed the program, or trained on bytes from elsewhere in memory).
for case in $("$python" "$here/craft_torch_file.py" --list-tensor); do
  crafted="$work/tensor-$case.pt"
  "$python" "$here/craft_torch_file.py" --into "$good" "$case" "$crafted"
  "$swav" train --resume "$crafted" --no-store > "$work/tensor-$case.txt" 2>&1
  check "resume from a checkpoint with $case is refused cleanly" refused $? "$work/tensor-$case.txt" "$crafted"
done

# A crafted newest checkpoint in a run folder: commands fall back to the valid one and say so.
"$python" "$here/craft_torch_file.py" tuple3-one-item "$work/run/checkpoints/epoch-0009-step-000000999.pt"
"$swav" export --run "$work/run" --format pytorch --out "$work/exported.pt" > "$work/export.txt" 2>&1
check "export falls back to the newest valid checkpoint" test $? -eq 0 -a -s "$work/exported.pt"
check "the skipped checkpoint is named" grep -q "epoch-0009-step-000000999.pt.*using an older checkpoint" "$work/export.txt"
"$swav" export --run "$work/run" --checkpoint 9 --format pytorch --out "$work/nine.pt" > "$work/nine.txt" 2>&1
check "asking for the crafted checkpoint is refused cleanly" refused $? "$work/nine.txt" "epoch-0009-step-000000999.pt"
check "nothing is written for a refused checkpoint" test ! -e "$work/nine.pt"
"$swav" train --resume "$work/run" --no-store > "$work/fallback.txt" 2>&1
check "resume falls back too" bash -c "grep -q 'using an older checkpoint' '$work/fallback.txt'"
rm "$work/run/checkpoints/epoch-0009-step-000000999.pt"

# A crafted feature cache beside a valid checkpoint is recomputed, not trusted.
"$python" "$here/craft_torch_file.py" tuple3-one-item "$good.train.features"
"$swav" eval --run "$work/run" --knn > "$work/eval.txt" 2>&1
check "eval with a crafted feature cache succeeds" test $? -eq 0
check "eval reports an accuracy" grep -q "trained" "$work/eval.txt"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
