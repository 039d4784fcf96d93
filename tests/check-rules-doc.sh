#!/bin/sh
# The rule table of docs/rules.md must be what `tcpref rules --format
# markdown` prints: the catalog lives in the code, the doc follows it.
# usage: check-rules-doc.sh TCPREF DOCS_RULES_MD
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -n '/^| rule |/,$p' "$2" > "$tmp"
if ! "$1" rules --format markdown | diff -u "$tmp" -; then
    echo "docs/rules.md is out of date: regenerate its table with 'tcpref rules --format markdown'" >&2
    exit 1
fi
