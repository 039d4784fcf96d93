# shellcheck shell=bash
# corpus/tools/netns.sh - sourceable bash library: a private two-namespace
# TCP test bed for tcpref (real kernel TCP, captured with tcpdump).
#
#   source corpus/tools/netns.sh
#   tn_setup                      # creates namespaces + links, installs cleanup trap
#   tn_pin_tcp "$TN_NS_C"; tn_pin_tcp "$TN_NS_S"
#   tn_offloads off
#   tn_capture_start "$TN_NS_C" "$TN_IF_C" out.pcap
#   ... run traffic with tn_exec "$TN_NS_S" ... / tn_exec "$TN_NS_C" ...
#   tn_capture_stop
#   tn_teardown                   # (also done by the trap on EXIT/INT/TERM)
#
# Topology (all of it inside namespaces created here; the host's interfaces,
# routes and firewall are never touched):
#
#   client ns $TN_NS_C                server ns $TN_NS_S
#   +------------------+     +------------------------------------------------+
#   | $TN_IF_C         |veth | $TN_IF_W   bridge $TN_BR   $TN_IF_P  veth $TN_IF_S |
#   | 10.77.0.1/24     |=====| (port) ---- "the wire" ---- (port) ===== 10.77.0.2/24 |
#   | fd00:77::1/64    |     |                                        fd00:77::2/64 |
#   +------------------+     +------------------------------------------------+
#
# The client's veth $TN_IF_C and the server's veth $TN_IF_S are in the same
# subnet; between them a bridge inside the server namespace plays "the wire".
# Loss rules are nftables rules in the bridge's forward hook (table
# "bridge tcpref"), so a dropped segment is lost silently for BOTH TCP stacks,
# like on a real network: the sender thinks it was transmitted, the receiver
# never sees it. (Dropping in the server's inet output hook instead would make
# the kernel see a local transmit error, which is not loss.)  A capture on
# $TN_IF_C (client side) shows client segments that were later lost and does
# not show server segments that were lost; a capture on $TN_IF_S (server
# side) is the mirror image.
#
# Only addresses 10.77.0.0/24, 10.77.<vid>.0/24 and fd00:77::/64 are used.
# Names contain the PID of the shell ($$) and a per-run counter.
#
# Functions (all fail loudly: message on stderr, non-zero status):
#   tn_setup                       create the test bed (sets TN_* variables)
#   tn_teardown                    kill processes we started, delete namespaces
#   tn_exec NS CMD...              run CMD inside namespace NS
#   tn_sysctl NS KEY=VALUE...      set sysctls inside NS (key must exist)
#   tn_pin_tcp NS [KEY=VALUE...]   pin the baseline TCP sysctls (TN_TCP_BASELINE)
#                                  plus overrides; absent keys of the baseline
#                                  are skipped (recorded in TN_SKIPPED_SYSCTLS)
#   tn_sysctl_report NS            print "key = value" for the baseline keys
#   tn_offloads on|off             TSO/GSO/GRO/tx-csum on all four veth ends;
#                                  "off" also sets gso_max_segs 1
#   tn_add_vlan [VID]              802.1Q link with 10.77.VID.1/24 <-> .2/24
#                                  (see the function for the fallback used when
#                                  the kernel has no 8021q support)
#   tn_nft RULE...                 add a rule to the wire's forward chain
#   tn_loss_random PCT DIR [MATCH] drop PCT % of TCP packets going DIR
#   tn_drop_syn K [SKIP]           drop client SYNs number SKIP+1..SKIP+K
#   tn_drop_synack K [SKIP]        same for the server's SYN-ACKs
#   tn_drop_fin DIR K              drop the first K FINs going DIR
#   tn_drop_payload DIR HEX K      drop the first K segments going DIR whose
#                                  payload starts with bytes HEX
#   tn_drop_stream_segment DIR OFF K [SEED]
#                                  drop (K times) the segment whose payload starts
#                                  at offset OFF of tcpref-peer's DIR stream
#   tn_drop_after_bytes DIR BYTES K
#                                  after BYTES bytes (IP length) of data segments
#                                  went DIR, drop the next K data segments
#   tn_nft_report                  print the wire's ruleset with counters
#   tn_capture_start NS IF FILE [SNAPLEN] [FILTER]
#                                  start tcpdump, return once it captures
#   tn_capture_stop                stop it, flushing the last packets; status 2
#                                  if the kernel dropped packets (TN_CAP_DROPPED)
#   tn_wait_ready FILE PID [SECS]  wait for a tcpref-peer --ready-file
#   tn_wait_tcp_idle [SECS]        wait until no socket in either namespace is
#                                  in a state other than LISTEN/TIME-WAIT
#   tn_bg NS CMD...                start CMD in NS in the background; its pid is
#                                  in TN_LAST_PID and killed by tn_teardown
#
# DIR is c2s (client -> server) or s2c (server -> client).
# Requirements: root, iproute2 (ip, tc, ss), nftables, ethtool, tcpdump,
# python3 (only for the VLAN fallback).

