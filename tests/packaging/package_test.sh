#!/bin/bash
# package_test.sh BUILD_DIR SOURCE_DIR
#
# Builds the vigil and vigil-store Debian packages with `cpack -G DEB` (into a
# temporary directory), installs them on this machine with dpkg -i, checks
# what they put where (owners, modes, conffiles, users, unit links), runs the
# installed programs the way docs/operations.md tells an admin to (a scan as
# root and one with the unit's credentials, the store with the packaged
# configuration, enrollment and shipping as the service users), then purges
# both and checks that nothing is left. The packages are purged on every exit.
#
# Needs root: without it, exit 77 (skipped), or a failure when CI=true. It
# refuses to run, touching nothing, when either package, either user,
# /etc/vigil, /var/lib/vigil or /var/lib/vigil-store is already there: the
# purge at the end would destroy someone's evidence or configuration.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: the package test must run as root in CI (it installs packages with dpkg -i)" >&2
    exit 1
  fi
  echo "SKIP: not root (the package test installs packages with dpkg -i)"
  exit 77
fi

for p in vigil vigil-store; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  if [ -n "$st" ] && [ "${st:0:2}" != "un" ]; then
    echo "FAIL: the package $p is already on this machine (dpkg status '$st'); refusing to replace or purge it" >&2
    exit 1
  fi
  if getent passwd "$p" >/dev/null || getent group "$p" >/dev/null; then
    echo "FAIL: a user or group '$p' already exists; refusing to run (the purge would delete it)" >&2
    exit 1
  fi
done
for d in /etc/vigil /var/lib/vigil /var/lib/vigil-store; do
  if [ -e "$d" ]; then
    echo "FAIL: $d already exists; refusing to run (the purge would delete it; move it away first)" >&2
    exit 1
  fi
done

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
ok() { echo "ok: $*"; }

