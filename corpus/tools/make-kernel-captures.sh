#!/usr/bin/env bash
# corpus/tools/make-kernel-captures.sh [--list] [--tries N] [CASE...]
#
# Regenerates the real-kernel corpus cases (all of them without arguments)
# into corpus/<case>/: capture.pcap, facts.tsv, facts-summary.txt, README.md.
# Must run as root (network namespaces). Traffic never leaves the namespaces
# created by corpus/tools/netns.sh; they are deleted on exit.
#
# Environment:
#   TCPREF_PEER=/path/to/tcpref-peer   use this binary instead of building
#                                      tests/peer into a temporary directory
#   TCPREF_CORPUS=/path                write cases there (default: corpus/)
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=${TCPREF_CORPUS:-$ROOT/corpus}
# shellcheck source=netns.sh
source "$HERE/netns.sh"

ALL_CASES=(
    kernel-clean-reqresp kernel-refused kernel-bulk-300k kernel-bulk-loss-sack
    kernel-syn-loss kernel-synack-loss kernel-tail-loss kernel-rto-backoff
    kernel-zero-window kernel-half-close kernel-simultaneous-close kernel-keepalive
    kernel-no-wscale kernel-no-sack kernel-no-timestamps kernel-ipv6 kernel-vlan
    kernel-many-short kernel-rst-abort kernel-server-close kernel-offload-on
    kernel-mss-536
)
PORT=8080
MAX_CAPTURE=$((600 * 1024))
DEFAULT_TRIES=3

die() { echo "make-kernel-captures: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    echo "cases: ${ALL_CASES[*]}"
}

TRIES_OVERRIDE=
CASES=()
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --list) printf '%s\n' "${ALL_CASES[@]}"; exit 0 ;;
        --tries) TRIES_OVERRIDE=$2; shift ;;
        -*) usage >&2; exit 2 ;;
        *) CASES+=("$1") ;;
    esac
    shift