TN_IP4_C=10.77.0.1
TN_IP4_S=10.77.0.2
TN_IP6_C=fd00:77::1
TN_IP6_S=fd00:77::2
TN_SEQ=${TN_SEQ:-0}
TN_ALL_NS=()
TN_PIDS=()
TN_CAP_PID=
TN_CAP_LOG=
TN_SKIPPED_SYSCTLS=
TN_PEER=${TN_PEER:-}

tn_die() { echo "netns.sh: $*" >&2; return 1; }

tn_exec() {
    local ns=$1; shift
    ip netns exec "$ns" "$@"
}

# --------------------------------------------------------------- setup
tn_setup() {
    [ "$(id -u)" = 0 ] || { tn_die "must run as root"; return 1; }
    TN_SEQ=$((TN_SEQ + 1))
    local tag="$$-$TN_SEQ"
    TN_NS_C="tcpref-$tag-c"
    TN_NS_S="tcpref-$tag-s"
    TN_IF_C="tc$$c"    # client's veth end (10.77.0.1)
    TN_IF_W="tc$$w"    # its peer: bridge port in the server ns
    TN_IF_P="tc$$p"    # bridge port towards the server
    TN_IF_S="tc$$s"    # server's veth end (10.77.0.2)
    TN_BR="tc$$b"
    TN_VLAN_IF_C='' TN_VLAN_IF_S='' TN_VLAN_MODE=''
    tn_install_trap
    ip netns add "$TN_NS_C" || return 1
    TN_ALL_NS+=("$TN_NS_C")
    ip netns add "$TN_NS_S" || return 1
    TN_ALL_NS+=("$TN_NS_S")
    # links are created directly inside the namespaces
    ip link add "$TN_IF_C" netns "$TN_NS_C" type veth peer name "$TN_IF_W" netns "$TN_NS_S" || return 1
    ip link add "$TN_IF_P" netns "$TN_NS_S" type veth peer name "$TN_IF_S" netns "$TN_NS_S" || return 1
    local c="ip -n $TN_NS_C" s="ip -n $TN_NS_S"
    $c link set lo up && $s link set lo up || return 1
    $s link add "$TN_BR" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 || return 1
    $s link set "$TN_IF_W" master "$TN_BR" && $s link set "$TN_IF_P" master "$TN_BR" || return 1
    # plain bridge: no netfilter for bridged frames except our bridge table
    tn_sysctl "$TN_NS_S" net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
    # The bridge shares the server's IP stack: without arp_ignore=1 it would
    # answer ARP for 10.77.0.2 with its own MAC, the client would address
    # the bridge, and frames would be delivered locally instead of being
    # forwarded over the wire to $TN_IF_S (bypassing the loss rules).
    tn_sysctl "$TN_NS_S" net.ipv4.conf.all.arp_ignore=1 "net.ipv4.conf.$TN_BR.arp_ignore=1" || return 1
    # no IPv6 on the wire ports and the bridge (no MLD/RS noise from them)
    tn_sysctl "$TN_NS_S" "net.ipv6.conf.$TN_BR.disable_ipv6=1" "net.ipv6.conf.$TN_IF_W.disable_ipv6=1" \
        "net.ipv6.conf.$TN_IF_P.disable_ipv6=1" || return 1
    $c addr add "$TN_IP4_C/24" dev "$TN_IF_C" || return 1
    $s addr add "$TN_IP4_S/24" dev "$TN_IF_S" || return 1
    $c -6 addr add "$TN_IP6_C/64" dev "$TN_IF_C" nodad || return 1
    $s -6 addr add "$TN_IP6_S/64" dev "$TN_IF_S" nodad || return 1
    local l
    for l in "$TN_IF_W" "$TN_IF_P" "$TN_IF_S" "$TN_BR"; do $s link set "$l" up || return 1; done
    $c link set "$TN_IF_C" up || return 1
    # the wire's firewall table (empty chain = no loss)
    tn_exec "$TN_NS_S" nft -f - <<EOF || return 1
table bridge tcpref {
    chain wire {
        type filter hook forward priority 0; policy accept;
    }
}
EOF
    return 0
}

