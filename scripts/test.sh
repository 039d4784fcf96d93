#!/usr/bin/env bash
# test.sh: install what is missing, build, and run the whole test suite.
#
#   scripts/test.sh              Release build in build/, all tests
#   scripts/test.sh --sanitize   the same under ASan+UBSan in build-asan/
#
# Tests that need root or network namespaces run when root, and skip with a
# message saying why otherwise. Tests that need ../shared (public captures)
# skip with a message when it is absent.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
flags=(--tests)
build="$here/build"
if [ "${1:-}" = "--sanitize" ]; then
    flags+=(--sanitize)
    build="$here/build-asan"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
elif [ $# -gt 0 ]; then
    sed -n '2,10p' "$0"
    exit 2
fi
"$here/scripts/bootstrap.sh" "${flags[@]}" --build-dir "$build"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
