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
#   9. many exchanges (50 request/response rounds, 10 ms of client think time
#      each): 50 writes, as client (recorded and asap timing, checked against
#      the run's capture with tshark) and as server, and a divergence in the
#      middle reported at the byte the server was told to change
#  10. a 2 MB bulk transfer with loss: the kernel's segment dropped on the way
#      to tcpref (tcpref receives out of order), then tcpref's own segment
#      dropped (tcpref re-sends it); tshark sees the re-sent segment in the
#      run's capture and the byte stream is the recorded one
#  11. a run interrupted by SIGINT is INCONCLUSIVE (exit 3), not DIVERGED
#
# Each recording (the tests' input) is captured by tcpdump in the replay
# side's namespace; one the kernel overran (tcpdump: "N packets dropped by
# kernel") is made again, up to 3 times, with a TAP comment each time.
#
# Exit: 0 all passed, 1 a test failed, 77 skipped (not root, tools missing).
set -u -o pipefail

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the replay tests need root (network namespaces, veth, nftables, raw sockets)"
    exit 77
fi
for tool in ip nft tcpdump ethtool jq tshark; do
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
# packet_sockets: the packet sockets open in the client namespace.
packet_sockets() { ip netns exec "$TN_NS_C" awk 'NR > 1' /proc/net/packet | wc -l; }
# wait_replay_open PID BEFORE: until tcpref (PID) has opened its capture and
# inject handles (two packet sockets more than BEFORE) in the client
# namespace, so that what the test does next (start the kernel client, send
# SIGINT) does not race its start-up (a fixed delay can be too short on a
# loaded machine). Gives up after 10 s or when tcpref has exited; the test
# then fails on its report.
wait_replay_open() {
    local pid=$1 before=$2
    for _ in $(seq 1 500); do
        [ "$(packet_sockets)" -ge $((before + 2)) ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

setup_bed() {
    tn_setup || return 1
    tn_pin_tcp "$TN_NS_C" && tn_pin_tcp "$TN_NS_S" || return 1
    tn_offloads off || return 1
}

# start_server NAME EXTRA_ARGS...: a kernel server for one connection
start_server() {
    local name=$1; shift
    rm -f "$WORK/$name.ready"
    tn_bg "$TN_NS_S" "$PEER" server --listen "${LISTEN:-$TN_IP4_S:$PORT}" --once --timeout 40 \
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

# capture_client FILE SNAPLEN ADDR SCRIPT [LOG]: with the kernel server
# started, the kernel client runs SCRIPT against ADDR while tcpdump records
# FILE; returns tn_capture_stop's status (2: the capture was overrun)
capture_client() {
    local file=$1 snap=$2 addr=$3 script=$4 log=${5:-$1.client.log}
    tn_capture_start "$TN_NS_C" "$TN_IF_C" "$file" "$snap" || return 1
    tn_exec "$TN_NS_C" "$PEER" client --connect "$addr" --timeout 30 \
        --script "$script" 2>"$log" || { tn_capture_stop; return 1; }
    server_status || { tn_capture_stop; return 1; }
    tn_wait_tcp_idle 10
    tn_capture_stop
}

record_once() {
    start_server record || return 1
    capture_client "$WORK/rec.pcap" 262144 "$TN_IP4_S:$PORT" "$C_SCRIPT" "$WORK/record.client.log"
}

# recorded FUNCTION ARGS...: a recording is the tests' input, not what they
# test; one whose capture the kernel overran (tn_capture_stop status 2: a
# busy machine, frames lost to tcpdump though not to the peers) is made
# again, up to 3 times, and said so. Any other failure is final.
recorded() {
    local try rc
    for try in 1 2 3; do
        "$@"; rc=$?
        [ "$rc" = 2 ] || return "$rc"
        echo "# recording (${*:1:2}): tcpdump dropped $TN_CAP_DROPPED frames (attempt $try of 3)"
    done
    echo "# recording (${*:1:2}): given up after 3 overrun captures"
    return 1
}

record() { recorded record_once; }

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
    rm -f "$WORK/t4.json"
    replay_server t4 "$WORK/rec.pcap" 10.78.0.17 "$C_SCRIPT" recorded
    if check_equivalent t4 "$RC" "$CRC"; then
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
    local v6="[$TN_IP6_S]:$PORT"
    record_v6_once() {
        LISTEN=$v6 start_server t7a || return 1
        capture_client "$WORK/rec6.pcap" 262144 "$v6" "$C_SCRIPT"
    }
    recorded record_v6_once || { not_ok "ipv6: recording failed"; return; }
    LISTEN=$v6 start_server t7 || { not_ok "ipv6: server did not start"; return; }
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
    record_96_once() {
        start_server t8a || return 1
        capture_client "$WORK/rec96.pcap" 96 "$TN_IP4_S:$PORT" "$C_SCRIPT"
    }
    recorded record_96_once || { not_ok "snaplen: recording failed"; return; }
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

# start_scripted NAME SCRIPT EXTRA_ARGS...: a kernel server running SCRIPT
start_scripted() {
    local name=$1 script=$2; shift 2
    rm -f "$WORK/$name.ready"
    tn_bg "$TN_NS_S" "$PEER" server --listen "$TN_IP4_S:$PORT" --once --timeout 40 \
        --ready-file "$WORK/$name.ready" --script "$script" "$@" 2>"$WORK/$name.server.log"
    SERVER_PID=$TN_LAST_PID
    tn_wait_ready "$WORK/$name.ready" "$SERVER_PID"
}

# record_scripted NAME CLIENT_SCRIPT SERVER_SCRIPT: $WORK/NAME.pcap
record_scripted() { recorded record_scripted_once "$@"; }

record_scripted_once() {
    local name=$1 cs=$2 ss=$3
    start_scripted "$name-rec" "$ss" || return 1
    capture_client "$WORK/$name.pcap" 262144 "$TN_IP4_S:$PORT" "$cs" "$WORK/$name.client.log"
}

# run_seconds PCAP: first to last frame of the TCP connection, from tshark
run_seconds() {
    tshark -r "$1" -Y tcp -T fields -e frame.time_relative 2>/dev/null |
        awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f", b - a }'
}

# replay_server NAME PCAP LOCAL_IP CLIENT_SCRIPT [TIMING]: tcpref --as server
# (--timing TIMING, asap by default), the kernel client in the peer
# namespace; sets RC (tcpref) and CRC (client)
replay_server() {
    local name=$1 pcap=$2 ip=$3 cs=$4 timing=${5:-asap} rpid before
    before=$(packet_sockets)
    tn_exec "$TN_NS_C" "$TCPREF" replay "$pcap" --as server --iface "$TN_IF_C" --local "$ip" \
        --peer "$TN_IP4_S" --timing "$timing" --format json --report "$WORK/$name.json" \
        --write "$WORK/$name.pcap" --timeout 30 2>"$WORK/$name.err" &
    rpid=$!
    wait_replay_open "$rpid" "$before"
    tn_exec "$TN_NS_S" "$PEER" client --connect "$ip:$PORT" --timeout 20 --script "$cs" \
        2>"$WORK/$name.client.log"
    CRC=$?
    wait "$rpid"
    RC=$?
}

test_many_exchanges() {
    local cs='' ss='' i rc srv n dur
    for i in $(seq 1 50); do cs+="w:100,r:300,sleep:0.01,"; ss+="r:100,w:300,"; done
    cs+=close ss+=wait-eof,close
    record_scripted many "$cs" "$ss" || { N=$((N + 1)); not_ok "many: recording failed"; return; }
    # as client, recorded timing: 50 writes, each after its answer plus 10 ms
    N=$((N + 1))
    start_scripted t9a "$ss" || { not_ok "many: server did not start"; return; }
    replay t9a 10.78.0.21 "$WORK/many.pcap" --peer "$TN_IP4_S:$PORT" --timing recorded
    rc=$?
    server_status; srv=$?
    n=$(jqr '.recording.plan.writes|length' t9a) dur=$(run_seconds "$WORK/t9a.pcap")
    # 49 think times of at least 10 ms each separate the 50 requests
    if check_equivalent t9a "$rc" "$srv" && [ "$n" = 50 ] && [ "$(jqr '.exchanges|length' t9a)" = 50 ] &&
        awk -v d="$dur" 'BEGIN { exit !(d >= 0.49) }'; then
        ok "many exchanges as client, recorded timing: $n writes, run $dur s (tshark): $(jqr .verdict t9a)"
    else
        not_ok "many exchanges as client, recorded timing" "${CHECK_WHY:-} writes '$n', run '$dur' s"
    fi
    CHECK_WHY=
    # asap: the same 50 exchanges without the think times
    N=$((N + 1))
    start_scripted t9b "$ss" || { not_ok "many: server did not start"; return; }
    replay t9b 10.78.0.22 "$WORK/many.pcap" --peer "$TN_IP4_S:$PORT" --timing asap
    rc=$?
    server_status; srv=$?
    dur=$(run_seconds "$WORK/t9b.pcap")
    if check_equivalent t9b "$rc" "$srv" && awk -v d="$dur" 'BEGIN { exit !(d < 0.49) }'; then
        ok "many exchanges as client, asap: run $dur s (tshark): $(jqr .verdict t9b)"
    else
        not_ok "many exchanges as client, asap" "${CHECK_WHY:-} run '$dur' s"
    fi
    CHECK_WHY=
    # as server against the kernel client, which verifies every answer
    N=$((N + 1))
    replay_server t9c "$WORK/many.pcap" 10.78.0.23 "$cs"
    if check_equivalent t9c "$RC" "$CRC" && [ "$(jqr '.recording.plan.writes|length' t9c)" = 50 ]; then
        ok "many exchanges as server: $(jqr .verdict t9c)"
    else
        not_ok "many exchanges as server" "${CHECK_WHY:-} $(tail -1 "$WORK/t9c.client.log")"
    fi
    CHECK_WHY=
    # the server changes its stream from byte 7777 (round 26 of 50)
    N=$((N + 1))
    start_scripted t9d "$ss" --diverge-at 7777 || { not_ok "many: server did not start"; return; }
    replay t9d 10.78.0.24 "$WORK/many.pcap" --peer "$TN_IP4_S:$PORT" --timing asap
    rc=$?
    server_status
    if [ "$rc" = 1 ] && [ "$(jqr .verdict t9d)" = DIVERGED ] && [ "$(jqr .divergence.offset t9d)" = 7777 ] &&
        [ "$(jqr .divergence.direction t9d)" = server-to-client ] &&
        [ "$(jqr '.bytes["client-to-server"].equal' t9d)" = true ]; then
        ok "many exchanges, server diverging at 7777: DIVERGED at server-to-client byte 7777, every request still sent"
    else
        not_ok "many exchanges diverging at 7777" "exit $rc, $(jqr '[.verdict, (.divergence|tostring)]|join(" ")' t9d)"
    fi
}

# tshark_sends PCAP PORT OFFSET: how often the segment at stream offset
# OFFSET left port PORT (tshark's relative sequence numbers: OFFSET + 1).
# Counted, not taken from tshark's retransmission flags: a fast retransmit
# on a sub-millisecond link is "out-of-order" to its heuristics.
tshark_sends() {
    tshark -r "$1" -o tcp.relative_sequence_numbers:TRUE \
        -Y "tcp.srcport == $2 && tcp.len > 0 && tcp.seq == $(($3 + 1))" 2>/dev/null | wc -l
}

# the server-to-client byte stream of PCAP's first connection (tshark):
# "LENGTH MD5" of its hex dump
tshark_s2c_md5() {
    local hex
    hex=$(tshark -r "$1" -q -z follow,tcp,raw,0 2>/dev/null |
        awk '/^Node 1:/ { on = 1; next } on && /^\t/ { gsub(/\t/, ""); printf "%s", $0 }')
    echo "$(( ${#hex} / 2 )) $(printf '%s' "$hex" | md5sum | cut -c1-32)"
}

test_bulk_loss() {
    local size=2000000 rc srv dropped retx cs ss
    cs="w:100,r:$size,close" ss="r:100,w:$size,wait-eof,close"
    record_scripted bulk "$cs" "$ss" || { N=$((N + 1)); not_ok "bulk: recording failed"; return; }
    # the kernel's segment at s2c offset 1448 x 40 is lost on its way to
    # tcpref (the server writes 64 KiB at a time: its segments start at
    # multiples of the MSS, 1448, up to the first 65536 bytes)
    N=$((N + 1))
    tn_exec "$TN_NS_S" nft flush chain bridge tcpref wire
    tn_drop_stream_segment s2c $((1448 * 40)) 1 || { not_ok "bulk: nft rule"; return; }
    start_scripted t10a "$ss" || { not_ok "bulk: server did not start"; return; }
    replay t10a 10.78.0.25 "$WORK/bulk.pcap" --peer "$TN_IP4_S:$PORT" --timing asap
    rc=$?
    server_status; srv=$?
    dropped=$(tn_nft_report | grep -o 'counter packets [0-9]*' | awk '{ s += $3 } END { print s + 0 }')
    retx=$(tshark_sends "$WORK/t10a.pcap" "$PORT" $((1448 * 40)))
    if check_equivalent t10a "$rc" "$srv" && [ "$dropped" -ge 1 ] && [ "$retx" -ge 1 ] &&
        [ "$(tshark_s2c_md5 "$WORK/t10a.pcap")" = "$(tshark_s2c_md5 "$WORK/bulk.pcap")" ] &&
        [ "$(tshark_s2c_md5 "$WORK/bulk.pcap" | cut -d' ' -f1)" = "$size" ]; then
        ok "bulk $size B, the kernel's segment at $((1448 * 40)) dropped: $(jqr .verdict t10a), its re-send reached tcpref (tshark), stream equal to the recording's (tshark)"
    else
        not_ok "bulk with the kernel's segment dropped" "${CHECK_WHY:-} dropped '$dropped', copies seen '$retx'"
    fi
    CHECK_WHY=
    # tcpref plays the server: its own segment at offset 1448 x 300 is lost
    N=$((N + 1))
    # the server's (s2c) stream, which tcpref sends, goes c2s on the wire here
    tn_exec "$TN_NS_S" nft flush chain bridge tcpref wire
    local hex
    hex=$("$PEER" gen --dir s2c --offset $((1448 * 300)) --length 16 --hex) || { not_ok "bulk: gen"; return; }
    tn_drop_payload c2s "$hex" 1 || { not_ok "bulk: nft rule"; return; }
    replay_server t10b "$WORK/bulk.pcap" 10.78.0.26 "$cs"
    dropped=$(tn_nft_report | grep -o 'counter packets [0-9]*' | awk '{ s += $3 } END { print s + 0 }')
    retx=$(tshark_sends "$WORK/t10b.pcap" "$PORT" $((1448 * 300)))
    tn_exec "$TN_NS_S" nft flush chain bridge tcpref wire
    if check_equivalent t10b "$RC" "$CRC" && [ "$dropped" -ge 1 ] && [ "$retx" -ge 2 ] &&
        [ "$(jqr '.sides.server.segments.replayed.segments' t10b)" -ge 1 ] &&
        [ "$(tshark_s2c_md5 "$WORK/t10b.pcap")" = "$(tshark_s2c_md5 "$WORK/bulk.pcap")" ] &&
        [ "$(tshark_s2c_md5 "$WORK/bulk.pcap" | cut -d' ' -f1)" = "$size" ]; then
        ok "bulk $size B as server, tcpref's segment at $((1448 * 300)) dropped: $(jqr .verdict t10b), tcpref sent it $retx times (tshark), stream equal to the recording's"
    else
        not_ok "bulk as server with tcpref's segment dropped" "${CHECK_WHY:-} dropped '$dropped', sent '$retx' times (tshark)"
    fi
    CHECK_WHY=
}

test_interrupted() {
    N=$((N + 1))
    local rc rpid before
    start_server t11 || { not_ok "interrupted: server did not start"; return; }
    # scale:20 turns the recording's 200 ms pause into 4 s: SIGINT 1 s after
    # tcpref has opened the interface (its handler follows at once) lands in it
    before=$(packet_sockets)
    ip netns exec "$TN_NS_C" "$TCPREF" replay "$WORK/rec.pcap" --iface "$TN_IF_C" \
        --local 10.78.0.27 --peer "$TN_IP4_S:$PORT" --timing scale:20 --format json \
        --report "$WORK/t11.json" --timeout 30 2>"$WORK/t11.err" &
    rpid=$!
    wait_replay_open "$rpid" "$before"
    sleep 1
    kill -INT "$rpid"
    wait "$rpid"
    rc=$?
    server_status
    if [ "$rc" = 3 ] && [ "$(jqr .verdict t11)" = INCONCLUSIVE ] && [ "$(jqr .run.end t11)" = interrupted ] &&
        [ "$(jqr .divergence t11)" = null ]; then
        ok "SIGINT during the run: INCONCLUSIVE, exit 3 ($(jqr '.notes|map(select(test("interrupted")))|.[0]' t11))"
    else
        not_ok "an interrupted run is INCONCLUSIVE" "exit $rc, verdict $(jqr .verdict t11), end $(jqr .run.end t11)"
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
want 9 && test_many_exchanges
want 10 && test_bulk_loss
want 11 && test_interrupted
echo "1..$N"
log "$PASSED passed, $FAILED failed in $(( $(date +%s) - START )) s"
if [ -n "${TCPREF_REPLAY_KEEP:-}" ]; then
    cp -r "$WORK" "$TCPREF_REPLAY_KEEP" && log "artifacts kept in $TCPREF_REPLAY_KEEP"
fi
[ "$FAILED" = 0 ]
