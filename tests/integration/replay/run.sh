#!/usr/bin/env bash
# tests/integration/replay/run.sh TCPREF TCPREF_PEER REPO [TEST...]
#
# `tcpref replay` against the real Linux kernel, in two network namespaces
# joined by a veth pair (corpus/tools/netns.sh: the replay side's veth, a
# bridge "wire" in the peer namespace where nftables drops segments, the
# peer's veth). Addresses 10.78.0.0/24 only; the replay side's namespace has
# 10.78.0.1 (the kernel client of the recordings) and never the replayed
# local IPs (10.78.0.1x). Everything is deleted on exit (trap).
#
#   1. a recording of a kernel client and server replays as MATCH or
#      EQUIVALENT with --timing recorded, asap and scale:0.5, and the kernel
#      server verifies every byte it receives
#   2. against a server that answers differently from byte N
#      (tcpref-peer --diverge-at N): DIVERGED at exactly N, exit 1
#   3. with loss (nftables, one direction then the other): tcpref's stack
#      retransmits (or recovers the peer's loss), the outcome is still MATCH
#      or EQUIVALENT, and the analyzer finds no RTO or window violation of
#      tcpref's own stack under the rfc profile
#   4. --as server against a kernel client
#   5. a recording without its handshake: INCONCLUSIVE with the reason, exit 3
#   6. safety: a local IP the host has, or a peer off the link: exit 2
#   7. IPv6 with neighbour discovery (client role)
#   8. a recording whose payload the snapshot length cut: filler bytes of the
#      right lengths are sent, and the streams are compared by length
#
# Exit: 0 all passed, 1 a test failed, 77 skipped (not root, tools missing).
set -u -o pipefail

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the replay tests need root (network namespaces, veth, nftables, raw sockets)"
    exit 77