umask 0077  # the test's token and key files are nobody else's business
tmp=$(mktemp -d)
installed=0
store_pid=
cleanup() {
  # Every step runs, whatever the one before did (set -e would end the trap).
  set +e
  if [ -n "$store_pid" ]; then
    stop_store KILL
  fi
  if [ $installed -eq 1 ]; then
    echo "cleanup: dpkg --purge vigil vigil-store" >&2
    dpkg --purge vigil vigil-store >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The programs run under strace when it is installed, so the system calls
# they make can be held against the units' SystemCallFilter= (a call outside
# it would fail with EPERM under systemd). CI installs strace (scripts/deps.sh).
have_strace=0
if command -v strace >/dev/null 2>&1; then
  have_strace=1
elif [ "${CI:-}" = true ]; then
  echo "FAIL: strace is not installed (scripts/deps.sh installs it)" >&2
  exit 1
fi
traced() {  # NAME COMMAND...: COMMAND, under strace into $tmp/NAME.trace
  local name=$1
  shift
  if [ $have_strace -eq 1 ]; then
    strace -f -qq -o "$tmp/$name.trace" "$@"
  else
    "$@"
  fi
}
# The store runs in the background: under strace, $store_pid is strace's and
# the store is its child.
stop_store() {  # SIGNAL
  local pid=$store_pid
  if [ $have_strace -eq 1 ]; then
    pid=$(ps -o pid= --ppid "$store_pid" | tr -d ' ')
  fi
  if [ -n "$pid" ]; then
    kill -"$1" "$pid" 2>/dev/null || true
  fi
  local rc=0
  wait "$store_pid" 2>/dev/null || rc=$?
  store_pid=
  return $rc
}

# --- build -----------------------------------------------------------------
echo "== cpack -G DEB"
if ! (cd "$build" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  echo "FAIL: cpack -G DEB failed" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || { echo "FAIL: no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake" >&2; exit 1; }
deb_vigil=$tmp/out/vigil_${version}-1_${arch}.deb
deb_store=$tmp/out/vigil-store_${version}-1_${arch}.deb
for f in "$deb_vigil" "$deb_store"; do
  [ -f "$f" ] || { ls -l "$tmp/out" >&2; echo "FAIL: cpack made no $(basename "$f")" >&2; exit 1; }
done
ok "built $(basename "$deb_vigil") ($(stat -c %s "$deb_vigil") bytes), $(basename "$deb_store") ($(stat -c %s "$deb_store") bytes)"

# --- what the packages say -------------------------------------------------
check_control() {
  local deb=$1 name=$2 conffile=$3 depends
  [ "$(dpkg-deb -f "$deb" Package)" = "$name" ] || fail "$deb: Package is not $name"
  [ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ] || fail "$deb: Version is not $version-1"
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$deb: Architecture is not $arch"
  depends=$(dpkg-deb -f "$deb" Depends)
  # adduser for postinst; the rest from dpkg-shlibdeps.
  for dep in adduser libc6 libstdc++6 libssl3 libsqlite3-0 libyaml-cpp0.7; do
    [[ ", $depends," == *", $dep "* || ", $depends," == *", $dep,"* ]] ||
      fail "$name: Depends has no $dep: $depends"
  done
  [ "$(dpkg-deb -I "$deb" conffiles)" = "$conffile" ] || fail "$name: conffiles is not just $conffile"
  local s
  for s in postinst prerm postrm; do
    dpkg-deb -I "$deb" "$s" >/dev/null 2>&1 || fail "$name: no $s script"
  done
  echo "ok: $name $version-1 $arch; Depends: $depends"
}
check_control "$deb_vigil" vigil /etc/vigil/vigil.yaml
check_control "$deb_store" vigil-store /etc/vigil/store.yaml
dpkg-deb -f "$deb_vigil" Depends | grep -q libcurl4 || fail "vigil: Depends has no libcurl4"

# Exactly the paths of tests/packaging/PACKAGE.contents, with those modes and owners.
for p in vigil vigil-store; do
  deb=$deb_vigil
  [ $p = vigil-store ] && deb=$deb_store
  dpkg-deb -c "$deb" | awk '$6 != "./" {print $1, $2, $6}' | LC_ALL=C sort >"$tmp/$p.contents"
  if diff -u <(LC_ALL=C sort "$src/tests/packaging/$p.contents") "$tmp/$p.contents" >"$tmp/$p.diff"; then
    ok "$p: contents ($(wc -l <"$tmp/$p.contents") entries) as expected"
  else
    fail "$p: contents differ from the expected list:"
    cat "$tmp/$p.diff" >&2
  fi
done

# --- install -----------------------------------------------------------------
echo "== dpkg -i"
[ -d /run/systemd/system ] && echo "(systemd runs: postinst will start the units)" ||
  echo "(systemd does not run here: the postinst path without it)"
installed=1
if ! dpkg -i "$deb_vigil" "$deb_store" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  echo "FAIL: dpkg -i failed" >&2
  exit 1
fi
sed 's/^/  dpkg: /' "$tmp/install.log"
for p in vigil vigil-store; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' $p)
  [ "${st:0:2}" = ii ] || fail "$p: dpkg status is '$st', not installed"
  dpkg-query -L $p >"$tmp/$p.files"
done

expect_stat() {  # PATH "MODE USER GROUP"
  local got
  got=$(stat -c '%a %U %G' "$1" 2>/dev/null || echo "missing")
  [ "$got" = "$2" ] || fail "$1: $got, expected $2"
}
expect_stat /usr/bin/vigil "755 root root"
expect_stat /usr/libexec/vigil/vigild "755 root root"
expect_stat /usr/bin/vigil-store "755 root root"
expect_stat /etc/vigil "755 root root"
expect_stat /etc/vigil/vigil.yaml "644 root root"
expect_stat /etc/vigil/store.yaml "644 root root"
expect_stat /usr/share/vigil/policies/linux-baseline.yaml "644 root root"
expect_stat /usr/share/vigil/policies/linux-filesystem.yaml "644 root root"
expect_stat /lib/systemd/system/vigil.service "644 root root"
expect_stat /lib/systemd/system/vigil-store.service "644 root root"
expect_stat /var/lib/vigil "700 vigil vigil"
expect_stat /var/lib/vigil-store "700 vigil-store vigil-store"
cmp -s /etc/vigil/vigil.yaml "$src/packaging/vigil.yaml" || fail "/etc/vigil/vigil.yaml is not packaging/vigil.yaml"
cmp -s /etc/vigil/store.yaml "$src/packaging/store.yaml" || fail "/etc/vigil/store.yaml is not packaging/store.yaml"
for f in linux-baseline.yaml linux-filesystem.yaml; do
  cmp -s /usr/share/vigil/policies/$f "$src/policies/$f" || fail "/usr/share/vigil/policies/$f is not policies/$f"
done
ok "files, owners and modes"

for u in vigil vigil-store; do
  IFS=: read -r name _ uid gid _ home shell < <(getent passwd $u) || true
  if [ "${name:-}" != $u ]; then
    fail "no user $u"
    continue
  fi
  [ "$home" = /var/lib/$u ] || fail "user $u: home $home, expected /var/lib/$u"
  [ "$shell" = /usr/sbin/nologin ] || fail "user $u: shell $shell, expected /usr/sbin/nologin"
  [ "$uid" -lt 1000 ] || fail "user $u: uid $uid is not a system uid"
  [ "$(getent group $u | cut -d: -f3)" = "$gid" ] || fail "user $u: primary group is not the group $u"
  ok "user $u (uid $uid, home $home, shell $shell)"
done

for p in vigil vigil-store; do
  conf=$(dpkg-query --control-show $p conffiles)
  [ "$conf" = "/etc/vigil/$([ $p = vigil ] && echo vigil || echo store).yaml" ] ||
    fail "$p: dpkg-query --control-show conffiles says '$conf'"
done
ok "conffiles: $(dpkg-query -W -f='${Conffiles}' vigil vigil-store | tr -s ' \n' ' ')"

# postinst enabled both units without a running systemd (deb-systemd-helper).
for u in vigil.service vigil-store.service; do
  link=/etc/systemd/system/multi-user.target.wants/$u
  [ "$(readlink "$link" 2>/dev/null)" = /lib/systemd/system/$u ] || fail "$link: not a link to /lib/systemd/system/$u"
done
ok "units enabled (multi-user.target.wants)"

# The installed units, with the installed binaries.
for u in vigil.service vigil-store.service; do
  if ! out=$(systemd-analyze verify --man=no /lib/systemd/system/$u 2>&1) || [ -n "$out" ]; then
    fail "systemd-analyze verify /lib/systemd/system/$u: $out"
  fi
  score=$(systemd-analyze security --offline=true --threshold=20 --no-pager /lib/systemd/system/$u 2>&1 |
    grep 'Overall exposure' || true)
  systemd-analyze security --offline=true --threshold=20 /lib/systemd/system/$u >/dev/null 2>&1 ||
    fail "$u: exposure above 2.0: $score"
  ok "$u: systemd-analyze verify is silent; ${score#*→ }"
done

# --- run what was installed --------------------------------------------------
echo "== the installed programs"
v=$(/usr/bin/vigil --version 2>&1) || fail "vigil --version: $v"
[[ "$v" == *"$version"* ]] || fail "vigil --version says '$v', not $version"
sv=$(/usr/bin/vigil-store --version 2>&1) || fail "vigil-store --version: $sv"
/usr/bin/vigil-store --help >"$tmp/store-help.txt" 2>&1 || fail "vigil-store --help exited $?"
grep -q serve "$tmp/store-help.txt" || fail "vigil-store --help does not mention serve"
ok "vigil --version: $v; vigil-store --version: $sv; vigil-store --help"

# A scan exits 0, 1 or 3 when it ran (docs/cli.md); 2, 4 or a signal is a failure.
scan_summary() {  # JSON report on stdin
  python3 -c 'import json,sys
r=json.load(sys.stdin); c={}
for x in r["results"]: c[x["verdict"]]=c.get(x["verdict"],0)+1
print(", ".join(f"{n} {k}" for k,n in sorted(c.items())))'
}
rc=0
/usr/bin/vigil scan --no-record --format json >"$tmp/scan-root.json" 2>"$tmp/scan-root.err" || rc=$?
case $rc in
  0 | 1 | 3) ok "vigil scan --no-record as root: exit $rc ($(scan_summary <"$tmp/scan-root.json"))" ;;
  *) fail "vigil scan --no-record as root: exit $rc: $(tail -5 "$tmp/scan-root.err")" ;;
