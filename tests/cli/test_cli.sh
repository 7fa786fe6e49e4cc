#!/usr/bin/env bash
# Behaviour of the `swav` command line: exit codes, messages, Ctrl-C with a checkpoint, resume.
# Usage: test_cli.sh SWAV_BINARY
set -uo pipefail
swav=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Runs are recorded in $XDG_DATA_HOME/swav-workbench/runs.db: keep them in the scratch folder.
export XDG_DATA_HOME="$work/data"
db="$work/data/swav-workbench/runs.db"
passed=0 failed=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS   $name"
  else failed=$((failed + 1)); echo "FAIL   $name"; fi
}

"$swav" presets > "$work/presets.txt"
check "presets lists the six presets" test "$(grep -c -E '^(fashion-mnist|fashion-mnist-quick|cifar10-resnet18|imagenet-resnet50-800ep|imagenet-resnet50-bs256-queue|imagenet-resnet50-bs256-queue-1gpu) ' "$work/presets.txt")" -eq 6

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

"$swav" train --config "$here/tiny-synthetic.json" --set optim.optimizer=sgd --set optim.base_lr=1e30 \
  --set optim.final_lr=1e30 --out "$work/nan" > "$work/nan.txt" 2>&1
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
check "resume continues in the run's own folder" grep -q "^run folder: $(realpath "$work/run")$" "$work/resume.txt"

# The run database: the runs above are recorded, and can be listed, tagged, noted, compared,
# exported and deleted.
"$swav" runs list > "$work/list.txt" 2>&1
check "runs list shows the recorded runs" test "$(grep -c -E '^ +[0-9]+  cli-tiny' "$work/list.txt")" -eq 2
check "the diverged run is failed" grep -q -E '^ +1  cli-tiny +failed' "$work/list.txt"
check "the resumed run is one finished run" grep -q -E '^ +2  cli-tiny +finished' "$work/list.txt"
"$swav" runs tag 2 baseline && "$swav" runs note 2 "first try, lr 0.3"
"$swav" runs list --tag baseline > "$work/tagged.txt"
check "runs list filters by tag" test "$(grep -c -E '^ +[0-9]+  ' "$work/tagged.txt")" -eq 1
"$swav" runs show 2 > "$work/show.txt"
check "runs show gives notes, tags and checkpoints" bash -c "grep -q 'first try, lr 0.3' '$work/show.txt' && grep -q 'baseline' '$work/show.txt' && grep -q 'epoch   3' '$work/show.txt'"
"$swav" runs export 2 --csv "$work/metrics.csv" > /dev/null
check "runs export writes the metrics as CSV" bash -c "head -1 '$work/metrics.csv' | grep -q '^metric,step,epoch,wall_time,value$' && grep -q '^loss,' '$work/metrics.csv'"
"$swav" runs diff 1 2 > "$work/diff.txt"
check "runs diff names the changed field" grep -q -E '^optim.optimizer +"sgd" +"lars"' "$work/diff.txt"
"$swav" runs list --csv "$work/runs.csv" > /dev/null
check "runs list --csv writes one line per run" test "$(wc -l < "$work/runs.csv")" -eq 3
"$swav" runs rm 1 < /dev/null > /dev/null 2>&1
check "runs rm without a terminal needs --yes" test $? -eq 2
"$swav" runs rm 1 --yes > /dev/null
check "runs rm deletes the run and its folder" bash -c "! '$swav' runs show 1 > /dev/null 2>&1 && ! test -d '$work/nan'"
"$swav" runs show 42 > /dev/null 2> "$work/noid.txt"
check "an unknown run id exits with 2 and says so" bash -c "test $? -eq 2 && grep -q 'no run with id 42' '$work/noid.txt'"
echo "not a database" > "$work/bogus.db"
"$swav" train --config "$here/tiny-synthetic.json" --db "$work/bogus.db" > /dev/null 2> "$work/bogus.txt"
check "a foreign database file is refused by name" bash -c "test $? -eq 2 && grep -q 'bogus.db: not a SwAV Workbench run database' '$work/bogus.txt'"
check "the foreign file is left untouched" test "$(cat "$work/bogus.db")" = "not a database"
"$swav" train --config "$here/tiny-synthetic.json" --set optim.epochs=1 --no-store --out "$work/unrecorded" > /dev/null 2>&1
check "--no-store trains without recording" test "$("$swav" runs list | grep -c -E '^ +[0-9]+  ')" -eq 1

