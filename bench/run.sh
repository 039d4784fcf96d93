#!/usr/bin/env bash
# bench/run.sh -- time tcpref against the "practical limit" (rawloop) on the
# shared benchmark capture.  See bench/README.md and --help.
#
# Uses the read-only shared files in ../shared/bench relative to the repo root
# (override with BENCH_SHARED=DIR): make-bench-pcap.sh (capture generator) and
# rawloop.c (pcap read loops).  Nothing is copied into the repo.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${BENCH_SHARED:-$(dirname "$REPO")/shared/bench}
PROG=bench/run.sh

usage() {
    cat <<EOF
usage: $PROG [options]

Generates (or reuses) the benchmark capture, builds rawloop and tcpref
(Release), then times on one pinned CPU with a warm page cache (hyperfine -N,
1 warmup run):
  rawloop next   pcap_next_ex loop: the reference (ratio 1.0)
  rawloop mmap   own record parser, no libpcap
  tcpref analyze --threads 1 -f json -o /dev/null  (one thread, pinned)
  tcpref analyze --threads N -f json -o /dev/null (all cores, not pinned)
  [tcptrace -n -l -r]                                      --with-tcptrace
  [tshark -q -z conv,tcp; tshark -Y tcp.analysis.flags]    --with-tshark
and one /usr/bin/time -f %M run of each for the peak RSS.  Then the
reference and the two tcpref rows again, in turn (--interleave rounds), so
that the machine's drift between the rows, which hyperfine runs one after
the other, cancels from the ratios; each round between canaries (the bare
loop pinned to every CPU), so that rounds run while a CPU was slowed by
the host are told apart (quiet rounds: every canary within 8 % of the
best; up to 3x --interleave rounds are run to get that many).  Then tcpref's
memory per connection (peak RSS beyond its RSS on a one-connection capture)
and whether --threads 1, --threads N and 3 merged shards write the same
report.  Prints a markdown table with the ratios to the targets and writes it,
with the raw hyperfine JSON and results.json, to RESULTS/<timestamp>/.

capture:
  --size MB          target capture size (default \$SIZE or 300); the capture is
                     cached as RESULTS/cache/bench-<MB>MB[-knobs].pcap and
                     reused when present.  Generator knobs are read from the
                     environment and passed through (SHORT_FRAC=1 gives a
                     flow-heavy capture; also LOSS SEED V6 RATE CC SNAPLEN FULL
                     WORKERS BULK_PAR); set knobs become part of the cache name.
                     Generating needs root (network namespaces, nft, tcpdump):
                     only that step runs as root (via sudo when not root).
  --pcap FILE        use this existing capture instead (no generation, no root)
  --regen            regenerate the cached capture even if present

what to run:
  --tcpref PATH      time this tcpref binary instead of building one
                     (default: Release build in RESULTS/build)
  --rev REV          build tcpref from a committed revision (git archive REV into
                     RESULTS/src-<sha>, build in RESULTS/build-<sha>) instead of
                     the working tree, which others may be editing
  --cmake-arg ARG    extra argument for the tcpref cmake configure step
                     (repeatable), e.g. --cmake-arg -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized
  --threads N        threads for the multi-threaded tcpref row (default: nproc, min 2)
  --with-tcptrace    also time 'tcptrace -n -l -r' (skipped if not installed)
  --with-tshark      also time the two tshark runs (skipped if not installed)
  --cpu N            CPU to pin to with taskset (default 1, or 0 on 1-CPU hosts)
  --runs N           hyperfine runs for fast commands (default 10)
  --interleave N     quiet rounds of the interleaved ratios (default 10, at most
                     3N rounds in all; 0: skip)
  --slow-runs N      runs for tshark and for anything slower than --slow-secs (default 3)
  --slow-secs S      a single run longer than S seconds counts as slow (default 5)
  --timeout S        give up on a command whose single (RSS) run exceeds S
                     seconds; it is reported as a timeout, not timed (default 1800)
  --no-timing        skip the timing table (e.g. with --profile only)
  --no-identity      skip the identity check (by default the reports of
                     --threads 1, --threads N and --identity-shards (3) shards
                     joined by 'tcpref merge' are compared byte for byte)
  --profile KIND     also profile one single-thread tcpref run with a
                     RelWithDebInfo build (RESULTS/build-prof): 'perf'
                     (perf record -g, cpu-clock) or 'callgrind' (valgrind; ~50x
                     slower: use a small capture, e.g. --size 30); writes the
                     top 15 functions by self cost to profile-top.txt
  --results DIR      results root (default bench/results, git-ignored)
  -h, --help         this help

examples:
  bench/run.sh --size 30                      # quick check
  bench/run.sh --with-tcptrace --with-tshark  # 300 MB, all rows
  SHORT_FRAC=1 bench/run.sh                   # flow-heavy 300 MB (~20 k conns)
  bench/run.sh --size 30 --no-timing --profile callgrind
EOF
}

