#!/usr/bin/python3
"""corpus vs tshark: tcpref's JSON report of every corpus/kernel-*/capture.pcap
compared with values computed by tshark, run live on the same file (see
oracle.py), and with end states reasoned from RFC 9293.

usage: corpus_vs_tshark.py TCPREF REPO_ROOT
"""
import glob
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
from oracle import RST  # noqa: E402

# Expected failures: assertion key -> the tcpref bug behind it (see
# README.md). Each prints a warning; each must still fail (strict).
KNOWN_BUGS = {
}

# Final state sequences reasoned from RFC 9293 §3.3.2 (figure 5) and §3.6,
# for the cases whose README describes the close. Every endpoint starts
# CLOSED (client, before its active OPEN) or LISTEN (server, passive OPEN,
# assumed before the capture).
OPEN_C = ["CLOSED", "SYN-SENT", "ESTABLISHED"]
OPEN_S = ["LISTEN", "SYN-RECEIVED", "ESTABLISHED"]
# The side that sends the first FIN does the active close: FIN-WAIT-1, then
# FIN-WAIT-2 on the ACK of its FIN, then TIME-WAIT on the peer's FIN (it
# stays there 2 MSL, longer than any capture here). The other side: CLOSE-WAIT
# on the FIN, LAST-ACK when it closes, CLOSED on the ACK of its FIN.
ACTIVE = ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]
PASSIVE = ["CLOSE-WAIT", "LAST-ACK", "CLOSED"]
STATES = {
    "kernel-clean-reqresp": (OPEN_C + ACTIVE, OPEN_S + PASSIVE),   # client closes first
    "kernel-ipv6": (OPEN_C + ACTIVE, OPEN_S + PASSIVE),
    "kernel-vlan": (OPEN_C + ACTIVE, OPEN_S + PASSIVE),
    "kernel-half-close": (OPEN_C + ACTIVE, OPEN_S + PASSIVE),      # FIN closes one direction
    "kernel-server-close": (OPEN_C + PASSIVE, OPEN_S + ACTIVE),    # server closes first
    # Client FIN (frame 8) lost; the server's FIN (frame 9) does not ACK it:
    # client FIN-WAIT-1 -> CLOSING on that FIN -> TIME-WAIT on the ACK of its
    # retransmitted FIN. Server FIN-WAIT-1 -> FIN-WAIT-2 (the client's ACK,
    # frame 10, covers its FIN) -> TIME-WAIT on the retransmitted client FIN.
    "kernel-simultaneous-close": (OPEN_C + ["FIN-WAIT-1", "CLOSING", "TIME-WAIT"],
                                  OPEN_S + ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]),
    # RFC 9293 §3.10.4 ABORT: the client sends RST and enters CLOSED; §3.10.7.4
    # (ESTABLISHED, RST bit set): the server enters CLOSED.
    "kernel-rst-abort": (OPEN_C + ["CLOSED"], OPEN_S + ["CLOSED"]),
    # §3.10.7.3 SYN-SENT, acceptable ACK with RST: CLOSED. The server port has
    # no listener: CLOSED all along (§3.10.7.1 answers the SYN with RST).
    "kernel-refused": (["CLOSED", "SYN-SENT", "CLOSED"], ["CLOSED"]),
}


def expected_end(s):
    """end.how from tshark's frames (definitions in analyzer/conn.h)."""
    if s.refused():
        return "refused"
    if any(f.flags & RST for f in s.frames):
        return "reset"
    fins = [d for d in s.dirs.values() if d.fin]
    return {2: "fin", 1: "half-close"}.get(len(fins), "open")


def check_endpoint(res, where, ep, d, s):
    """One endpoint against what tshark saw it send."""
    k = res.key
    for name, want in (("packets", d.packets), ("bytes", d.bytes), ("pure_acks", d.pure_acks),
                       ("syn", d.syn), ("fin", d.fin), ("rst", d.rst)):
        res.eq(k(where, name), want, ep["sent"][name])
    got = ep["sent"]["retransmitted_segments"] + ep["sent"]["out_of_order"]
    res.eq(k(where, "resent"), d.resent, got,
           "segments re-sending seen sequence space (retransmitted_segments + out_of_order)")
    opts = d.syn_options()
    if opts is None:
        return
    res.check(d.syn_options_agree(), res.key(where, "syn-copies-agree"),
              "oracle: its SYN copies (frames %s) offer different options"
              % [f.number for f in d.syn_frames])
    for name, want in opts.items():
        res.eq(k(where, name), want, ep[name], "offered in its SYN (frame %d)" % d.syn_frame.number)


def check_timeline(res, where, ep, s, me):
    """States are entered in frame order, and the 'rcv FIN' transition is
    dated to the FIN copy the endpoint received (Stream.fin_receipt)."""
    frames = [t["frame"] for t in ep["timeline"] if t["frame"] is not None]
    res.check(frames == sorted(frames), res.key(where, "timeline-in-order"),
              "states entered out of frame order: %s"
              % [(t["state"], t["frame"]) for t in ep["timeline"]])
    for t in ep["timeline"]:
        if t["cause"] == "rcv FIN":
            res.eq(res.key(where, "rcv-FIN-frame"), s.fin_receipt(me)[0], t["frame"],
                   "frame of the FIN copy it received (%s)" % t["state"])


def check_states(res, case, where, c):
    want = STATES.get(case)
    if not want:
        return
    for ep, seq in zip(c["endpoints"], want):
        got = [t["state"] for t in ep["timeline"]]
        res.eq(res.key(where, ep["role"], "state-sequence"), seq, got, "RFC 9293 state sequence")
        res.eq(res.key(where, ep["role"], "final-state"), seq[-1], ep["state"])


