#!/usr/bin/env bash
# tests/integration/live/live_test.sh TCPREF PEER REPO_ROOT CASE
#
# `tcpref live` on real kernel traffic. Each CASE builds its own test bed
# (corpus/tools/netns.sh: two network namespaces joined by veth pairs, with a
# bridge in the server namespace as "the wire" where nftables drops packets),
# runs tests/peer/tcpref-peer clients and servers in it, captures on the
# client's interface, and deletes everything on exit. Addresses are 10.79.0.x;
# traffic never leaves the namespaces. The checks on the outputs are in
# check.py (next to this file). Cases (docs/live.md describes the outputs):
#
#   report_matches_offline_analysis    live vs tcpdump on the same interface,
#                                      with loss; events while traffic flows;
#                                      the report after SIGTERM
#   memory_stays_flat_past_max_connections
#   idle_connections_are_closed_out
#   kernel_drops_are_reported
#   filter_matching_nothing_reports_no_connection
#   count_stops_after_n_packets
#   privileges_are_dropped_with_Z
#   bad_arguments_exit_2_with_one_line
#
# Exit status: 0 pass, 1 fail, 77 skipped (not root, a tool missing, or no
# network namespaces here), with the reason printed.
set -u -o pipefail

TCPREF=$1 PEER=$2 ROOT=$3 CASE=$4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECK="python3 -B $HERE/check.py"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $CASE: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "live capture tests need root (network namespaces, packet sockets)"
for tool in ip nft ethtool tcpdump python3 ss setpriv; do
    command -v "$tool" >/dev/null || skip "missing tool: $tool"
done