die() { echo "$PROG: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
isuint() { [[ "$1" =~ ^[0-9]+$ ]]; }
shquote() {   # print args as one shell-words line, quoting only where needed
    local a out=
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./,:=@%+-]+$ ]]; then out+=" $a"
        else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s\n' "${out# }"
}
isnum() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# ------------------------------------------------------------------ options
SIZE=${SIZE:-300}
PCAP=
REGEN=0
TCPREF=
CMAKE_ARGS=()
REV=
NCPU=$(nproc)
THREADS=$(( NCPU < 2 ? 2 : NCPU ))
WITH_TCPTRACE=0
WITH_TSHARK=0
CHECK_IDENTITY=1
IDENTITY_SHARDS=3
CPU=$(( NCPU > 1 ? 1 : 0 ))
RUNS_FAST=10
INTERLEAVE=10
RUNS_SLOW=3
SLOW_SECS=5
TIMEOUT=1800
TIMING=1
PROFILE=
RESULTS=$REPO/bench/results

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "option $1 needs an argument (see --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --size) need_arg "$@"; SIZE=$2; shift 2 ;;
        --pcap) need_arg "$@"; PCAP=$2; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --tcpref) need_arg "$@"; TCPREF=$2; shift 2 ;;
        --rev) need_arg "$@"; REV=$2; shift 2 ;;
        --cmake-arg) need_arg "$@"; CMAKE_ARGS+=("$2"); shift 2 ;;
        --threads) need_arg "$@"; THREADS=$2; shift 2 ;;
        --with-tcptrace) WITH_TCPTRACE=1; shift ;;
        --with-tshark) WITH_TSHARK=1; shift ;;
        --cpu) need_arg "$@"; CPU=$2; shift 2 ;;
        --runs) need_arg "$@"; RUNS_FAST=$2; shift 2 ;;
        --interleave) need_arg "$@"; INTERLEAVE=$2; shift 2 ;;
        --slow-runs) need_arg "$@"; RUNS_SLOW=$2; shift 2 ;;
        --slow-secs) need_arg "$@"; SLOW_SECS=$2; shift 2 ;;
        --timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
        --no-timing) TIMING=0; shift ;;
        --no-identity) CHECK_IDENTITY=0; shift ;;
        --identity-shards) need_arg "$@"; IDENTITY_SHARDS=$2; shift 2 ;;
        --profile) need_arg "$@"; PROFILE=$2; shift 2 ;;
        --results) need_arg "$@"; RESULTS=$2; shift 2 ;;
        *) echo "$PROG: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
isuint "$SIZE" && [ "$SIZE" -ge 1 ] || die "--size must be a positive integer (MB)"
for v in THREADS CPU RUNS_FAST INTERLEAVE RUNS_SLOW TIMEOUT IDENTITY_SHARDS; do
    isuint "${!v}" || die "${v,,} must be a non-negative integer, got '${!v}'"
done
[ "$RUNS_FAST" -ge 2 ] && [ "$RUNS_SLOW" -ge 2 ] || die "hyperfine needs at least 2 runs"
isnum "$SLOW_SECS" || die "--slow-secs must be a number"
case $PROFILE in ''|perf|callgrind) ;; *) die "--profile must be perf or callgrind" ;; esac
[ "$TIMING" = 1 ] || [ -n "$PROFILE" ] || die "--no-timing without --profile does nothing"
[ -d "$SHARED" ] || die "shared benchmark files not found at $SHARED (expected ../shared/bench next to the repo; set BENCH_SHARED=DIR). Skipping the benchmark."
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# ------------------------------------------------------------------ tools
MISSING=() PKGS=()
need() {   # need CHECK-COMMAND... -- DEBIAN-PACKAGE WHAT
    local pkg=${*: -2:1} what=${*: -1}
    if ! "${@:1:$#-3}" >/dev/null 2>&1; then MISSING+=("$what"); PKGS+=("$pkg"); fi
}
have() { command -v "$1" >/dev/null 2>&1; }
need have python3        -- python3 python3
need have taskset        -- util-linux taskset
need have timeout        -- coreutils timeout
need test -x /usr/bin/time -- time /usr/bin/time
if [ "$TIMING" = 1 ]; then
    need have hyperfine  -- hyperfine hyperfine
    need have gcc        -- gcc gcc
    need sh -c 'echo "#include <pcap/pcap.h>" | gcc -E -x c - -o /dev/null' -- libpcap-dev "libpcap headers (pcap/pcap.h)"
    need have capinfos   -- wireshark-common capinfos
    [ -f "$SHARED/rawloop.c" ] || die "$SHARED/rawloop.c not found"
fi
if [ -z "$TCPREF" ] || [ -n "$PROFILE" ]; then
    need have cmake      -- cmake cmake
    need have pkg-config -- pkg-config pkg-config
    need pkg-config --exists libpcap -- libpcap-dev "libpcap (pkg-config)"
    need pkg-config --exists jansson -- libjansson-dev "jansson (pkg-config)"