tn_install_trap() {
    [ -n "${TN_TRAP_INSTALLED:-}" ] && return 0
    TN_TRAP_INSTALLED=1
    trap 'tn_teardown' EXIT
    trap 'tn_teardown; trap - EXIT; exit 130' INT
    trap 'tn_teardown; trap - EXIT; exit 143' TERM
}

tn_teardown() {
    local p ns
    if [ -n "${TN_CAP_PID:-}" ]; then
        kill -INT "$TN_CAP_PID" 2>/dev/null
        wait "$TN_CAP_PID" 2>/dev/null
        TN_CAP_PID=
    fi
    for p in "${TN_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${TN_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    TN_PIDS=()
    for ns in "${TN_ALL_NS[@]}"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        # anything still living in a namespace we created was started by us
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$p" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    TN_ALL_NS=()
    return 0
}

# start a command in a namespace in the background; pid -> TN_LAST_PID
tn_bg() {
    local ns=$1; shift
    ip netns exec "$ns" "$@" &
    TN_LAST_PID=$!
    TN_PIDS+=("$TN_LAST_PID")
}

# --------------------------------------------------------------- sysctls
tn_sysctl() {
    local ns=$1 kv; shift
    for kv in "$@"; do
        tn_exec "$ns" sysctl -q -w "$kv" >/dev/null || { tn_die "sysctl $kv failed in $ns"; return 1; }
    done
}

# Baseline pinned in both namespaces of every case (kernel defaults where they
# are sane, deterministic choices otherwise). Keys absent on the running
# kernel are skipped and listed in TN_SKIPPED_SYSCTLS.
TN_TCP_BASELINE=(
    "net.ipv4.tcp_congestion_control=reno"
    "net.ipv4.tcp_timestamps=1"
    "net.ipv4.tcp_sack=1"
    "net.ipv4.tcp_dsack=1"
    "net.ipv4.tcp_window_scaling=1"
    "net.ipv4.tcp_ecn=0"
    "net.ipv4.tcp_early_retrans=3"
    "net.ipv4.tcp_recovery=1"
    "net.ipv4.tcp_frto=2"
    "net.ipv4.tcp_reordering=3"
    "net.ipv4.tcp_retrans_collapse=1"
    "net.ipv4.tcp_rmem=4096 131072 6291456"
    "net.ipv4.tcp_wmem=4096 16384 4194304"
    "net.ipv4.tcp_moderate_rcvbuf=1"
    "net.ipv4.tcp_adv_win_scale=1"
    "net.ipv4.tcp_syn_retries=6"
    "net.ipv4.tcp_synack_retries=5"
    "net.ipv4.tcp_syn_linear_timeouts=0"
    "net.ipv4.tcp_retries1=3"
    "net.ipv4.tcp_retries2=15"
    "net.ipv4.tcp_orphan_retries=0"
    "net.ipv4.tcp_fin_timeout=60"
    "net.ipv4.tcp_keepalive_time=7200"
    "net.ipv4.tcp_keepalive_intvl=75"
    "net.ipv4.tcp_keepalive_probes=9"
    "net.ipv4.tcp_rto_min_us=200000"
    "net.ipv4.tcp_rto_max_ms=120000"
    "net.ipv4.tcp_thin_linear_timeouts=0"
    "net.ipv4.tcp_no_metrics_save=1"
    "net.ipv4.tcp_fastopen=0"
    "net.ipv4.tcp_mtu_probing=0"
    "net.ipv4.tcp_slow_start_after_idle=1"
    "net.ipv4.tcp_autocorking=0"
    "net.ipv4.tcp_tso_win_divisor=3"
    "net.ipv4.tcp_min_tso_segs=2"
    "net.ipv4.tcp_syncookies=1"
    "net.ipv4.tcp_tw_reuse=2"
    "net.ipv4.tcp_rfc1337=0"
    "net.ipv4.tcp_shrink_window=0"
    "net.ipv4.tcp_plb_enabled=0"
    "net.ipv4.tcp_comp_sack_nr=44"
    "net.ipv4.tcp_ecn_fallback=1"
    "net.ipv4.tcp_invalid_ratelimit=500"
    "net.ipv4.tcp_challenge_ack_limit=2147483647"
)