# ---- Hardening: crafted input gives a clear error and exit code 1 or 2, never a crash or a
# hang. Each command is capped, so a regression fails its check instead of stalling the suite.
cap() { timeout -k 5 "$@"; }
ones() { printf "%s," $(yes "$1" | head -n "$2") | sed 's/,$//'; }

cap 60 "$swav" config --preset fashion-mnist --set model.stage_depths.99999999999999999999999=1 > /dev/null 2> "$work/index.txt"
check "an override index beyond any integer exits with 2" test $? -eq 2
check "an override index beyond any integer is named" grep -q "model.stage_depths.99999999999999999999999: expected an index below 4" "$work/index.txt"

cap 60 "$swav" train --resume 99999999999999999999999 > /dev/null 2> "$work/bigid.txt"
check "a run id beyond any integer exits with 2" test $? -eq 2
check "a run id beyond any integer is taken as a missing folder" grep -q "99999999999999999999999: no such checkpoint file or run folder" "$work/bigid.txt"

{ printf '{"model": {"stage_depths": '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}}'; } > "$work/deep.json"
cap 60 "$swav" train --config "$work/deep.json" --no-store > /dev/null 2> "$work/deep.txt"
check "a config nested 100000 deep exits with 2" test $? -eq 2
check "a config nested 100000 deep is refused by name" grep -q "deep.json: arrays and objects are nested deeper than 32 levels" "$work/deep.txt"
# 60000 deep: one argument may hold 128 KiB.
cap 60 "$swav" config --preset fashion-mnist --set "model.stage_depths=$(head -c 60000 /dev/zero | tr '\0' '[')$(head -c 60000 /dev/zero | tr '\0' ']')" > /dev/null 2> "$work/deepset.txt"
check "a --set value nested 60000 deep exits with 2" test $? -eq 2
check "a --set value nested 60000 deep names the key" grep -q "model.stage_depths: the value's arrays and objects are nested deeper" "$work/deepset.txt"

cap 30 "$swav" train --config /dev/zero --no-store > /dev/null 2> "$work/zero.txt"
check "--config /dev/zero exits with 2 at once" test $? -eq 2
check "--config /dev/zero is refused as not a regular file" grep -q "/dev/zero: not a regular file" "$work/zero.txt"

cap 60 "$swav" train --config "$here/tiny-synthetic.json" --no-store --out "$work/oversized" \
  --set model.num_prototypes=1000000000 --set model.width_multiplier=1000000 \
  --set "model.stage_depths=[1000000, 1]" --set runtime.threads=1000000 > /dev/null 2> "$work/oversized.txt"
check "oversized sizes and counts exit with 2 before training" test $? -eq 2
check "each oversized field is named with its bound" bash -c "grep -q 'model.num_prototypes: must be at most 100000 (' '$work/oversized.txt' && grep -q 'model.width_multiplier: must be at most 16 (' '$work/oversized.txt' && grep -q 'model.stage_depths\[0\]: must be at most 256 (' '$work/oversized.txt' && grep -q 'runtime.threads: must be at most' '$work/oversized.txt'"

# Within every per-field bound, but hundreds of terabytes of weights: refused before allocating,
# recorded as failed, one line and no LibTorch backtrace.
cap 120 "$swav" train --config "$here/tiny-synthetic.json" --db "$work/hard.db" --out "$work/huge" \
  --set "model.stage_depths=[$(ones 256 8)]" --set "model.stage_widths=[$(ones 4096 8)]" \
  --set "model.stage_strides=[$(ones 1 8)]" --set model.stem_width=4096 \
  --set model.width_multiplier=16 > "$work/huge.txt" 2>&1
