#!/bin/sh
# The daemon's loop (vigild) must stay small: it maps none of the libraries
# a scan or a drain needs (SQLite, OpenSSL, libcurl, the decompressors), so
# they are loaded only by the `vigil job` processes it starts. Checks the
# binary's DT_NEEDED entries and that no libcurl name is in it at all (it is
# dlopen()ed by the agent, never by the loop).
#
#   footprint_test.sh VIGILD
set -eu
vigild=$1
needed=$(readelf -d "$vigild" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "vigild needs: $(echo $needed)"
status=0
for lib in $needed; do
  case $lib in
    libsqlite3*|libcrypto*|libssl*|libcurl*|liblz4*|liblzma*|libz.so*)
      echo "FAIL: vigild links $lib: the loop must not map what only its jobs use" >&2
      status=1 ;;
  esac
done
if grep -q 'libcurl\.so' "$vigild"; then
  echo "FAIL: vigild names libcurl (it would dlopen it)" >&2
  status=1
fi
[ $status -eq 0 ] && echo "ok: vigild maps only the C and C++ runtimes, Boost.JSON and yaml-cpp"
exit $status
