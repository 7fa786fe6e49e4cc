#!/usr/bin/env bash
# Issue 32: what a hostile or careless user does to outputs, the run database and the launcher
# ends in a clear refusal or the right result, and never costs a file the user or a run owns.
# Usage: test_cli_hostile.sh SWAV_BINARY
set -uo pipefail
swav=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/data"
db="$work/runs.db"
python=${SWAV_TEST_PYTHON:-/usr/bin/python3}
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS   $name"
  else failed=$((failed + 1)); echo "FAIL   $name"; fi
}
refused() { # refused CODE LOG FRAGMENT: exit 1 or 2, the fragment said, no backtrace
  [ "$1" -eq 1 -o "$1" -eq 2 ] && grep -qF -- "$3" "$2" && ! grep -q "frame #" "$2"
}
same() { cmp -s "$1" "$2"; }

"$swav" train --config "$here/tiny-synthetic.json" --set optim.epochs=2 \
  --set dataset.synthetic_count=256 --db "$db" --out "$work/run" > "$work/train.txt" 2>&1
check "a tiny run trains" test $? -eq 0
newest=$(ls "$work/run/checkpoints/"epoch-*.pt | tail -1)

# --- Outputs: never an existing file unasked, never the database or a run's file ------------
echo precious > "$work/mine.pt"; cp "$work/mine.pt" "$work/mine.copy"
"$swav" export --run "$work/run" --db "$db" --format pytorch --out "$work/mine.pt" > "$work/o1.txt" 2>&1
check "export refuses an existing file" refused $? "$work/o1.txt" "already exists"
check "the existing file is untouched" same "$work/mine.pt" "$work/mine.copy"
"$swav" export --run "$work/run" --db "$db" --format pytorch --out "$work/mine.pt" --overwrite > "$work/o2.txt" 2>&1
check "export --overwrite replaces it" bash -c "[ $? -eq 0 ] && ! cmp -s '$work/mine.pt' '$work/mine.copy'"
cp "$newest" "$work/newest.copy"
"$swav" export --run "$work/run" --db "$db" --format pytorch --out "$newest" --overwrite > "$work/o3.txt" 2>&1
check "export refuses the run's checkpoint even with --overwrite" refused $? "$work/o3.txt" "a file of run"
check "the checkpoint is untouched" same "$newest" "$work/newest.copy"
cp "$db" "$work/db.copy"
"$swav" export --run "$work/run" --db "$db" --format pytorch --out "$db" --overwrite > "$work/o4.txt" 2>&1
check "export refuses the run database" refused $? "$work/o4.txt" "the run database"
"$swav" runs export 1 --db "$db" --csv "$db" --overwrite > "$work/o5.txt" 2>&1
check "runs export refuses the run database" refused $? "$work/o5.txt" "the run database"
"$swav" runs list --db "$db" --csv "$work/run/config.json" --overwrite > "$work/o6.txt" 2>&1
check "runs list refuses the run's configuration" refused $? "$work/o6.txt" "a file of run"
"$swav" runs list --db "$db" > "$work/o7.txt" 2>&1
check "the database still lists the run" grep -q " 1 " "$work/o7.txt"
"$swav" runs export 1 --db "$db" --csv "$work/mine.pt" > "$work/o8.txt" 2>&1
check "runs export refuses an existing file" refused $? "$work/o8.txt" "already exists"
ln -s "$work/mine.copy" "$work/e.npy.tmp"
"$swav" runs export 1 --db "$db" --csv - > "$work/stdout.csv" 2> "$work/o9.txt"
check "--csv - writes to standard output" bash -c "[ $? -eq 0 ] && head -1 '$work/stdout.csv' | grep -q '^metric,step'"
check "and says so on standard error only" grep -q "written to -" "$work/o9.txt"
mkfifo "$work/fifo"
cat "$work/fifo" > "$work/from-fifo.csv" & reader=$!
"$swav" runs list --db "$db" --csv "$work/fifo" > "$work/o10.txt" 2>&1
wait $reader
check "a FIFO is written in place" bash -c "[ -p '$work/fifo' ] && grep -q '^id,name' '$work/from-fifo.csv'"
"$swav" runs list --db "$db" --csv "/proc/self/fd/1" > "$work/fd1.csv" 2> "$work/o11.txt"
check "/proc/self/fd/1 onto a file is written at its offset" grep -q "^id,name" "$work/fd1.csv"
"$swav" runs list --db "$db" --csv "/proc/self/fd/1" 2> "$work/o12.txt" | cat > "$work/pipe.csv"
check "/proc/self/fd/1 onto a pipe is written through" grep -q "^id,name" "$work/pipe.csv"
"$swav" sweep --config "$here/tiny-synthetic.json" --grid optim.base_lr=0.1,0.2 --tag t --db "$db" \
  --dry-run --table "$newest" --overwrite > "$work/o12.txt" 2>&1
