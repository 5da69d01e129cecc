#!/bin/sh
# default_config_test.sh SOURCE_DIR
#
# The packaged default configurations are the examples the documentation
# shows: packaging/vigil.yaml is the YAML block of docs/configuration.md,
# packaging/store.yaml the YAML block of docs/store-api.md's "Configuration".
# A change to one without the other fails here.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 SOURCE_DIR" >&2; exit 2; }
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The first ```yaml block after the line matching START (a sed address).
yaml_block() {
  sed -n "$2,\$p" "$1" | awk '/^```yaml$/ { inside = 1; next } /^```$/ { if (inside) exit } inside'
}

failed=0
compare() {
  doc=$1
  start=$2
  file=$3
  yaml_block "$src/$doc" "$start" >"$tmp/doc.yaml"
  if [ ! -s "$tmp/doc.yaml" ]; then
    echo "FAIL: $doc: no \`\`\`yaml block after $start" >&2
    failed=1
  elif ! diff -u --label "$doc" --label "$file" "$tmp/doc.yaml" "$src/$file"; then
    echo "FAIL: $file is not the example in $doc" >&2
    failed=1
  else
    echo "ok: $file is the example in $doc ($(wc -l <"$src/$file") lines)"
  fi
}

compare docs/configuration.md '/^The packaged file/' packaging/vigil.yaml
compare docs/store-api.md '/^## Configuration/' packaging/store.yaml
exit $failed