# shellcheck source=../../../corpus/tools/netns.sh
source "$ROOT/corpus/tools/netns.sh"
TN_IP4_C=10.79.0.1 TN_IP4_S=10.79.0.2 TN_IP6_C=fd00:79::1 TN_IP6_S=fd00:79::2
TN_PEER=$PEER

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcpref-live.$$.XXXX")
chmod 755 "$WORK"
# LIVE_TEST_KEEP=1 keeps the outputs (the path is printed).
cleanup() {
    tn_teardown
    if [ -n "${LIVE_TEST_KEEP:-}" ]; then echo "outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap 'cleanup' EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
TN_TRAP_INSTALLED=1
cd "$WORK" || exit 1

now_ns() { date +%s%N; }

bed() {
    tn_setup 2>"$WORK/setup.log" || { cat "$WORK/setup.log"; skip "cannot create network namespaces here"; }
    tn_pin_tcp "$TN_NS_C" && tn_pin_tcp "$TN_NS_S" && tn_offloads off || fail "test bed setup"
}

# live ARGS...: starts `tcpref live` on the client's interface; returns once
# it listens. Its pid is in LIVE, its standard error in live.err.
live() {
    ip netns exec "$TN_NS_C" "$TCPREF" live -i "$TN_IF_C" "$@" 2>"$WORK/live.err" &
    LIVE=$!
    TN_PIDS+=("$LIVE")
    for _ in $(seq 1 200); do
        grep -q "listening on" "$WORK/live.err" && return 0
        kill -0 "$LIVE" 2>/dev/null || break
        sleep 0.02
    done
    cat "$WORK/live.err" >&2
    fail "tcpref live did not start"
}

# stop_live SIGNAL: signals it and waits; fails unless it exits 0.
stop_live() {
    kill -"$1" "$LIVE"
    local rc=0
    wait "$LIVE" || rc=$?
    [ "$rc" = 0 ] || { cat "$WORK/live.err" >&2; fail "tcpref live exited $rc after SIG$1"; }
}

# tcpdump on the same interface, nanosecond timestamps, pid in TD; a 64 MiB
# kernel buffer, as tn_capture_start's (corpus/tools/netns.sh says why).
tcpdump_start() {
    ip netns exec "$TN_NS_C" tcpdump -n -i "$TN_IF_C" -s 262144 -B 65536 -U --immediate-mode -Z root \
        --time-stamp-precision=nano -w "$WORK/tcpdump.pcap" tcp 2>"$WORK/tcpdump.log" &
    TD=$!
    for _ in $(seq 1 200); do
        grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && return 0
        sleep 0.02
    done
    fail "tcpdump did not start"
}

tcpdump_stop() {
    kill -INT "$TD"
    wait "$TD"
    grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.log" || fail "tcpdump dropped packets"
}

# server PORT COUNT SCRIPT: a tcpref-peer server in the server namespace.
server() {
    tn_bg "$TN_NS_S" "$PEER" server --listen "$TN_IP4_S:$1" --count "$2" --timeout 60 \
        --ready-file "$WORK/ready.$1" --script "$3"
    tn_wait_ready "$WORK/ready.$1" "$TN_LAST_PID" || fail "server on port $1"
}

client() {
    local port=$1; shift
    tn_exec "$TN_NS_C" "$PEER" client --connect "$TN_IP4_S:$port" --timeout 60 "$@"
}

# ---------------------------------------------------------------- cases

# Loss (a lost SYN, 3% of the segments both ways) while tcpref live and
# tcpdump capture the same interface; one connection is still open when
# SIGTERM comes. The live report must hold what `tcpref analyze` finds in
# tcpdump's file (check.py explains how frames are matched), and exactly what
# it finds in the file -w wrote; events must come out while the traffic
# flows, within a second of their packet.
case_report_matches_offline_analysis() {
    bed
    tn_drop_syn 1 && tn_loss_random 3 both || fail "nft rules"
    tcpdump_start
    live -f tcp -B 64 --events "$WORK/events.ndjson" --report "$WORK/report.json" -w "$WORK/live.pcap" \
        --interval 1
    server 8080 2 "r:20000,wslow:300000:150000,r:eof,close"
    server 8081 1 "r:100,w:100,r:eof,close"
    client 8081 --script "w:100,r:100,sleep:60" &
    local idle_client=$!
    TN_PIDS+=("$idle_client")
    local t_start t_end
    t_start=$(now_ns)
    client 8080 --repeat 2 --script "w:20000,r:300000,shutdown,r:eof" || fail "client"
    t_end=$(now_ns)
    sleep 0.5
    tcpdump_stop
    stop_live TERM
    "$TCPREF" analyze -f json "$WORK/tcpdump.pcap" >"$WORK/tcpdump.json" || fail "analyze tcpdump.pcap"
    "$TCPREF" analyze -f json "$WORK/live.pcap" >"$WORK/live-pcap.json" || fail "analyze live.pcap"
    $CHECK matches-offline "$WORK" "$t_start" "$t_end" || fail "see above"
}

# 500 short connections with --max-connections 20: the least recently
# active connection is evicted (and spooled) each time, RSS stays flat, and
# all 500 are in the report.
case_memory_stays_flat_past_max_connections() {
    bed
    live -f tcp --events "$WORK/events.ndjson" --report "$WORK/report.json" --max-connections 20 \
        --interval 0.5
    ( while kill -0 "$LIVE" 2>/dev/null; do
          echo "$(now_ns) $(awk '/^VmRSS/ { print $2 }' "/proc/$LIVE/status" 2>/dev/null)"
          sleep 0.05
      done ) >"$WORK/rss.txt" &
    local sampler=$!
    server 8080 500 "r:200,w:1000,r:eof,close"
    for _ in 1 2 3 4 5; do
        client 8080 --repeat 100 --script "w:200,r:1000,shutdown,r:eof" || fail "client"
        sleep 0.4
    done
    sleep 0.5
    stop_live INT
    wait "$sampler"
    # AddressSanitizer keeps freed memory in quarantine: RSS means nothing.
    local rss=check
    grep -q __asan_init "$TCPREF" && rss=ignore
    $CHECK memory-flat "$WORK" 500 20 "$rss" || fail "see above"
}

# --idle-timeout: connections idle that long are closed out on the wall
# clock, their close events carry the whole connection, and the report has
# them (spooled) next to the ones still tracked.
case_idle_connections_are_closed_out() {
    bed
    live -f tcp --events "$WORK/events.ndjson" --report "$WORK/report.json" --idle-timeout 1 \
        --interval 0
    server 8080 3 "r:1000,w:1000,r:eof,close"
    client 8080 --repeat 3 --script "w:1000,r:1000,shutdown,r:eof" || fail "client"
    sleep 2.5
    server 8081 1 "r:100,w:100,r:eof,close"
    client 8081 --script "w:100,r:100,sleep:60" &
    TN_PIDS+=("$!")
    sleep 0.5
    stop_live TERM
    $CHECK idle-expiry "$WORK" || fail "see above"
}

# A small kernel buffer and a capture process that stops reading (SIGSTOP)
# while a transfer runs: libpcap counts drops, and the connection tracked
# during them gets a capture.kernel-drops finding, in the events and in the
# report.
case_kernel_drops_are_reported() {
    bed
    live -f tcp -B 1 --events "$WORK/events.ndjson" --report "$WORK/report.json" --interval 0.5
    server 8080 1 "r:100,wslow:6000000:2000000,r:eof,close"
    client 8080 --script "w:100,r:6000000,shutdown,r:eof" &
    local cl=$!
    TN_PIDS+=("$cl")
    sleep 1
    kill -STOP "$LIVE"
    sleep 1
    kill -CONT "$LIVE"
    wait "$cl" || fail "client"
    sleep 0.3
    stop_live TERM
    $CHECK kernel-drops "$WORK" || fail "see above"
}

case_filter_matching_nothing_reports_no_connection() {
    bed
    ip netns exec "$TN_NS_C" "$TCPREF" live -i "$TN_IF_C" -f "tcp port 9" --duration 2.5 \
        --events "$WORK/events.ndjson" --report "$WORK/report.json" 2>"$WORK/live.err" &
    LIVE=$!
    sleep 0.5
    server 8080 1 "r:1000,w:1000,r:eof,close"
    client 8080 --script "w:1000,r:1000,shutdown,r:eof" || fail "client"
    wait "$LIVE" || fail "tcpref live exited $? ($(cat "$WORK/live.err"))"
    $CHECK no-connections "$WORK" || fail "see above"
}

case_count_stops_after_n_packets() {
    bed
    live -f tcp -c 25 --events "$WORK/events.ndjson" --report "$WORK/report.json" -w "$WORK/live.pcap"
    server 8080 1 "r:100000,w:100,r:eof,close"
    client 8080 --script "w:100000,r:100,shutdown,r:eof" || fail "client"
    local rc=0
    wait "$LIVE" || rc=$?
    [ "$rc" = 0 ] || fail "tcpref live -c exited $rc"
    "$TCPREF" analyze -f json "$WORK/live.pcap" >"$WORK/live-pcap.json" || fail "analyze live.pcap"
    $CHECK count "$WORK" 25 || fail "see above"
}

# -Z: the capture is opened as root, then the process runs as the user and
# its files belong to that user.
case_privileges_are_dropped_with_Z() {
    bed
    mkdir "$WORK/out" && chown nobody "$WORK/out" || fail "mkdir"
    live -f tcp -Z nobody --events "$WORK/out/events.ndjson" --report "$WORK/out/report.json" \
        -w "$WORK/out/live.pcap"
    local uid
    uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' "/proc/$LIVE/status")
    [ "$uid" = "$(id -u nobody),$(id -u nobody),$(id -u nobody),$(id -u nobody)" ] ||
        fail "uids after -Z nobody: $uid"
    server 8080 1 "r:1000,w:1000,r:eof,close"
    client 8080 --script "w:1000,r:1000,shutdown,r:eof" || fail "client"
    sleep 0.3
    stop_live TERM
    local f
    for f in events.ndjson report.json live.pcap; do
        [ "$(stat -c %U "$WORK/out/$f")" = nobody ] || fail "$f is not owned by nobody"
    done
    cp "$WORK/out/report.json" "$WORK/report.json" && cp "$WORK/out/events.ndjson" "$WORK/events.ndjson"
    $CHECK connections "$WORK" 1 || fail "see above"
}

# expect_usage_error DESCRIPTION NEEDLE CMD...: exit 2, one line on stderr
# containing NEEDLE, nothing on stdout.
expect_usage_error() {
    local what=$1 needle=$2 rc=0; shift 2
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
    [ "$rc" = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$WORK/err.txt"))"
    [ "$(wc -l <"$WORK/err.txt")" = 1 ] || fail "$what: not one line: $(cat "$WORK/err.txt")"
    grep -qi -- "$needle" "$WORK/err.txt" || fail "$what: '$needle' not in: $(cat "$WORK/err.txt")"
    [ ! -s "$WORK/out.txt" ] || fail "$what: wrote to stdout"
    echo "ok: $what: $(cat "$WORK/err.txt")"
}

case_bad_arguments_exit_2_with_one_line() {
    bed
    local x=(ip netns exec "$TN_NS_C" "$TCPREF" live)
    expect_usage_error "bad interface" "nosuch0: no such interface" "${x[@]}" -i nosuch0
    expect_usage_error "bad filter" "filter 'tcp and and'" "${x[@]}" -i "$TN_IF_C" -f "tcp and and"
    expect_usage_error "no privileges" "permission denied" \
        ip netns exec "$TN_NS_C" setpriv --reuid nobody --regid nogroup --clear-groups \
        "$TCPREF" live -i "$TN_IF_C"
    expect_usage_error "unknown -Z user" "no user" "${x[@]}" -i "$TN_IF_C" -Z no-such-user-tcpref
    expect_usage_error "no interface" "no interface given" "${x[@]}" --duration 1
    expect_usage_error "bad duration" "--duration" "${x[@]}" -i "$TN_IF_C" --duration -3
}

declare -F "case_$CASE" >/dev/null || { echo "unknown case '$CASE'" >&2; exit 2; }
"case_$CASE"
echo "PASS: $CASE"