esac
[ -z "$(ls -A /var/lib/vigil)" ] || fail "vigil scan --no-record wrote into /var/lib/vigil: $(ls -A /var/lib/vigil)"

# The credentials vigil.service gives `vigil run`: the user vigil with
# CAP_DAC_READ_SEARCH (ambient, and alone in the bounding set), no new
# privileges, umask 0077. The scan is recorded in /var/lib/vigil.
as_vigil=(setpriv --reuid=vigil --regid=vigil --init-groups --inh-caps=-all,+dac_read_search
  --ambient-caps=-all,+dac_read_search --bounding-set=-all,+dac_read_search --no-new-privs --)
rc=0
(umask 0077 && cd / && "${as_vigil[@]}" /usr/bin/vigil scan --format json) \
  >"$tmp/scan-vigil.json" 2>"$tmp/scan-vigil.err" || rc=$?
case $rc in
  0 | 1 | 3) ok "vigil scan as vigil with CAP_DAC_READ_SEARCH, recorded: exit $rc ($(scan_summary <"$tmp/scan-vigil.json"))" ;;
  *) fail "vigil scan as vigil with CAP_DAC_READ_SEARCH: exit $rc: $(tail -5 "$tmp/scan-vigil.err")" ;;
esac
python3 - "$tmp/scan-root.json" "$tmp/scan-vigil.json" <<'EOF' || true
import json, sys
def verdicts(path):
    return {x["policy"] + "/" + x["check"]: x["verdict"] for x in json.load(open(path))["results"]}