check "sweep refuses a checkpoint as its table" refused $? "$work/o12.txt" "a file of run"

# --- Hang-ups, timed checkpoints, a run killed before its first checkpoint ---------------------
long=(--config "$here/tiny-synthetic.json" --set dataset.synthetic_count=262144 --set optim.epochs=50
      --set runtime.metrics_every=1000000)
wait_for() { # wait_for FILE TEXT: until FILE holds TEXT (at most 60 s)
  for _ in $(seq 1 600); do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.1; done; return 1
}
stop_within() { # stop_within PID: waits for PID (at most 60 s), kills it after that
  for _ in $(seq 1 1200); do kill -0 "$1" 2> /dev/null || break; sleep 0.05; done
  kill -0 "$1" 2> /dev/null && kill -KILL "$1"; wait "$1"
}
"$swav" train "${long[@]}" --db "$db" --out "$work/hup" > "$work/hup.txt" 2>&1 & pid=$!
wait_for "$work/hup.txt" "training on"
kill -HUP $pid; stop_within $pid; rc=$?
check "SIGHUP (the terminal closed) stops like SIGTERM: exit 0" test $rc -eq 0
check "with a checkpoint" test -n "$(ls "$work/hup/checkpoints/"*.pt 2> /dev/null)"
"$swav" train "${long[@]}" --no-store --nproc-per-node 2 --out "$work/hup2" > "$work/hup2.txt" 2>&1 & pid=$!
wait_for "$work/hup2.txt" "training on"
kill -HUP $pid; stop_within $pid; rc=$?
check "the launcher passes a hang-up on: every rank stops with a checkpoint" \
  bash -c "[ $rc -eq 0 ] && ls '$work/hup2/checkpoints/'*.pt > /dev/null 2>&1"

"$swav" train --config "$here/tiny-synthetic.json" --no-store --out "$work/timed" --set optim.epochs=2 \
  --set runtime.checkpoint_every_minutes=0.00001 --set runtime.keep_checkpoints=1000 > "$work/timed.txt" 2>&1
per_epoch=$((4096 / 32))
mid=$(ls "$work/timed/checkpoints/" | sed -n 's/^epoch-0*\([0-9]*\)-step-0*\([0-9][0-9]*\)\.pt$/\2/p' |
      awk -v e=$per_epoch '$1 % e != 0' | wc -l)
check "runtime.checkpoint_every_minutes writes checkpoints within an epoch ($mid of them)" test "$mid" -gt 0

"$swav" train "${long[@]}" --db "$db" --out "$work/early" --set runtime.checkpoint_every_minutes=0 \
  > "$work/early.txt" 2>&1 & pid=$!
wait_for "$work/early.txt" "training on"
kill -KILL $pid; wait $pid 2> /dev/null
# The newest run (killed at once it may still read queued: the kill can come before its start
# was recorded).
early_id=$("$swav" runs list --db "$db" | awk '$1 ~ /^[0-9]+$/ {print $1}' | sort -n | tail -1)
"$swav" train --resume "$early_id" --db "$db" > "$work/early2.txt" 2>&1 & pid=$!
wait_for "$work/early2.txt" "training on"
kill -TERM $pid; stop_within $pid; rc=$?
check "a run killed before its first checkpoint starts again as the same run" \
  bash -c "[ $rc -eq 0 ] && grep -q 'run $early_id stopped before its first checkpoint: it starts again' '$work/early2.txt'"
check "and is kept under its own id, stopped with a checkpoint" \
  bash -c "'$swav' runs show $early_id --db '$db' | grep -q stopped && ls '$work/early/checkpoints/'*.pt > /dev/null"

# --- The launcher: stale rank variables, rendezvous failures in one line ---------------------
tiny=(--config "$here/tiny-synthetic.json" --no-store --set runtime.threads=1)
env RANK=0 WORLD_SIZE=1 "$swav" train "${tiny[@]}" --nproc-per-node 2 > "$work/l1.txt" 2>&1
check "a stale RANK/WORLD_SIZE with --nproc-per-node is refused" refused $? "$work/l1.txt" "unset RANK and WORLD_SIZE"
env SLURM_PROCID=0 SLURM_NTASKS=2 MASTER_ADDR=127.0.0.1 "$swav" bench --config "$here/tiny-synthetic.json" \
  --nproc-per-node 2 > "$work/l2.txt" 2>&1
