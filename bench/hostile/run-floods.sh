#!/usr/bin/env bash
# run-floods.sh: peak memory of `tcpref analyze` on hostile captures.
#
#   bench/hostile/run-floods.sh [--tcpref BIN] [--count N] [--work DIR] [-- ANALYZE-OPTIONS]
#
# Generates (bench/hostile/make-floods.py, cached in WORK) a SYN flood of N
# SYNs from distinct sources and one connection carrying N one-byte
# out-of-order segments (default N = 1,000,000), runs `tcpref analyze -f
# json` on each under /usr/bin/time -v, and prints per capture: peak RSS,
# wall time, exit status, and what the JSON report says was dropped or
# summarized to stay bounded: connections listed, connections_evicted
# (closed out by the tracking limit), connections_summarized (released,
# totals only), connections_not_tracked, findings_suppressed.
#
# Extra options after -- go to `tcpref analyze` (e.g. -- --threads 2).
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
tcpref="$here/build/tcpref"
count=1000000
work="$here/bench/results/hostile"
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --tcpref) tcpref=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run-floods.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$tcpref" ] || { echo "run-floods.sh: no tcpref at $tcpref (--tcpref BIN)" >&2; exit 2; }
mkdir -p "$work"
caps="$work/n$count"
if [ ! -s "$caps/segment-flood.pcap" ]; then
    /usr/bin/python3 "$here/bench/hostile/make-floods.py" "$caps" --count "$count"
fi

printf '%-20s %10s %8s %5s  %s\n' capture peak_rss_MB wall_s exit "report: what was dropped to stay bounded"
for cap in syn-flood segment-flood; do
    out="$work/$cap.json"
    rc=0
    /usr/bin/time -v -o "$work/$cap.time" "$tcpref" analyze -f json -o "$out" \
        ${extra[@]+"${extra[@]}"} "$caps/$cap.pcap" 2>"$work/$cap.stderr" || rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$cap.time")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$cap.time")
    summary=$(/usr/bin/python3 - "$out" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("no report: %s" % e)
    sys.exit(0)
f = j["input"]["files"][0]
sup = sum(c.get("findings_suppressed", 0) for c in j["connections"])
print("packets %d, connections listed %d, evicted %d, summarized %d, not tracked %d, "
      "findings suppressed %d, report %.1f MB" % (
          f["packets"], len(j["connections"]), f.get("connections_evicted", 0),
          f.get("connections_summarized", 0), f.get("connections_not_tracked", 0), sup,
          len(open(sys.argv[1], "rb").read()) / 1e6))
PY
)
    printf '%-20s %10s %8s %5s  %s\n' "$cap" "$((rss / 1024))" "$wall" "$rc" "$summary"
done
