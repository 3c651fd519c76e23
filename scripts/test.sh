#!/bin/sh
# Builds and runs every test that needs no GPU: the Release build (unit, capi, golden, ops),
# the unit and C ABI tests once more under ASan + UBSan, and the libFuzzer targets (clang) for
# 60 s each. Build trees: build/, build-asan/, build-fuzz/ (override with DSV4_BUILD_ROOT).
set -eu
cd "$(dirname "$0")/.."
ROOT="${DSV4_BUILD_ROOT:-.}"
JOBS="${DSV4_JOBS:-$(nproc)}"

echo "== release build + tests"
cmake -S . -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDSV4_BUILD_TESTS=ON -DDSV4_BUILD_EXAMPLES=ON
cmake --build "$ROOT/build" -j "$JOBS"
ctest --test-dir "$ROOT/build" -LE "gpu|fuzz" --output-on-failure -j "$JOBS"

echo "== unit + capi tests under ASan + UBSan"
cmake -S . -B "$ROOT/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDSV4_BUILD_TESTS=ON -DDSV4_SANITIZE=ON
cmake --build "$ROOT/build-asan" -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$ROOT/build-asan" -L "unit|capi" --output-on-failure -j "$JOBS"

echo "== fuzzers (60 s each)"
CC=clang CXX=clang++ cmake -S . -B "$ROOT/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDSV4_BUILD_TESTS=ON \
  -DDSV4_BUILD_FUZZ=ON
cmake --build "$ROOT/build-fuzz" -j "$JOBS" --target fuzz_targets
ctest --test-dir "$ROOT/build-fuzz" -L fuzz --output-on-failure