done
[ ${#CASES[@]} -eq 0 ] && CASES=("${ALL_CASES[@]}")
for c in "${CASES[@]}"; do
    printf '%s\n' "${ALL_CASES[@]}" | grep -qx -- "$c" || die "unknown case '$c' (see --list)"
done

[ "$(id -u)" = 0 ] || die "must run as root"
for tool in ip tc ss nft ethtool tcpdump tshark capinfos awk python3; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcpref-captures.$$.XXXX")
tn_user_cleanup() { rm -rf "$WORK"; }
trap 'tn_teardown; tn_user_cleanup' EXIT
trap 'tn_teardown; tn_user_cleanup; trap - EXIT; exit 130' INT
trap 'tn_teardown; tn_user_cleanup; trap - EXIT; exit 143' TERM
TN_TRAP_INSTALLED=1

if [ -n "${TCPREF_PEER:-}" ]; then
    PEER=$TCPREF_PEER
else
    say "building tcpref-peer"
    cmake -S "$ROOT/tests/peer" -B "$WORK/peer-build" -DCMAKE_BUILD_TYPE=Release >"$WORK/peer-build.log" 2>&1 &&
        cmake --build "$WORK/peer-build" >>"$WORK/peer-build.log" 2>&1 ||
        { cat "$WORK/peer-build.log" >&2; die "cannot build tests/peer"; }
    PEER=$WORK/peer-build/tcpref-peer
fi
[ -x "$PEER" ] || die "no tcpref-peer binary at $PEER"
TN_PEER=$PEER

# ===================================================================
# tshark helpers (tshark is the independent oracle for every fact)
# ===================================================================
TSHARK_OPTS=(-n -o tcp.relative_sequence_numbers:TRUE -o tcp.analyze_sequence_numbers:TRUE
    -o tcp.calculate_timestamps:TRUE -o tcp.track_bytes_in_flight:TRUE
    -o tcp.check_checksum:FALSE -o tcp.desegment_tcp_streams:FALSE)
ts() { tshark -r "$CAP" "${TSHARK_OPTS[@]}" -d "tcp.port==$PORT,data" "$@" 2>/dev/null; }
# tfields FILTER FIELD... -> TSV lines
tfields() {
    local f=$1 a=() x; shift
    for x in "$@"; do a+=(-e "$x"); done
    ts -Y "$f" -T fields -E separator=/t "${a[@]}"
}
tframes() { tfields "$1" frame.number | paste -sd, -; }
tcount() { tfields "$1" frame.number | wc -l; }
tsum() { tfields "$1" tcp.len | awk '{ s += $1 } END { print s + 0 }'; }
tmax() { tfields "$1" "$2" | awk 'BEGIN { m = 0 } { if ($1 + 0 > m) m = $1 + 0 } END { print m }'; }
# first value of FIELD in frames matching FILTER
tfirst() { tfields "$1" "$2" | head -1; }

FAIL_REASON=
KEYFACTS=
fact() { KEYFACTS+="- $*"$'\n'; }
need() { # need DESCRIPTION CONDITION-EXIT-STATUS
    local d=$1; shift
    if ! "$@"; then FAIL_REASON="expected: $d"; return 1; fi
}
ge() { [ "${1:-0}" -ge "$2" ]; }
eq() { [ "${1:-x}" = "$2" ]; }
# float comparisons: fle A B (A <= B), fge A B
fge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
fle() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# C = client address, S = server address (set per case)
from_c() { echo "$ADDR_FIELD==$C_ADDR"; }
from_s() { echo "$ADDR_FIELD==$S_ADDR"; }
SYN="tcp.flags.syn==1 && tcp.flags.ack==0"
SYNACK="tcp.flags.syn==1 && tcp.flags.ack==1"

# ===================================================================
# case definitions: each sets C_* variables; verify_* checks the capture
# ===================================================================
case_defaults() {
    C_TITLE='' C_DOC='' C_SERVER='' C_CLIENT='' C_LOSS=''
    C_SNAPLEN=262144
    C_CAPTURE=client       # client: $TN_IF_C in the client ns; server: $TN_IF_S
    C_OFFLOADS=off
    C_FAMILY=ipv4          # ipv4 | ipv6 | vlan
    C_SYSCTL_C=() C_SYSCTL_S=()
    C_CLIENT_RC=0 C_SERVER_RC=0
    C_TRIES=$DEFAULT_TRIES
    C_NO_SERVER=
    C_COMMON="--cc cubic --timeout 60"
}

def_kernel_clean_reqresp() {
    C_TITLE="Clean request/response, client closes first"
    C_DOC="One connection: three-way handshake (RFC 9293 3.5) with MSS, SACK-permitted,
timestamps and window scale negotiated; the client sends a 300-byte request, the
server answers 5000 bytes; the client closes first (active close: FIN-WAIT-1 ->
FIN-WAIT-2 -> TIME-WAIT), the server closes after reading EOF (CLOSE-WAIT ->
LAST-ACK -> CLOSED). No loss, no retransmission."
    C_SERVER="--once --script r:300,w:5000,wait-eof,close"
    C_CLIENT="--script w:300,r:5000,close"
}
verify_kernel_clean_reqresp() {
    verify_reqresp 300 5000 client
}
# verify_reqresp C2S_BYTES S2C_BYTES FIRST_CLOSER
verify_reqresp() {
    local syn synack fc fs rst
    syn=$(tframes "$SYN"); synack=$(tframes "$SYNACK")
    need "one SYN" eq "$(tcount "$SYN")" 1 || return 1
    need "one SYN-ACK" eq "$(tcount "$SYNACK")" 1 || return 1
    need "c2s payload $1" eq "$(tsum "$(from_c)")" "$1" || return 1
    need "s2c payload $2" eq "$(tsum "$(from_s)")" "$2" || return 1
    need "no retransmission" eq "$(tcount tcp.analysis.retransmission)" 0 || return 1
    rst=$(tcount "tcp.flags.reset==1")
    need "no RST" eq "$rst" 0 || return 1
    fc=$(tframes "tcp.flags.fin==1 && $(from_c)"); fs=$(tframes "tcp.flags.fin==1 && $(from_s)")
    need "one FIN each way" eq "$(tcount "tcp.flags.fin==1")" 2 || return 1
    if [ "$3" = client ]; then
        need "client FIN first" [ "$fc" -lt "$fs" ] || return 1
    else
        need "server FIN first" [ "$fs" -lt "$fc" ] || return 1
    fi
    fact "SYN frame $syn, SYN-ACK frame $synack; client MSS $(tfirst "$SYN" tcp.options.mss_val), wscale $(tfirst "$SYN" tcp.options.wscale.shift); server MSS $(tfirst "$SYNACK" tcp.options.mss_val), wscale $(tfirst "$SYNACK" tcp.options.wscale.shift)"
    fact "payload: $1 bytes client->server, $2 bytes server->client; max segment payload $(tmax "$(from_s)" tcp.len) bytes"
    fact "client FIN frame $fc, server FIN frame $fs, last frame $(tcount frame) (final ACK); no retransmission, no RST"
}

def_kernel_refused() {
    C_TITLE="Connection refused: SYN to a closed port"
    C_DOC="The client sends a SYN to a port with no listener; the server's kernel answers
with RST+ACK (RFC 9293 3.10.7.1: in state CLOSED, a segment without ACK gets
<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN counting as one). connect()
fails with ECONNREFUSED; the client does not retry."
    C_NO_SERVER=1
    C_CLIENT="--expect-refused"
}
verify_kernel_refused() {
    need "2 frames" eq "$(tcount frame)" 2 || return 1
    need "SYN first" eq "$(tframes "$SYN")" 1 || return 1
    need "RST+ACK from server" eq "$(tframes "tcp.flags.reset==1 && tcp.flags.ack==1 && $(from_s)")" 2 || return 1
    local s a
    s=$(tfirst "$SYN" tcp.seq_raw); a=$(tfirst "tcp.flags.reset==1" tcp.ack_raw)
    need "RST acks SYN seq+1" eq "$a" "$(( (s + 1) % 4294967296 ))" || return 1
    need "RST seq 0" eq "$(tfirst "tcp.flags.reset==1" tcp.seq_raw)" 0 || return 1
    fact "frame 1 SYN seq $s (raw); frame 2 RST+ACK with seq 0 and ack $a (= ISN+1), window $(tfirst "tcp.flags.reset==1" tcp.window_size_value)"
}

def_kernel_bulk_300k() {
    C_TITLE="Bulk transfer of 300000 bytes, no loss"
    C_DOC="Small request (200 bytes), then 300000 bytes server->client: slow start from
IW10 (RFC 6928), delayed/quick ACKs, window scaling and receive-window
autotuning (the client's advertised window grows), clean close (server FIN
first, right after the data). No loss, no retransmission."
    C_SERVER="--once --script r:200,w:300000,close"
    C_CLIENT="--script w:200,r:300000,wait-eof,close"
}
verify_kernel_bulk_300k() {
    verify_reqresp 200 300000 server || return 1
    fact "client advertised window (scaled) grows from $(tfirst "$(from_c) && tcp.flags.syn==0" tcp.window_size) to $(tmax "$(from_c)" tcp.window_size) bytes"
}

def_kernel_bulk_loss_sack() {
    C_TITLE="2 MB with ~2% random loss both ways, SACK on"
    C_DOC="2000000 bytes server->client with about 2% random loss of TCP segments in each
direction (data and ACKs; SYN/SYN-ACK spared so the handshake is clean). On
top of that the server's first two FIN-carrying segments are dropped (the
FIN rides on the last data segment; the original and its tail loss probe
are lost) so that at least one retransmission timeout happens at the end. Shows SACK (RFC 2018) blocks in the client's
duplicate ACKs, fast retransmits driven by SACK/RACK (RFC 6675, RFC 8985),
D-SACK (RFC 2883) for spurious retransmissions, tail loss probes and
retransmission timeouts (RFC 6298). Captured on the SERVER (sender) side, so
every transmission of a lost data segment is visible while lost ACKs are
not. The random loss changes at every run: facts.tsv / facts-summary.txt
describe this capture. Snaplen 160.
tshark quirk: on this ~50 us RTT link most retransmissions follow the
original by less than tshark's 3 ms out-of-order threshold, so tshark flags
them 'TCP Out-Of-Order' instead of 'TCP (Fast) Retransmission'; the summary's
*_resent_segments_seq_based counts (data segments starting below the highest
sequence number already seen in that direction) count every re-sent
segment."
    C_SERVER="--once --script r:200,w:2000000,close"
    C_CLIENT="--script w:200,r:2000000,wait-eof,close"
    C_SNAPLEN=160
    C_CAPTURE=server
    C_TRIES=6
    C_LOSS="tn_loss_random 2 c2s 'tcp flags & syn == 0' && tn_loss_random 2 s2c 'tcp flags & syn == 0' && tn_drop_fin s2c 2"
}
verify_kernel_bulk_loss_sack() {
    local fr rto sack lost
    need "s2c payload >= 2000000 (with retransmissions)" ge "$(tsum "$(from_s)")" 2000000 || return 1
    fr=$(tcount "tcp.analysis.fast_retransmission")
    need "fast retransmissions" ge "$fr" 1 || return 1
    sack=$(tcount "tcp.options.sack_le && $(from_c)")
    need "SACK blocks from the client" ge "$sack" 1 || return 1
    rto=$(rto_like_frames "$S_ADDR")
    need "at least one RTO-like retransmission (after >=150 ms of silence)" [ -n "$rto" ] || return 1
    lost=$(tcount "tcp.analysis.lost_segment")
    fact "$(tcount "tcp.analysis.retransmission") retransmissions, $fr of them fast retransmissions (tshark), $(tcount "tcp.analysis.duplicate_ack") duplicate ACKs, $sack client ACKs with SACK blocks, $lost 'previous segment not captured'"
    fact "RTO-like retransmissions (>=150 ms after the previous frame): frames $rto"
    fact "first fast retransmission: frame $(tfirst tcp.analysis.fast_retransmission frame.number)"
}
# frames of retransmissions sent by ADDR that follow >=150 ms of silence
rto_like_frames() {
    ts -T fields -E separator=/t -e frame.number -e frame.time_delta -e tcp.analysis.retransmission \
        -e "$ADDR_FIELD" | awk -F'\t' -v a="$1" '
        $3 != "" && $2 + 0 >= 0.15 && $4 == a { printf "%s%s", n++ ? "," : "", $1 }'
}

def_kernel_syn_loss() {
    C_TITLE="SYN loss: the first two SYNs are dropped"
    C_DOC="The first two SYNs are lost on the wire: the client retransmits its SYN after the
initial RTO of 1 s and again after 2 s (RFC 6298 2.1 and 5.5: initial RTO 1 s,
exponential backoff; tcp_syn_linear_timeouts=0 so Linux does not use its
linear SYN backoff). The third SYN is answered; then a normal exchange. All
three SYNs carry the same ISN and options (the timestamp value differs)."
    C_SERVER="--once --script r:300,w:2000,wait-eof,close"
    C_CLIENT="--script w:300,r:2000,close"
    C_LOSS="tn_drop_syn 2"
}
verify_kernel_syn_loss() {
    local syns times seqs
    syns=$(tframes "$SYN")
    need "3 SYNs" eq "$(tcount "$SYN")" 3 || return 1
    times=$(tfields "$SYN" frame.time_relative | paste -sd' ' -)
    seqs=$(tfields "$SYN" tcp.seq_raw | sort -u | wc -l)
    need "same ISN in all SYNs" eq "$seqs" 1 || return 1
    # shellcheck disable=SC2086
    set -- $times
    local d1 d2
    d1=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }')
    d2=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", b - a }')
    need "1 s then 2 s between SYNs (got $d1, $d2)" fge "$d1" 0.9 || return 1
    need "1 s then 2 s between SYNs (got $d1, $d2)" fle "$d1" 1.3 || return 1
    need "1 s then 2 s between SYNs (got $d1, $d2)" fge "$d2" 1.9 || return 1
    need "1 s then 2 s between SYNs (got $d1, $d2)" fle "$d2" 2.4 || return 1
    need "one SYN-ACK" eq "$(tcount "$SYNACK")" 1 || return 1
    fact "SYN frames $syns at t=$times s (gaps $d1 s and $d2 s); SYN-ACK frame $(tframes "$SYNACK")"
    fact "tshark marks SYN frames $(tframes "$SYN && tcp.analysis.retransmission") as retransmissions"
}