fi
[ "$PROFILE" = perf ] && need have perf -- linux-perf perf
[ "$PROFILE" = callgrind ] && { need have valgrind -- valgrind valgrind; need have callgrind_annotate -- valgrind callgrind_annotate; }
if [ ${#MISSING[@]} -gt 0 ]; then
    echo "$PROG: missing: ${MISSING[*]}" >&2
    echo "  install with: apt-get install -y $(printf '%s\n' "${PKGS[@]}" | sort -u | tr '\n' ' ')" >&2
    exit 1
fi
taskset -c "$CPU" true 2>/dev/null || die "cannot pin to CPU $CPU (allowed: $(taskset -pc $$ | sed 's/.*: //')); use --cpu"
if [ -n "$TCPREF" ]; then
    [ -x "$TCPREF" ] || die "--tcpref $TCPREF is not an executable file"
    TCPREF=$(cd "$(dirname "$TCPREF")" && pwd)/$(basename "$TCPREF")
fi

# ------------------------------------------------------------------ capture
GEN_KNOBS=(SHORT_FRAC LOSS SEED V6 RATE CC SNAPLEN FULL WORKERS BULK_PAR PYTHON)
if [ -n "$PCAP" ]; then
    [ -f "$PCAP" ] && [ -r "$PCAP" ] || die "--pcap $PCAP: not a readable file"
    PCAP=$(cd "$(dirname "$PCAP")" && pwd)/$(basename "$PCAP")
    for k in "${GEN_KNOBS[@]}"; do
        [ -z "${!k:-}" ] || echo "$PROG: note: $k is ignored with --pcap (no generation)" >&2
    done
else
    suffix='' envargs=()
    for k in "${GEN_KNOBS[@]}"; do
        if [ -n "${!k:-}" ]; then
            suffix+="-${k,,}$(printf '%s' "${!k}" | tr -c 'A-Za-z0-9.' '_')"
            envargs+=("$k=${!k}")
        fi
    done
    CACHE=$RESULTS/cache
    mkdir -p "$CACHE"
    PCAP=$CACHE/bench-${SIZE}MB$suffix.pcap
    if [ -f "$PCAP" ] && [ "$REGEN" = 0 ]; then
        log "reusing cached capture $PCAP (--regen to rebuild)"
    else
        GEN=$SHARED/make-bench-pcap.sh
        [ -f "$GEN" ] || die "$GEN not found: cannot generate the capture (use --pcap FILE)"
        for t in ip nft tcpdump; do
            have "$t" || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] \
                || die "generating the capture needs $t: apt-get install -y iproute2 nftables tcpdump python3"
        done
        TMPPCAP=$CACHE/.bench-${SIZE}MB$suffix.partial.$$.pcap
        trap 'rm -f -- "$TMPPCAP"' EXIT
        if [ "$(id -u)" = 0 ]; then
            log "generating $PCAP (${envargs[*]:-default knobs}); running make-bench-pcap.sh as root: it needs network namespaces, nft and tcpdump"
            env "${envargs[@]}" bash "$GEN" "$TMPPCAP" "$SIZE" 2>&1 | tee "$PCAP.log" >&2
        else
            have sudo || die "generating the capture needs root (network namespaces, nft, tcpdump) and sudo is not installed: run this script as root once, or pass --pcap FILE"
            log "generating $PCAP: make-bench-pcap.sh needs root (network namespaces, nft, tcpdump); only this step runs via sudo"
            sudo env "${envargs[@]}" bash "$GEN" "$TMPPCAP" "$SIZE" 2>&1 | tee "$PCAP.log" >&2
            sudo chown "$(id -u):$(id -g)" "$TMPPCAP"
        fi
        mv -f -- "$TMPPCAP" "$PCAP"
        trap - EXIT
        if grep -q 'WARNING: tcpdump dropped' "$PCAP.log"; then
            echo "$PROG: WARNING: tcpdump dropped packets while generating $PCAP (see $PCAP.log); consider --regen" >&2
        fi
    fi
fi
BYTES=$(stat -c %s "$PCAP")

# ------------------------------------------------------------------ output dir
TS=$(date +%Y%m%d-%H%M%S)
OUT=$RESULTS/$TS
n=1; while [ -e "$OUT" ]; do OUT=$RESULTS/$TS-$n; n=$((n + 1)); done
mkdir -p "$OUT"
ln -sfn "$(basename "$OUT")" "$RESULTS/latest"
[ -f "$PCAP.log" ] && cp "$PCAP.log" "$OUT/capture-generation.log"
log "results: $OUT"

# ------------------------------------------------------------------ builds
build_tcpref() {   # build_tcpref SRC DIR BUILD_TYPE -> prints the binary path
    local src=$1 dir=$2 type=$3
    # configure from scratch: a cached CMAKE_C_FLAGS from an earlier --cmake-arg must not linger
    rm -f "$dir/CMakeCache.txt"
    log "building tcpref ($type${CMAKE_ARGS[*]:+, ${CMAKE_ARGS[*]}}) in $dir"
    if ! { cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DTCPREF_TESTS=OFF "${CMAKE_ARGS[@]}" \
             && cmake --build "$dir" -j"$NCPU" --target tcpref; } >"$OUT/build-$type.log" 2>&1; then
        grep -E 'error|Error' "$OUT/build-$type.log" | head -20 >&2
        echo "$PROG: tcpref $type build failed (full log: $OUT/build-$type.log)." >&2
        if grep -q 'Werror=maybe-uninitialized' "$OUT/build-$type.log"; then
            echo "  The optimiser's -Wmaybe-uninitialized warning is an error under -Werror; to benchmark anyway," >&2
            echo "  rerun with: --cmake-arg -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized" >&2
        fi
        exit 1
    fi
    echo "$dir/tcpref"
}
SRC=$REPO BUILD=$RESULTS/build PBUILD=$RESULTS/build-prof
if [ -n "$REV" ]; then
    [ -z "$TCPREF" ] || [ -n "$PROFILE" ] || die "--rev and --tcpref exclude each other"
    SHA=$(git -C "$REPO" rev-parse --verify --short "$REV^{commit}" 2>/dev/null) || die "--rev $REV: not a commit"
    SRC=$RESULTS/src-$SHA BUILD=$RESULTS/build-$SHA PBUILD=$RESULTS/build-prof-$SHA
    if [ ! -f "$SRC/CMakeLists.txt" ]; then
        rm -rf "$SRC"; mkdir -p "$SRC"
        git -C "$REPO" archive "$SHA" | tar -x -C "$SRC" || die "git archive $SHA failed"
    fi
    GIT_DESC="$SHA (--rev $REV, committed tree)" GIT_DIRTY=0
else
    GIT_DESC="working tree at $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
    GIT_DIRTY=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | wc -l) || GIT_DIRTY="?"