check "a run too large for memory exits with 1" test $? -eq 1
check "a run too large for memory says so" grep -q "training failed: memory: this configuration needs about" "$work/huge.txt"
check "a failed run prints no backtrace" bash -c "! grep -q -E 'frame #|Exception raised from' '$work/huge.txt'"
"$swav" runs --db "$work/hard.db" list > "$work/hard-list.txt" 2>&1
check "a run failing in set-up is recorded as failed, not queued" grep -q -E '^ +1  cli-tiny +failed' "$work/hard-list.txt"

# SIGTERM is seen before the next step even when metrics come once an epoch (8192 steps here):
# exit 0 with a checkpoint in the middle of the epoch.
"$swav" train --config "$here/tiny-synthetic.json" --no-store --out "$work/term" \
  --set dataset.synthetic_count=262144 --set optim.epochs=50 --set runtime.metrics_every=1000000 > "$work/term.txt" 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "training on" "$work/term.txt" 2> /dev/null && break; sleep 0.1; done
started=$(date +%s%N)
kill -TERM $pid
for _ in $(seq 1 1200); do kill -0 $pid 2> /dev/null || break; sleep 0.05; done
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
kill -0 $pid 2> /dev/null && kill -KILL $pid
wait $pid
code=$?
check "SIGTERM exits with 0" test "$code" -eq 0
check "SIGTERM writes a checkpoint" test -n "$(ls "$work/term/checkpoints/"*.pt 2> /dev/null)"
# Mid-epoch: the stop did not wait for the epoch's end (step 8192) or a metrics point.
term_step=$(ls "$work/term/checkpoints/" | sed -n 's/^epoch-0000-step-0*\([0-9][0-9]*\)\.pt$/\1/p' | head -1)
check "SIGTERM stops mid-epoch, not at the next metrics point (step ${term_step:-none}, ${elapsed_ms} ms)" \
  test -n "$term_step" -a "${term_step:-99999}" -lt 8192