tn_pin_tcp() {
    local ns=$1 kv key skipped=; shift
    for kv in "${TN_TCP_BASELINE[@]}"; do
        key=${kv%%=*}
        if ! tn_exec "$ns" test -e "/proc/sys/${key//.//}"; then
            skipped+="$key "
            continue
        fi
        tn_sysctl "$ns" "$kv" || return 1
    done
    TN_SKIPPED_SYSCTLS=$skipped
    [ $# -gt 0 ] && { tn_sysctl "$ns" "$@" || return 1; }
    return 0
}

# print the effective values of the baseline keys (and extra keys given)
tn_sysctl_report() {
    local ns=$1 kv key; shift
    for kv in "${TN_TCP_BASELINE[@]}" "$@"; do
        key=${kv%%=*}
        tn_exec "$ns" test -e "/proc/sys/${key//.//}" || continue
        printf '%s = %s\n' "$key" "$(tn_exec "$ns" cat "/proc/sys/${key//.//}" | tr '\t' ' ')"
    done
}

# --------------------------------------------------------------- offloads
# "off": no TSO/GSO/GRO and no tx checksum offload (so captured checksums are
# complete) on all four veth ends, plus gso_max_segs 1: every skb TCP builds
# is one MSS-sized segment, and captures show wire-sized frames.
# "on": everything the veth driver offers, so super-segments appear.
tn_offloads() {
    local mode=$1 ns dev pair
    for pair in "$TN_NS_C:$TN_IF_C" "$TN_NS_S:$TN_IF_W" "$TN_NS_S:$TN_IF_P" "$TN_NS_S:$TN_IF_S"; do
        ns=${pair%%:*} dev=${pair#*:}
        if [ "$mode" = off ]; then
            tn_exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null 2>&1 ||
                { tn_die "ethtool -K $dev off failed"; return 1; }
            ip -n "$ns" link set dev "$dev" gso_max_segs 1 || return 1
        elif [ "$mode" = on ]; then
            tn_exec "$ns" ethtool -K "$dev" tx on sg on tso on gso on gro on >/dev/null 2>&1 ||
                { tn_die "ethtool -K $dev on failed"; return 1; }
        else
            tn_die "tn_offloads: want on or off"; return 1
        fi
    done
}

# --------------------------------------------------------------- VLAN
# tn_add_vlan [VID]: an 802.1Q tagged link 10.77.VID.1/24 <-> 10.77.VID.2/24.
# With 8021q support: VLAN sub-interfaces $TN_IF_C.VID / $TN_IF_S.VID on the
# veth ends (the bridge forwards tagged frames untouched); a capture on
# $TN_IF_C shows the tags.  Without it (CONFIG_VLAN_8021Q unset, no
# act_vlan): the whole veth link is made a VLAN trunk with a tiny tc eBPF
# program on each IP end ($TN_IF_C and $TN_IF_S): bpf_skb_vlan_push(0x8100,
# VID) on egress and bpf_skb_vlan_pop() on ingress, and the 10.77.VID.x
# addresses go on the veth ends themselves.  Either way the frames on the
# wire (and in a capture on $TN_IF_C) carry the 802.1Q tag, and TCP is the
# kernel's.  TN_VLAN_MODE tells which was used (subif|tc-bpf);
# TN_VLAN_IF_C/_S name the interfaces holding the addresses.
TN_BPF_VLAN_PY='
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_bpf = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
mode, vid, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)
MOV64_IMM, CALL, EXIT = 0xb7, 0x85, 0x95
if mode == "push":   # r2 = htons(ETH_P_8021Q), r3 = vid, call bpf_skb_vlan_push (18)
    prog = insn(MOV64_IMM, 2, imm=0x0081) + insn(MOV64_IMM, 3, imm=vid) + insn(CALL, imm=18)
else:                # call bpf_skb_vlan_pop (19)
    prog = insn(CALL, imm=19)
prog += insn(MOV64_IMM, 0, imm=0) + insn(EXIT)   # return TC_ACT_OK
code = ctypes.create_string_buffer(prog, len(prog))
lic = ctypes.create_string_buffer(b"GPL")
log = ctypes.create_string_buffer(65536)
attr = ctypes.create_string_buffer(128)
# BPF_PROG_LOAD: prog_type SCHED_CLS (3), insn_cnt, insns, license, log_level, log_size, log_buf
struct.pack_into("<IIQQIIQ", attr, 0, 3, len(prog) // 8, ctypes.addressof(code),
                 ctypes.addressof(lic), 1, len(log), ctypes.addressof(log))
fd = libc.syscall(SYS_bpf, 5, attr, 128)
if fd < 0:
    sys.exit("BPF_PROG_LOAD: %s %s" % (os.strerror(ctypes.get_errno()), log.value.decode()))
p = ctypes.create_string_buffer(path.encode())
attr = ctypes.create_string_buffer(128)
struct.pack_into("<QI", attr, 0, ctypes.addressof(p), fd)   # BPF_OBJ_PIN
if libc.syscall(SYS_bpf, 6, attr, 128) < 0:
    sys.exit("BPF_OBJ_PIN: " + os.strerror(ctypes.get_errno()))
'

tn_add_vlan() {
    local vid=${1:-10}
    TN_VLAN_IP4_C="10.77.$vid.1" TN_VLAN_IP4_S="10.77.$vid.2"
    if ip -n "$TN_NS_C" link add link "$TN_IF_C" name "$TN_IF_C.$vid" type vlan id "$vid" 2>/dev/null; then
        ip -n "$TN_NS_S" link add link "$TN_IF_S" name "$TN_IF_S.$vid" type vlan id "$vid" || return 1
        TN_VLAN_MODE=subif TN_VLAN_IF_C="$TN_IF_C.$vid" TN_VLAN_IF_S="$TN_IF_S.$vid"
        ip -n "$TN_NS_C" link set "$TN_VLAN_IF_C" up && ip -n "$TN_NS_S" link set "$TN_VLAN_IF_S" up || return 1
    else
        TN_VLAN_MODE=tc-bpf TN_VLAN_IF_C="$TN_IF_C" TN_VLAN_IF_S="$TN_IF_S"
        local pair ns dev
        for pair in "$TN_NS_C:$TN_IF_C" "$TN_NS_S:$TN_IF_S"; do
            ns=${pair%%:*} dev=${pair#*:}
            # ip netns exec gives the command a private mount namespace: the
            # bpffs mounted here disappears with it (tc keeps the programs).
            tn_exec "$ns" bash -c '
                set -e
                mount -t bpf bpf /sys/fs/bpf
                python3 -c "$1" push "$2" /sys/fs/bpf/tcpref_vlan_push
                python3 -c "$1" pop "$2" /sys/fs/bpf/tcpref_vlan_pop
                tc qdisc add dev "$3" clsact
                tc filter add dev "$3" egress bpf da pinned /sys/fs/bpf/tcpref_vlan_push
                tc filter add dev "$3" ingress bpf da pinned /sys/fs/bpf/tcpref_vlan_pop
            ' _ "$TN_BPF_VLAN_PY" "$vid" "$dev" || { tn_die "VLAN tc-bpf setup failed on $dev"; return 1; }
        done
    fi
    ip -n "$TN_NS_C" addr add "$TN_VLAN_IP4_C/24" dev "$TN_VLAN_IF_C" || return 1
    ip -n "$TN_NS_S" addr add "$TN_VLAN_IP4_S/24" dev "$TN_VLAN_IF_S" || return 1
}

# --------------------------------------------------------------- loss (nft)
# Rules go into "table bridge tcpref", chain "wire" (forward hook of the
# bridge in the server namespace). DIR selects the ingress port.
tn__dir_match() {
    case $1 in
        c2s) echo "iifname \"$TN_IF_W\"" ;;
        s2c) echo "iifname \"$TN_IF_P\"" ;;
        both) echo "" ;;
        *) tn_die "direction must be c2s, s2c or both, not '$1'"; return 1 ;;
    esac
}

