#!/usr/bin/env bash
# Multi-process training from the command line: 2 processes of one thread on 127.0.0.1. A rank
# killed or hung ends the run within the timeout with a message naming it, leaves no process
# and no run recorded as running; Ctrl-C to the launcher checkpoints and the run resumes as the
# same run; a port in use or an unreachable master is a clear error.
# Usage: test_cli_dist.sh SWAV_BINARY
set -uo pipefail
swav=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cleanup() {
  pkill -KILL -f "$work" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_DATA_HOME="$work/data"
export OMP_NUM_THREADS=1
config="$here/tiny-synthetic.json"
host=$(hostname)
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS   $name"
  else failed=$((failed + 1)); echo "FAIL   $name"; fi
}

# The worker of LAUNCHER with RANK=N.
rank_pid() {
  local child
  for child in $(pgrep -P "$1"); do
    if tr '\0' '\n' < "/proc/$child/environ" 2> /dev/null | grep -qx "RANK=$2"; then
      echo "$child"; return
    fi
  done
}
# Waits until FILE shows a training step (at most 60 s).
wait_for_steps() {
  for _ in $(seq 1 600); do grep -q "step " "$1" 2> /dev/null && return 0; sleep 0.1; done
  return 1
}
# Waits at most SECONDS for PID to end; prints how long it took.
wait_gone() {
  local start=$SECONDS
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2> /dev/null || break; sleep 0.1; done
  echo $((SECONDS - start))
}
alive() { kill -0 "$1" 2> /dev/null; }
status_of() { "$swav" runs list 2> /dev/null | grep -E "^ +$1 " | awk '{print $3}'; }

long=(--config "$config" --set optim.epochs=500 --set runtime.dist_timeout_s=10)
# Starts a long two-process run in $work/NAME once it trains; sets launcher, r0 and r1.
start_long() {
  "$swav" train "${long[@]}" --nproc-per-node 2 --out "$work/$1" > "$work/$1.txt" 2>&1 &
  launcher=$!
  wait_for_steps "$work/$1.txt"
  r0=$(rank_pid $launcher 0) r1=$(rank_pid $launcher 1)
}
# Waits at most SECONDS for the launcher; sets took and code. A launcher still there then is a
# failure: what its processes were doing is printed, and they are killed.
end_launcher() {
  took=$(wait_gone $launcher "$1")
  if alive $launcher; then
    echo "launcher $launcher still running after $1 s:"
    ps -o pid,stat,etime,args --ppid $launcher --pid $launcher
    for log in "$work"/*.txt "$work"/*/rank-*.log; do echo "--- $log"; tail -5 "$log"; done
    pkill -KILL -P $launcher
    kill -KILL $launcher
  fi
  wait $launcher
  code=$?
}

# 1. A rank killed mid-run.
start_long killed
check "the launcher starts two ranks" test -n "$r0" -a -n "$r1"
kill -KILL "$r1"
end_launcher 60
check "a killed rank ends the run within the timeout (took ${took} s)" test "$took" -le 30
check "a killed rank fails the launcher" test "$code" -ne 0
check "the launcher names the killed rank" grep -q "rank 1 (pid $r1) was killed by signal 9" "$work/killed.txt"
check "rank 0 names the dead rank and its host" grep -q "rank 1 ($host, pid $r1) has exited" "$work/killed.txt"
check "no rank outlives a killed rank" bash -c "! kill -0 $r0 2> /dev/null && ! kill -0 $r1 2> /dev/null"
id=$(grep -oE '^run [0-9]+ recorded' "$work/killed.txt" | awk '{print $2}')
check "the store records the run as failed" test "$(status_of "$id")" = failed

# 2. A rank that hangs (stopped): the others time out and name it.
start_long hung
kill -STOP "$r1"
end_launcher 90
check "a hung rank ends the run (took ${took} s, timeout 10 s)" test "$took" -le 45
check "a hung rank fails the launcher" test "$code" -ne 0
check "rank 0 names the hung rank" grep -q "rank 1 ($host, pid $r1) is alive but stopped answering within 10 s" "$work/hung.txt"
check "no rank outlives a hung rank" bash -c "! kill -0 $r0 2> /dev/null && ! kill -0 $r1 2> /dev/null"
id=$(grep -oE '^run [0-9]+ recorded' "$work/hung.txt" | awk '{print $2}')
check "the store does not say running" test "$(status_of "$id")" != running

# 3. Ctrl-C to the launcher: every rank stops at the same step, rank 0 checkpoints, and the run
# resumes to completion as the same run.
"$swav" train --config "$config" --nproc-per-node 2 --out "$work/stopped" > "$work/stopped.txt" 2>&1 &
launcher=$!
wait_for_steps "$work/stopped.txt"
r1=$(rank_pid $launcher 1)
kill -INT $launcher
wait $launcher
code=$?
id=$(grep -oE '^run [0-9]+ recorded' "$work/stopped.txt" | awk '{print $2}')
check "Ctrl-C stops the ranks with exit code 0" test "$code" -eq 0
check "Ctrl-C writes a checkpoint" test -n "$(ls "$work/stopped/checkpoints/"*.pt 2> /dev/null)"
check "Ctrl-C says how to resume with the same processes" grep -q "resume with: swav train --nproc-per-node 2 --resume $id" "$work/stopped.txt"
check "rank 1 logs to its file in the run folder" grep -q "stopped at epoch" "$work/stopped/rank-1.log"
grep -q "stopped at epoch" "$work/stopped/rank-1.log" || cat "$work/stopped/rank-1.log" "$work/stopped.txt"
check "the stopped run is interrupted or stopped, not running" test "$(status_of "$id")" != running
"$swav" train --nproc-per-node 2 --resume "$id" > "$work/resumed.txt" 2>&1
check "the resumed run finishes" test $? -eq 0
check "it continues where it stopped" grep -q "resumed at step" "$work/resumed.txt"
check "it completes all epochs" grep -q "done: finished 3 epochs" "$work/resumed.txt"
check "it is the same run, now finished" test "$(status_of "$id")" = finished
check "the store records the world size" bash -c "'$swav' runs show $id | grep -q 'in each of 2 processes on $host'"

