#!/usr/bin/env bash
# Builds vigil (release) and scans this host with the built-in policy packs.
# Extra arguments go to `vigil scan` (e.g. --format json, --root DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target vigil >/dev/null
exec build/release/agent/vigil scan "$@"