fi
if [ "$TIMING" = 1 ]; then
    RAWLOOP=$RESULTS/rawloop
    gcc -O2 -o "$RAWLOOP" "$SHARED/rawloop.c" -lpcap || die "building rawloop failed"
    if [ -z "$TCPREF" ]; then
        TCPREF=$(build_tcpref "$SRC" "$BUILD" Release)
        TCPREF_SRC="Release build of $GIT_DESC ($GIT_DIRTY modified tracked files)${CMAKE_ARGS[*]:+, cmake ${CMAKE_ARGS[*]}}"
    else
        TCPREF_SRC="given with --tcpref"
    fi
fi

# ------------------------------------------------------------------ timing
# Each command: one /usr/bin/time run (peak RSS, exit status, and whether it is
# slow), then hyperfine.  A command that fails or times out is reported in the
# table and not timed; the rest still run.
NAMES=()
# canary FILE: the bare loop pinned to each allowed CPU in turn (bench/canary.py);
# its wall times (s), one per CPU, appended to FILE as one line.  Taken before
# and after each row's hyperfine runs, it tells a row timed while the host
# slowed a CPU (docs/performance.md, "Eleventh round").
canary() {
    python3 "$REPO/bench/canary.py" "$RAWLOOP" "$PCAP" "$1" || log "   canary failed; this row is not marked"
}
bench() {   # bench NAME LABEL PIN(pin|nopin) KIND(fast|slow) CMD...
    local name=$1 label=$2 pin=$3 kind=$4; shift 4
    local -a cmd=("$@") pre=()
    [ "$pin" = pin ] && pre=(taskset -c "$CPU")
    NAMES+=("$name")
    printf '%s\n' "$label" > "$OUT/$name.label"
    shquote "${pre[@]}" "${cmd[@]}" > "$OUT/$name.cmd"
    log ">> $name: $(cat "$OUT/$name.cmd")"
    local rc=0
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" timeout -k 10 "$TIMEOUT" "${pre[@]}" "${cmd[@]}" \
        > /dev/null 2> "$OUT/$name.stderr" || rc=$?
    local last; last=$(tail -n 1 "$OUT/$name.time")
    local secs=${last% *} rss=${last#* }
    echo "$rss" > "$OUT/$name.rss"
    if [ "$rc" != 0 ]; then
        local why
        case $rc in
            124|137) why="timeout: killed after ${TIMEOUT} s (--timeout)" ;;
            13[0-9]|14[0-9]|15[0-9]) why="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo ?)) after $secs s" ;;
            *) why="exit status $rc after $secs s" ;;
        esac
        local err; err=$(grep -v '^\s*$' "$OUT/$name.stderr" | tail -n 1 | cut -c1-160 || true)
        [ -n "$err" ] && why+="; stderr: $err"
        echo "FAILED: $why" > "$OUT/$name.status"
        log "   FAILED ($why); not timed, continuing"
        return 0
    fi
    local runs=$RUNS_FAST
    if [ "$kind" = slow ] || awk -v s="$secs" -v t="$SLOW_SECS" 'BEGIN { exit !(s > t) }'; then
        runs=$RUNS_SLOW
    fi
    log "   single run: $secs s, peak RSS $((rss / 1024)) MiB; hyperfine with $runs runs"
    local hf=(hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$OUT/$name.json"
              --command-name "$name" "$(cat "$OUT/$name.cmd")")
    rm -f "$OUT/$name.canary"
    canary "$OUT/$name.canary"
    local hrc=0
    "${hf[@]}" >&2 || hrc=$?
    canary "$OUT/$name.canary"
    if [ "$hrc" != 0 ]; then
        echo "FAILED: a hyperfine run failed (see $name.stderr for the first run's stderr)" > "$OUT/$name.status"
        log "   FAILED under hyperfine; continuing"
        rm -f "$OUT/$name.json"
        return 0
    fi
    echo ok > "$OUT/$name.status"
}

PKTS=- CONNS=- TCPREF_PKTS=-
if [ "$TIMING" = 1 ]; then
    log "warming the page cache ($((BYTES / 1000000)) MB)"
    cat "$PCAP" > /dev/null
    PKTS=$(capinfos -c -M "$PCAP" | awk '/Number of packets/ { print $NF }')
    log "capture: $PCAP, $PKTS packets, $BYTES bytes"

    # TCP connections, from tcpref's own JSON summary (one extra unpinned run)
    log "tcpref JSON summary run (connections)"
    crc=0
    timeout -k 10 "$TIMEOUT" "$TCPREF" analyze -f json -o "$OUT/report.json" "$PCAP" 2> "$OUT/report.stderr" || crc=$?
    if [ -s "$OUT/report.json" ] && python3 - "$OUT/report.json" "$OUT/tcpref-summary.json" <<'EOF'