a, b = verdicts(sys.argv[1]), verdicts(sys.argv[2])
d = [f"{k}: {a[k]} as root, {b.get(k)} as vigil" for k in sorted(a) if a[k] != b.get(k)]
print(f"   verdicts that differ between root and the unit's credentials: {len(d)}")
for line in d:
    print("     " + line)
EOF
for f in cache.db host-key.pem; do
  expect_stat /var/lib/vigil/$f "600 vigil vigil"
done
# The same scan again under strace, for the system calls only: strace slows
# the filesystem walk past its time budget, so its verdicts are not compared.
if [ $have_strace -eq 1 ]; then
  rc=0
  (cd / && traced scan "${as_vigil[@]}" /usr/bin/vigil scan --no-record) >/dev/null 2>"$tmp/scan-traced.err" || rc=$?
  case $rc in
    0 | 1 | 3) ;;
    *) fail "vigil scan under strace: exit $rc: $(tail -5 "$tmp/scan-traced.err")" ;;
  esac
fi
"${as_vigil[@]}" /usr/bin/vigil status --state-dir /var/lib/vigil >"$tmp/status.txt" 2>&1 ||
  fail "vigil status as vigil: $(cat "$tmp/status.txt")"
grep -q 'chain at sequence 1' "$tmp/status.txt" || fail "vigil status: $(cat "$tmp/status.txt")"
ok "the scan is in /var/lib/vigil (cache.db, host-key.pem 0600 vigil)"

# The store with the packaged configuration, as docs/operations.md sets it
# up: a certificate and key in /etc/vigil, the key root:vigil-store 0640.
# Only the address differs: a free loopback port instead of 0.0.0.0:8443.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout /etc/vigil/store.key -out /etc/vigil/store.crt \
  >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; fail "openssl req"; }