fi
for tool in ip nft tcpdump ethtool jq; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' is not installed"; exit 77; }
done
[ $# -ge 3 ] || { echo "usage: $0 TCPREF TCPREF_PEER REPO [TEST...]" >&2; exit 2; }
TCPREF=$(realpath "$1") PEER=$(realpath "$2") REPO=$(realpath "$3")
shift 3
ONLY=" $* "

# shellcheck source=../../../corpus/tools/netns.sh
source "$REPO/corpus/tools/netns.sh"
TN_IP4_C=10.78.0.1 TN_IP4_S=10.78.0.2 TN_IP6_C=fd00:78::1 TN_IP6_S=fd00:78::2
TN_PEER=$PEER
WORK=$(mktemp -d /tmp/tcpref-replay.XXXXXX)
cleanup() { tn_teardown; rm -rf "$WORK"; }
TN_TRAP_INSTALLED=1
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

PORT=8080
# The conversation: a request, a response, 200 ms of think time, a second
# request and a 20 kB response; the client closes first.
C_SCRIPT=w:300,r:5000,sleep:0.2,w:1000,r:20000,close
S_SCRIPT=r:300,w:5000,r:1000,w:20000,wait-eof,close
FAILED=0 PASSED=0 N=0

log() { echo "# $*"; }
ok() { PASSED=$((PASSED + 1)); echo "ok $N - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
want() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }

setup_bed() {
    tn_setup || return 1
    tn_pin_tcp "$TN_NS_C" && tn_pin_tcp "$TN_NS_S" || return 1
    tn_offloads off || return 1
}

# start_server NAME EXTRA_ARGS...: a kernel server for one connection
start_server() {
    local name=$1; shift
    rm -f "$WORK/$name.ready"
    tn_bg "$TN_NS_S" "$PEER" server --listen "$TN_IP4_S:$PORT" --once --timeout 40 \
        --ready-file "$WORK/$name.ready" --script "$S_SCRIPT" "$@" 2>"$WORK/$name.server.log"
    SERVER_PID=$TN_LAST_PID
    tn_wait_ready "$WORK/$name.ready" "$SERVER_PID"
}

# server_status: the kernel server's exit code (0: it verified every byte)
server_status() {
    local rc
    wait "$SERVER_PID"
    rc=$?
    return $rc
}

# replay NAME LOCAL_IP ARGS...: runs tcpref replay in the replay namespace;
# the JSON report lands in $WORK/NAME.json, the run's capture in NAME.pcap.
replay() {
    local name=$1 local=$2; shift 2
    tn_exec "$TN_NS_C" "$TCPREF" replay "$@" --iface "$TN_IF_C" --local "$local" \
        --format json --report "$WORK/$name.json" --write "$WORK/$name.pcap" --timeout 30 \
        2>"$WORK/$name.err"
}

jqr() { jq -r "$1" "$WORK/$2.json" 2>/dev/null; }

record() {
    start_server record || return 1
    tn_capture_start "$TN_NS_C" "$TN_IF_C" "$WORK/rec.pcap" || return 1
    tn_exec "$TN_NS_C" "$PEER" client --connect "$TN_IP4_S:$PORT" --timeout 20 \
        --script "$C_SCRIPT" 2>"$WORK/record.client.log" || return 1
    server_status || return 1
    tn_wait_tcp_idle 10
    tn_capture_stop
}

# ---------------------------------------------------------------- tests

# check_equivalent NAME RC: exit 0 and MATCH/EQUIVALENT, server happy
check_equivalent() {
    local name=$1 rc=$2 srv=$3 v
    v=$(jqr .verdict "$name")
    if [ "$rc" = 0 ] && { [ "$v" = MATCH ] || [ "$v" = EQUIVALENT ]; } && [ "$srv" = 0 ]; then
        return 0
    fi
    CHECK_WHY="exit $rc, verdict '$v', kernel peer exit $srv: $(head -c 300 "$WORK/$name.err") $(jqr '.notes|join("; ")' "$name")"
    return 1
}

test_timing_modes() {
    local mode i=0 rc srv
    for mode in recorded asap scale:0.5; do
        N=$((N + 1)) i=$((i + 1))
        start_server "t1-$i" || { not_ok "timing $mode: server did not start"; continue; }
        replay "t1-$i" "10.78.0.1$i" "$WORK/rec.pcap" --peer "$TN_IP4_S:$PORT" --timing "$mode"
        rc=$?
        server_status; srv=$?
        if check_equivalent "t1-$i" "$rc" "$srv"; then
            ok "timing $mode: $(jqr .verdict "t1-$i") ($(jqr '.notes|join("; ")' "t1-$i"))"
        else
            not_ok "timing $mode replays as MATCH or EQUIVALENT" "$CHECK_WHY"
        fi
    done
}

test_diverge() {
    N=$((N + 1))
    local at=2500 rc v dir off
    start_server t2 --diverge-at "$at" || { not_ok "diverge: server did not start"; return; }
    replay t2 10.78.0.14 "$WORK/rec.pcap" --peer "$TN_IP4_S:$PORT" --timing asap
    rc=$?
    server_status
    v=$(jqr .verdict t2) dir=$(jqr .divergence.direction t2) off=$(jqr .divergence.offset t2)
    if [ "$rc" = 1 ] && [ "$v" = DIVERGED ] && [ "$dir" = server-to-client ] && [ "$off" = "$at" ]; then
        ok "diverge-at $at: DIVERGED at server-to-client byte $off (expected $(jqr .divergence.expected t2), observed $(jqr .divergence.observed t2))"
    else
        not_ok "diverge-at $at gives DIVERGED at $at" "exit $rc, verdict $v, direction $dir, offset $off: $(head -c 300 "$WORK/t2.err")"
    fi
}

# no_stack_violation NAME: no rto.* or window.* finding of warning or error
# on the side tcpref played (the client)
stack_violations() {
    jq -r '[.findings.replayed.client[] | select((.rule|test("^(rto|window)\\.")) and .severity != "info") | .rule] | join(",")' \
        "$WORK/$1.json" 2>/dev/null
}

test_loss() {
    local dir off name rc srv viol retx
    for dir in c2s s2c; do
        N=$((N + 1))
        name=t3-$dir
        # c2s: tcpref's 1000-byte request (stream offset 300); s2c: the
        # second segment of the kernel's 20 kB answer (5000 + 1448)
        [ $dir = c2s ] && off=300 || off=6448
        tn_exec "$TN_NS_S" nft flush chain bridge tcpref wire
        tn_drop_stream_segment "$dir" "$off" 1 || { not_ok "loss $dir: nft rule"; continue; }
        start_server "$name" || { not_ok "loss $dir: server did not start"; continue; }
        replay "$name" "10.78.0.1$([ $dir = c2s ] && echo 5 || echo 6)" "$WORK/rec.pcap" \
            --peer "$TN_IP4_S:$PORT" --timing asap --profile rfc
        rc=$?
        server_status; srv=$?
        viol=$(stack_violations "$name")
        retx=$(jqr ".sides.$([ $dir = c2s ] && echo client || echo server).segments.replayed.segments" "$name")
        local dropped
        dropped=$(tn_nft_report | grep -o 'counter packets [0-9]*' | head -1 | awk '{print $3}')
        if check_equivalent "$name" "$rc" "$srv" && [ -z "$viol" ] && [ "${retx:-0}" -ge 1 ] &&
            [ "${dropped:-0}" -ge 1 ]; then
            ok "loss $dir (segment at $off dropped $dropped time): $(jqr .verdict "$name"), $retx re-sent, tcpref's stack: no rto/window violation (rfc)"
        else
            not_ok "loss $dir: outcome kept, retransmitted, no rto/window violation" \
                "${CHECK_WHY:-} violations '$viol', re-sent '$retx', dropped '$dropped'"
        fi
        CHECK_WHY=
    done
    tn_exec "$TN_NS_S" nft flush chain bridge tcpref wire
}

test_server_role() {
    N=$((N + 1))
    local rc crc rpid
    rm -f "$WORK/t4.json"
    tn_exec "$TN_NS_C" "$TCPREF" replay "$WORK/rec.pcap" --as server --iface "$TN_IF_C" \
        --local 10.78.0.17 --peer "$TN_IP4_S" --format json --report "$WORK/t4.json" \
        --write "$WORK/t4.pcap" --timeout 30 2>"$WORK/t4.err" &
    rpid=$!
    sleep 0.5
    tn_exec "$TN_NS_S" "$PEER" client --connect "10.78.0.17:$PORT" --timeout 20 \
        --script "$C_SCRIPT" 2>"$WORK/t4.client.log"
    crc=$?
    wait "$rpid"
    rc=$?
    if check_equivalent t4 "$rc" "$crc"; then
        ok "--as server against a kernel client: $(jqr .verdict t4) ($(jqr '.notes|join("; ")' t4))"
    else
        not_ok "--as server replays as MATCH or EQUIVALENT" "$CHECK_WHY $(cat "$WORK/t4.client.log")"
    fi
}

test_inconclusive() {
    N=$((N + 1))
    local rc v why
    tcpdump -r "$WORK/rec.pcap" -w "$WORK/nohs.pcap" 'tcp[tcpflags] & tcp-syn == 0' 2>/dev/null
    replay t5 10.78.0.18 "$WORK/nohs.pcap" --peer "$TN_IP4_S:$PORT"
    rc=$?
    v=$(jqr .verdict t5) why=$(jqr .recording.incomplete t5)
    if [ "$rc" = 3 ] && [ "$v" = INCONCLUSIVE ] && [[ $why == *handshake* ]]; then
        ok "no handshake: INCONCLUSIVE ($why)"
    else
        not_ok "a recording without handshake is INCONCLUSIVE" "exit $rc, verdict $v, reason '$why'"
    fi
}

test_safety() {
    local rc msg
    N=$((N + 1))
    replay t6a 10.78.0.1 "$WORK/rec.pcap" --peer "$TN_IP4_S:$PORT"
    rc=$? msg=$(head -1 "$WORK/t6a.err")
    if [ "$rc" = 2 ] && [[ $msg == *"assigned to host interface"* ]]; then
        ok "refuses a local IP the host has: $msg"
    else
        not_ok "refuses a local IP the host has" "exit $rc: $msg"
    fi
    N=$((N + 1))
    replay t6b 10.78.0.19 "$WORK/rec.pcap" --peer "10.79.0.2:$PORT"
    rc=$? msg=$(head -1 "$WORK/t6b.err")
    if [ "$rc" = 2 ] && [[ $msg == *"not on"* ]]; then
        ok "refuses a peer off the link: $msg"
    else
        not_ok "refuses a peer off the link" "exit $rc: $msg"
    fi
}

test_ipv6() {
    N=$((N + 1))
    local rc srv
    rm -f "$WORK/t7.ready"
    tn_bg "$TN_NS_S" "$PEER" server --listen "[$TN_IP6_S]:$PORT" --once --timeout 40 \
        --ready-file "$WORK/t7.ready" --script "$S_SCRIPT" 2>"$WORK/t7.server.log"
    SERVER_PID=$TN_LAST_PID
    tn_wait_ready "$WORK/t7.ready" "$SERVER_PID" || { not_ok "ipv6: server did not start"; return; }
    tn_capture_start "$TN_NS_C" "$TN_IF_C" "$WORK/rec6.pcap" 262144 "tcp" || return
    tn_exec "$TN_NS_C" "$PEER" client --connect "[$TN_IP6_S]:$PORT" --timeout 20 \
        --script "$C_SCRIPT" 2>/dev/null
    server_status
    tn_wait_tcp_idle 10
    tn_capture_stop
    start_server_v6() {
        rm -f "$WORK/t7b.ready"
        tn_bg "$TN_NS_S" "$PEER" server --listen "[$TN_IP6_S]:$PORT" --once --timeout 40 \
            --ready-file "$WORK/t7b.ready" --script "$S_SCRIPT" 2>"$WORK/t7b.server.log"
        SERVER_PID=$TN_LAST_PID
        tn_wait_ready "$WORK/t7b.ready" "$SERVER_PID"
    }
    start_server_v6 || { not_ok "ipv6: server did not start"; return; }
    replay t7 fd00:78::17 "$WORK/rec6.pcap" --peer "[$TN_IP6_S]:$PORT" --timing asap
    rc=$?
    server_status; srv=$?
    if check_equivalent t7 "$rc" "$srv"; then
        ok "IPv6 with neighbour discovery: $(jqr .verdict t7)"
    else
        not_ok "IPv6 replays as MATCH or EQUIVALENT" "$CHECK_WHY"
    fi
}

test_snaplen() {
    N=$((N + 1))
    local rc srv filler cmp
    start_server t8a || { not_ok "snaplen: server did not start"; return; }
    tn_capture_start "$TN_NS_C" "$TN_IF_C" "$WORK/rec96.pcap" 96 || return
    tn_exec "$TN_NS_C" "$PEER" client --connect "$TN_IP4_S:$PORT" --timeout 20 \
        --script "$C_SCRIPT" 2>/dev/null
    server_status
    tn_wait_tcp_idle 10
    tn_capture_stop
    # the peer cannot verify filler bytes: --no-verify
    start_server t8 --no-verify || { not_ok "snaplen: server did not start"; return; }
    replay t8 10.78.0.20 "$WORK/rec96.pcap" --peer "$TN_IP4_S:$PORT" --timing asap
    rc=$?
    server_status; srv=$?
    filler=$(jqr .recording.plan.filler_bytes t8)
    cmp=$(jqr '.bytes["client-to-server"].compared' t8)
    if check_equivalent t8 "$rc" "$srv" && [ "${filler:-0}" -gt 0 ] && [ "$cmp" = lengths ]; then
        ok "snaplen 96: $filler filler bytes sent, compared by $cmp: $(jqr .verdict t8)"
    else
        not_ok "a snaplen-cut recording replays with filler" "${CHECK_WHY:-} filler '$filler', compared '$cmp'"
    fi
}

# ---------------------------------------------------------------- main
START=$(date +%s)
setup_bed || { echo "Bail out! test bed setup failed"; exit 1; }
record || { echo "Bail out! recording failed: $(cat "$WORK"/record.*.log)"; exit 1; }
log "recording: $("$TCPREF" analyze -f text "$WORK/rec.pcap" | sed -n 6p)"
want 1 && test_timing_modes
want 2 && test_diverge
want 3 && test_loss
want 4 && test_server_role
want 5 && test_inconclusive
want 6 && test_safety
want 7 && test_ipv6
want 8 && test_snaplen
echo "1..$N"
log "$PASSED passed, $FAILED failed in $(( $(date +%s) - START )) s"
if [ -n "${TCPREF_REPLAY_KEEP:-}" ]; then
    cp -r "$WORK" "$TCPREF_REPLAY_KEEP" && log "artifacts kept in $TCPREF_REPLAY_KEEP"
fi
[ "$FAILED" = 0 ]
