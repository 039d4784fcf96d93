#!/usr/bin/env bash
# valgrind.sh: the unit tests and a sample of real runs under valgrind
# memcheck; any error (invalid read or write, use of uninitialised memory,
# a definite leak) fails it.
#
#   scripts/valgrind.sh [--build-dir DIR] [--install] [--quick]
#
#   --build-dir DIR  an existing build without sanitizers (default: build
#                    one in build-valgrind/, RelWithDebInfo)
#   --install        as root, apt-get install valgrind when it is missing
#   --quick          fewer integration runs (the CTest valgrind.memcheck)
#
# What runs: every cmocka unit test binary (tests/unit); every fuzzing
# regression input and committed seed through its harness (tests/fuzz);
# `tcpref analyze` on corpus captures (crafted and kernel, pcap); and the
# malformed-capture suite (tests/integration/malformed.py --wrap valgrind)
# on a sample of its files, every subcommand that reads captures.
#
# Exit: 0 clean, 1 a memcheck error or a failing run, 77 valgrind is missing
# or the build is sanitized (valgrind cannot run ASan binaries).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=""
install=0
quick=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --install) install=1; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "valgrind.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

if ! command -v valgrind >/dev/null; then
    if [ $install = 1 ] && [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind >/dev/null
    else
        echo "valgrind.sh: SKIP: valgrind is not installed (apt-get install valgrind)"
        exit 77
    fi
fi

if [ -z "$build" ]; then
    build="$here/build-valgrind"
    cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPREF_SANITIZE=OFF >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi
if grep -q '^TCPREF_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null ||
    grep -q '^TCPREF_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "valgrind.sh: SKIP: $build is built with sanitizers; valgrind needs a plain build"
    exit 77
fi

vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
run() { # name, command...
    local name=$1
    shift
    if "${vg[@]}" --log-file="$tmp/vg.log" "$@" >"$tmp/out" 2>&1; then
        pass=$((pass + 1))
    else
        local rc=$?
        # a run whose own exit status is not 0 (analyze on damaged input is 2)
        # counts as clean when memcheck itself found nothing
        if [ $rc != 99 ] && [ ! -s "$tmp/vg.log" ] && [ "${ALLOW_NONZERO:-0}" = 1 ]; then
            pass=$((pass + 1))
            return
        fi
        fail=$((fail + 1))
        echo "FAIL $name (exit $rc)"
        head -40 "$tmp/vg.log" "$tmp/out"
    fi
}

echo "valgrind.sh: unit tests"
# only binaries of this checkout's tests: a build directory used for another
# branch may hold test binaries whose sources are gone
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    if [ ! -f "$here/tests/unit/$(basename "$t").c" ]; then
        echo "skip $(basename "$t"): no tests/unit/$(basename "$t").c (stale in $build)"
        continue
    fi
    TT_TMPDIR="$tmp" run "unit $(basename "$t")" "$t"
done

echo "valgrind.sh: fuzzing regression inputs and seeds"
for r in "$build"/tests/fuzz/regress_fuzz_*; do
    [ -x "$r" ] || continue
    h=${r##*/regress_}
    if [ ! -f "$here/tests/fuzz/$h.c" ]; then
        echo "skip regress_$h: no tests/fuzz/$h.c (stale in $build)"
        continue
    fi
    dirs=()
    for d in "$here/tests/fuzz/regress/$h" "$here/tests/fuzz/seeds/$h"; do
        [ -d "$d" ] && dirs+=("$d")
    done
    run "regress $h" "$r" ${dirs[@]+"${dirs[@]}"}
done

echo "valgrind.sh: tcpref analyze on corpus captures"
step=3
[ $quick = 1 ] && step=8
i=0
for cap in "$here"/corpus/*/capture.pcap; do
    i=$((i + 1))
    [ $((i % step)) = 0 ] || [ "$(basename "$(dirname "$cap")")" = crafted-baseline ] || continue
    run "analyze $cap" "$build/tcpref" analyze -f json -o /dev/null "$cap"
done

echo "valgrind.sh: malformed-capture suite (sample)"
sample=(pcap-header-cut-05 pcap-caplen-over-256k pcap-record-cut pcap-zero-length
        pcapng-shb-cut-13 pcapng-lengths-disagree pcapng-block-past-end pcapng-undeclared
        pcapng-unknown-block ipv4-ihl-beyond-captured ipv6-ext-loop tcp-doff-beyond-captured
        tcp-option-overrun vlan-1000-tags pcap-ns-fraction)
[ $quick = 1 ] && sample=(pcap-caplen-over-256k pcapng-block-past-end ipv6-ext-loop
                          tcp-option-len-0 vlan-1000-tags)
for s in "${sample[@]}"; do
    if /usr/bin/python3 -B "$here/tests/integration/malformed.py" "$build/tcpref" "$here" \
        --only "$s" --wrap "${vg[*]}" >"$tmp/mal.out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL malformed $s"
        cat "$tmp/mal.out"
    fi
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
