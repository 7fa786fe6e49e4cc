#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, JOBS at a time, from the committed seed corpora, and
# prints executions, coverage and findings per target. Exits 1 when a target found a crash.
# Usage: run-fuzzers.sh BUILD_DIR SECONDS [JOBS] [TARGET...]
set -uo pipefail
build=${1:?build folder}; seconds=${2:?seconds}; jobs=${3:-1}; shift 3 2>/dev/null || shift $#
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/tests/fuzz"
out="$build/fuzz-runs"
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for t in "$bin"/fuzz_*; do [ -x "$t" ] && targets+=("$(basename "$t")"); done
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() { # run_one TARGET
  local t=$1 corpus="$out/$1-corpus"
  mkdir -p "$corpus" "$out/$1-artifacts"
  # The working corpus comes first: libFuzzer adds new inputs there, never to the seeds.
  "$bin/$t" "$corpus" "$here/corpus/$t" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=6144 -malloc_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$out/$1-artifacts/" > "$out/$t.log" 2>&1
  echo $? > "$out/$t.rc"
}
export -f run_one; export bin out here seconds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

status=0
printf '%-16s %12s %8s %8s %8s %s\n' target executions "exec/s" cov features findings
for t in "${targets[@]}"; do
  log="$out/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
  findings=$(ls "$out/$t-artifacts" 2>/dev/null | wc -l)
  printf '%-16s %12s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$findings"
  if [ "$findings" -gt 0 ] || [ "$(cat "$out/$t.rc")" != 0 ]; then
    status=1
    echo "  see $log and $out/$t-artifacts/"
  fi
done
exit $status
