#!/bin/sh
# units_test.sh PACKAGING_DIR VIGIL VIGIL_STORE
#
# Checks the source systemd units: `systemd-analyze verify` finds nothing to
# say about them, and `systemd-analyze security --offline=true` rates each at
# an exposure of 2.0 or lower ("OK"). Prints both scores.
#
# verify wants ExecStart= to exist, so it reads a copy whose ExecStart= names
# the built binary instead of /usr/bin (the installed units are verified as
# they are by package_test.sh). verify exits 0 on an unknown key or a value it
# cannot parse ("ignoring"), so any output at all is a failure here.
# Exit 77 (skipped) when systemd-analyze is missing, unless CI=true.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 PACKAGING_DIR VIGIL VIGIL_STORE" >&2; exit 2; }
src=$1
# systemd wants an absolute ExecStart=.
vigil=$(readlink -f "$2")
vigil_store=$(readlink -f "$3")
# Exposure in tenths: systemd-analyze rounds to one decimal and compares
# --threshold against ten times the shown value.
threshold=20

if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: systemd-analyze is not installed (package systemd; scripts/deps.sh installs it)" >&2
    exit 1
  fi
  echo "SKIP: systemd-analyze is not installed (package systemd)"
  exit 77
fi
for f in "$vigil" "$vigil_store"; do
  [ -x "$f" ] || { echo "FAIL: $f: not built" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
check_unit() {
  unit=$1
  bin=$2
  installed_bin=$3
  file=$src/$unit
  [ -f "$file" ] || { echo "FAIL: $file: no such unit file" >&2; failed=1; return; }

  if ! grep -q "^ExecStart=$installed_bin " "$file"; then
    echo "FAIL: $file: ExecStart= does not run $installed_bin" >&2
    failed=1
    return
  fi
  sed "s#^ExecStart=$installed_bin #ExecStart=$bin #" "$file" >"$tmp/$unit"
  if ! systemd-analyze verify --man=no "$tmp/$unit" >"$tmp/verify.out" 2>&1 || [ -s "$tmp/verify.out" ]; then
    echo "FAIL: systemd-analyze verify $unit (ExecStart=$bin):" >&2
    sed "s#$tmp/#$src/#" "$tmp/verify.out" >&2
    failed=1
  fi

  rc=0
  systemd-analyze security --offline=true --threshold=$threshold --no-pager "$file" >"$tmp/security.out" 2>&1 || rc=$?
  score=$(grep 'Overall exposure level' "$tmp/security.out" || true)
  if [ -z "$score" ]; then
    echo "FAIL: systemd-analyze security $file printed no exposure level:" >&2
    cat "$tmp/security.out" >&2
    failed=1
  elif [ $rc -ne 0 ]; then
    echo "FAIL: $unit: exposure ${score#*"$unit: "}, more than 2.0; what counts against it:" >&2
    grep -E ' [0-9]+\.[0-9]+ *$' "$tmp/security.out" | grep -v 'Overall exposure' >&2 || true
    failed=1
  else
    echo "$unit: exposure ${score#*"$unit: "} (2.0 at most)"
  fi
}

check_unit vigil.service "$vigil" /usr/bin/vigil
check_unit vigil-store.service "$vigil_store" /usr/bin/vigil-store
exit $failed