# Issue 10: run folders are owned. Each case puts a user's files in real folders and checks
# that they come out byte-identical and that different runs never share a folder.
export XDG_DATA_HOME="$work/owned"
runs_root="$work/owned/swav-workbench/runs"
tiny=(--config "$here/tiny-synthetic.json" --set optim.epochs=1 --set dataset.synthetic_count=1024)
snapshot() { # every folder and the checksum of every file below $1
  (cd "$1" && find . -type d | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
folder_in() { sed -n 's/^run folder: //p' "$1"; }
id_in() { sed -n 's/^run \([0-9]*\) recorded in .*/\1/p' "$1"; }
inside_runs_root() { test "$(dirname "$1")" = "$(realpath "$runs_root")"; }

# --out naming a folder that holds the user's config.json: refused, nothing written there.
mkdir -p "$work/mine"
printf '{"my": "settings"}\n' > "$work/mine/config.json"
snapshot "$work/mine" > "$work/mine.before"
"$swav" train "${tiny[@]}" --out "$work/mine" > "$work/mine.txt" 2>&1
code=$?
check "issue 10: a non-empty --out is refused with 2" test "$code" -eq 2
check "issue 10: the refusal names the folder and what it holds" grep -q -- "--out: .*/mine: the folder is not empty (it holds config.json)" "$work/mine.txt"
check "issue 10: the user's config.json in --out is byte-identical" diff <(snapshot "$work/mine") "$work/mine.before"

# runs rm deletes what the run wrote and keeps a user's checkpoints/my.pt and notes.
"$swav" train "${tiny[@]}" --set optim.epochs=2 --out "$work/keep" > "$work/keep.txt" 2>&1
keep_id=$(id_in "$work/keep.txt")
check "issue 10: a run into a new --out folder trains" test -n "$(ls "$work/keep/checkpoints/"epoch-*.pt 2> /dev/null)"
mkdir -p "$work/home/Downloads"
cp "$(ls "$work/keep/checkpoints/"epoch-0001-*.pt | head -1)" "$work/home/Downloads/model.pt"
printf 'my own weights\n' > "$work/keep/checkpoints/my.pt"
printf 'my notes\n' > "$work/keep/notes.txt"
"$swav" runs rm "$keep_id" --yes > "$work/rm-keep.txt" 2>&1
check "issue 10: runs rm removes the run's checkpoints and config.json" bash -c "! ls '$work/keep/checkpoints/'epoch-* > /dev/null 2>&1 && ! test -e '$work/keep/config.json'"
check "issue 10: runs rm keeps checkpoints/my.pt byte-identical" test "$(cat "$work/keep/checkpoints/my.pt")" = "my own weights"
check "issue 10: runs rm keeps the user's notes" test "$(cat "$work/keep/notes.txt")" = "my notes"
check "issue 10: runs rm reports the folder it kept" grep -q "kept: .*/keep/checkpoints: it holds files the run did not write (my.pt)" "$work/rm-keep.txt"

# Resuming a bare checkpoint in a download folder: a new run folder, the home folder untouched
# (also by runs rm of that run, and without the store).
home="$work/home"
mkdir -p "$home/export"
printf '{"my": "settings"}\n' > "$home/config.json"
printf 'figure\n' > "$home/export/figure.pt"
snapshot "$home" > "$work/home.before"
"$swav" train --resume "$home/Downloads/model.pt" > "$work/bare.txt" 2>&1
code=$?
bare_folder=$(folder_in "$work/bare.txt")
check "issue 10: resuming a bare checkpoint trains on" bash -c "test $code -eq 0 && grep -q 'resumed at step' '$work/bare.txt'"
check "issue 10: ... in a new folder in the runs folder" inside_runs_root "$bare_folder"
check "issue 10: ... and says so" grep -q "Downloads/model.pt is not part of a recorded run: continuing it as a new run in $bare_folder" "$work/bare.txt"
check "issue 10: the folders around a bare checkpoint are byte-identical" diff <(snapshot "$home") "$work/home.before"
"$swav" runs rm "$(id_in "$work/bare.txt")" --yes > /dev/null 2>&1
check "issue 10: runs rm of that run removes its folder only" bash -c "! test -e '$bare_folder'"
check "issue 10: ... and leaves the home folder byte-identical" diff <(snapshot "$home") "$work/home.before"
"$swav" train --no-store --resume "$home/Downloads/model.pt" > "$work/bare-nostore.txt" 2>&1
code=$?
check "issue 10: --no-store resumes a bare checkpoint into a new folder" bash -c "test $code -eq 0 && test '$(dirname "$(folder_in "$work/bare-nostore.txt")")' = '$(realpath "$runs_root")'"
check "issue 10: --no-store leaves the home folder byte-identical" diff <(snapshot "$home") "$work/home.before"

# Two runs of the same name started together: two folders; export and rm keep to their own.
"$swav" train "${tiny[@]}" > "$work/twin1.txt" 2>&1 &
twin1=$!
"$swav" train "${tiny[@]}" > "$work/twin2.txt" 2>&1 &
twin2=$!
wait $twin1; code1=$?
wait $twin2; code2=$?
f1=$(folder_in "$work/twin1.txt") f2=$(folder_in "$work/twin2.txt")
check "issue 10: two runs of one name started together both train" test "$code1$code2" = "00"
check "issue 10: ... in different folders" bash -c "test -n '$f1' && test -n '$f2' && test '$f1' != '$f2'"
check "issue 10: ... both in the runs folder" bash -c "test '$(dirname "$f1")' = '$(dirname "$f2")' && test '$(dirname "$f1")' = '$(realpath "$runs_root")'"
"$swav" export --run "$(id_in "$work/twin1.txt")" --format pytorch > /dev/null 2>&1
check "issue 10: export --run writes into that run's folder only" bash -c "ls '$f1/export/'*-resnet.pt > /dev/null 2>&1 && ! test -e '$f2/export'"
snapshot "$f2" > "$work/twin2.before"
"$swav" runs rm "$(id_in "$work/twin1.txt")" --yes > /dev/null 2>&1
check "issue 10: runs rm of one twin removes its folder with its export" bash -c "! test -e '$f1'"
check "issue 10: ... and leaves the other's files byte-identical" diff <(snapshot "$f2") "$work/twin2.before"

# Issue 14: an exported trunk comes back as an imported run that evaluates.
"$swav" export --run "$(id_in "$work/twin2.txt")" --format pytorch --out "$work/exported.pt" > /dev/null 2>&1
"$swav" import "$work/exported.pt" "${tiny[@]}" --name reimported > "$work/import.txt" 2>&1
check "import makes a run of exported weights" grep -q -E '^run [0-9]+ \(reimported\), imported: ' "$work/import.txt"
imported=$(sed -n 's/^run \([0-9]*\) (reimported).*/\1/p' "$work/import.txt")
"$swav" runs list > "$work/imported-list.txt" 2>&1
check "runs list shows it as imported" grep -q -E "^ +$imported  reimported +imported" "$work/imported-list.txt"
"$swav" eval --run "$imported" --knn > "$work/imported-eval.txt" 2>&1
check "an imported run evaluates" bash -c "test $? -eq 0 && grep -q -i 'knn' '$work/imported-eval.txt'"
"$swav" train --resume "$imported" > "$work/imported-resume.txt" 2>&1
check "an imported run cannot be resumed" bash -c "test $? -ne 0 && grep -q 'imported weights' '$work/imported-resume.txt'"
"$swav" import "$work/presets.txt" "${tiny[@]}" > "$work/import-bad.txt" 2>&1
check "importing a file that holds no weights fails and names it" bash -c "test $? -eq 1 && grep -q 'presets.txt' '$work/import-bad.txt'"

# --no-store runs started together: their own folders too.
"$swav" train "${tiny[@]}" --no-store > "$work/ns1.txt" 2>&1 &
ns1=$!
"$swav" train "${tiny[@]}" --no-store > "$work/ns2.txt" 2>&1 &
ns2=$!
wait $ns1; wait $ns2
check "issue 10: --no-store runs started together get different folders" bash -c "test -n '$(folder_in "$work/ns1.txt")' && test '$(folder_in "$work/ns1.txt")' != '$(folder_in "$work/ns2.txt")'"

# Names that are paths: the folder stays directly in the runs folder (or the name is refused).
for name in "$work/abs/path" "../.."; do
  "$swav" train "${tiny[@]}" --set "name=$name" > "$work/name.txt" 2>&1
  code=$?
  if [ "$code" -eq 0 ]; then
    check "issue 10: a run named '$name' gets a folder in the runs folder" inside_runs_root "$(folder_in "$work/name.txt")"
  else
    check "issue 10: a run named '$name' is refused as bad usage" test "$code" -eq 2
  fi
done
check "issue 10: no folder appears where a run's name points" bash -c "! test -e '$work/abs' && test \"\$(ls -A '$work/owned/swav-workbench' | grep -v -E '^(runs|runs.db.*)$')\" = ''"

# Image-folder benchmark data: made from photographs, never over anything of the user's.
mkdir -p "$work/own-images" && echo keep > "$work/own-images/notes.txt"
"$swav" make-images --out "$work/own-images" --count 3 --photos "$work" > "$work/own-images.txt" 2>&1
check "make-images refuses a folder with files in it" grep -q "no colour photographs\|not an empty folder" "$work/own-images.txt"
check "make-images leaves that folder as it was" test "$(ls -A "$work/own-images")" = notes.txt
"$swav" bench data --preset imagenet-resnet50-800ep --images "$work/nothing-here" > "$work/benchdata.txt" 2>&1
check "bench data on a missing folder exits with 2" test $? -eq 2
check "bench data names the missing folder" grep -q "nothing-here" "$work/benchdata.txt"

# Issue 15: a sweep trains each variation as `swav train` would, tags it and tabulates kNN.
"$swav" sweep --config "$here/tiny-synthetic.json" --set optim.epochs=1 --set dataset.synthetic_count=512 \
  --grid swav.epsilon=0.05,0.1 --variant "swav.temperature=0.2" --tag cli-sweep --db "$work/sweep.db" --dry-run > "$work/sweep-plan.txt" 2>&1
check "issue 15: a dry sweep lists the product of grids and variants" grep -q "^2 runs:" "$work/sweep-plan.txt"
"$swav" sweep --config "$here/tiny-synthetic.json" --grid swav.epsilon=0.05,-1 --tag bad --db "$work/sweep.db" > "$work/sweep-bad.txt" 2>&1
check "issue 15: a sweep with an invalid variation trains nothing and exits with 2" test $? -eq 2
check "issue 15: the invalid variation is named" grep -q "swav.epsilon=-1" "$work/sweep-bad.txt"
"$swav" sweep --config "$here/tiny-synthetic.json" --set optim.epochs=1 --set dataset.synthetic_count=512 \
  --grid swav.epsilon=0.05,0.1 --tag cli-sweep --db "$work/sweep.db" --table "$work/sweep.md" > "$work/sweep.txt" 2>&1
check "issue 15: a sweep exits with 0" test $? -eq 0
check "issue 15: the table has a kNN accuracy for each run" test "$(grep -c -E '^\| [12] \| [0-9]+ \| `swav.epsilon=0.(05|1)` \| finished \| [0-9.]+ \| [0-9.]+ %' "$work/sweep.md")" -eq 2
"$swav" runs list --tag cli-sweep --db "$work/sweep.db" > "$work/sweep-runs.txt" 2>&1
check "issue 15: the sweep's runs carry its tag" test "$(grep -c 'cli-sweep-' "$work/sweep-runs.txt")" -eq 2
# The evaluation's own settings can change; what was trained cannot.
"$swav" eval --run "$(sed -n 's/^| 1 | \([0-9]*\) .*/\1/p' "$work/sweep.md")" --db "$work/sweep.db" --linear --json \
  --set eval.linear_epochs=3 --set eval.linear_lr=0.05 > "$work/eval-set.txt" 2>&1
check "issue 15: eval --set changes the probe's settings" grep -q '"linear_settings":{"batch_size":256,"epochs":3,"lr":0.05' "$work/eval-set.txt"
"$swav" eval --run "$(sed -n 's/^| 1 | \([0-9]*\) .*/\1/p' "$work/sweep.md")" --db "$work/sweep.db" \
  --set model.feature_width=64 > "$work/eval-set-bad.txt" 2>&1
check "issue 15: eval --set refuses a setting of the trained network" bash -c "test $? -eq 2 && grep -q 'changes only eval' '$work/eval-set-bad.txt'"
# A sweep that is killed takes its current run with it: the run stops (recorded as such) instead
# of training on without a parent.
"$swav" sweep --config "$here/tiny-synthetic.json" --set optim.epochs=1000 --tag cli-killed \
  --db "$work/sweep.db" > "$work/sweep-killed.txt" 2>&1 &
sweep=$!
for _ in $(seq 1 600); do grep -q "training on" "$work/sweep-killed.txt" 2> /dev/null && break; sleep 0.1; done
kill -TERM $sweep
(sleep 60; kill -KILL $sweep 2> /dev/null) & watchdog=$!
wait $sweep
code=$?
kill $watchdog 2> /dev/null
check "issue 15: a killed sweep ends by itself, saying so" test "$code" -eq 1
check "issue 15: a killed sweep says which runs were not run" grep -q "sweep interrupted" "$work/sweep-killed.txt"
for _ in $(seq 1 600); do pgrep -f "name=cli-killed-1" > /dev/null || break; sleep 0.1; done
check "issue 15: a killed sweep's run does not outlive it" test -z "$(pgrep -f "name=cli-killed-1")"
"$swav" runs list --tag cli-killed --db "$work/sweep.db" > "$work/sweep-killed-runs.txt" 2>&1
check "issue 15: a killed sweep's run is recorded as stopped" grep -q "stopped" "$work/sweep-killed-runs.txt"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