def check_conn(res, case, c, s):
    where = res.key(case, "conn%d" % c["id"])
    k = res.key
    client, server = s.client(), s.server()
    res.eq(k(where, "roles"), "known", c["roles"])
    keys = [oracle.endpoint_key(e) for e in c["endpoints"]]
    res.eq(k(where, "client"), client, keys[0], "client address/port (sender of the SYN)")
    res.eq(k(where, "server"), server, keys[1], "server address/port")
    for ep in c["endpoints"]:
        me = oracle.endpoint_key(ep)
        if me not in s.dirs:
            continue
        check_endpoint(res, k(where, ep["role"]), ep, s.dirs[me], s)
        check_timeline(res, k(where, ep["role"]), ep, s, me)
    bad = [f for f in c["findings"] if f["class"] == "protocol" and f["severity"] in ("warning", "error")]
    res.check(not bad, k(where, "no-protocol-findings"),
              "the Linux kernel is healthy, yet: %s"
              % ["%s %s frame %s: %s" % (f["severity"], f["rule"], f["frame"], f["message"]) for f in bad])
    res.eq(k(where, "end"), expected_end(s), c["end"]["how"])
    how = c["end"]["how"]
    if how in ("reset", "refused"):
        rst = next(f for f in s.frames if f.flags & RST)
        by = "client" if rst.src() == client else "server"
        res.eq(k(where, "end-by"), by, c["end"]["by"], "sender of the RST (frame %d)" % rst.number)
        res.eq(k(where, "end-frame"), rst.number, c["end"]["frame"])
    check_states(res, case, where, c)


# The corpus README of these cases states the end (brief: 'reset' for
# kernel-rst-abort, 'refused' for kernel-refused, 'fin' when both sent FIN).
CASE_END = {"kernel-rst-abort": ("reset", "client", "ESTABLISHED"),
            "kernel-refused": ("refused", "server", "CLOSED")}


def check_case_end(res, case, c):
    want = CASE_END.get(case)
    if not want:
        return
    where = res.key(case, "conn%d" % c["id"])
    res.eq(res.key(where, "end-how"), want[0], c["end"]["how"])
    res.eq(res.key(where, "end-by-role"), want[1], c["end"]["by"])
    # The state the side that sent the RST was in: ESTABLISHED for the ABORT
    # (§3.10.4), CLOSED for the refusing port (§3.10.7.1).
    res.eq(res.key(where, "end-state"), want[2], c["end"]["state"])


def summary_counts(path):
    """Per-direction counts of the committed facts-summary.txt (tshark at
    generation time), to check the live oracle computes the same thing."""
    out = {}
    with open(path) as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and not line.startswith("#"):
                out[parts[0]] = parts[1]
    return out


def check_facts_summary(res, case, path, strs):
    """The live tshark oracle and the committed facts agree (same capture,
    same counting). Packets, bytes, FIN, RST and the data-only re-sent
    segment count, summed over streams."""
    if not os.path.exists(path):
        return
    fs = summary_counts(path)
    res.eq(res.key(case, "facts-summary", "tcp_streams"), int(fs["tcp_streams"]), len(strs))
    clients = {s.client() for s in strs}
    tot = {}
    for s in strs:
        for key, d in s.dirs.items():
            side = "c2s" if key in clients else "s2c"
            for n, v in (("packets", d.packets), ("payload_bytes", d.bytes),
                         ("fin", d.fin), ("rst", d.rst),
                         ("resent_segments_seq_based", d.resent_data)):
                tot[side + "_" + n] = tot.get(side + "_" + n, 0) + v
    for n, v in sorted(tot.items()):
        res.eq(res.key(case, "facts-summary", n), int(fs[n]), v, "live tshark vs committed facts")


def analyze_case(args):
    tcpref, case_dir = args
    cap = os.path.join(case_dir, "capture.pcap")
    frames, trc, terr = oracle.tshark(cap)
    r = oracle.run([tcpref, "analyze", "-f", "json", cap])
    return case_dir, frames, trc, terr, r


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tcpref, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    oracle.need_binary(tcpref)
    oracle.need_tshark()
    cases = sorted(glob.glob(os.path.join(root, "corpus", "kernel-*", "capture.pcap")))
    if not cases:
        oracle.skip("no corpus/kernel-*/capture.pcap under %s" % root)
    res = oracle.Results("corpus vs tshark", KNOWN_BUGS)
    nconn = 0
    for case_dir, frames, trc, terr, r in oracle.parallel_map(
            analyze_case, [(tcpref, os.path.dirname(c)) for c in cases]):
        case = os.path.basename(case_dir)
        if trc != 0:
            res.fail(res.key(case, "tshark"), "tshark failed: %s" % terr.strip())
            continue
        if not res.check(r.rc == 0 and not r.crashed(), res.key(case, "exit"), r.describe()):
            continue
        rep = r.json()
        strs = oracle.streams(frames)
        check_facts_summary(res, case, os.path.join(case_dir, "facts-summary.txt"), strs)
        res.eq(res.key(case, "connections"), len(strs), len(rep["connections"]),
               "connections (tshark tcp.stream count)")
        for c, s in oracle.match_connections(res, case, rep["connections"], strs):
            nconn += 1
            check_conn(res, case, c, s)
            check_case_end(res, case, c)
    return res.finish("%d captures, %d connections" % (len(cases), nconn))


if __name__ == "__main__":
    sys.exit(main())
