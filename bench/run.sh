#!/usr/bin/env bash
# Runs the benchmarks and writes docs/BENCHMARKS.md: the machine, the date,
# the figures, and how to reproduce them. Usage: bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${PULSE_BUILD_DIR:-build}
bash scripts/build.sh >/dev/null
out=docs/BENCHMARKS.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build_dir/bench/engine_bench" --benchmark_min_time=0.5 --benchmark_format=console 2>/dev/null >"$tmp/engine.txt"
"$build_dir/bench/store_bench" --benchmark_format=console 2>/dev/null >"$tmp/store.txt"

# Issue #10's figures, one process per measurement (peak memory is per process).
# PULSE_BENCH_MAX_ACCOUNTS caps the largest size (default 1,000,000).
max_accounts=${PULSE_BENCH_MAX_ACCOUNTS:-1000000}
scale="$build_dir/bench/scale_bench"
: >"$tmp/scale.jsonl"
for n in 10000 100000 1000000; do
  [ "$n" -le "$max_accounts" ] || continue
  "$scale" sweep --accounts "$n" >>"$tmp/scale.jsonl"
done
for model in bgnbd paretonbd; do
  for n in 10000 100000 1000000; do
    "$scale" fit --model "$model" --customers "$n" >>"$tmp/scale.jsonl"
  done
done
for n in 10000 100000; do
  [ "$n" -le "$max_accounts" ] || continue
  "$build_dir/sidecar/cli/pulsed" demo --out "$tmp/inc-$n" --accounts "$n" --seed 7 --end-date 2026-06-30 >/dev/null
  "$scale" incremental --config "$tmp/inc-$n/pulse.yaml" --changed-share 0.01 >>"$tmp/scale.jsonl"
  rm -rf "$tmp/inc-$n"
done
"$scale" generate --accounts 100000 --out "$tmp/csv-100k" >>"$tmp/scale.jsonl"
"$scale" ingest --dir "$tmp/csv-100k" >>"$tmp/scale.jsonl"
rm -rf "$tmp/csv-100k"
scale_tables=$(python3 bench/scale_tables.py "$tmp/scale.jsonl")

# API latency during a sweep (bench/load.sh; its exit status says whether the p99 target was met).
load_accounts=$((max_accounts < 100000 ? max_accounts : 100000))
load_section=$(PULSE_BUILD_DIR="$build_dir" bash bench/load.sh "$load_accounts" || true)

# A whole sweep, as a user runs it: the demo CRM of 1,000 and 10,000 accounts,
# first sweep (full sync into an empty store) and second sweep (nothing changed).
sweep_rows=""
for n in 1000 10000; do
  d="$tmp/demo-$n"
  "$build_dir/sidecar/cli/pulsed" demo --out "$d" --accounts "$n" --seed 7 --end-date 2026-06-30 >/dev/null
  for run in first second; do
    start=$(date +%s.%N)
    "$build_dir/sidecar/cli/pulsed" sweep --config "$d/pulse.yaml" --as-of 2026-06-30 --top 0 >"$tmp/sweep.txt" 2>/dev/null
    end=$(date +%s.%N)
    wall=$(python3 -c "print(f'{$end-$start:.2f}')")
    reported=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$tmp/sweep.txt" | head -1)
    orders=$(awk '$1=="orders"{print $3}' "$tmp/sweep.txt")
    tasks=$(sed -n 's/^Tasks: \([0-9]*\) planned, \([0-9]*\) written.*/\1 planned, \2 written/p' "$tmp/sweep.txt")
    sweep_rows+="| $n | $run | $orders | $reported | $wall | $tasks |"$'\n'
  done
done

{
  echo "# Benchmarks"
  echo
  echo "Written by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) (UTC). Re-run it to refresh every figure here."
  echo
  echo "## Machine"
  echo
  echo "- $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- $(free -g | awk '/Mem:/{print $2}') GiB memory; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(. /etc/os-release; echo "$PRETTY_NAME"), $(g++ --version | head -1), build type ${PULSE_BUILD_TYPE:-RelWithDebInfo}"
  echo
  echo "## Whole sweeps on the demo CRM (\`pulsed sweep\`)"
  echo
  echo "The first sweep syncs everything into an empty store, scores, plans and writes the tasks (one fsync per"
  echo "task to tasks.csv); the second finds nothing changed and creates no task."
  echo
  echo "| accounts | sweep | orders read | sweep report (s) | process wall (s) | tasks |"
  echo "|---|---|---|---|---|---|"
  printf '%s' "$sweep_rows"
  echo
  echo "## Engine, in memory (\`build/bench/engine_bench\`)"
  echo
  echo "Scoring: histories cut at as-of, cadence, signals, tiers, churn probability for every account of the demo"
  echo "generator's data. Planning: the ranked, capacity-bound contact queue from the scored portfolio."
  echo
  echo '```'
  grep -E '^(Benchmark|-|BM_)' "$tmp/engine.txt"
  echo '```'
  echo
  printf '%s\n' "$scale_tables"
  echo
  echo "## The sparse score history (\`build/bench/store_bench\`)"
  echo
  echo "What a sweep spends recording the accounts' scores for the account page (docs/ACCOUNT_VIEW.md)."
  echo
  echo '```'
  grep -E '^(Benchmark|-|BM_)' "$tmp/store.txt"
  echo '```'
  echo
  printf '%s\n' "$load_section"
  echo
  cat bench/limits.md
} >"$out"
echo "wrote $out"