chown root:vigil-store /etc/vigil/store.key
chmod 0640 /etc/vigil/store.key
chmod 0644 /etc/vigil/store.crt
as_store=(setpriv --reuid=vigil-store --regid=vigil-store --init-groups --inh-caps=-all
  --bounding-set=-all --no-new-privs --)
install -d -o vigil-store -g vigil-store -m 0700 "$tmp/store"
sed 's/^listen: .*/listen: "127.0.0.1:0"/' /etc/vigil/store.yaml >"$tmp/store/store.yaml"
chown vigil-store "$tmp/store/store.yaml"
chmod 0755 "$tmp"
serve=("${as_store[@]}" /usr/bin/vigil-store serve --config "$tmp/store/store.yaml" --port-file "$tmp/store/port")
[ $have_strace -eq 1 ] && serve=(strace -f -qq -o "$tmp/serve.trace" "${serve[@]}")
(umask 0077 && cd / && exec "${serve[@]}") >"$tmp/store.log" 2>&1 &
store_pid=$!
for _ in $(seq 1 100); do
  [ -s "$tmp/store/port" ] && break
  kill -0 $store_pid 2>/dev/null || break
  sleep 0.1
done
port=$(cat "$tmp/store/port" 2>/dev/null || true)
if [ -z "$port" ]; then
  fail "vigil-store serve did not start: $(tail -5 "$tmp/store.log")"
else
  ok "vigil-store serve as vigil-store on 127.0.0.1:$port"
  expect_stat /var/lib/vigil-store/store.db "600 vigil-store vigil-store"
  if ! "${as_store[@]}" /usr/bin/vigil-store token create --role enroll --uses 1 --expires 30m \
    --config /etc/vigil/store.yaml >"$tmp/token" 2>"$tmp/token.err"; then
    fail "vigil-store token create as vigil-store: $(cat "$tmp/token.err")"
  fi
  install -o vigil -g vigil -m 0600 "$tmp/token" "$tmp/token.vigil"
  if "${as_vigil[@]}" /usr/bin/vigil enroll --store "https://localhost:$port" --token-file "$tmp/token.vigil" \
    --ca /etc/vigil/store.crt >"$tmp/enroll.out" 2>&1; then
    ok "vigil enroll as vigil: $(head -1 "$tmp/enroll.out")"
  else
    fail "vigil enroll as vigil: $(cat "$tmp/enroll.out")"
  fi
  if traced ship "${as_vigil[@]}" /usr/bin/vigil ship >"$tmp/ship.out" 2>&1; then
    ok "vigil ship as vigil: $(head -1 "$tmp/ship.out")"
  else
    fail "vigil ship as vigil: $(cat "$tmp/ship.out")"
  fi
  hosts=$("${as_store[@]}" /usr/bin/vigil-store host list --config /etc/vigil/store.yaml 2>&1) ||
    fail "vigil-store host list: $hosts"
  if [ "$(printf '%s\n' "$hosts" | grep -c '^h-')" = 1 ]; then
    ok "vigil-store host list as vigil-store: one host"
  else
    fail "vigil-store host list: $hosts"
  fi
  rc=0
  stop_store TERM || rc=$?
  if [ $rc -eq 0 ]; then
    ok "vigil-store serve exited 0 on SIGTERM"
  else
    fail "vigil-store serve exited $rc on SIGTERM: $(tail -5 "$tmp/store.log")"
  fi
fi

# The installed configuration is valid, and the installed daemon runs with
# the unit's credentials: one scan recorded from a schedule without splay
# (the packaged one waits up to ten minutes), then SIGTERM and exit 0.
if out=$("${as_vigil[@]}" /usr/bin/vigil run --check-config --config /etc/vigil/vigil.yaml 2>&1); then
  ok "vigil run --check-config /etc/vigil/vigil.yaml"
