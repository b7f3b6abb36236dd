#!/usr/bin/env bash
# README command 2 (and CI): install, build, run every test; then every test
# again under AddressSanitizer and UndefinedBehaviorSanitizer
# (scripts/sanitize.sh), and each fuzz target for a bounded time
# (scripts/fuzz.sh). CI runs all of it. Local knobs: PULSE_CI_SANITIZE=0 or
# PULSE_CI_FUZZ=0 skip a stage; PULSE_FUZZ_SECONDS is the time per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build_dir=${PULSE_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
if [ "${PULSE_CI_SANITIZE:-1}" != 0 ]; then
  bash scripts/sanitize.sh
fi
if [ "${PULSE_CI_FUZZ:-1}" != 0 ]; then
  bash scripts/fuzz.sh "${PULSE_FUZZ_SECONDS:-30}"
fi
