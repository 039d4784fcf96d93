#!/usr/bin/python3
"""tcpref check, the CI gate, as a CI job runs it: exit codes, rules files,
expectations files, JUnit XML and JSON, on corpus captures whose facts come
from tshark (run here) or from the case's README (hand-computed from the
RFC). Every rules and expectations file is written fresh by this test.

usage: check_gate.py TCPREF REPO_ROOT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TCPREF, ROOT = sys.argv[1], sys.argv[2]
CORPUS = os.path.join(ROOT, "corpus")
FAILS = []
TMP = tempfile.mkdtemp(prefix="tcpref-check-")


def cap(case):
    return os.path.join(CORPUS, case, "capture.pcap")


def run(*args):
    r = subprocess.run([TCPREF, "check"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def write(name, obj):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def expect(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def tshark(path, *fields, filt=None):
    argv = ["tshark", "-r", path, "-n", "-T", "fields"] + (["-Y", filt] if filt else [])
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120).stdout
    return [line.split("\t") for line in out.decode().splitlines()]


def exit_codes():
    # kernel-clean-reqresp: a healthy Linux exchange: no finding at all.
    rc, out, _ = run(cap("kernel-clean-reqresp"))
    expect(rc == 0 and "PASS" in out, "a clean kernel capture passes (exit 0)")
    # crafted-rto-too-early: README: re-sent 50 ms after the timer started,
    # RTO 220 ms (20 ms RTT, linux floor 200 ms): rto.too-early, an error.
    rc, out, _ = run(cap("crafted-rto-too-early"))
    expect(rc == 1 and "rto.too-early frame 20" in out, "an error-level violation fails (exit 1) and names rule and frame")
    # crafted-sws-sender: README: one warning-level violation.
    rc, _, _ = run(cap("crafted-sws-sender"))
    expect(rc == 0, "a warning does not fail with the default --fail-on error")
    rc, out, _ = run("--fail-on", "warning", cap("crafted-sws-sender"))
    expect(rc == 1 and "window.sws-sender" in out, "--fail-on warning fails on the warning")
    rc, _, err = run("--fail-on", "fatal", cap("kernel-clean-reqresp"))
    expect(rc == 2 and "--fail-on" in err, "a bad --fail-on is a usage error (exit 2)")
    rc, _, err = run(os.path.join(TMP, "no-such.pcap"))
    expect(rc == 2 and "no-such.pcap" in err, "an unreadable capture exits 2 and names the file")
    trunc = os.path.join(TMP, "cut.pcap")
    with open(cap("kernel-clean-reqresp"), "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[:len(data) - 7])
    rc, out, err = run(trunc)
    expect(rc == 2 and "cut.pcap" in err and "frame" in err, "a damaged capture exits 2 naming file and frame")
    rc, _, err = run()
    expect(rc == 2 and "no capture file" in err, "no file given is a usage error")


def rules_policy():
    # Disabling the rule, or lowering its severity, lets the capture pass.
    r = write("off.json", {"rules": {"rto.too-early": {"enabled": False}}})
    rc, out, _ = run("--rules", r, cap("crafted-rto-too-early"))
    expect(rc == 0 and "rto.too-early" not in out, "a disabled rule records nothing and does not fail")
    r = write("sev.json", {"rules": {"rto.too-early": {"severity": "warning"}}})
    rc, _, _ = run("--rules", r, cap("crafted-rto-too-early"))
    expect(rc == 0, "a severity lowered to warning passes under --fail-on error")
    rc, out, _ = run("--rules", r, "--fail-on", "warning", cap("crafted-rto-too-early"))
    expect(rc == 1 and "warning rto.too-early" in out.replace("  ", " ").replace("  ", " "),
           "the overridden severity is the one reported")
    r = write("glob.json", {"rules": {"rto.*": {"enabled": False}, "rto.too-early": {"enabled": True}}})
    rc, _, _ = run("--rules", r, cap("crafted-rto-too-early"))
    expect(rc == 1, "an exact id wins over a glob")
    r = write("failon.json", {"fail_on": "warning"})
    rc, _, _ = run("--rules", r, cap("crafted-sws-sender"))
    expect(rc == 1, "fail_on in the rules file applies")
    rc, _, _ = run("--rules", r, "--fail-on", "error", cap("crafted-sws-sender"))
    expect(rc == 0, "--fail-on on the command line wins over the rules file")
    # Tolerance: expected RTO 220 ms, observed 50 ms. With 90 % the
    # tolerance is 198 ms: 220 - 198 = 22 ms < 50 ms, no longer too early.
    r = write("tol.json", {"tolerance": {"percent": 90}})
    rc, _, _ = run("--rules", r, cap("crafted-rto-too-early"))
    expect(rc == 0, "a 90 % tolerance accepts a 50 ms timeout against a 220 ms RTO")
    r = write("tol2.json", {"tolerance": {"percent": 70}})
    rc, _, _ = run("--rules", r, cap("crafted-rto-too-early"))
    expect(rc == 1, "a 70 % tolerance (154 ms: 66 ms > 50 ms) still fails it")
    # crafted-rto-below-minimum: README: a timeout of about 300 ms, below the
    # 1 s of RFC 6298 §2.4 (rfc profile), above linux's 200 ms.
    rc, _, _ = run("--fail-on", "warning", cap("crafted-rto-below-minimum"))
    expect(rc == 0, "linux profile (default): a 300 ms RTO is fine")
    rc, out, _ = run("--fail-on", "warning", "--profile", "rfc", cap("crafted-rto-below-minimum"))
    expect(rc == 1 and "rto.below-minimum" in out, "--profile rfc: below the 1 s minimum")
    r = write("rfc.json", {"profile": "rfc"})
    rc, _, _ = run("--fail-on", "warning", "--rules", r, cap("crafted-rto-below-minimum"))
    expect(rc == 1, "the rules file's profile applies")
    r = write("minrto.json", {"profile": "rfc", "bounds": {"rto_min_ms": 250}})
    rc, _, _ = run("--fail-on", "warning", "--rules", r, cap("crafted-rto-below-minimum"))
    expect(rc == 0, "bounds.rto_min_ms moves the minimum")


def thresholds():
    # Retransmission share of kernel-bulk-loss-sack's server (the capture is
    # on the server: every transmission is in it): of the segments carrying
    # sequence space, those whose whole range (data, or the FIN) was already
    # captured, computed here from tshark's sequence numbers alone.
    path = cap("kernel-bulk-loss-sack")
    rows = tshark(path, "tcp.seq", "tcp.len", "tcp.flags.syn", "tcp.flags.fin", filt="ip.src==10.77.0.2")
    seen, carrying, retx = [], 0, 0
    for seq, n, syn, fin in rows:
        seq, n = int(seq), int(n)
        end = seq + n + (1 if fin == "1" else 0) + (1 if syn == "1" else 0)
        if end == seq:
            continue
        carrying += 1
        if any(a <= seq and end <= b for a, b in seen):
            retx += 1
        seen.append((seq, end))
    pct = 100.0 * retx / carrying
    print("     tshark fields: server re-sent %d of %d segments carrying sequence space (%.2f %%)" %
          (retx, carrying, pct))
    r = write("retx-low.json", {"rules": {"threshold.retransmissions": {"max_percent": round(pct / 2, 2)}}})
    rc, out, _ = run("--rules", r, path)
    expect(rc == 1 and "threshold.retransmissions" in out and "server-to-client" in out,
           "retransmissions above half tshark's share fail, for the server")
    r = write("retx-high.json", {"rules": {"threshold.retransmissions": {"max_percent": round(pct * 2, 2)}}})
    rc, _, _ = run("--rules", r, path)
    expect(rc == 0, "retransmissions below twice tshark's share pass")
    # Longest zero window of kernel-zero-window, from tshark: the first
    # zero_window frame of an episode to the next window_update.
    path = cap("kernel-zero-window")
    rows = tshark(path, "frame.number", "frame.time_relative", "tcp.analysis.zero_window",
                  "tcp.analysis.window_update", filt="tcp.analysis.zero_window || tcp.analysis.window_update")
    longest, start, end_frame = 0.0, None, None
    for fr, t, zw, wu in rows:
        if zw and start is None:
            start = float(t)
        elif wu and start is not None:
            if float(t) - start > longest:
                longest, end_frame = float(t) - start, int(fr)
            start = None
    print("     tshark: longest zero window %.3f s, reopened at frame %d" % (longest, end_frame))
    r = write("zw-low.json", {"rules": {"threshold.zero-window": {"max_seconds": longest - 0.5}}})
    rc, out, _ = run("--rules", r, path)
    expect(rc == 1 and ("threshold.zero-window frame %d" % end_frame) in out,
           "a zero window longer than the limit fails at the frame that reopens it")
    r = write("zw-high.json", {"rules": {"threshold.zero-window": {"max_seconds": longest + 0.5}}})
    rc, _, _ = run("--rules", r, path)
    expect(rc == 0, "a limit above the longest zero window passes")
    # kernel-rto-backoff: three RTO retransmissions at frames 8, 9, 10
    # (verified with tshark in its expect.json).
    path = cap("kernel-rto-backoff")
    r = write("to2.json", {"rules": {"threshold.timeouts": {"max": 2}}})
    rc, out, _ = run("--rules", r, path)
    expect(rc == 1 and "threshold.timeouts frame 10" in out, "a third timeout beyond max 2 fails at its frame")
    r = write("to3.json", {"rules": {"threshold.timeouts": {"max": 3}}})
    rc, _, _ = run("--rules", r, path)
    expect(rc == 0, "three timeouts pass max 3")
    # Handshake RTT of kernel-clean-reqresp, from tshark's initial RTT.
    path = cap("kernel-clean-reqresp")
    irtt = float(tshark(path, "tcp.analysis.initial_rtt", filt="tcp.analysis.initial_rtt")[0][0])
    r = write("hs-low.json", {"rules": {"threshold.handshake-rtt": {"max_ms": irtt * 1000 / 2}}})
    rc, out, _ = run("--rules", r, path)
    expect(rc == 1 and "threshold.handshake-rtt frame 3" in out, "a handshake slower than the limit fails")
    r = write("hs-high.json", {"rules": {"threshold.handshake-rtt": {"max_ms": irtt * 1000 * 2}}})
    rc, _, _ = run("--rules", r, path)
    expect(rc == 0, "a handshake within the limit passes")


def bad_rules_files():
    cases = [
        ('{"rules": {"windw.zero": {"enabled": false}}}', ['rules."windw.zero"', 'did you mean "window.zero"']),
        ('{"rules": {"window.zero": {"severity": "fatal"}}}', ['rules."window.zero".severity', '"error"']),
        ('{"rules": {"window.zero": {"enabled": "no"}}}', ['rules."window.zero".enabled', 'true or false']),
        ('{"profile": "bsd"}', ['profile', '"linux"']),
        ('{"tolerance": {"absolute_ms": -3}}', ['tolerance.absolute_ms', 'out of range']),
        ('{"tolerance": {"percnt": 3}}', ['tolerance.percnt', 'unknown key']),
        ('{"bounds": {"rto_min_ms": 5000, "rto_max_ms": 1000}}', ['bounds', 'rto_min_ms is above rto_max_ms']),
        ('{"rules": {"threshold.zero-window": {"enabled": true}}}', ['threshold.zero-window', 'max_seconds']),
        ('{"rules": {"threshold.retransmissions": {"max_percent": 150}}}', ['max_percent', 'out of range']),
        ('{"rules": {"threshold.timeouts": {"max": 1.5}}}', ['threshold.timeouts".max', 'integer']),
        ('{"rules": {"zz.*": {"enabled": false}}}', ['rules."zz.*"', 'matches no rule']),
        ('{"colour": 1}', ['colour', 'unknown key']),
        ('{"rules": ', ['not valid JSON', 'line']),
        ('[1]', ['top level']),
        ('{"fail_on": "warning", "fail_on": "error"}', ['duplicate']),
    ]
    for i, (text, frags) in enumerate(cases):
        r = write("bad%d.json" % i, text)
        rc, out, err = run("--rules", r, cap("kernel-clean-reqresp"))
        lines = [l for l in err.splitlines() if l.strip()]
        ok = rc == 2 and len(lines) == 1 and ("bad%d.json" % i) in err and all(f in err for f in frags)
        expect(ok, "bad rules file %s: exit 2, one line naming file and key: %s" % (text, err.strip()))
    rc, _, err = run("--rules", os.path.join(TMP, "missing.json"), cap("kernel-clean-reqresp"))
    expect(rc == 2 and "missing.json" in err, "a missing rules file: exit 2 naming it")


def expectations():
    path = cap("crafted-rto-too-early")
    pin = write("pin.json", {"must": [{"rule": "rto.too-early", "frame": 20, "direction": "client-to-server",
                                       "count": 1, "note": "known bug #123"}]})
    rc, out, _ = run("--expect", pin, path)
    expect(rc == 0 and "met  must     rto.too-early" in out,
           "an expected failure pins the bug without muting the rule (exit 0)")
    rc, out, _ = run("--expect", pin, cap("crafted-baseline"))
    expect(rc == 1 and "NOT  must     rto.too-early" in out, "once the bug is gone the expectation fails")
    wrong = write("wrong.json", {"must": [{"rule": "rto.too-early", "frame": 19}]})
    rc, out, _ = run("--expect", wrong, path)
    expect(rc == 1 and "0 found" in out, "a must entry at the wrong frame is not met (exit 1)")
    cnt = write("count.json", {"must": [{"rule": "rto.too-early", "count": 2}]})
    rc, out, _ = run("--expect", cnt, path)
    expect(rc == 1 and "1 found, want 2" in out, "count is exact")
    mn = write("mn.json", {"must_not": [{"rule": "rto.*"}]})
    rc, out, _ = run("--expect", mn, path)
    expect(rc == 1 and "unexpected" in out and "rto.too-early" in out, "a must_not pattern lists what it caught")
    # The corpus way: must the violation, must_not anything else.
    rc, _, _ = run("--expect", os.path.join(CORPUS, "crafted-rto-too-early", "expect.json"), path)
    expect(rc == 0, "the corpus case passes its own expect.json")
    for text, frag in [('{"must": [{"rule": "rto.*"}]}', "not a pattern"),
                       ('{"must": [{"frame": 3}]}', '"rule" is required'),
                       ('{"must": [{"rule": "rto.timeout", "direction": "up"}]}', "is not a direction"),
                       ('{"must": [{"rule": "rto.timeout", "frame": 0}]}', "must[0].frame"),
                       ('{"must_not": [{"rule": "*", "severity": "bad"}]}', "must_not[0].severity"),
                       ('{"must_not": [{"frame": 3}]}', "must_not[0].frame"),
                       ('{"mustnt": []}', "mustnt")]:
        e = write("bade.json", text)
        rc, _, err = run("--expect", e, path)
        expect(rc == 2 and frag in err and "bade.json" in err, "bad expectations %s: exit 2: %s" % (text, err.strip()))


def capture_findings():
    path = cap("crafted-capture-hole")
    rc, out, _ = run(path)
    expect(rc == 0 and "capture findings" in out and "unknown" in out,
           "capture findings do not fail the gate; the report says what they made unknown")
    r = write("capfail.json", {"capture_fails": True, "fail_on": "warning"})
    rc, _, _ = run("--rules", r, path)
    expect(rc == 1, "capture_fails makes them fail")


def junit_and_json():
    # kernel-many-short: tshark counts the connections.
    path = cap("kernel-many-short")
    streams = {r[0] for r in tshark(path, "tcp.stream")}
    xml = os.path.join(TMP, "junit.xml")
    rc, _, _ = run("--junit", xml, path, cap("crafted-rto-too-early"))
    tree = ET.parse(xml)
    suites = tree.getroot().findall("testsuite")
    expect(len(suites) == 2, "JUnit: one testsuite per capture")
    cases0 = suites[0].findall("testcase")
    expect(len(cases0) == len(streams) and suites[0].get("tests") == str(len(streams)),
           "JUnit: one test case per connection (%d, tshark %d)" % (len(cases0), len(streams)))
    expect(all(c.find("failure") is None for c in cases0), "JUnit: clean connections have no failure")
    fail = suites[1].findall("testcase")[0].find("failure")
    expect(rc == 1 and fail is not None and "rto.too-early frame 20" in fail.text,
           "JUnit: the failing connection lists its findings")
    ex = write("pin2.json", {"must": [{"rule": "rto.too-early"}, {"rule": "window.zero"}]})
    rc, _, _ = run("--junit", xml, "--expect", ex, cap("crafted-rto-too-early"))
    suites = ET.parse(xml).getroot().findall("testsuite")
    exp_cases = suites[-1].findall("testcase")
    expect(len(exp_cases) == 2 and exp_cases[0].find("failure") is None and exp_cases[1].find("failure") is not None,
           "JUnit: one test case per expectation, failed when unmet")
    rc, out, _ = run("--format", "json", "--expect", ex, cap("crafted-rto-too-early"))
    j = json.loads(out)
    expect(j["schema"] == "tcpref-check/1" and j["result"] == "fail" and j["expectations"]["unmet"] == 1 and
           j["expectations"]["must"][0]["met"] and not j["expectations"]["must"][1]["met"],
           "JSON: result and each expectation")
    rc, out, _ = run("--format", "json", cap("crafted-rto-too-early"))
    j = json.loads(out)
    failing = [f for f in j["findings"] if f["fails"]]
    expect(rc == 1 and j["failing"] == 1 and failing[0]["rule"] == "rto.too-early" and failing[0]["frame"] == 20,
           "JSON: the failing finding with rule and frame")


def main():
    if not os.path.isfile(cap("kernel-clean-reqresp")):
        print("SKIP: corpus/ not found")
        return 77
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (apt-get install tshark): it is the oracle of the thresholds")
        return 77
    try:
        exit_codes()
        rules_policy()
        thresholds()
        bad_rules_files()
        expectations()
        capture_findings()
        junit_and_json()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