def_kernel_synack_loss() {
    C_TITLE="SYN-ACK loss: the server retransmits its SYN-ACK"
    C_DOC="The server's first SYN-ACK is lost on the wire. The server retransmits it from its
SYN-RECEIVED retransmission timer after 1 s (RFC 6298 initial RTO; RFC 9293
3.8.1). To keep the retransmission timer-driven (not triggered by the client's
own SYN retransmission, which fires at about the same time), the client's
second SYN is dropped too. Captured on the SERVER side (server-side veth) so both
SYN-ACKs are visible; the dropped second SYN never reaches it."
    C_SERVER="--once --script r:300,w:2000,wait-eof,close"
    C_CLIENT="--script w:300,r:2000,close"
    C_CAPTURE=server
    C_LOSS="tn_drop_synack 1 && tn_drop_syn 1 1"
}
verify_kernel_synack_loss() {
    local sa times
    need "one SYN in the server capture" eq "$(tcount "$SYN")" 1 || return 1
    need "2 SYN-ACKs" eq "$(tcount "$SYNACK")" 2 || return 1
    need "same ISN in both SYN-ACKs" eq "$(tfields "$SYNACK" tcp.seq_raw | sort -u | wc -l)" 1 || return 1
    sa=$(tframes "$SYNACK")
    times=$(tfields "$SYNACK" frame.time_relative | paste -sd' ' -)
    # shellcheck disable=SC2086
    set -- $times
    local d
    d=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }')
    need "SYN-ACK retransmitted after about 1 s (got $d)" fge "$d" 0.9 || return 1
    need "SYN-ACK retransmitted after about 1 s (got $d)" fle "$d" 1.3 || return 1
    fact "SYN frame $(tframes "$SYN"); SYN-ACK frames $sa at t=$times s (gap $d s, same ISN); the first one was lost on the wire"
    fact "handshake-completing ACK: frame $(tfirst "$(from_c) && tcp.flags.syn==0 && tcp.flags.ack==1" frame.number)"
}

# response of 10 full segments (14480 bytes at MSS 1448)
TAIL_RESP=14480
def_kernel_tail_loss() {
    C_TITLE="Tail loss: TLP, then RTO with backoff"
    C_DOC="The server answers with exactly 10 full-sized segments (14480 bytes, MSS 1448),
all sent in the initial window. The last three are lost on the wire:
segment 8 (stream bytes 10136..11583) twice, segment 9 (11584..13031) once
and segment 10 (13032..14479) twice. Linux first sends a Tail Loss Probe
(RFC 8985 section 7: retransmission of the last segment after a PTO of about
2*SRTT), which is also lost; then the RTO fires (RFC 6298 5.4: retransmit the
earliest unacknowledged segment, segment 8), which is lost again; the RTO is
doubled (5.5) and the second RTO retransmission gets through; segments 9 and
10 follow in loss recovery (slow start from cwnd 1). Captured on the SERVER
side (server-side veth) so the lost transmissions are visible (they were dropped
downstream, on the wire)."
    C_SERVER="--once --script r:200,w:$TAIL_RESP,wait-eof,close"
    C_CLIENT="--script w:200,r:$TAIL_RESP,close"
    C_CAPTURE=server
    C_LOSS="tn_drop_stream_segment s2c 10136 2 && tn_drop_stream_segment s2c 11584 1 && tn_drop_stream_segment s2c 13032 2"
}
verify_kernel_tail_loss() {
    # s2c transmissions of the three tail segments (relative seq = offset + 1)
    local s8 s9 s10
    s8=$(tframes "$(from_s) && tcp.seq==10137 && tcp.len>0")
    s9=$(tframes "$(from_s) && tcp.seq==11585 && tcp.len>0")
    s10=$(tframes "$(from_s) && tcp.seq==13033 && tcp.len>0")
    need "segment 8 sent 3 times (got $s8)" eq "$(tr ',' '\n' <<<"$s8" | grep -c .)" 3 || return 1
    need "segment 9 sent twice (got $s9)" eq "$(tr ',' '\n' <<<"$s9" | grep -c .)" 2 || return 1
    need "segment 10 sent 3 times (got $s10)" eq "$(tr ',' '\n' <<<"$s10" | grep -c .)" 3 || return 1
    local t8 t10
    t8=$(tfields "$(from_s) && tcp.seq==10137 && tcp.len>0" frame.time_relative | paste -sd' ' -)
    t10=$(tfields "$(from_s) && tcp.seq==13033 && tcp.len>0" frame.time_relative | paste -sd' ' -)
    local tlp rto1 rto2 orig
    read -r orig _ _ <<<"$t10"
    tlp=$(awk '{ print $2 }' <<<"$t10")
    rto1=$(awk '{ print $2 }' <<<"$t8"); rto2=$(awk '{ print $3 }' <<<"$t8")
    local d_tlp d_rto1 d_rto2
    d_tlp=$(awk -v a="$orig" -v b="$tlp" 'BEGIN { printf "%.4f", b - a }')
    d_rto1=$(awk -v a="$tlp" -v b="$rto1" 'BEGIN { printf "%.4f", b - a }')
    d_rto2=$(awk -v a="$rto1" -v b="$rto2" 'BEGIN { printf "%.4f", b - a }')
    need "TLP (2nd copy of segment 10) before the first RTO" fle "$tlp" "$rto1" || return 1
    need "TLP sooner than 150 ms (got $d_tlp)" fle "$d_tlp" 0.15 || return 1
    need "first RTO >= 190 ms after the TLP (got $d_rto1)" fge "$d_rto1" 0.19 || return 1
    need "second RTO about twice the first (got $d_rto1 then $d_rto2)" \
        fge "$d_rto2" "$(awk -v a="$d_rto1" 'BEGIN { print a * 1.6 }')" || return 1
    fact "segment 8 (rel seq 10137) frames $s8 at t=$t8; segment 9 (rel seq 11585) frames $s9; segment 10 (rel seq 13033) frames $s10 at t=$t10"
    fact "TLP = 2nd copy of segment 10, $d_tlp s after its original; RTO #1 (segment 8) $d_rto1 s after the TLP; RTO #2 $d_rto2 s later (backoff x2)"
    fact "tshark flags: retransmissions $(tframes tcp.analysis.retransmission); fast retransmissions: $(tframes tcp.analysis.fast_retransmission); final cumulative ACK of $((TAIL_RESP + 1)): frame $(tfirst "$(from_c) && tcp.ack==$((TAIL_RESP + 1))" frame.number)"
}