tn_nft() {
    tn_exec "$TN_NS_S" nft add rule bridge tcpref wire "$@" || { tn_die "nft rule failed: $*"; return 1; }
}

tn_nft_report() {
    tn_exec "$TN_NS_S" nft list table bridge tcpref
}

# tn_loss_random PERCENT DIR [EXTRA_MATCH]: PERCENT may have decimals (2, 0.5)
tn_loss_random() {
    local pct=$1 dir=$2 extra=${3:-} m
    m=$(tn__dir_match "$dir") || return 1
    local per100k
    per100k=$(awk -v p="$pct" 'BEGIN { printf "%d", p * 1000 + 0.5 }')
    # shellcheck disable=SC2086
    tn_nft $m meta l4proto tcp $extra numgen random mod 100000 "<" "$per100k" counter drop
}

# tn_drop_syn K [SKIP]: let SKIP client SYNs through, drop the next K
tn_drop_syn() {
    local k=$1 skip=${2:-0}
    tn_nft "$(tn__dir_match c2s)" tcp flags "&" "(syn|ack)" == syn \
        numgen inc mod 1000000 "$skip-$((skip + k - 1))" counter drop
}

# tn_drop_synack K [SKIP]: same for the server's SYN-ACKs
tn_drop_synack() {
    local k=$1 skip=${2:-0}
    tn_nft "$(tn__dir_match s2c)" tcp flags "&" "(syn|ack)" == "syn|ack" \
        numgen inc mod 1000000 "$skip-$((skip + k - 1))" counter drop
}