check "and a SLURM task's variables the same way" refused $? "$work/l2.txt" "unset SLURM_PROCID and SLURM_NTASKS"
free_port() { "$python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
start=$SECONDS
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=no-such-host.invalid MASTER_PORT=$(free_port) "$swav" train "${tiny[@]}" > "$work/l3.txt" 2>&1
rc=$?
one_line() { [ "$(wc -l < "$1")" -eq 1 ]; }
check "an unresolvable rendezvous address fails at once, by name" \
  bash -c "$(declare -f refused one_line); refused $rc '$work/l3.txt' 'no-such-host.invalid' && [ $((SECONDS - start)) -lt 30 ] && one_line '$work/l3.txt'"
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) "$swav" train "${tiny[@]}" \
  --set runtime.dist_setup_timeout_s=3 > "$work/l4.txt" 2>&1
rc=$?
check "rank 0 alone names the missing rank in one line" \
  bash -c "$(declare -f refused one_line); refused $rc '$work/l4.txt' 'rank 1 of 2 did not arrive within 3 s' && one_line '$work/l4.txt'"
port=$(free_port)
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$swav" train "${tiny[@]}" \
  --set runtime.dist_setup_timeout_s=60 > "$work/l5.txt" 2>&1 & zero=$!
env RANK=1 WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$swav" train "${tiny[@]}" \
  --set runtime.dist_setup_timeout_s=60 > "$work/l6.txt" 2>&1
one=$?
wait $zero; zero=$?
check "mismatched world sizes: the odd rank says so" refused $one "$work/l6.txt" "world size of 3, rank 0 with 2"
check "and rank 0 names it, without a backtrace" \
  bash -c "$(declare -f refused one_line); refused $zero '$work/l5.txt' 'rank 1 (' && grep -q 'world size of 3' '$work/l5.txt' && one_line '$work/l5.txt'"

# --- Feature caches: used only when they hold the dataset's rows, labels and finite values -----
"$swav" eval --run "$work/run" --db "$db" --knn > "$work/eval1.txt" 2>&1
check "eval writes its feature caches" bash -c "[ $? -eq 0 ] && ls '$newest'.*.features > /dev/null"
for tamper in nan one-row extra-column no-labels bad-labels; do
  for cache in "$newest".*.features; do
    "$python" - "$cache" "$tamper" <<'PY'
import sys, torch
path, tamper = sys.argv[1], sys.argv[2]
c = torch.load(path)
f, l = c["features"], c["labels"]
if tamper == "nan": f[1, 0] = float("nan")
if tamper == "one-row": f, l = f[:1], l[:1]
if tamper == "extra-column": f = torch.cat([f, f[:, :1]], 1)
if tamper == "no-labels": l = None
if tamper == "bad-labels": l = l + 1000
torch.save({"key": c["key"], "features": f, "labels": l}, path)
PY
  done
  "$swav" eval --run "$work/run" --db "$db" --knn > "$work/eval-$tamper.txt" 2>&1
  check "a cache with $tamper is recomputed: the same accuracy" bash -c \
    "[ $? -eq 0 ] && grep -q '^trained' '$work/eval1.txt' && diff <(grep '^trained' '$work/eval1.txt') <(grep '^trained' '$work/eval-$tamper.txt')"
done

# --- A database this user may only read ------------------------------------------------------
# As root (who may write anything) the commands run as nobody; otherwise write permission goes.
ro="$work/readonly"; mkdir -p "$ro"
"$swav" train --config "$here/tiny-synthetic.json" --set optim.epochs=1 \
  --set dataset.synthetic_count=128 --db "$ro/runs.db" --out "$ro/run" > "$work/ro-train.txt" 2>&1
sqlite3 "$ro/runs.db" "update runs set status='running', pid=999999999" 2>/dev/null ||
  "${SWAV_TEST_PYTHON:-/usr/bin/python3}" -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update runs set status='running', pid=999999999\"); c.commit()" "$ro/runs.db"
as_reader() {
  if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$work" "$ro" "$ro/run" "$ro/run/checkpoints"; chmod 644 "$ro"/runs.db*
    setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent "$@"
  else
    chmod a-w "$ro" "$ro"/runs.db*; "$@"; local rc=$?; chmod u+w "$ro" "$ro"/runs.db*; return $rc
  fi
}
as_reader "$swav" runs list --db "$ro/runs.db" > "$work/ro-list.txt" 2>&1
check "a reader lists a database it cannot write, the dead run as interrupted" \
  bash -c "[ $? -eq 0 ] && grep -q interrupted '$work/ro-list.txt'"
