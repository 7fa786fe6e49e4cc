#!/usr/bin/env bash
# Behaviour of the `swav` command line: exit codes, messages, Ctrl-C with a checkpoint, resume.
# Usage: test_cli.sh SWAV_BINARY
set -uo pipefail
swav=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS   $name"
  else failed=$((failed + 1)); echo "FAIL   $name"; fi
}

"$swav" presets > "$work/presets.txt"
check "presets lists the five presets" test "$(grep -c -E '^(fashion-mnist|fashion-mnist-quick|cifar10-resnet18|imagenet-resnet50-800ep|imagenet-resnet50-bs256-queue) ' "$work/presets.txt")" -eq 5

"$swav" config --preset fashion-mnist --set swav.epsilon=0.03 > "$work/config.json"
check "config prints the resolved JSON with overrides" grep -q '"epsilon": 0.03' "$work/config.json"

"$swav" config --preset fashion-mnist --set swav.epsilom=0.03 --set optim.batch_size=1 > /dev/null 2> "$work/bad.txt"
code=$?
check "bad overrides exit with 2" test "$code" -eq 2
check "bad overrides name the closest key" grep -q "swav.epsilom: unknown key (did you mean 'epsilon'?)" "$work/bad.txt"
check "every problem is listed" grep -q "optim.batch_size: must be at least 2, got 1" "$work/bad.txt"

"$swav" train --config "$work/missing.json" > /dev/null 2> "$work/missing.txt"
check "missing config file exits with 2" test $? -eq 2
check "missing config file is named" grep -q "missing.json: cannot open" "$work/missing.txt"

"$swav" train --config "$here/tiny-synthetic.json" --set swav.epsilon=0.001 --out "$work/nan" > "$work/nan.txt" 2>&1
check "a diverging run exits with 1" test $? -eq 1
check "a diverging run explains itself" grep -q "training failed: the loss became" "$work/nan.txt"

# Ctrl-C: the run stops after the current step with a checkpoint and says how to resume.
"$swav" train --config "$here/tiny-synthetic.json" --out "$work/run" > "$work/run.txt" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "training on" "$work/run.txt" 2> /dev/null && break; sleep 0.1; done
sleep 0.5
kill -INT $pid
wait $pid
code=$?
check "Ctrl-C exits with 0" test "$code" -eq 0
check "Ctrl-C writes a checkpoint" test -n "$(ls "$work/run/checkpoints/"*.pt 2> /dev/null)"
check "Ctrl-C says how to resume" grep -q "resume with: swav train --resume" "$work/run.txt"

"$swav" train --resume "$work/run" > "$work/resume.txt" 2>&1
check "resume finishes the run" test $? -eq 0
check "resume continues where it stopped" grep -q "resumed at step" "$work/resume.txt"
check "resume completes all epochs" grep -q "done: finished 3 epochs" "$work/resume.txt"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