import json, os, sys
src, dst = sys.argv[1:]
with open(src, 'rb') as f:          # summary is near the end: no need to parse every connection
    f.seek(max(0, os.path.getsize(src) - (1 << 20)))
    tail = f.read().decode('utf-8', 'replace')
i = tail.rfind('"summary":')
if i < 0:
    sys.exit(1)
summ, _ = json.JSONDecoder().raw_decode(tail[i + len('"summary":'):].lstrip())
json.dump(summ, open(dst, 'w'), indent=1)
EOF
    then
        CONNS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connections"])' "$OUT/tcpref-summary.json")
        TCPREF_PKTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"])' "$OUT/tcpref-summary.json")
        log "tcpref: $CONNS TCP connections, $TCPREF_PKTS packets (exit status $crc)"
    else
        log "could not read summary.connections from tcpref's JSON (exit status $crc): $(tail -n 1 "$OUT/report.stderr" 2>/dev/null)"
        CONNS="? (tcpref exit status $crc)"
    fi
    rm -f "$OUT/report.json"     # can be large; the summary is kept

    bench rawloop-next  '`rawloop next` (pcap_next_ex, reference)' pin fast "$RAWLOOP" next "$PCAP"
    bench rawloop-mmap  '`rawloop mmap` (no libpcap)'              pin fast "$RAWLOOP" mmap "$PCAP"
    bench tcpref-1      '`tcpref analyze --threads 1 -f json -o /dev/null` (one core)' pin fast \
          "$TCPREF" analyze --threads 1 -f json -o /dev/null "$PCAP"
    bench tcpref-mt     "\`tcpref analyze --threads $THREADS ...\` (all cores, no taskset)" nopin fast \
          "$TCPREF" analyze --threads "$THREADS" -f json -o /dev/null "$PCAP"
    # The ratios again, from the three commands run in turn: a virtual
    # machine's speed drifts over minutes (the bare loop 0.24-0.31 s on one
    # machine within an hour), and rows timed one after the other take
    # that drift into their ratio; in turn, each round's three runs see
    # the same machine.  Each round is framed by the bare loop pinned to
    # every CPU in turn (the canary): a round is quiet when every canary
    # ran within 8 % of the run's best canary on any CPU.  A virtual CPU whose
    # host core is busy with other work runs tcpref up to 1.6 times slower
    # and the bare loop 1.3 times, for seconds to minutes at a time
    # (docs/performance.md, "Eleventh round"); rounds are added, up to three
    # times as many, until as many are quiet as were asked for.
    if [ "$INTERLEAVE" -gt 0 ] && [ "$(cat "$OUT/rawloop-next.status")" = ok ] &&
       [ "$(cat "$OUT/tcpref-1.status")" = ok ] && [ "$(cat "$OUT/tcpref-mt.status")" = ok ]; then
        log "interleaved: $INTERLEAVE quiet rounds (at most $((3 * INTERLEAVE)) in all) of rawloop-next, tcpref-1, tcpref-mt in turn, each between canaries on every CPU"
        PYTHONPATH="$REPO/bench" python3 - "$OUT" "$INTERLEAVE" "$RAWLOOP" "$PCAP" <<'PYIL' || log "interleaved ratios not measured"
import json, shlex, sys
from canary import QUIET, canaries, cpus as allowed_cpus, timed
out, want, rawloop, pcap = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = ['rawloop-next', 'tcpref-1', 'tcpref-mt']
cmds = {n: shlex.split(open(f'{out}/{n}.cmd').read().strip()) for n in names}
cpus = allowed_cpus()
rounds = []
def quiet(rd, best):                 # against the fastest CPU: the VM's CPUs are alike when its host is quiet
    return all(x <= QUIET * min(best) for cs in (rd['before'], rd['after']) for x in cs)
k = 0
while True:
    where = f' in round {k}'
    rd = {'before': canaries(rawloop, pcap, where)}
    rd['times'] = {n: timed(cmds[n], n + where) for n in names}
    rd['after'] = canaries(rawloop, pcap, where)
    if k:                            # round 0 warms up, untimed
        rounds.append(rd)
    k += 1
    best = [min(min(r['before'][i], r['after'][i]) for r in rounds) for i in range(len(cpus))] if rounds else None
    if len(rounds) >= 3 * want or (len(rounds) >= want and sum(quiet(r, best) for r in rounds) >= want):
        break
for r in rounds:
    r['quiet'] = quiet(r, best)
times = {n: [r['times'][n] for r in rounds] for n in names}
json.dump({**times, 'cpus': cpus, 'canary_best_s': best, 'rounds': rounds},
          open(f'{out}/interleaved.json', 'w'), indent=1)
