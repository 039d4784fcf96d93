#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer harnesses (tests/fuzz/) and run each one for a
# chosen time; report executions, coverage and crashes per harness.
#
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [--work DIR] [--keep-going] [HARNESS...]
#
#   --time S    seconds per harness (default 60: the CI smoke run)
#   --keep-going  run in libFuzzer's fork mode and go on after a crash, to
#               collect every distinct crash of a long run (each one is
#               still counted, and still fails the run)
#   --jobs N    harnesses run at once (default: the number of cores)
#   --work DIR  build, seeds, growing corpora, logs and crash inputs
#               (default build-fuzz/ in the repository)
#   HARNESS     pcap pcapng decode observer replay_compare rules expect threads
#               (default: all,
#               as tests/fuzz/CMakeLists.txt lists them)
#
# Each harness starts from seeds generated from corpus/ (tests/fuzz/
# make-seeds.py), the committed seeds and regression inputs of tests/fuzz/,
# and the corpus it grew in earlier runs in the same --work folder.
# Crashing inputs land in WORK/artifacts/HARNESS/; copy each into
# tests/fuzz/regress/fuzz_HARNESS/ once fixed (tests/fuzz/README.md).
#
# Exit: 0 no crash, 1 a harness crashed (or failed to run), 77 clang or
# libFuzzer is missing (skipped, as CTest counts it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
time_s=60
jobs=$(nproc)
work="$here/build-fuzz"
harnesses=()
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --keep-going) keep=1; shift ;;
    --time) time_s=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
    esac
done

cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null; then
    echo "fuzz.sh: SKIP: $cc not found (apt-get install clang libclang-rt-dev)"
    exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' |
    "$cc" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
    echo "fuzz.sh: SKIP: $cc cannot link libFuzzer (apt-get install libclang-rt-dev)"
    exit 77
fi

build="$work/build"
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTCPREF_FUZZ=ON -DTCPREF_TESTS=OFF >"$work.cmake.log" 2>&1 ||
    { cat "$work.cmake.log"; exit 1; }
mkdir -p "$work"
mv "$work.cmake.log" "$work/cmake.log"
cmake --build "$build" -j"$(nproc)" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
if [ ${#harnesses[@]} -eq 0 ]; then
    read -r -a harnesses < <(sed -n 's/^set(TR_FUZZ_HARNESSES \([a-z_ ]*\))$/\1/p' \
        "$here/tests/fuzz/CMakeLists.txt")
    # harnesses appended later (list(APPEND TR_FUZZ_HARNESSES ...))
    read -r -a more < <(sed -n 's/^list(APPEND TR_FUZZ_HARNESSES \([a-z_ ]*\))$/\1/p' \
        "$here/tests/fuzz/CMakeLists.txt" | tr '\n' ' ') || true
    harnesses+=(${more[@]+"${more[@]}"})
fi

seeds="$work/seeds"
rm -rf "$seeds"
/usr/bin/python3 "$here/tests/fuzz/make-seeds.py" "$seeds"

# Dictionary and input size limit per harness.
dict_for() {
    case "$1" in
    pcap) cat "$here/tests/fuzz/pcap.dict" "$here/tests/fuzz/tcpip.dict" ;;
    pcapng) cat "$here/tests/fuzz/pcapng.dict" "$here/tests/fuzz/tcpip.dict" ;;
    threads) cat "$here/tests/fuzz/pcap.dict" "$here/tests/fuzz/pcapng.dict" "$here/tests/fuzz/tcpip.dict" ;;
    decode) cat "$here/tests/fuzz/tcpip.dict" ;;
    *) [ -f "$here/tests/fuzz/$1.dict" ] && cat "$here/tests/fuzz/$1.dict" ;;
    esac
}
maxlen_for() {
    case "$1" in
    pcap|pcapng|threads) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

run_one() {
    local h=$1 bin="$build/tests/fuzz/fuzz_$1"
    local corpus="$work/corpus/$h" art="$work/artifacts/$h" log="$work/logs/$h.log"
    mkdir -p "$corpus" "$art" "$work/logs" "$seeds/fuzz_$h"
    touch "$log.start"
    local dict="$work/logs/$h.dict" dictarg=()
    dict_for "$h" >"$dict" || true
    [ -s "$dict" ] && dictarg=(-dict="$dict")
    local extra=()
    for d in "$here/tests/fuzz/seeds/fuzz_$h" "$here/tests/fuzz/regress/fuzz_$h"; do
        [ -d "$d" ] && extra+=("$d")
    done
    # Segment-record harnesses want long inputs at once; shorter allocation
    # stacks and a smaller quarantine keep ASan's allocator from dominating.
    local lc=()
    case "$h" in observer|replay_compare) lc=(-len_control=0) ;; esac
    [ "$keep" = 1 ] && lc+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=8:quarantine_size_mb=64} \
    "$bin" "$corpus" "$seeds/fuzz_$h" ${extra[@]+"${extra[@]}"} ${dictarg[@]+"${dictarg[@]}"} \
        ${lc[@]+"${lc[@]}"} -max_total_time="$time_s" -max_len="$(maxlen_for "$h")" -timeout=10 \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1 || true
}

echo "fuzzing ${harnesses[*]} for ${time_s} s each, $jobs at a time (logs in $work/logs)"
running=0
for h in "${harnesses[@]}"; do
    [ -x "$build/tests/fuzz/fuzz_$h" ] || { echo "fuzz.sh: no harness fuzz_$h" >&2; exit 1; }
    run_one "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

fail=0
printf '%-16s %8s %12s %8s %8s %8s  %s\n' harness seconds executions cov ft corpus crashes
for h in "${harnesses[@]}"; do
    log="$work/logs/$h.log" art="$work/artifacts/$h"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$log" | tail -1 || true)
    # fork mode (--keep-going) prints no final stats: "#EXECS: cov: ..."
    [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' <<<"$last")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    crashes=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
        -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) -newer "$log.start" \
        2>/dev/null | wc -l || true)
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |invariant failed|libFuzzer: (deadly signal|timeout|out-of-memory)|crash: [1-9]' "$log" ||
        [ -z "$execs" ]; then
        fail=1
        [ "$crashes" = 0 ] && crashes="see log"
    elif [ "$crashes" != 0 ]; then
        fail=1
    fi
    printf '%-16s %8s %12s %8s %8s %8s  %s\n' "$h" "$time_s" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "$crashes"
done
if [ "$fail" != 0 ]; then
    echo "fuzz.sh: FAILED: crashing inputs are in $work/artifacts/<harness>/, logs in $work/logs/"
    grep -hE -A12 '^==[0-9]+==ERROR|invariant failed|libFuzzer: (deadly|timeout|out-of)' \
        "$work"/logs/*.log | head -80
fi
exit $fail
