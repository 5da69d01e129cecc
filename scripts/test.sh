#!/usr/bin/env bash
# Builds and runs the whole test suite three times: a warnings-as-errors
# build, an AddressSanitizer + UndefinedBehaviorSanitizer build, and a
# ThreadSanitizer build (the scan's prefetch worker, the daemon, the store's
# thread pool; the packaging checks are left to the first build). The first also
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

echo "== build (ThreadSanitizer)"
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR=ON -DVIGIL_SANITIZE_THREAD=ON >/dev/null
cmake --build build/tsan -j"$jobs"
echo "== tests (ThreadSanitizer)"
# TSan of GCC 12 cannot map its shadow memory on kernels that randomise
# mmap with more bits than it expects; run without address randomisation
# where the sandbox allows personality(2); otherwise run as is.
no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi
(cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  "${no_aslr[@]}" ctest -j"$jobs" --output-on-failure -E '^packaging\.')