def_kernel_rto_backoff() {
    C_TITLE="RTO exponential backoff on one segment"
    C_DOC="The server's response is a single 1000-byte segment, lost on the wire four times
in a row: the original, a tail loss probe (RFC 8985 7; with one segment in
flight the PTO includes the delayed-ACK allowance, so it is close to the RTO)
and the following RTO retransmissions, whose timer doubles each time
(RFC 6298 5.5, Karn's algorithm: no RTT sample from retransmitted data). The
fifth transmission gets through. Captured on the SERVER side (server-side veth) so
every transmission is visible."
    C_SERVER="--once --script r:100,w:1000,wait-eof,close"
    C_CLIENT="--script w:100,r:1000,close"
    C_CAPTURE=server
    C_LOSS="tn_drop_stream_segment s2c 0 4"
}
verify_kernel_rto_backoff() {
    local fr times gaps
    fr=$(tframes "$(from_s) && tcp.seq==1 && tcp.len==1000")
    need "the segment sent 5 times (got $fr)" eq "$(tr ',' '\n' <<<"$fr" | grep -c .)" 5 || return 1
    times=$(tfields "$(from_s) && tcp.seq==1 && tcp.len==1000" frame.time_relative | paste -sd' ' -)
    gaps=$(awk '{ for (i = 2; i <= NF; i++) printf "%s%.3f", (i > 2 ? " " : ""), $i - $(i-1) }' <<<"$times")
    # the last three gaps are RTOs: each at least 1.6x the previous one
    need "doubling gaps (got $gaps)" awk '{ exit !($3 >= 1.6 * $2 && $4 >= 1.6 * $3 && $2 >= 0.19) }' <<<"$gaps" || return 1
    fact "the 1000-byte segment (rel seq 1) is sent in frames $fr at t=$times s"
    fact "gaps between transmissions: $gaps s (TLP/RTO, then doubling RTOs)"
    fact "ACK of the segment (ack 1001): frame $(tfirst "$(from_c) && tcp.ack==1001" frame.number)"
}

def_kernel_zero_window() {
    C_TITLE="Zero window, persist probes with backoff, recovery"
    C_DOC="The client uses a small receive buffer (SO_RCVBUF 8192, doubled by the kernel)
and does not read for 4 s while the server sends 100000 bytes: the client's
advertised window drops to zero (RFC 9293 3.8.6), the server sends zero-window
probes from its persist timer with exponential backoff (3.8.6.1; Linux sends
them as a zero-length segment with SEQ = SND.UNA - 1, which the client
answers with an ACK still carrying window 0). Then the client reads at
50000 bytes/s: window updates reopen the window, and the transfer completes,
with more zero windows whenever the reader falls behind.
Kernel quirks visible here: (1) with such a small buffer the client's kernel
drops an in-window segment it has no memory for (the window it advertised
counted payload, the memory limit counts buffer overhead); the server's TLP
re-sends it a few ms later, so there is one retransmission before the first
zero window. (2) Linux answers a persist probe (an 'old' segment) with a
rate-limited duplicate ACK (net.ipv4.tcp_invalid_ratelimit = 500 ms), so a
probe that follows the previous one by less than 500 ms gets no answer.
tshark labels Linux's zero-length persist probes 'TCP Keep-Alive', not
'TCP ZeroWindowProbe' (which it reserves for 1-byte probes)."
    C_SERVER="--once --script r:100,w:100000,wait-eof,close"
    C_CLIENT="--rcvbuf 8192 --script w:100,sleep:4,slowread:100000:50000,close"
}
verify_kernel_zero_window() {
    local zw probes first_zw
    zw=$(tcount "tcp.analysis.zero_window && $(from_c)")
    need "zero window advertised by the client" ge "$zw" 1 || return 1
    first_zw=$(tfirst "tcp.analysis.zero_window && $(from_c)" frame.number)
    # persist probes: tshark calls Linux's probes keep-alives or zero window probes
    probes=$(tframes "$(from_s) && (tcp.analysis.zero_window_probe || tcp.analysis.keep_alive) && frame.time_relative < 4.2")
    need "at least 3 persist probes during the 4 s stall (got $probes)" ge "$(tr ',' '\n' <<<"$probes" | grep -c .)" 3 || return 1
    local ptimes pgaps
    ptimes=$(tfields "$(from_s) && (tcp.analysis.zero_window_probe || tcp.analysis.keep_alive) && frame.time_relative < 4.2" frame.time_relative | paste -sd' ' -)
    pgaps=$(awk '{ for (i = 2; i <= NF; i++) printf "%s%.3f", (i > 2 ? " " : ""), $i - $(i-1) }' <<<"$ptimes")
    need "probe gaps grow (got $pgaps)" awk '{ for (i = 2; i <= NF; i++) if ($i < 1.6 * $(i-1)) exit 1 }' <<<"$pgaps" || return 1
    need "s2c payload 100000" eq "$(tsum "$(from_s) && !tcp.analysis.retransmission")" 100000 || return 1
    need "window update after the stall" ge "$(tcount "tcp.analysis.window_update && $(from_c) && frame.time_relative > 3.9")" 1 || return 1
    fact "first zero window from the client: frame $first_zw (t=$(tfirst "frame.number==$first_zw" frame.time_relative) s); $zw zero-window ACKs in total"
    fact "persist probes during the stall: frames $probes at t=$ptimes s (gaps $pgaps s); probe format: $(tfirst "frame.number==${probes%%,*}" tcp.len)-byte segment with rel seq $(tfirst "frame.number==${probes%%,*}" tcp.seq) (SND.UNA-1), tshark: $(tfirst "frame.number==${probes%%,*}" _ws.col.Info | sed 's/\].*/]/')"
    fact "first window update after the stall: frame $(tfirst "tcp.analysis.window_update && $(from_c) && frame.time_relative > 3.9" frame.number); zero-window probes seen by tshark: $(tcount tcp.analysis.zero_window_probe), keep-alives: $(tcount tcp.analysis.keep_alive), window-full: $(tcount tcp.analysis.window_full)"
}

def_kernel_half_close() {
    C_TITLE="Half close: client shuts down its sending side, server keeps sending"
    C_DOC="The client sends a 500-byte request and shutdown(SHUT_WR): its FIN comes right
after the request (client FIN-WAIT-1 -> FIN-WAIT-2, server CLOSE-WAIT). The
server, in CLOSE-WAIT, keeps sending: three 2000-byte writes 0.3 s apart,
all ACKed by the half-closed client (RFC 9293 3.6: a FIN only closes one
direction), then closes (server LAST-ACK, client TIME-WAIT)."
    C_SERVER="--once --script r:500,wait-eof,w:2000,sleep:0.3,w:2000,sleep:0.3,w:2000,close"
    C_CLIENT="--script w:500,shutdown,r:eof,close"
}
verify_kernel_half_close() {
    local fc fs after
    fc=$(tframes "tcp.flags.fin==1 && $(from_c)"); fs=$(tframes "tcp.flags.fin==1 && $(from_s)")
    need "one FIN each way" eq "$(tcount "tcp.flags.fin==1")" 2 || return 1
    need "client FIN first" [ "$fc" -lt "$fs" ] || return 1
    after=$(tsum "$(from_s) && frame.number > $fc")
    need "6000 bytes sent after the client's FIN" eq "$after" 6000 || return 1
    need "no RST" eq "$(tcount "tcp.flags.reset==1")" 0 || return 1
    fact "client FIN frame $fc (right after its 500-byte request, frame $(tfirst "$(from_c) && tcp.len>0" frame.number)); server data after it: frames $(tframes "$(from_s) && tcp.len>0") (6000 bytes); server FIN frame $fs"
    fact "the client keeps ACKing after its FIN: frames $(tframes "$(from_c) && frame.number > $fc && tcp.flags.fin==0")"
}

def_kernel_simultaneous_close() {
    C_TITLE="Simultaneous close: both ends in FIN-WAIT-1"
    C_DOC="After a request/response the client closes; its first FIN is lost on the wire.
0.1 s later the server closes too, so both ends are in FIN-WAIT-1 at once.
State sequence (RFC 9293 3.6, figure 13 'simultaneous close' variant):
client: ESTABLISHED -> FIN-WAIT-1 (FIN lost) -> CLOSING (receives the server's
FIN, which does not ACK the client's FIN; sends an ACK) -> TIME-WAIT (the
server ACKs the retransmitted FIN). Server: ESTABLISHED -> FIN-WAIT-1 (sends
FIN) -> FIN-WAIT-2 (the client's ACK acknowledges its FIN) -> TIME-WAIT
(receives the retransmitted client FIN, ACKs it). Both ends end in TIME-WAIT.
The client's FIN retransmission comes from its TLP/RTO timer."
    C_SERVER="--once --script r:300,w:1000,sleep:0.1,close"
    C_CLIENT="--script w:300,r:1000,close"
    C_LOSS="tn_drop_fin c2s 1"
}
verify_kernel_simultaneous_close() {
    local fc fs
    fc=$(tframes "tcp.flags.fin==1 && $(from_c)"); fs=$(tframes "tcp.flags.fin==1 && $(from_s)")
    need "client FIN sent twice (got $fc)" eq "$(tr ',' '\n' <<<"$fc" | grep -c .)" 2 || return 1
    need "one server FIN" eq "$(tr ',' '\n' <<<"$fs" | grep -c .)" 1 || return 1
    local fc1=${fc%%,*} fc2=${fc##*,}
    need "server FIN between the client's two FINs" [ "$fc1" -lt "$fs" ] || return 1
    need "server FIN between the client's two FINs" [ "$fs" -lt "$fc2" ] || return 1
    local cfinseq sack
    cfinseq=$(tfirst "frame.number==$fc1" tcp.seq)
    sack=$(tfirst "frame.number==$fs" tcp.ack)
    need "server FIN does not ack the client FIN" eq "$sack" "$cfinseq" || return 1
    local cack
    cack=$(tfirst "$(from_c) && frame.number > $fs && frame.number < $fc2" frame.number)
    need "client ACKs the server FIN before retransmitting its own" [ -n "$cack" ] || return 1
    fact "client FIN frame $fc1 (rel seq $cfinseq, lost) -> client FIN-WAIT-1; server FIN frame $fs with ack $sack (does not cover the client's FIN) -> server FIN-WAIT-1"
    fact "client ACK of the server FIN: frame $cack (client -> CLOSING, server -> FIN-WAIT-2); client FIN retransmission frame $fc2 ($(awk -v a="$(tfirst "frame.number==$fc1" frame.time_relative)" -v b="$(tfirst "frame.number==$fc2" frame.time_relative)" 'BEGIN { printf "%.3f", b - a }') s after the first); server ACK frame $(tfirst "$(from_s) && frame.number > $fc2" frame.number) (both -> TIME-WAIT)"
}

def_kernel_keepalive() {
    C_TITLE="TCP keep-alive probes on an idle connection"
    C_DOC="After a 100-byte exchange the connection stays idle for 4.5 s. The client has
SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 5 (RFC 1122
4.2.3.6): it sends a keep-alive probe after each second of idleness, a
zero-length segment with SEQ = SND.NXT - 1 (so it carries no new data and
elicits an ACK); the server ACKs each probe. Then the client closes."
    C_SERVER="--once --script r:100,w:100,wait-eof,close"
    C_CLIENT="--keepalive 1,1,5 --script w:100,r:100,sleep:4.5,close"
}
verify_kernel_keepalive() {
    local ka kaa
    ka=$(tframes "tcp.analysis.keep_alive && $(from_c)")
    kaa=$(tframes "tcp.analysis.keep_alive_ack && $(from_s)")
    need "at least 3 keep-alives (got $ka)" ge "$(tr ',' '\n' <<<"$ka" | grep -c .)" 3 || return 1
    need "at least 3 keep-alive ACKs (got $kaa)" ge "$(tr ',' '\n' <<<"$kaa" | grep -c .)" 3 || return 1
    fact "keep-alive probes (client): frames $ka at t=$(tfields "tcp.analysis.keep_alive && $(from_c)" frame.time_relative | paste -sd' ' -) s; length $(tfirst "tcp.analysis.keep_alive" tcp.len), rel seq $(tfirst "tcp.analysis.keep_alive" tcp.seq)"
    fact "keep-alive ACKs (server): frames $kaa"
}

def_transfer_200k() {
    C_SERVER="--once --script r:200,w:200000,close"
    C_CLIENT="--script w:200,r:200000,wait-eof,close"
}
def_kernel_no_wscale() {
    C_TITLE="200 KB transfer without window scaling"
    C_DOC="net.ipv4.tcp_window_scaling=0 on the client: its SYN has no Window Scale option,
so the server's SYN-ACK has none either (RFC 7323 2.2: scaling is used only
if both sides send the option) and every window is an unscaled 16-bit value
(at most 65535). 200000 bytes server->client, no loss."
    def_transfer_200k
    C_SYSCTL_C=("net.ipv4.tcp_window_scaling=0")
}
verify_kernel_no_wscale() {
    need "no WS option anywhere" eq "$(tcount tcp.options.wscale.shift)" 0 || return 1
    need "s2c payload 200000" eq "$(tsum "$(from_s)")" 200000 || return 1
    need "windows <= 65535" fle "$(tmax tcp tcp.window_size)" 65535 || return 1
    fact "SYN frame $(tframes "$SYN") and SYN-ACK frame $(tframes "$SYNACK") carry no Window Scale option; largest window field $(tmax tcp tcp.window_size_value) (client max $(tmax "$(from_c)" tcp.window_size_value))"
    fact "SYN options: $(tfirst "$SYN" _ws.col.Info | sed 's/.*Len=0 //')"
}
def_kernel_no_sack() {
    C_TITLE="200 KB transfer without SACK"
    C_DOC="net.ipv4.tcp_sack=0 on the client: its SYN has no SACK-permitted option, so the
server's SYN-ACK has none (RFC 2018 2) and no SACK blocks appear.
200000 bytes server->client, no loss."
    def_transfer_200k
    C_SYSCTL_C=("net.ipv4.tcp_sack=0")
}
verify_kernel_no_sack() {
    need "no SACK_PERM" eq "$(tcount tcp.options.sack_perm)" 0 || return 1
    need "no SACK blocks" eq "$(tcount tcp.options.sack_le)" 0 || return 1
    need "s2c payload 200000" eq "$(tsum "$(from_s)")" 200000 || return 1
    fact "SYN frame $(tframes "$SYN") and SYN-ACK frame $(tframes "$SYNACK") carry no SACK-permitted option; no SACK blocks in the capture"
    fact "SYN options: $(tfirst "$SYN" _ws.col.Info | sed 's/.*Len=0 //')"
}
def_kernel_no_timestamps() {
    C_TITLE="200 KB transfer without TCP timestamps"
    C_DOC="net.ipv4.tcp_timestamps=0 on the client: no Timestamps option in its SYN, so
none in the SYN-ACK nor in any later segment (RFC 7323 3.2); the server's
MSS-sized segments carry 1460 payload bytes (no 12-byte option).
200000 bytes server->client, no loss."
    def_transfer_200k
    C_SYSCTL_C=("net.ipv4.tcp_timestamps=0")
}
verify_kernel_no_timestamps() {
    need "no timestamps" eq "$(tcount tcp.options.timestamp.tsval)" 0 || return 1
    need "s2c payload 200000" eq "$(tsum "$(from_s)")" 200000 || return 1
    need "1460-byte segments" eq "$(tmax "$(from_s)" tcp.len)" 1460 || return 1
    fact "no Timestamps option in any segment (SYN frame $(tframes "$SYN"), SYN-ACK frame $(tframes "$SYNACK")); server segments up to $(tmax "$(from_s)" tcp.len) bytes, TCP header $(tfirst "$(from_s) && tcp.len>0" tcp.hdr_len) bytes"
}

def_kernel_ipv6() {
    C_TITLE="Request/response over IPv6"
    C_DOC="Same exchange as kernel-clean-reqresp over IPv6 (fd00:77::1 -> fd00:77::2): MSS
1440 (RFC 8200 MTU 1500 minus 40-byte IPv6 header and 20-byte TCP header),
so 1428 payload bytes per full segment with timestamps. Client closes first."
    C_FAMILY=ipv6
    C_SERVER="--once --script r:300,w:5000,wait-eof,close"
    C_CLIENT="--script w:300,r:5000,close"
}
verify_kernel_ipv6() {
    need "all frames IPv6" eq "$(tcount "ipv6")" "$(tcount frame)" || return 1
    verify_reqresp 300 5000 client
}

def_kernel_vlan() {
    C_TITLE="Request/response over an 802.1Q VLAN (VID 10)"
    C_DOC="Same exchange as kernel-clean-reqresp between 10.77.10.1 and 10.77.10.2 over an
IEEE 802.1Q tagged link (VID 10), captured on the client's veth so every frame
carries the 4-byte tag (TPID 0x8100) between the MAC addresses and the
EtherType. See 'VLAN' below for how the tag is produced on this kernel."
    C_FAMILY=vlan
    C_SERVER="--once --script r:300,w:5000,wait-eof,close"
    C_CLIENT="--script w:300,r:5000,close"
}
verify_kernel_vlan() {
    need "every frame tagged with VID 10" eq "$(tcount "vlan.id==10")" "$(tcount frame)" || return 1
    verify_reqresp 300 5000 client || return 1
    fact "all $(tcount frame) frames carry an 802.1Q tag with VID 10 (vlan.etype $(tfirst vlan vlan.etype)); frame length $(tfirst "$SYN" frame.len) for the SYN (74 + 4)"
}

def_kernel_many_short() {
    C_TITLE="40 short sequential connections"
    C_DOC="One client opens 40 connections one after the other to the same server port
(different ephemeral source ports, fresh ISNs), each with a 100-byte request,
a 1000-byte response and a client-first close. The client's sockets end in
TIME-WAIT; ports are not reused within the capture."
    C_SERVER="--count 40 --script r:100,w:1000,wait-eof,close"
    C_CLIENT="--repeat 40 --script w:100,r:1000,close"
}
verify_kernel_many_short() {
    need "40 SYNs" eq "$(tcount "$SYN")" 40 || return 1
    need "40 SYN-ACKs" eq "$(tcount "$SYNACK")" 40 || return 1
    need "40 streams" eq "$(tfields tcp tcp.stream | sort -u | wc -l)" 40 || return 1
    need "40 distinct client ports" eq "$(tfields "$SYN" tcp.srcport | sort -u | wc -l)" 40 || return 1
    need "80 FINs" eq "$(tcount "tcp.flags.fin==1")" 80 || return 1
    need "no RST" eq "$(tcount "tcp.flags.reset==1")" 0 || return 1
    need "no retransmission" eq "$(tcount tcp.analysis.retransmission)" 0 || return 1
    need "c2s payload" eq "$(tsum "$(from_c)")" 4000 || return 1
    need "s2c payload" eq "$(tsum "$(from_s)")" 40000 || return 1
    fact "40 connections (tcp.stream 0..39), SYN frames $(tframes "$SYN" | cut -d, -f1-5),...; $(tcount frame) frames; 4000 bytes c2s, 40000 bytes s2c; no RST, no retransmission"
}

def_kernel_rst_abort() {
    C_TITLE="Client aborts with RST in ESTABLISHED"
    C_DOC="The client sends a 300-byte request, reads 3000 bytes of the 20000-byte
response, waits 0.2 s (so the whole response has arrived and been ACKed) and
aborts (SO_LINGER {1,0} + close()): its kernel sends RST (with
ACK) in ESTABLISHED (RFC 9293 3.10.4 ABORT; also RFC 2525 2.17, unread data
is discarded). The server gets ECONNRESET; no FIN is exchanged."
    C_SERVER="--once --script r:300,w:20000,expect-reset"
    C_CLIENT="--script w:300,r:3000,sleep:0.2,abort"
}
verify_kernel_rst_abort() {
    local rst
    rst=$(tframes "tcp.flags.reset==1 && $(from_c)")
    need "RST from the client" [ -n "$rst" ] || return 1
    need "no FIN" eq "$(tcount "tcp.flags.fin==1")" 0 || return 1
    need "20000 bytes sent before the RST" eq "$(tsum "$(from_s) && frame.number < ${rst%%,*}")" 20000 || return 1
    need "no RST from the server" eq "$(tcount "tcp.flags.reset==1 && $(from_s)")" 0 || return 1
    fact "client RST frame(s) $rst (flags $(tfirst "frame.number==${rst%%,*}" tcp.flags.str), rel seq $(tfirst "frame.number==${rst%%,*}" tcp.seq), ack $(tfirst "frame.number==${rst%%,*}" tcp.ack)); no FIN in the capture"
    fact "all 20000 response bytes were delivered (and ACKed up to $(tmax "$(from_c) && frame.number < ${rst%%,*}" tcp.ack)) before the RST; the client had read only 3000 of them"
}

def_kernel_server_close() {
    C_TITLE="Server closes first (client passive close)"
    C_DOC="300-byte request, 3000-byte response, then the server closes first (active
close: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT). The client reads EOF, waits
0.5 s in CLOSE-WAIT and then closes (LAST-ACK -> CLOSED)."
    C_SERVER="--once --script r:300,w:3000,close"
    C_CLIENT="--script w:300,r:3000,wait-eof,sleep:0.5,close"
}
verify_kernel_server_close() {
    verify_reqresp 300 3000 server || return 1
    local fc fs
    fc=$(tframes "tcp.flags.fin==1 && $(from_c)"); fs=$(tframes "tcp.flags.fin==1 && $(from_s)")
    local d
    d=$(awk -v a="$(tfirst "frame.number==$fs" frame.time_relative)" -v b="$(tfirst "frame.number==$fc" frame.time_relative)" 'BEGIN { printf "%.3f", b - a }')
    need "client FIN about 0.5 s after the server FIN (got $d)" fge "$d" 0.45 || return 1
    fact "server FIN frame $fs, client FIN frame $fc ($d s later, CLOSE-WAIT in between), final ACK from the server frame $(tcount frame)"
}

def_kernel_offload_on() {
    C_TITLE="Bulk transfer with TSO/GSO/GRO on: super-segments"
    C_DOC="Like kernel-bulk-300k, but segmentation offloads stay ON on every veth: the
server's TCP hands large GSO packets to the veth, which passes them through
unsegmented, so the client-side capture holds 'segments' much larger than the
MSS (up to ~64 KB), as captures taken on hosts with TSO/GRO do. The frames
are larger than the 1500-byte MTU and the TCP checksums of client-sent frames
are not filled in (checksum offload). No loss."
    C_OFFLOADS=on
    C_SERVER="--once --script r:200,w:300000,close"
    C_CLIENT="--script w:200,r:300000,wait-eof,close"
}
verify_kernel_offload_on() {
    local big
    big=$(tcount "$(from_s) && tcp.len > 1448")
    need "super-segments (tcp.len > MSS)" ge "$big" 1 || return 1
    need "s2c payload 300000" eq "$(tsum "$(from_s)")" 300000 || return 1
    fact "$big server frames carry more than one MSS (1448) of payload; the largest has $(tmax "$(from_s)" tcp.len) bytes (frame $(tfirst "$(from_s) && tcp.len==$(tmax "$(from_s)" tcp.len)" frame.number)); first one: frame $(tfirst "$(from_s) && tcp.len > 1448" frame.number)"
    fact "$(tcount "$(from_s) && tcp.len>0") data frames in all for 300000 bytes"
}

def_kernel_mss_536() {
    C_TITLE="Small MSS: client sets TCP_MAXSEG 536"
    C_DOC="The client sets TCP_MAXSEG 536 before connect(): its SYN advertises MSS 536
(the RFC 9293 3.7.1 / RFC 879 default-sized segment), so the server sends at
most 536 - 12 (timestamps option) = 524 payload bytes per segment.
20000 bytes server->client."
    C_SERVER="--once --script r:200,w:20000,close"
    C_CLIENT="--mss 536 --script w:200,r:20000,wait-eof,close"
}
verify_kernel_mss_536() {
    need "SYN MSS 536" eq "$(tfirst "$SYN" tcp.options.mss_val)" 536 || return 1
    need "server segments <= 524" fle "$(tmax "$(from_s)" tcp.len)" 524 || return 1
    need "s2c payload 20000" eq "$(tsum "$(from_s)")" 20000 || return 1
    fact "client SYN (frame $(tframes "$SYN")) MSS $(tfirst "$SYN" tcp.options.mss_val); server SYN-ACK MSS $(tfirst "$SYNACK" tcp.options.mss_val); server data segments: max $(tmax "$(from_s)" tcp.len) bytes, $(tcount "$(from_s) && tcp.len>0") segments for 20000 bytes"
}

# ===================================================================
# facts
# ===================================================================
FACT_FIELDS=(
    frame.number frame.time_relative frame.time_delta frame.len frame.cap_len vlan.id
    ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport tcp.stream
    tcp.flags tcp.flags.str tcp.seq tcp.seq_raw tcp.nxtseq tcp.ack tcp.ack_raw tcp.len
    tcp.hdr_len tcp.window_size_value tcp.window_size_scalefactor tcp.window_size
    tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm
    tcp.options.timestamp.tsval tcp.options.timestamp.tsecr tcp.options.sack_le tcp.options.sack_re
    tcp.analysis.bytes_in_flight tcp.analysis.acks_frame tcp.analysis.ack_rtt
    tcp.analysis.rto tcp.analysis.rto_frame
    tcp.analysis.retransmission tcp.analysis.fast_retransmission tcp.analysis.spurious_retransmission
    tcp.analysis.out_of_order tcp.analysis.lost_segment tcp.analysis.ack_lost_segment
    tcp.analysis.duplicate_ack tcp.analysis.duplicate_ack_num tcp.analysis.duplicate_ack_frame
    tcp.analysis.zero_window tcp.analysis.zero_window_probe tcp.analysis.zero_window_probe_ack
    tcp.analysis.window_full tcp.analysis.window_update
    tcp.analysis.keep_alive tcp.analysis.keep_alive_ack tcp.analysis.reused_ports
    _ws.col.Info
)

write_facts() {
    local out=$1 a=() f
    for f in "${FACT_FIELDS[@]}"; do a+=(-e "$f"); done
    ts -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, "${a[@]}" >"$out/facts.tsv"
}

write_summary() {
    local out=$1
    {
        echo "# facts-summary for $CASE (all numbers from tshark $(tshark --version 2>/dev/null | head -1 | awk '{ print $3 }'))"
        echo "# tshark -r capture.pcap ${TSHARK_OPTS[*]} -d tcp.port==$PORT,data"
        echo "# client = $C_ADDR, server = $S_ADDR (port $PORT); c2s = sent by the client"
        echo "# boolean tcp.analysis.* counts are frames carrying that expert flag"
        ts -T fields -E separator=/t -e frame.number -e frame.time_relative -e "$ADDR_FIELD" \
            -e tcp.stream -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset \
            -e tcp.len -e tcp.window_size -e tcp.options.sack_le \
            -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
            -e tcp.analysis.spurious_retransmission -e tcp.analysis.duplicate_ack \
            -e tcp.analysis.lost_segment -e tcp.analysis.ack_lost_segment -e tcp.analysis.out_of_order \
            -e tcp.analysis.zero_window -e tcp.analysis.zero_window_probe \
            -e tcp.analysis.zero_window_probe_ack -e tcp.analysis.window_full \
            -e tcp.analysis.window_update -e tcp.analysis.keep_alive -e tcp.analysis.keep_alive_ack \
            -e frame.time_delta -e frame.len -e tcp.window_size_value -e tcp.seq |
        awk -F'\t' -v c="$C_ADDR" '
        function add(k, v) { cnt[k] += v }
        {
            d = ($3 == c) ? "c2s" : "s2c"
            frames++; last = $2; streams[$4] = 1
            add(d "_packets", 1); add(d "_payload_bytes", $9)
            if ($9 > 0) add(d "_data_segments", 1)
            if ($9 > maxlen[d]) maxlen[d] = $9
            if ($27 > maxframe) maxframe = $27
            if ($5 == 1 && $6 == 0) add(d "_syn", 1)
            if ($5 == 1 && $6 == 1) add(d "_synack", 1)
            if ($7 == 1) add(d "_fin", 1)
            if ($8 == 1) add(d "_rst", 1)
            if ($5 == 0 && $7 == 0 && $8 == 0 && $9 == 0) add(d "_pure_ack", 1)
            if ($11 != "") add(d "_with_sack_blocks", 1)
            if ($12 != "") add(d "_retransmission", 1)
            if ($13 != "") add(d "_fast_retransmission", 1)
            if ($14 != "") add(d "_spurious_retransmission", 1)
            if ($15 != "") add(d "_duplicate_ack", 1)
            if ($16 != "") add(d "_lost_segment", 1)
            if ($17 != "") add(d "_ack_lost_segment", 1)
            if ($18 != "") add(d "_out_of_order", 1)
            if ($19 != "") add(d "_zero_window", 1)
            if ($20 != "") add(d "_zero_window_probe", 1)
            if ($21 != "") add(d "_zero_window_probe_ack", 1)
            if ($22 != "") add(d "_window_full", 1)
            if ($23 != "") add(d "_window_update", 1)
            if ($24 != "") add(d "_keep_alive", 1)
            if ($25 != "") add(d "_keep_alive_ack", 1)
            if ($12 != "" && $26 >= 0.15) add(d "_retransmission_after_150ms_silence", 1)
            k = $4 SUBSEP d
            if ($9 > 0 && (k in hi) && $29 < hi[k]) add(d "_resent_segments_seq_based", 1)
            if ($9 > 0 && (!(k in hi) || $29 + $9 > hi[k])) hi[k] = $29 + $9
            if ($28 != "" && ($28 < minwin[d] || !(d in minwin))) minwin[d] = $28
            if ($10 > maxwin[d]) maxwin[d] = $10
        }
        END {
            n = 0; for (s in streams) n++
            printf "frames\t%d\n", frames
            printf "duration_s\t%s\n", last
            printf "tcp_streams\t%d\n", n
            printf "max_frame_len\t%d\n", maxframe
            split("packets payload_bytes data_segments pure_ack syn synack fin rst with_sack_blocks retransmission fast_retransmission spurious_retransmission retransmission_after_150ms_silence resent_segments_seq_based duplicate_ack lost_segment ack_lost_segment out_of_order zero_window zero_window_probe zero_window_probe_ack window_full window_update keep_alive keep_alive_ack", keys, " ")
            for (i = 1; i in keys; i++)
                for (j = 0; j < 2; j++) {
                    d = j ? "s2c" : "c2s"
                    printf "%s_%s\t%d\n", d, keys[i], cnt[d "_" keys[i]]
                }
            printf "c2s_max_payload\t%d\ns2c_max_payload\t%d\n", maxlen["c2s"], maxlen["s2c"]
            printf "c2s_max_window_scaled\t%d\ns2c_max_window_scaled\t%d\n", maxwin["c2s"], maxwin["s2c"]
            printf "c2s_min_window_field\t%d\ns2c_min_window_field\t%d\n", minwin["c2s"], minwin["s2c"]
        }'
        echo
        echo "# tshark -q -z conv,tcp"
        ts -q -z conv,tcp | sed -n '/^=/,$p'
        echo
        echo "# tshark -q -z expert (counts per expert message)"
        ts -q -z expert | sed '/^$/d'
    } >"$out/facts-summary.txt"
}

write_readme() {
    local out=$1 cap_if cap_ns
    if [ "$C_CAPTURE" = server ]; then cap_if="the server's veth (10.77.0.2 side, behind the wire)"; else cap_if="the client's veth (10.77.0.1 side)"; fi
    {
        echo "# $CASE: $C_TITLE"
        echo
        echo "Real Linux kernel TCP, captured with tcpdump; generated by"
        echo "\`corpus/tools/make-kernel-captures.sh $CASE\` (run as root). Every fact below"
        echo "comes from tshark (see facts.tsv / facts-summary.txt)."
        echo
        echo "## What it pins down"
        echo
        echo "$C_DOC"
        echo
        echo "## Key facts (tshark, this capture)"
        echo
        printf '%s' "$KEYFACTS"
        echo "- capture: $(tcount frame) frames, $(stat -c %s "$out/capture.pcap") bytes, $(capinfos -M -c -u "$out/capture.pcap" 2>/dev/null | awk -F': *' '/Capture duration/ { print $2 }')"
        echo
        echo "## How it was made"
        echo
        echo "- kernel $(uname -r), tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{ print $3 }'), tshark $(tshark --version 2>/dev/null | head -1 | awk '{ print $3 }'); generated $(date -u +%Y-%m-%dT%H:%MZ) (attempt $ATTEMPT)."
        echo "- topology (corpus/tools/netns.sh): client namespace with one veth end"
        echo "  (10.77.0.1/24, fd00:77::1/64); server namespace with the other veth end on a"
        echo "  bridge (\"the wire\", where loss rules live) and a second veth pair to the"
        echo "  server's interface (10.77.0.2/24, fd00:77::2/64). MTU 1500."
        echo "- capture: tcpdump on $cap_if, snaplen $C_SNAPLEN, filter \`tcp\`, classic"
        echo "  pcap, Ethernet, microsecond timestamps (\`-U --immediate-mode\`)."
        if [ "$C_OFFLOADS" = off ]; then
            echo "- offloads: TSO, GSO, GRO and tx checksum offload OFF and gso_max_segs 1 on all"
            echo "  four veth ends: every frame is wire-sized and carries a correct checksum."
        else
            echo "- offloads: ON (TSO/GSO/GRO, tx checksum) on all veth ends, gso_max_segs default."
        fi
        if [ "$C_FAMILY" = vlan ]; then
            echo "- VLAN: mode \`$TN_VLAN_MODE\`. This kernel has no 802.1Q support"
            echo "  (CONFIG_VLAN_8021Q unset, no tc vlan action), so netns.sh made the veth link"
            echo "  a VID-10 trunk with a 5-instruction tc eBPF program on each IP end"
            echo "  (bpf_skb_vlan_push on egress, bpf_skb_vlan_pop on ingress) and put"
            echo "  10.77.10.1/24 and 10.77.10.2/24 on the veth ends. With 8021q available, real"
            echo "  VLAN sub-interfaces are used instead (mode \`subif\`). The kernel inserts the"
            echo "  tag; TCP is untouched."
        fi
        echo "- connection: client $C_ADDR -> server $S_ADDR port $PORT."
        echo
        echo "### Peers (tests/peer/tcpref-peer)"
        echo
        echo "Both byte streams are tcpref-peer's deterministic seed-1 streams (64-byte lines"
        echo "\"c2s 000000000000 <letters>\\n\" / \"s2c ...\"); every read is verified."
        echo
        echo '```'
        if [ -z "$C_NO_SERVER" ]; then
            echo "server ns: tcpref-peer server --listen $S_HOSTPORT --ready-file FILE $C_COMMON $C_SERVER"
        else
            echo "server ns: (no listener on port $PORT)"
        fi
        echo "client ns: tcpref-peer client --connect $S_HOSTPORT $C_COMMON $C_CLIENT"
        echo '```'
        echo
        echo "--cc cubic: Linux only lets a non-initial network namespace default to"
        echo "congestion controls listed in the host's tcp_allowed_congestion_control, so"
        echo "the namespaces default to reno and each socket selects cubic (TCP_CONGESTION)."
        echo
        echo "### Loss rules (nftables, bridge forward hook in the server namespace)"
        echo
        if [ -n "$C_LOSS" ]; then
            echo "Helper call: \`$C_LOSS\`. Ruleset with counters after the run"
            echo "(\"$TN_IF_W\" = frames from the client, \"$TN_IF_P\" = frames from the server):"
            echo
            echo '```'
            cat "$WORK/nft.txt"
            echo '```'
        else
            echo "None."
        fi
        echo
        echo "### Sysctls pinned in both namespaces"
        echo
        if [ ${#C_SYSCTL_C[@]} -gt 0 ] || [ ${#C_SYSCTL_S[@]} -gt 0 ]; then
            echo "Case overrides: client \`${C_SYSCTL_C[*]:-none}\`, server \`${C_SYSCTL_S[*]:-none}\`."
            echo
        fi
        echo "| sysctl | client | server |"
        echo "| --- | --- | --- |"
        paste -d'\t' "$WORK/sysctl-c.txt" "$WORK/sysctl-s.txt" |
            awk -F'\t' '{ split($1, a, " = "); split($2, b, " = "); printf "| %s | %s | %s |\n", a[1], a[2], b[2] }'
        if [ -n "$TN_SKIPPED_SYSCTLS" ]; then
            echo
            echo "Absent on this kernel (not pinned): $TN_SKIPPED_SYSCTLS"
        fi
        echo
        echo "## Files"
        echo
        echo "- capture.pcap: the capture."
        echo "- facts.tsv: one row per frame, tshark fields (header row names them):"
        echo "  \`tshark -r capture.pcap ${TSHARK_OPTS[*]} -d tcp.port==$PORT,data -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, -e ...\`."
        echo "  tcp.analysis.* flag columns hold 1 when tshark sets that expert flag."
        echo "- facts-summary.txt: per-direction counts computed from tshark fields, plus"
        echo "  tshark's conv,tcp and expert statistics."
    } >"$out/README.md"
}

# ===================================================================
# running one case
# ===================================================================
run_case_once() {
    local dir=$1 s_rc c_rc
    tn_setup || return 1
    tn_pin_tcp "$TN_NS_C" "${C_SYSCTL_C[@]}" || return 1
    tn_pin_tcp "$TN_NS_S" "${C_SYSCTL_S[@]}" || return 1
    tn_sysctl_report "$TN_NS_C" >"$WORK/sysctl-c.txt"
    tn_sysctl_report "$TN_NS_S" >"$WORK/sysctl-s.txt"
    tn_offloads "$C_OFFLOADS" || return 1
    case $C_FAMILY in
        ipv4) C_ADDR=$TN_IP4_C S_ADDR=$TN_IP4_S S_HOSTPORT="$TN_IP4_S:$PORT" ADDR_FIELD=ip.src ;;
        ipv6) C_ADDR=$TN_IP6_C S_ADDR=$TN_IP6_S S_HOSTPORT="[$TN_IP6_S]:$PORT" ADDR_FIELD=ipv6.src ;;
        vlan) tn_add_vlan 10 || return 1
              C_ADDR=$TN_VLAN_IP4_C S_ADDR=$TN_VLAN_IP4_S S_HOSTPORT="$TN_VLAN_IP4_S:$PORT" ADDR_FIELD=ip.src ;;
    esac
    if [ -n "$C_LOSS" ]; then eval "$C_LOSS" || return 1; fi
    local cap_ns=$TN_NS_C cap_if=$TN_IF_C
    [ "$C_CAPTURE" = server ] && cap_ns=$TN_NS_S cap_if=$TN_IF_S
    tn_capture_start "$cap_ns" "$cap_if" "$dir/capture.pcap" "$C_SNAPLEN" tcp || return 1
    local spid=
    if [ -z "$C_NO_SERVER" ]; then
        rm -f "$WORK/ready"
        # shellcheck disable=SC2086
        tn_bg "$TN_NS_S" "$PEER" server --listen "$S_HOSTPORT" --ready-file "$WORK/ready" \
            $C_COMMON $C_SERVER 2>"$WORK/server.log"
        spid=$TN_LAST_PID
        tn_wait_ready "$WORK/ready" "$spid" || { cat "$WORK/server.log" >&2; return 1; }
    fi
    # shellcheck disable=SC2086
    tn_exec "$TN_NS_C" "$PEER" client --connect "$S_HOSTPORT" $C_COMMON $C_CLIENT 2>"$WORK/client.log"
    c_rc=$?
    s_rc=0
    if [ -n "$spid" ]; then wait "$spid"; s_rc=$?; fi
    tn_wait_tcp_idle 30 || true
    tn_capture_stop || return 1
    tn_nft_report >"$WORK/nft.txt" 2>&1
    tn_teardown
    if [ "$c_rc" != "$C_CLIENT_RC" ] || [ "$s_rc" != "$C_SERVER_RC" ]; then
        echo "peer exit codes: client $c_rc, server $s_rc" >&2
        cat "$WORK/client.log" "$WORK/server.log" >&2 2>/dev/null
        FAIL_REASON="peer failed"
        return 1
    fi
    return 0
}

