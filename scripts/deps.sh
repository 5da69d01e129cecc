#!/usr/bin/env bash
# Installs Vigil's build and test dependencies from Debian 12 packages, when
# any is missing. Runs apt-get as root, or through sudo.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcurl4-openssl-dev libsqlite3-dev libyaml-cpp-dev
  liblz4-dev zlib1g-dev liblzma-dev
  catch2
  # tests/agent/export_test.cpp validates OSCAL documents against the schema
  python3 python3-jsonschema python3-regex python3-rfc3987
  # test certificates (tests/tls_certs, the e2e and bench TLS set-ups) are made with /usr/bin/openssl
  openssl
  # the packages (packaging/, tests/packaging/): dpkg-shlibdeps for their Depends, systemd-analyze
  # to verify and rate the units, adduser for their postinst, strace and ps for the package test
  dpkg-dev systemd adduser strace procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "deps.sh: installing ${missing[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