else
  fail "vigil run --check-config /etc/vigil/vigil.yaml: $out"
fi
cat >"$tmp/daemon.yaml" <<YAML
state_dir: /var/lib/vigil
schedules:
  - name: package-test
    policies: [/usr/share/vigil/policies/linux-baseline.yaml]
    interval_seconds: 3600
store:
  ship: false
YAML
chmod 0644 "$tmp/daemon.yaml"
chmod 0755 "$tmp"
# Under strace (the loop, vigild, and its `vigil job` children all traced),
# $daemon_pid is strace's and the daemon is its child.
(cd / && exec $([ $have_strace -eq 1 ] && echo strace -f -qq -o "$tmp/daemon.trace") "${as_vigil[@]}" \
  /usr/bin/vigil run --config "$tmp/daemon.yaml" 2>"$tmp/daemon.log") &
daemon_pid=$!
for _ in $(seq 1 600); do
  grep -q '"name": "package-test"' /var/lib/vigil/daemon-state.json 2>/dev/null &&
    grep -q '"last_sequence": [0-9]' /var/lib/vigil/daemon-state.json 2>/dev/null && break
  sleep 0.1
done
loop_pid=$daemon_pid
[ $have_strace -eq 1 ] && loop_pid=$(ps -o pid= --ppid "$daemon_pid" | tr -d ' ')
[ "$(cat /proc/"$loop_pid"/comm 2>/dev/null)" = vigild ] || fail "the daemon's main process is not vigild"
kill -TERM "$loop_pid" 2>/dev/null
rc=0
wait "$daemon_pid" || rc=$?
grep -q '"last_sequence": [0-9]' /var/lib/vigil/daemon-state.json 2>/dev/null ||
  fail "vigil run recorded no scan in a minute: $(cat "$tmp/daemon.log")"
[ "$rc" -eq 0 ] || fail "vigil run exited $rc on SIGTERM: $(cat "$tmp/daemon.log")"
owner=$(stat -c %U:%a /var/lib/vigil/daemon-state.json)
[ "$owner" = "vigil:600" ] || fail "daemon-state.json is $owner, not vigil:600"
ok "vigil run as vigil: a scan recorded, daemon-state.json vigil 0600, exit 0 on SIGTERM"

if [ $have_strace -eq 1 ]; then
  python3 "$src/tests/packaging/syscall_filter_check.py" /lib/systemd/system/vigil.service /usr/bin/vigil \
    "$tmp/scan.trace" "$tmp/ship.trace" "$tmp/daemon.trace" || fail "vigil makes system calls vigil.service does not allow"
  if [ -f "$tmp/serve.trace" ]; then
    python3 "$src/tests/packaging/syscall_filter_check.py" /lib/systemd/system/vigil-store.service \
      /usr/bin/vigil-store "$tmp/serve.trace" || fail "vigil-store makes system calls vigil-store.service does not allow"
  fi
else
  echo "note: strace is not installed; the system calls were not checked against SystemCallFilter="
fi


# --- upgrade, remove, install again ------------------------------------------
echo "== dpkg -i again (the upgrade path), dpkg --remove, dpkg -i"
echo "# an admin's edit" >>/etc/vigil/vigil.yaml
wants=/etc/systemd/system/multi-user.target.wants
systemctl disable vigil.service >/dev/null 2>&1 || fail "systemctl disable vigil.service (offline)"
if dpkg -i "$deb_vigil" >"$tmp/upgrade.log" 2>&1; then
  [ "$(tail -1 /etc/vigil/vigil.yaml)" = "# an admin's edit" ] || fail "the upgrade replaced the edited /etc/vigil/vigil.yaml"
  expect_stat /var/lib/vigil/cache.db "600 vigil vigil"
  [ ! -e $wants/vigil.service ] || fail "the upgrade enabled vigil.service again after the admin disabled it"
  ok "upgrade over the same version: the edited conffile, the evidence and the admin's disable stay"
  systemctl enable vigil.service >/dev/null 2>&1 || fail "systemctl enable vigil.service (offline)"