tn_drop_fin() {
    local m
    m=$(tn__dir_match "$1") || return 1
    # shellcheck disable=SC2086
    tn_nft $m tcp flags "&" fin == fin numgen inc mod 1000000 "<" "$2" counter drop
}

# tn_drop_payload DIR HEX K: HEX = first payload bytes (up to 16 bytes).
# @ih is the start of the TCP payload, whatever the TCP header length.
tn_drop_payload() {
    local dir=$1 hex=$2 k=$3 m
    m=$(tn__dir_match "$dir") || return 1
    local bits=$(( ${#hex} * 4 ))
    # shellcheck disable=SC2086
    tn_nft $m meta l4proto tcp @ih,0,$bits "0x$hex" numgen inc mod 1000000 "<" "$k" counter drop
}

# tn_drop_stream_segment DIR OFFSET K [SEED]: needs TN_PEER (tcpref-peer)
tn_drop_stream_segment() {
    local dir=$1 off=$2 k=$3 seed=${4:-1} hex
    [ -x "$TN_PEER" ] || { tn_die "TN_PEER must point to the tcpref-peer binary"; return 1; }
    hex=$("$TN_PEER" gen --dir "$dir" --offset "$off" --length 16 --seed "$seed" --hex) || return 1
    tn_drop_payload "$dir" "$hex" "$k"
}

# tn_drop_after_bytes DIR BYTES K: counts IP bytes of data-carrying segments
# (IP length > 100, i.e. more than ~40 payload bytes); approximate by nature.
tn_drop_after_bytes() {
    local dir=$1 bytes=$2 k=$3 m
    m=$(tn__dir_match "$dir") || return 1
    # shellcheck disable=SC2086
    tn_nft $m ip length ">" 100 quota over "$bytes" bytes numgen inc mod 1000000 "<" "$k" counter drop &&
    tn_nft $m ip6 length ">" 80 quota over "$bytes" bytes numgen inc mod 1000000 "<" "$k" counter drop
}

# --------------------------------------------------------------- capture
# tn_capture_start NS IF FILE [SNAPLEN] [FILTER]
# Classic pcap, microsecond timestamps, packet-buffered (-U) and immediate
# mode, so nothing waits in a half-full buffer. The kernel buffer is 64 MiB
# (TN_CAP_BUFFER_KIB overrides), not libpcap's 2 MiB: a veth with TSO/GRO
# carries up to 64 KiB per frame, so 2 MiB holds only ~30 of them, and a
# bulk transfer on a busy machine overran it (CI, 37 frames dropped).
# Returns once tcpdump reports that it is listening (the filter is attached
# by then).
tn_capture_start() {
    local ns=$1 dev=$2 file=$3 snap=${4:-262144} filter=${5:-tcp}
    local kib=${TN_CAP_BUFFER_KIB:-65536}
    [ -z "${TN_CAP_PID:-}" ] || { tn_die "a capture is already running"; return 1; }
    TN_CAP_LOG="$file.tcpdump.log"
    : >"$TN_CAP_LOG"
    # shellcheck disable=SC2086
    ip netns exec "$ns" tcpdump -n -i "$dev" -s "$snap" -B "$kib" -U --immediate-mode \
        --time-stamp-precision=micro -w "$file" $filter 2>"$TN_CAP_LOG" &
    TN_CAP_PID=$!
    local i
    for i in $(seq 1 200); do
        grep -q "listening on" "$TN_CAP_LOG" && return 0
        kill -0 "$TN_CAP_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$TN_CAP_LOG" >&2
    tn_die "tcpdump did not start on $dev in $ns"
    return 1
}

# tn_capture_stop: give in-flight packets a moment, SIGINT, wait; fails
# (status 2, TN_CAP_DROPPED set) if the kernel dropped packets, so that a
# caller can tell an overrun capture, worth recording again, from a failure.
tn_capture_stop() {
    [ -n "${TN_CAP_PID:-}" ] || return 0
    sleep 0.3
    kill -INT "$TN_CAP_PID" 2>/dev/null
    wait "$TN_CAP_PID" 2>/dev/null
    TN_CAP_PID=
    TN_CAP_DROPPED=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$TN_CAP_LOG")
    if [ -n "$TN_CAP_DROPPED" ] && [ "$TN_CAP_DROPPED" != 0 ]; then
        tn_die "tcpdump: $TN_CAP_DROPPED packets dropped by kernel"
        return 2
    fi
    return 0
}

# --------------------------------------------------------------- waiting
# tn_wait_ready FILE PID [SECS]: wait for tcpref-peer's --ready-file
tn_wait_ready() {
    local file=$1 pid=$2 secs=${3:-10}
    for _ in $(seq 1 $((secs * 50))); do
        [ -s "$file" ] && return 0
        kill -0 "$pid" 2>/dev/null || { tn_die "server exited before it was ready"; return 1; }
        sleep 0.02
    done
    tn_die "server not ready after ${secs}s"
}

# tn_wait_tcp_idle [SECS]: wait until the kernel has finished with every
# connection (only LISTEN / TIME-WAIT sockets remain in both namespaces).
tn_wait_tcp_idle() {
    local secs=${1:-20} busy ns
    for _ in $(seq 1 $((secs * 10))); do
        busy=
        for ns in "$TN_NS_C" "$TN_NS_S"; do
            if tn_exec "$ns" ss -Htan | awk '$1 != "LISTEN" && $1 != "TIME-WAIT" { f = 1 } END { exit !f }'; then
                busy=1
            fi
        done
        [ -z "$busy" ] && return 0
        sleep 0.1
    done
    echo "netns.sh: connections still busy after ${secs}s:" >&2
    for ns in "$TN_NS_C" "$TN_NS_S"; do tn_exec "$ns" ss -tan >&2; done
    return 1
}