PYIL
    fi
    if [ "$WITH_TCPTRACE" = 1 ]; then
        if have tcptrace; then
            bench tcptrace '`tcptrace -n -l -r`' pin fast tcptrace -n -l -r "$PCAP"
        else
            log "--with-tcptrace: tcptrace not installed, skipped (apt-get install -y tcptrace)"
        fi
    fi
    if [ "$WITH_TSHARK" = 1 ]; then
        if have tshark; then
            bench tshark-conv  '`tshark -q -z conv,tcp`' pin slow tshark -r "$PCAP" -q -z conv,tcp
            bench tshark-flags '`tshark -Y tcp.analysis.flags -T fields ...`' pin slow \
                  tshark -r "$PCAP" -Y tcp.analysis.flags -T fields -e frame.number -e tcp.analysis.flags
        else
            log "--with-tshark: tshark not installed, skipped (apt-get install -y tshark)"
        fi
    fi

    # Memory per connection: tcpref's peak RSS on this capture less its peak
    # RSS on a capture of one connection (the fixed base), per connection.
    BASE_PCAP=$SRC/corpus/kernel-clean-reqresp/capture.pcap
    BASE_RSS=-
    if [ -f "$BASE_PCAP" ]; then
        /usr/bin/time -f '%M' -o "$OUT/base.rss" "$TCPREF" analyze --threads 1 -f json -o /dev/null "$BASE_PCAP" \
            2>/dev/null && BASE_RSS=$(tail -n 1 "$OUT/base.rss")
    fi
    # Identity: one thread, all threads, and IDENTITY_SHARDS shards merged
    # must write the same report, byte for byte.
    IDENTITY=skipped
    if [ "$CHECK_IDENTITY" = 1 ]; then
        if "$TCPREF" merge --help >/dev/null 2>&1; then
            log "identity: --threads 1, --threads $THREADS, $IDENTITY_SHARDS shards merged"
            sum() { sha256sum "$1" | cut -c1-16; }
            "$TCPREF" analyze --threads 1 -f json -o "$OUT/id-1.json" "$PCAP" 2>/dev/null || true
            "$TCPREF" analyze --threads "$THREADS" -f json -o "$OUT/id-mt.json" "$PCAP" 2>/dev/null || true
            shards=()
            for ((k = 0; k < IDENTITY_SHARDS; k++)); do
                "$TCPREF" analyze --shard "$k/$IDENTITY_SHARDS" -f json -o "$OUT/id-shard$k.json" "$PCAP" 2>/dev/null || true
                shards+=("$OUT/id-shard$k.json")
            done
            "$TCPREF" merge -o "$OUT/id-merged.json" "${shards[@]}" 2>"$OUT/id-merge.stderr" || true
            a=$(sum "$OUT/id-1.json") b=$(sum "$OUT/id-mt.json") c=$(sum "$OUT/id-merged.json")
            if [ "$a" = "$b" ] && [ "$a" = "$c" ]; then
                IDENTITY="identical (sha256 $a...): --threads 1, --threads $THREADS, $IDENTITY_SHARDS shards merged"
            else
                IDENTITY="DIFFERENT: --threads 1 $a, --threads $THREADS $b, $IDENTITY_SHARDS shards merged $c"
            fi
            log "reports $IDENTITY"
            rm -f "$OUT"/id-*.json
        else
            IDENTITY="skipped: this tcpref has no 'merge' command"
        fi
    fi

    PYTHONPATH="$REPO/bench" python3 - "$OUT" "$PKTS" "$BYTES" "$PCAP" "$CONNS" "$TCPREF_PKTS" "$CPU" "$TCPREF" \
              "$TCPREF_SRC" "$BASE_RSS" "$IDENTITY" "${NAMES[@]}" > "$OUT/summary.md" <<'EOF'
import json, os, platform, subprocess, sys
from canary import QUIET
out, pkts, nbytes, pcap, conns, tpkts, cpu, tcpref, tsrc, base_rss, identity, *names = sys.argv[1:]
pkts, nbytes = int(pkts), int(nbytes)
rd = lambda n, ext: open(f'{out}/{n}.{ext}').read().strip()
model = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
rows, merged = [], []
for n in names:
    st, label, cmd = rd(n, 'status'), rd(n, 'label'), rd(n, 'cmd')
    try:
        rss = int(rd(n, 'rss'))
    except ValueError:
        rss = None
    r = None
    if st == 'ok':
        r = json.load(open(f'{out}/{n}.json'))['results'][0]
        merged.append(r)
    rows.append((n, label, cmd, st, r, rss))
json.dump({'results': merged}, open(f'{out}/hyperfine.json', 'w'), indent=1)
ref = next((r['median'] for n, _, _, st, r, _ in rows if n == 'rawloop-next' and r), None)
p = print
p(f'# tcpref benchmark {os.path.basename(out)}\n')
p(f'- capture: `{pcap}`: {nbytes / 1e6:.1f} MB, **{pkts:,} packets** (capinfos), '
  f'**{conns} TCP connections** (tcpref summary.connections; tcpref counted {tpkts} packets)')
p(f'- host: {model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; '
  f'pinned rows: `taskset -c {cpu}`; page cache warm; hyperfine -N, 1 warmup run')
p(f'- tcpref: `{tcpref}` ({tsrc})\n')
# canaries (the bare loop on each CPU) before and after each row's runs,
# and those of the interleaved rounds: a row is marked when one ran more than
# 8 % slower than the best of the whole run
canary = {}
for n in names:
    try:
        canary[n] = [[float(x) for x in l.split()] for l in open(f'{out}/{n}.canary') if l.strip()]
    except (OSError, ValueError):
        pass
