#!/usr/bin/python3
"""cli commands: the commands run, fail the documented way on bad input, and
'tcpref sockets' shows the states RFC 9293 gives at times taken from tshark.

usage: cli_commands.py TCPREF REPO_ROOT
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
from oracle import ACK, FIN, SYN  # noqa: E402

# Expected failures (see README.md): assertion key -> the tcpref bug.
KNOWN_BUGS = {
}

CLEAN = "corpus/kernel-clean-reqresp/capture.pcap"


def test_analyze_text_report_is_not_empty(res, tcpref, root):
    r = oracle.run([tcpref, "analyze", "-f", "text", os.path.join(root, CLEAN)])
    res.check(r.rc == 0 and r.out.strip() != "", "analyze-text", r.describe())


def test_rules_text_catalog_is_not_empty(res, tcpref, root):
    r = oracle.run([tcpref, "rules"])
    res.check(r.rc == 0 and r.out.strip() != "", "rules-text", r.describe())


def test_rules_json_catalog_parses(res, tcpref, root):
    r = oracle.run([tcpref, "rules", "--format", "json"])
    try:
        rules = json.loads(r.out)
    except ValueError as e:
        res.fail("rules-json", "does not parse (%s): %s" % (e, r.describe()))
        return
    res.check(r.rc == 0 and len(rules) > 0, "rules-json", "empty catalog: " + r.describe())


def test_analyze_without_file_is_a_usage_error(res, tcpref, root):
    r = oracle.run([tcpref, "analyze"])
    res.check(r.rc == 2 and r.err.strip() != "", "analyze-no-file",
              "expected exit 2 with a message on stderr: " + r.describe())


def test_analyze_missing_file_names_it(res, tcpref, root):
    r = oracle.run([tcpref, "analyze", "/nonexistent"])
    res.check(r.rc == 2 and "/nonexistent" in r.err, "analyze-nonexistent",
              "expected exit 2 and the path on stderr: " + r.describe())


def sockets_at(res, tcpref, cap, at, key):
    """{role: state} of the connection's endpoints in 'tcpref sockets -a'."""
    r = oracle.run([tcpref, "sockets", cap, "--at", "%.6f" % at, "-a", "-f", "json"])
    if not res.check(r.rc == 0 and not r.crashed(), key + "/exit", r.describe()):
        return {}
    return {s["role"]: s["state"] for s in r.json()["sockets"] if s["connection"] is not None}


def one_stream(res, root, case):
    frames, rc, err = oracle.tshark(os.path.join(root, "corpus", case, "capture.pcap"))
    strs = oracle.streams(frames)
    if rc != 0 or len(strs) != 1:
        res.fail("tshark/" + case, "expected one tcp.stream: %s" % err)
        return None
    return strs[0]


def test_sockets_established_then_time_wait(res, tcpref, root):
    """kernel-clean-reqresp: both ends ESTABLISHED between the handshake's
    third segment and the first FIN (RFC 9293 §3.5); at the last frame the
    active closer (sender of the first FIN) is in TIME-WAIT (§3.6: it waits
    2 MSL) and the passive closer, its FIN acknowledged, CLOSED."""
    s = one_stream(res, root, "kernel-clean-reqresp")
    if s is None:
        return
    cap = os.path.join(root, CLEAN)
    client = s.client()
    server = s.server()
    isn_s = s.dirs[server].syn_frame.seq
    third = next(f for f in s.frames
                 if f.src() == client and f.flags & (SYN | ACK) == ACK and f.ack == (isn_s + 1) & 0xFFFFFFFF)
    fin1 = next(f for f in s.frames if f.flags & FIN)
    at = (third.time + fin1.time) / 2
    got = sockets_at(res, tcpref, cap, at, "sockets/established")
    res.eq("sockets/established", {"client": "ESTABLISHED", "server": "ESTABLISHED"}, got,
           "at %.6f s, between frame %d (handshake ACK) and frame %d (first FIN)"
           % (at, third.number, fin1.number))
    closer = "client" if fin1.src() == client else "server"
    other = "server" if closer == "client" else "client"
    got = sockets_at(res, tcpref, cap, s.frames[-1].time, "sockets/end")
    res.eq("sockets/end", {closer: "TIME-WAIT", other: "CLOSED"}, got,
           "at the last frame (%.6f s); %s sent the first FIN (frame %d)"
           % (s.frames[-1].time, closer, fin1.number))


def test_sockets_while_a_fin_is_lost(res, tcpref, root):
    """Between the receiver's last ACK that does not cover the peer's FIN and
    the FIN copy that reached it (oracle.Stream.fin_receipt), the receiver
    has not got the FIN: RFC 9293 §3.10.7.4 says what state it is in.

    kernel-simultaneous-close: the server (receiver of the client's FIN) has
    sent its FIN and had it acknowledged: FIN-WAIT-2; the client got the
    server's FIN while its own was unacknowledged: CLOSING (§3.10.7.4 eighth
    step, FIN-WAIT-1 case, when the FIN is not acknowledged).
    kernel-bulk-loss-sack: the client (receiver of the server's FIN) is
    ESTABLISHED; the server has sent its FIN: FIN-WAIT-1."""
    cases = {"kernel-simultaneous-close": ("server", {"client": "CLOSING", "server": "FIN-WAIT-2"}),
             "kernel-bulk-loss-sack": ("client", {"client": "ESTABLISHED", "server": "FIN-WAIT-1"})}
    for case, (receiver_role, want) in sorted(cases.items()):
        s = one_stream(res, root, case)
        if s is None:
            continue
        receiver = s.client() if receiver_role == "client" else s.server()
        copy, before = s.fin_receipt(receiver)
        if copy is None or before is None:
            res.fail("sockets/" + case, "tshark shows no FIN lost before the copy received")
            continue
        at = (s.frame(before).time + s.frame(copy).time) / 2
        got = sockets_at(res, tcpref, os.path.join(root, "corpus", case, "capture.pcap"), at,
                         "sockets/" + case)
        for role in sorted(want):
            res.eq("sockets/%s/%s" % (case, role), want[role], got.get(role),
                   "%s at %.6f s, between frame %d (%s ACK not covering the FIN) and frame %d "
                   "(the FIN copy it got)" % (role, at, before, receiver_role, copy))


TESTS = [test_analyze_text_report_is_not_empty, test_rules_text_catalog_is_not_empty,
         test_rules_json_catalog_parses, test_analyze_without_file_is_a_usage_error,
         test_analyze_missing_file_names_it, test_sockets_established_then_time_wait,
         test_sockets_while_a_fin_is_lost]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tcpref, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    oracle.need_binary(tcpref)
    oracle.need_tshark()
    if not os.path.isfile(os.path.join(root, CLEAN)):
        oracle.skip("%s is absent" % CLEAN)
    res = oracle.Results("cli commands", KNOWN_BUGS)
    for t in TESTS:
        t(res, tcpref, root)
    return res.finish("%d test functions" % len(TESTS))


if __name__ == "__main__":
    sys.exit(main())