# 4. A run stopped with 2 processes continues with 1 after a warning about what changes.
"$swav" train --config "$config" --nproc-per-node 2 --out "$work/regrouped" > "$work/regrouped.txt" 2>&1 &
launcher=$!
wait_for_steps "$work/regrouped.txt"
kill -INT $launcher
wait $launcher
id=$(grep -oE '^run [0-9]+ recorded' "$work/regrouped.txt" | awk '{print $2}')
"$swav" train --resume "$id" > "$work/alone.txt" 2>&1
check "a 2-process run resumes in one process" test $? -eq 0
check "it warns what changes" grep -q "was written by 2 processes and this run has 1: the global batch is now 32" "$work/alone.txt"
check "it finishes as the same run" test "$(status_of "$id")" = finished

# 5. Two "hosts" (two launchers of one process each, as on two machines) make one run.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nodes=(--config "$config" --set optim.epochs=1 --nnodes 2 --nproc-per-node 1 --master-addr 127.0.0.1
       --master-port "$port" --no-store)
"$swav" train "${nodes[@]}" --node-rank 1 --out "$work/node1" > "$work/node1.txt" 2>&1 &
node1=$!
"$swav" train "${nodes[@]}" --node-rank 0 --out "$work/nodes" > "$work/node0.txt" 2>&1
code0=$?
wait $node1
code1=$?
check "two launchers of one process each train one run" test "$code0" -eq 0 -a "$code1" -eq 0
check "node 0 reports both processes" grep -q "in each of 2 processes" "$work/node0.txt"
check "node 1's rank logs into the run folder of rank 0" test -s "$work/nodes/rank-1.log"

# 6. Set-up errors are clear and quick.
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(120)' > "$work/port.txt" &
holder=$!
for _ in $(seq 1 50); do [[ -s "$work/port.txt" ]] && break; sleep 0.1; done
port=$(cat "$work/port.txt")
start=$SECONDS
"$swav" train --config "$config" --set runtime.dist_timeout_s=5 --nproc-per-node 2 \
  --master-port "$port" --no-store --out "$work/port-run" > "$work/busy.txt" 2>&1
code=$?
check "a port in use fails the launch (took $((SECONDS - start)) s)" test "$code" -ne 0 -a $((SECONDS - start)) -le 30
check "a port in use is named" grep -q "cannot host the rendezvous on 127.0.0.1:$port: the port is in use" "$work/busy.txt"
kill $holder 2> /dev/null
wait $holder 2> /dev/null
free=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$free "$swav" train --config "$config" \
  --set runtime.dist_setup_timeout_s=3 --no-store > "$work/unreachable.txt" 2>&1
code=$?
check "an unreachable master exits with 2" test "$code" -eq 2
check "an unreachable master is named" grep -q "rank 1 cannot reach the master at 127.0.0.1:$free within 3 s" "$work/unreachable.txt"
"$swav" train --config "$config" --nnodes 2 --node-rank 1 --no-store > "$work/noaddr.txt" 2>&1
check "several hosts need the master address" grep -q "^--master-addr: a run over 2 hosts needs the address" "$work/noaddr.txt"
RANK=5 WORLD_SIZE=2 "$swav" train --config "$config" --no-store > "$work/badrank.txt" 2>&1
check "a rank outside the world is refused" grep -q "torchrun environment: rank 5 is outside 0..1" "$work/badrank.txt"

# An image folder is listed once, by rank 0; the other rank trains on rank 0's listing, which the
# run keeps (recorded as its own) for a resume.
python3 - "$work/images" << 'PY'
import os, struct, sys
for c in range(2):
    os.makedirs(f"{sys.argv[1]}/class{c}")
    for i in range(32):
        pixels = bytes([(c * 100 + i * 3) % 256]) * (16 * 16 * 3)
        header = struct.pack("<2sIHHIIiiHHIIiiII", b"BM", 54 + len(pixels), 0, 0, 54, 40, 16, 16,
                             1, 24, 0, len(pixels), 2835, 2835, 0, 0)
        open(f"{sys.argv[1]}/class{c}/{i:03d}.bmp", "wb").write(header + pixels)
PY
"$swav" train --config "$config" --set dataset.kind=image-folder --set "dataset.path=$work/images" \
  --set dataset.image_size=16 --set optim.epochs=1 --nproc-per-node 2 --out "$work/folder-run" \
  > "$work/folder.txt" 2>&1
check "two ranks train on an image folder" test $? -eq 0
check "the run keeps its folder's listing" test -s "$work/folder-run/image-folder-listing"
check "rank 1 trains on rank 0's listing" grep -q "64 files as listed by rank 0" "$work/folder-run/rank-1.log"
folder_run=$(sed -n 's/^run \([0-9]*\) recorded in .*/\1/p' "$work/folder.txt")
"$swav" runs rm "$folder_run" --yes > /dev/null 2>&1
check "the listing goes with the run's files" test ! -e "$work/folder-run/image-folder-listing"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