il = json.load(open(f'{out}/interleaved.json')) if os.path.exists(f'{out}/interleaved.json') else None
allc = [x for v in canary.values() for l in v for x in l]
allc += [x for r in (il or {}).get('rounds', []) for cs in (r['before'], r['after']) for x in cs]
cbest = min(allc) if allc else None
def cpus_col(n):
    if not cbest or not canary.get(n):
        return '-'
    worst = max(x for l in canary[n] for x in l) / cbest
    return 'quiet' if worst <= QUIET else f'**slowed** ({worst:.2f}x)'
p('| command | wall median (min-max, runs) | packets/s | MB/s | peak RSS | x `rawloop next` | CPUs (canaries) |')
p('|---|---|---|---|---|---|---|')
for n, label, cmd, st, r, rss in rows:
    mem = f'{rss / 1024:.0f} MiB' if rss is not None else '-'
    if r is None:
        p(f'| {label} | {st} | - | - | {mem} | - | - |')
        continue
    med, t = r['median'], r['times']
    ratio = f'{med / ref:.2f}' if ref else '-'
    p(f'| {label} | {med:.3f} s ({min(t):.3f}-{max(t):.3f}, {len(t)}) | {pkts / med / 1e6:.2f} M | '
      f'{nbytes / med / 1e6:.0f} | {mem} | {ratio} | {cpus_col(n)} |')
if cbest:
    p(f'\nCPUs (canaries): the bare loop pinned to each CPU in turn just before and just after the row\'s runs; '
      f'"quiet" when every one ran within 8 % of the run\'s best ({cbest:.3f} s), else how much slower the '
      f'slowest was: a row marked slowed ran, at least in part, while the host slowed a CPU, and its ratio is '
      f'not reliable (docs/performance.md, "Eleventh round").')
res = {n: (r, rss) for n, label, cmd, st, r, rss in rows}
def ratio(n):
    r = res.get(n, (None, None))[0]
    return r['median'] / ref if r and ref else None
import statistics
ilq = None
if il:
    names3 = ['rawloop-next', 'tcpref-1', 'tcpref-mt']
    med = {n: statistics.median(il[n]) for n in names3}
    per = lambda n: statistics.median([a / b for a, b in zip(il[n], il['rawloop-next'])])
    ri1, rimt = med['tcpref-1'] / med['rawloop-next'], med['tcpref-mt'] / med['rawloop-next']
    p(f'\nInterleaved ({len(il["rawloop-next"])} rounds of `rawloop next`, one core, all cores run in turn, '
      f'so that the machine\'s drift between rows cancels; medians): `rawloop next` {med["rawloop-next"]:.3f} s, '
      f'one core {med["tcpref-1"]:.3f} s (**{ri1:.2f}x**), all cores {med["tcpref-mt"]:.3f} s (**{rimt:.2f}x**); '
      f'median of the rounds\' own ratios {per("tcpref-1"):.2f}x and {per("tcpref-mt"):.2f}x.')
    rounds = il.get('rounds')
    if rounds:
        q = [r for r in rounds if r['quiet']]
        best = ', '.join(f'CPU {c} {b:.3f} s' for c, b in zip(il['cpus'], il['canary_best_s']))
        top = min(il['canary_best_s'])
        slow = max(max(x / top for cs in (r['before'], r['after']) for x in cs) for r in rounds)
        line = (f'\nQuiet rounds: {len(q)} of {len(rounds)} (every round ran between canaries, the bare loop '
                f'pinned to each CPU in turn; quiet: every canary within 8 % of the best on any CPU; best per CPU: '
                f'{best}; the slowest canary took {slow:.2f}x the best).')
        if q:
            qm = {n: statistics.median([r['times'][n] for r in q]) for n in names3}
            ilq = (qm['tcpref-1'] / qm['rawloop-next'], qm['tcpref-mt'] / qm['rawloop-next'])
            line += (f' Medians of the quiet rounds: `rawloop next` {qm["rawloop-next"]:.3f} s, one core '
                     f'{qm["tcpref-1"]:.3f} s (**{ilq[0]:.2f}x**), all cores {qm["tcpref-mt"]:.3f} s '
                     f'(**{ilq[1]:.2f}x**).')
        else:
            line += ' No round was quiet: the host kept these CPUs busy; the ratios above are not reliable.'
        p(line)
        lag = [c for c, b in zip(il['cpus'], il['canary_best_s']) if b > QUIET * top]
        if lag:
            p(f'\n**Warning**: CPU {", ".join(map(str, lag))} never ran the canary within 8 % of the fastest '
              'CPU: its host core was busy with other work throughout the run.')
        if len(q) < len(rounds) / 2:
            p('\n**Warning**: most rounds ran while some CPU ran the canary more than 8 % slower than the best: '
              'another tenant of the host was likely busy on its core; ratios measured now compare rows that '
              'ran at different speeds, and such a CPU slows tcpref more than the bare loop (docs/performance.md, '
              '"Eleventh round").')
p('\nTargets (docs/performance.md):\n')
r1, rmt = ratio('tcpref-1'), ratio('tcpref-mt')
fmt = lambda x: f'{x:.2f}x' if x is not None else 'not measured'
qtag = lambda i: f', {ilq[i]:.2f}x in quiet rounds' if ilq else ''
p(f'- one core, JSON report written: {fmt(r1)} the bare `pcap_next_ex` loop'
  + (f' ({ri1:.2f}x interleaved{qtag(0)})' if il else '') + ' (target <= 2.0x)')
