#!/usr/bin/env bash
# bootstrap.sh: install what is missing (Debian/Ubuntu), then configure and
# build tcpref.
#
#   scripts/bootstrap.sh                 build in build/ (Release)
#   scripts/bootstrap.sh --tests         also install what the test suite needs
#   scripts/bootstrap.sh --sanitize      build with ASan+UBSan in build-asan/
#   scripts/bootstrap.sh --build-dir D   build in D
#
# As root it installs missing packages with apt-get (after apt-get update);
# otherwise it prints the command to run and stops.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tests=0
sanitize=0
build=""
while [ $# -gt 0 ]; do
    case "$1" in
    --tests) tests=1 ;;
    --sanitize) sanitize=1 ;;
    --build-dir) build=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bootstrap.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$build" ]; then
    if [ $sanitize = 1 ]; then build="$here/build-asan"; else build="$here/build"; fi
fi

need=(cmake gcc make pkg-config libpcap-dev libjansson-dev libcmocka-dev)
if [ $tests = 1 ]; then
    # tshark is the independent oracle of the integration tests; the next
    # ones build the network-namespace test beds (root only); valgrind runs
    # the valgrind.memcheck test, clang and its runtimes the fuzzing
    # harnesses (scripts/fuzz.sh), strace slows tcpref's reads down for the
    # progress-line test.
    need+=(tshark tcpdump python3 iproute2 nftables ethtool procps valgrind clang libclang-rt-dev strace)
fi

missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bootstrap.sh: missing packages: ${missing[*]}" >&2
        echo "install them as root, then run this again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "bootstrap.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

type=Release
extra=()
if [ $sanitize = 1 ]; then
    type=Debug
    extra+=(-DTCPREF_SANITIZE=ON)
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=$type "${extra[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "bootstrap.sh: built $build/tcpref" >&2
