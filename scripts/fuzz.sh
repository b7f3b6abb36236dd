#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang++ into build-fuzz/ (or
# $PULSE_FUZZ_BUILD_DIR) and runs each for SECONDS (default 60). Fails when a
# target crashes, leaks, times out or runs out of memory on some input; the
# input is left in <build>/fuzz-work/<target>/artifacts/. Keep it as
# tests/fuzz/regressions/<target>/<name> once the bug is fixed: the normal
# build's fuzz_replay_<target> test replays it from then on.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: csv config suitecrm odoo)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(csv config suitecrm odoo)
build_dir=${PULSE_FUZZ_BUILD_DIR:-build-fuzz}

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPULSE_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"

failed=()
for t in "${targets[@]}"; do
  work="$build_dir/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$work/artifacts/")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  # New inputs go to the first directory (the build's work corpus); the
  # checked-in seeds and regressions are only read.
  echo "fuzz: $t for ${seconds}s"
  if "$build_dir/tests/fuzz/${t}_fuzzer" "${args[@]}" "$work/corpus" "tests/fuzz/corpus/$t" \
       "tests/fuzz/regressions/$t" >"$work/log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" | sed "s/^/fuzz: $t /" || true
  else
    failed+=("$t")
    tail -n 60 "$work/log"
    echo "fuzz: $t FAILED; the input is in $work/artifacts/ (log: $work/log)" >&2
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${targets[*]}: no crash in ${seconds}s each"