p(f'- all cores: {fmt(rmt)}' + (f' ({rimt:.2f}x interleaved{qtag(1)})' if il else '') + ' (target <= 1.0x)')
rss1 = res.get('tcpref-1', (None, None))[1]
try:
    nconn = int(conns)
    base = int(base_rss)
    if rss1 is None:
        raise ValueError
    per = (rss1 - base) * 1024 / nconn
    p(f'- memory: peak RSS {rss1 / 1024:.1f} MiB with {nconn:,} connections, {base / 1024:.1f} MiB on a '
      f'one-connection capture: {per:.0f} bytes per connection beyond that base (target <= 1024)')
except (ValueError, ZeroDivisionError):
    p('- memory per connection: not measured')
p(f'- reports: {identity}')
json.dump({'capture': pcap, 'packets': pkts, 'bytes': nbytes, 'connections': conns,
           'ratio_one_core': r1, 'ratio_all_cores': rmt, 'rss_kib_one_core': rss1, 'base_rss_kib': base_rss,
           'interleaved_s': il,
           'ratio_one_core_interleaved': ri1 if il else None, 'ratio_all_cores_interleaved': rimt if il else None,
           'ratio_one_core_quiet': ilq[0] if ilq else None, 'ratio_all_cores_quiet': ilq[1] if ilq else None,
           'identity': identity,
           'rows': {n: {'median_s': r['median'] if r else None, 'rss_kib': rss} for n, (r, rss) in res.items()}},
          open(f'{out}/results.json', 'w'), indent=1)
p('\nExact commands (wall time: hyperfine median; peak RSS: one `/usr/bin/time -f %M` run of the same command):\n')
for n, label, cmd, st, r, rss in rows:
    p(f'- {n}: `{cmd}`')
EOF
    echo
    cat "$OUT/summary.md"
    echo
fi

# ------------------------------------------------------------------ profile
if [ -n "$PROFILE" ]; then
    PROF_BIN=$(build_tcpref "$SRC" "$PBUILD" RelWithDebInfo)
    P="$OUT/profile-top.txt"
    log "profiling ($PROFILE) one single-thread run of $PROF_BIN on $PCAP"
    cat "$PCAP" > /dev/null
    if [ "$PROFILE" = perf ]; then
        perf record -q -F 999 -e cpu-clock --call-graph dwarf -o "$OUT/perf.data" -- \
            taskset -c "$CPU" "$PROF_BIN" analyze -f json -o /dev/null "$PCAP" 2> "$OUT/perf-record.log" \
            || { tail -5 "$OUT/perf-record.log" >&2; die "perf record failed (log: $OUT/perf-record.log)"; }
        { echo "perf record -F 999 -e cpu-clock --call-graph dwarf; top 15 by self time (perf report --no-children --sort dso,symbol)"
          perf report -i "$OUT/perf.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null \
              | awk '!/^#/ && NF { sub(/ +- +- *$/, ""); if (++k <= 15) print }'
          echo; echo "top 15 by time including callees (perf report --children)"
          perf report -i "$OUT/perf.data" --stdio --children --sort symbol -g none 2>/dev/null \
              | awk '!/^#/ && NF { sub(/ +- +- *$/, ""); if (++k <= 15) print }'
        } > "$P"
    else
        valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
            "$PROF_BIN" analyze -f json -o /dev/null "$PCAP" 2> "$OUT/callgrind.log" \
            || { tail -5 "$OUT/callgrind.log" >&2; die "valgrind failed (log: $OUT/callgrind.log)"; }
        # shorten 'file:function [/path/binary]' to 'file:function [binary]', sources relative to the tree
        tidy() { sed -E -e 's#\[/[^]]*/([^]/]+)\]$#[\1]#' -e "s#$REPO/##g" -e 's#([^ ]*/)?src-[0-9a-f]+/##g' -e 's#\./[a-z-]+/\./[a-z-]+/##'; }
        callgrind_annotate --inclusive=no "$OUT/callgrind.out" 2>/dev/null | tidy > "$OUT/callgrind-self.txt"
        callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null | tidy > "$OUT/callgrind-inclusive.txt"
        { echo "valgrind --tool=callgrind; top 15 by self instructions (callgrind_annotate --inclusive=no)"
          grep -m1 -E '^ *[0-9,]+ .*PROGRAM TOTALS' "$OUT/callgrind-self.txt" || true
          # function lines follow the 'file:function' header
          awk '/file:function/ { on = 1; next } on && /^ *[0-9,]+ / { print; if (++k == 15) exit }' \
              "$OUT/callgrind-self.txt"
          echo; echo "top 15 including callees, tcpref's own functions below main (callgrind_annotate --inclusive=yes)"
          awk '/file:function/ { on = 1; next } on && /^ *[0-9,]+ / && /\[tcpref\]/ && !/main|below main/ { print; if (++k == 15) exit }' \
              "$OUT/callgrind-inclusive.txt"
        } > "$P"
    fi
    echo "## profile"; cat "$P"
    { echo; echo "## profile ($PROFILE, RelWithDebInfo, one thread)"; echo; echo '```'; cat "$P"; echo '```'; } >> "$OUT/summary.md"
fi
log "done: $OUT/summary.md"