as_reader "$swav" runs show 1 --db "$ro/runs.db" > "$work/ro-show.txt" 2>&1
check "and shows the run" test $? -eq 0
files_before=$(find "$ro/run" | sort)
if [ "$(id -u)" -eq 0 ]; then chmod 777 "$ro/run" "$ro/run/checkpoints"; fi
as_reader "$swav" runs rm 1 --yes --db "$ro/runs.db" > "$work/ro-rm.txt" 2>&1
check "runs rm on an unwritable database is refused by name" refused $? "$work/ro-rm.txt" "read-only"
check "and deletes no file" test "$(find "$ro/run" | sort)" = "$files_before"

# --- Small things that misled --------------------------------------------------------------
cp -r "$work/run" "$work/damaged"
for f in "$work/damaged/checkpoints/"*.pt; do head -c 100 "$f" > "$f.cut"; mv "$f.cut" "$f"; done
"$swav" export --run "$work/damaged" --format pytorch --out "$work/d.pt" > "$work/s1.txt" 2>&1
rc=$?
check "no 'older checkpoint' is promised when none is readable" \
  bash -c "$(declare -f refused); refused $rc '$work/s1.txt' 'no readable checkpoint' && ! grep -q 'using an older' '$work/s1.txt'"
"$swav" runs note 1 "$(printf 'line one\nred \033[31malert\033[0m')" --db "$db" > /dev/null 2>&1
"$swav" runs show 1 --db "$db" > "$work/s2.txt" 2>&1
check "runs show prints escape sequences as text, never to the terminal" \
  bash -c "grep -qF 'red \\e[31malert' '$work/s2.txt' && ! grep -q \$'\\x1b' '$work/s2.txt'"
"$swav" sweep --config "$here/tiny-synthetic.json" --grid optim.base_lr=0.1 --grid optim.base_lr=0.2 \
  --tag t --db "$db" --dry-run > "$work/s3.txt" 2>&1
check "a --grid key given twice is refused" refused $? "$work/s3.txt" "is given twice"
"$swav" config --config "$here/tiny-synthetic.json" --set 'swav={}' > "$work/s4.txt" 2>&1
check "--set of a whole section is refused, not a silent reset" refused $? "$work/s4.txt" "a section"
"$python" - "$work" <<'PY'
import sys, torch, torchvision
work = sys.argv[1]
sd = torchvision.models.resnet18().state_dict()
torch.save(sd, work + "/tv18.pt")
for name, change in [("bool", lambda t: t > 0), ("complex", lambda t: t.to(torch.complex64)),
                     ("nan", lambda t: t.fill_(float("nan")))]:
    bad = dict(sd)
    bad["conv1.weight"] = change(sd["conv1.weight"].clone())
    torch.save(bad, work + "/" + name + ".pt")
PY
"$swav" import "$work/tv18.pt" --arch resnet18 --db "$db" > "$work/s5.txt" 2>&1
check "torchvision's ResNet-18 imports with --arch resnet18 alone" test $? -eq 0
for kind in bool complex nan; do
  "$swav" import "$work/$kind.pt" --arch resnet18 --db "$db" > "$work/s6-$kind.txt" 2>&1
  check "a state dict with a $kind weight is refused by name" refused $? "$work/s6-$kind.txt" "conv1.weight"
done
"$swav" import "$work/tv18.pt" --arch resnet18 --db "$db" --name "$(printf 'two\nlines')" > "$work/s7.txt" 2>&1
check "a run name with a line break is refused" refused $? "$work/s7.txt" "one line"
cp -r "$work/run" "$work/nanrun"
nanckpt=$(ls "$work/nanrun/checkpoints/"epoch-*.pt | tail -1)
"$python" - "$nanckpt" <<'PY'
import sys, torch
c = torch.load(sys.argv[1])
for k, v in c["model"].items():
    if v.is_floating_point():
        v.fill_(float("nan"))
torch.save(c, sys.argv[1])
PY
"$swav" embed --run "$work/nanrun" --dataset test --out "$work/nan.npy" > "$work/s8.txt" 2>&1
rc=$?
check "embed with NaN weights is refused and writes nothing" \
  bash -c "$(declare -f refused); refused $rc '$work/s8.txt' 'NaN or infinite' && [ ! -e '$work/nan.npy' ]"
mkdir -p "$work/emptyidx"
"$python" - "$work/emptyidx" <<'PY'
import struct, sys
d = sys.argv[1]
for prefix in ("train", "t10k"):
    open(f"{d}/{prefix}-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 0, 28, 28))
    open(f"{d}/{prefix}-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 0))
PY
"$swav" train --preset fashion-mnist --set dataset.path="$work/emptyidx" --no-store > "$work/s9.txt" 2>&1
rc=$?
check "an empty IDX file is named, not dataset.holdout" \
  bash -c "$(declare -f refused); refused $rc '$work/s9.txt' 'holds no images' && ! grep -q holdout '$work/s9.txt'"

echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
