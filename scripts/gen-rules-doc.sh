#!/bin/sh
# Regenerates the rule table of docs/rules.md from the catalog in the code.
# usage: scripts/gen-rules-doc.sh [TCPREF]   (default build/tcpref)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tcpref=${1:-$here/build/tcpref}
doc=$here/docs/rules.md
tmp=$(mktemp)
sed '/^| rule |/,$d' "$doc" > "$tmp"
"$tcpref" rules --format markdown >> "$tmp"
mv "$tmp" "$doc"