else
  fail "dpkg -i over the installed vigil: $(cat "$tmp/upgrade.log")"
fi

if dpkg --remove vigil vigil-store >"$tmp/remove.log" 2>&1; then
  for p in vigil vigil-store; do
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' $p)
    [ "${st:0:2}" = rc ] || fail "$p: dpkg status after remove is '$st', not rc"
    getent passwd $p >/dev/null || fail "remove deleted the user $p (only purge should)"
    [ "$(readlink /etc/systemd/system/$p.service)" = /dev/null ] || fail "remove did not mask $p.service"
  done
  for f in /usr/bin/vigil /usr/bin/vigil-store /lib/systemd/system/vigil.service; do
    [ ! -e "$f" ] || fail "$f is still there after remove"
  done
  for f in /etc/vigil/vigil.yaml /etc/vigil/store.yaml /etc/vigil/store.key /var/lib/vigil/cache.db \
    /var/lib/vigil/host-key.pem /var/lib/vigil-store/store.db; do
    [ -e "$f" ] || fail "remove (not purge) deleted $f"
  done
  ok "remove: programs and units gone; configuration, keys, evidence, database and users kept; units masked"
else
  fail "dpkg --remove: $(cat "$tmp/remove.log")"
fi

if dpkg -i "$deb_vigil" "$deb_store" >"$tmp/reinstall.log" 2>&1; then
  for u in vigil.service vigil-store.service; do
    [ ! -L /etc/systemd/system/$u ] || fail "$u is still masked after installing again"
    [ -L /etc/systemd/system/multi-user.target.wants/$u ] || fail "$u is not enabled after installing again"
  done
  "${as_vigil[@]}" /usr/bin/vigil status --state-dir /var/lib/vigil >"$tmp/status.txt" 2>&1 ||
    fail "vigil status after installing again: $(cat "$tmp/status.txt")"
  ok "installed again: unmasked, enabled, the evidence chain is still there"
else
  fail "dpkg -i after remove: $(cat "$tmp/reinstall.log")"
fi

# --- purge -----------------------------------------------------------------
echo "== dpkg --purge"
if ! dpkg --purge vigil vigil-store >"$tmp/purge.log" 2>&1; then
  cat "$tmp/purge.log" >&2
  fail "dpkg --purge failed"
fi
installed=0
sed 's/^/  dpkg: /' "$tmp/purge.log"
for p in vigil vigil-store; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' $p 2>/dev/null || true)
  [ -z "$st" ] || [ "${st:0:2}" = un ] || fail "$p: dpkg status after purge is '$st'"
  while read -r f; do
    case $f in
      /. | /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/bin | /usr/libexec | /usr/share | /usr/share/doc) ;;
      *) [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f (from $p) is still there" ;;
    esac
  done <"$tmp/$p.files"
  getent passwd $p >/dev/null && fail "the user $p is still there"
  getent group $p >/dev/null && fail "the group $p is still there"
done
for d in /etc/vigil /var/lib/vigil /var/lib/vigil-store \
  /etc/systemd/system/multi-user.target.wants/vigil.service \
  /etc/systemd/system/multi-user.target.wants/vigil-store.service \
  /etc/systemd/system/vigil.service /etc/systemd/system/vigil-store.service \
  /var/lib/systemd/deb-systemd-helper-enabled/vigil.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-enabled/vigil-store.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/vigil.service \
  /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/vigil-store.service \
  /var/lib/systemd/deb-systemd-helper-masked/vigil.service \
  /var/lib/systemd/deb-systemd-helper-masked/vigil-store.service; do
  [ ! -e "$d" ] && [ ! -L "$d" ] || fail "$d is still there after the purge"
done
[ $failures -eq 0 ] && ok "purged: no package file, /etc/vigil, state directory, unit link or user is left"

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package test passed"