generate_case() {
    CASE=$1
    local fn=${CASE//-/_} out="$CORPUS/$CASE" tmp
    case_defaults
    "def_$fn"
    [ -n "$TRIES_OVERRIDE" ] && C_TRIES=$TRIES_OVERRIDE
    tmp="$WORK/$CASE"
    for ATTEMPT in $(seq 1 "$C_TRIES"); do
        rm -rf "$tmp"; mkdir -p "$tmp"
        say "$CASE: attempt $ATTEMPT/$C_TRIES"
        FAIL_REASON='' KEYFACTS=''
        if ! run_case_once "$tmp"; then
            tn_teardown
            say "$CASE: run failed: ${FAIL_REASON:-setup error}"
            continue
        fi
        CAP="$tmp/capture.pcap"
        if ! "verify_$fn"; then
            say "$CASE: verification failed: $FAIL_REASON"
            continue
        fi
        local size
        size=$(stat -c %s "$CAP")
        if [ "$size" -gt "$MAX_CAPTURE" ]; then
            say "$CASE: capture too large ($size bytes)"
            continue
        fi
        write_facts "$tmp"
        write_summary "$tmp"
        write_readme "$tmp"
        rm -f "$tmp/capture.pcap.tcpdump.log"
        rm -rf "$out"; mkdir -p "$out"
        cp "$tmp/capture.pcap" "$tmp/facts.tsv" "$tmp/facts-summary.txt" "$tmp/README.md" "$out/"
        say "$CASE: OK ($(tcount frame) frames, $size bytes)"
        printf '%s' "$KEYFACTS" | sed 's/^/   /' >&2
        return 0
    done
    say "$CASE: FAILED after $C_TRIES attempts"
    return 1
}

FAILED=()
for c in "${CASES[@]}"; do
    generate_case "$c" || FAILED+=("$c")
done
tn_teardown
if [ ${#FAILED[@]} -gt 0 ]; then
    die "failed cases: ${FAILED[*]}"
fi
say "all ${#CASES[@]} case(s) generated and verified"
