#!/usr/bin/env bash
# Builds the whole project, tests included, with gcc under AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ (or $PULSE_SANITIZE_BUILD_DIR) and
# runs every test there. A finding aborts the test that made it, so ctest
# fails. Tests that start `pulsed` start the sanitized one.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${PULSE_SANITIZE_BUILD_DIR:-build-asan}
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPULSE_SANITIZE=address,undefined \
  -DPULSE_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
# detect_leaks: LeakSanitizer runs at every exit. print_stacktrace: UBSan
# names where. The suppressions file lists third-party false positives only.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 1200
