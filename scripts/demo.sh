#!/usr/bin/env bash
# README command 1: install, build, generate the demo CRM, run one sweep.
# Prints the sweep report, the top of the contact queue and where the tasks went.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build_dir=${PULSE_BUILD_DIR:-build}
"$build_dir/sidecar/cli/pulsed" demo --out demo --accounts "${PULSE_DEMO_ACCOUNTS:-1000}" --seed 7 --force \
  --simulate-weeks "${PULSE_DEMO_WEEKS:-20}"
echo
"$build_dir/sidecar/cli/pulsed" sweep --config demo/pulse.yaml --top 15
echo
echo "Call tasks were appended to demo/tasks.csv. Run the sweep again: nothing is written twice."
echo "Serve the API:  $build_dir/sidecar/cli/pulsed serve --config demo/pulse.yaml"
echo "Then ask it:    $build_dir/sidecar/cli/pulsectl queue   |   pulsectl account ACCOUNT_ID   |   pulsectl uplift"
echo "Coverage:       $build_dir/sidecar/cli/pulsectl coverage --html demo/coverage.html   (or http://127.0.0.1:9090/coverage)"
