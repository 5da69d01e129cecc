#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a warnings-as-errors build, and
# an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
jobs=$(nproc)

echo "== build (warnings are errors)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== tests"
(cd build/ci && ctest -j"$jobs" --output-on-failure)

echo "== build (ASan + UBSan)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DVIGIL_WERROR=ON -DVIGIL_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== tests (ASan + UBSan)"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest -j"$jobs" --output-on-failure)
