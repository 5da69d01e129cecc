#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a warnings-as-errors build, and
# an AddressSanitizer + UndefinedBehaviorSanitizer build. The first also
# prints the systemd units' exposure scores and, as root, builds, installs and
# purges the Debian packages (ctest packaging.deb).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
jobs=$(nproc)

echo "== build (warnings are errors)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== systemd units (systemd-analyze verify; security --offline=true, at most 2.0)"
sh tests/packaging/units_test.sh packaging build/ci/agent/vigil build/ci/store/vigil-store
echo "== tests"
(cd build/ci && ctest -j"$jobs" --output-on-failure)

echo "== build (ASan + UBSan)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DVIGIL_WERROR=ON -DVIGIL_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== tests (ASan + UBSan)"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest -j"$jobs" --output-on-failure)
