#!/usr/bin/python3
"""malformed.py TCPREF REPO [--only SUBSTR] [--wrap CMD]: the malformed-capture
suite (corpus/malformed/, made by corpus/tools/make-malformed.py).

Every subcommand that reads capture files runs on every file of the suite:

  tcpref analyze -f json, and -f text
  tcpref sockets FILE --at 0 -f json
  tcpref check FILE
  tcpref replay FILE --iface <an interface that does not exist> ...
      (the recording is read and judged before any interface is opened, and
      a missing interface stops the run before anything is sent)

and each run is checked against the manifest the generator wrote, from what
it knows it broke:

  - the exit status is the documented one (2 for damaged input, else 0;
    check: 0 or 1; replay: 2 naming the damage, or 2/3 for a recording it
    cannot play here)
  - no crash: exit status below 128, no sanitizer report, no hang (timeout)
  - damaged input: exactly one error line, holding the file name, the frame
    and the byte offset the generator damaged, and the number it put there
  - warnings (non-fatal anomalies) name the file, frame and offset
  - the JSON report is still written and covers everything before the damage:
    packets, TCP segments, connections, decode outcomes, findings, counters

--wrap runs every command under a wrapper (scripts/valgrind.sh uses it with
valgrind --error-exitcode=99). The committed files must equal what the
generator makes now. Prints one line per failure and 'N passed, N failed'.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:", "==ERROR", "Invalid read", "Invalid write",
                   "uninitialised", "definitely lost")
TIMEOUT = 120


class Case:
    def __init__(self, e, path):
        self.e = e
        self.path = path
        self.fails = []

    def fail(self, msg):
        self.fails.append("%s: %s" % (self.e["file"], msg))


def run(cmd, wrap, timeout=TIMEOUT):
    full = (wrap or []) + cmd
    try:
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, b"", b""
    return p.returncode, p.stdout, p.stderr


def no_crash(c, what, rc, err):
    if rc is None:
        c.fail("%s: no answer within %d s (hang)" % (what, TIMEOUT))
        return False
    if rc < 0 or rc >= 128 or rc == 99:
        c.fail("%s: crashed (exit %d): %s" % (what, rc, err[-400:]))
        return False
    for m in SANITIZER_MARKS:
        if m in err:
            c.fail("%s: %r in stderr: %s" % (what, m, err[-600:]))
            return False
    return True


def error_lines(err, cmd):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("tcpref %s: " % cmd)
              and not ln.startswith("tcpref %s: warning: " % cmd)]
    warns = [ln for ln in lines if ln.startswith("tcpref %s: warning: " % cmd)]
    return errors, warns


def check_error_line(c, what, errors, frags):
    if len(errors) != 1:
        c.fail("%s: %d error lines, expected exactly one: %r" % (what, len(errors), errors))
        return
    for f in frags:
        if f not in errors[0]:
            c.fail("%s: error line lacks %r: %s" % (what, f, errors[0]))


def check_warnings(c, what, warns, expected):
    for frags in expected:
        if not any(all(f in w for f in frags) for w in warns):
            c.fail("%s: no warning line holds %r (got %r)" % (what, frags, warns))


def file_findings(j):
    return j["input"]["files"][0].get("findings", [])


def all_findings(j):
    out = list(file_findings(j))
    for conn in j.get("connections", []):
        out += conn.get("findings", [])
    return out


def frame_offset(path, frame):
    """Byte offset of record `frame` (from 1), walked independently of
    tcpref: a pcap record header, or a pcapng packet block (types 2, 3, 6)."""
    import struct
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        off, n = 24, 0
        while off + 16 <= len(data):
            n += 1
            if n == frame:
                return off
            off += 16 + struct.unpack(e + "I", data[off + 8:off + 12])[0]
        return None
    off, n, e = 0, 0, "<"
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if btype in (2, 3, 6):
            n += 1
            if n == frame:
                return off
        if blen < 12:
            return None
        off += blen
    return None


def check_report(c, j):
    e = c.e
    f = j["input"]["files"][0]
    if f.get("path") != c.path:
        c.fail("report names path %r" % f.get("path"))
    if f.get("complete") != (e["exit"] == 0):
        c.fail("complete is %r for exit %d" % (f.get("complete"), e["exit"]))
    if e["exit"] == 2 and e.get("error"):
        msg = f.get("error") or ""
        for frag in e["error"]:
            if frag not in msg:
                c.fail("report's error lacks %r: %r" % (frag, msg))
    for k in ("packets", "tcp_segments"):
        if k in e and f.get(k, 0 if e[k] == 0 else None) != e[k]:
            c.fail("report counts %s=%r, expected %d" % (k, f.get(k), e[k]))
    if "connections" in e and len(j.get("connections", [])) != e["connections"]:
        c.fail("report has %d connections, expected %d" % (len(j["connections"]),
                                                           e["connections"]))
    for k, v in e.get("decode", {}).items():
        if f.get("decode", {}).get(k) != v:
            c.fail("report decode[%s]=%r, expected %d" % (k, f.get("decode", {}).get(k), v))
    for k, v in e.get("counters", {}).items():
        if f.get(k) != v:
            c.fail("report %s=%r, expected %r" % (k, f.get(k), v))
    want = e.get("finding")
    if want:
        hits = [x for x in all_findings(j) if x["rule"] == want["rule"]
                and x.get("frame") == want["frame"]]
        if not hits:
            c.fail("no finding %s at frame %d" % (want["rule"], want["frame"]))
        elif not any(want["text"] in " ".join(str(x.get(k, "")) for k in
                                               ("first_reason", "observed", "message"))
                     for x in hits):
            c.fail("finding %s at frame %d does not mention %r: %r" % (
                want["rule"], want["frame"], want["text"], hits))
        for x in hits:
            # file-level findings name the byte offset of their first record
            if "first_offset" in x and x["first_offset"] != frame_offset(c.path, want["frame"]):
                c.fail("finding %s: first_offset %r, but frame %d is at byte %r" % (
                    want["rule"], x["first_offset"], want["frame"], frame_offset(c.path, want["frame"])))


def run_analyze(c, tcpref, wrap, tmp):
    e = c.e
    out = os.path.join(tmp, "report.json")
    if os.path.exists(out):
        os.unlink(out)
    rc, _, err = run([tcpref, "analyze", "-f", "json", "-o", out, c.path], wrap)
    err = err.decode(errors="replace")
    if not no_crash(c, "analyze", rc, err):
        return
    if rc != e["exit"]:
        c.fail("analyze exit %d, expected %d (stderr: %s)" % (rc, e["exit"], err.strip()))
    errors, warns = error_lines(err, "analyze")
    if e["exit"] == 2:
        check_error_line(c, "analyze", errors, e.get("error", []))
    elif errors:
        c.fail("analyze: unexpected error lines %r" % errors)
    check_warnings(c, "analyze", warns, e.get("warnings", []))
    try:
        with open(out) as fh:
            j = json.load(fh)
    except (OSError, ValueError) as x:
        c.fail("analyze: no JSON report (%s)" % x)
        return
    check_report(c, j)
    rc, _, err = run([tcpref, "analyze", "-f", "text", c.path], wrap)
    err = err.decode(errors="replace")
    if no_crash(c, "analyze -f text", rc, err) and rc != e["exit"]:
        c.fail("analyze -f text exit %d, expected %d" % (rc, e["exit"]))


def run_sockets(c, tcpref, wrap):
    e = c.e
    rc, out, err = run([tcpref, "sockets", c.path, "--at", "0", "-a", "-f", "json"], wrap)
    err = err.decode(errors="replace")
    if not no_crash(c, "sockets", rc, err):
        return
    if rc != e["exit"]:
        c.fail("sockets exit %d, expected %d (stderr: %s)" % (rc, e["exit"], err.strip()))
    errors, _ = error_lines(err, "sockets")
    if e["exit"] == 2:
        check_error_line(c, "sockets", errors, e.get("error", []))
    if e.get("packets", 0) > 0 or e["exit"] == 0:
        try:
            j = json.loads(out)
        except ValueError:
            c.fail("sockets: no JSON table for the part before the damage")
            return
        if e.get("connections", 0) > 0 and not j.get("sockets"):
            c.fail("sockets: empty table at time 0, expected the connection's endpoints")


def run_check(c, tcpref, wrap):
    e = c.e
    rc, _, err = run([tcpref, "check", c.path], wrap)
    err = err.decode(errors="replace")
    if not no_crash(c, "check", rc, err):
        return
    if e["exit"] == 2:
        if rc != 2:
            c.fail("check exit %d on damaged input, expected 2" % rc)
        errors, _ = error_lines(err, "check")
        check_error_line(c, "check", errors, e.get("error", []))
    elif rc not in (0, 1):
        c.fail("check exit %d on readable input, expected 0 or 1: %s" % (rc, err.strip()))


def run_replay(c, tcpref, wrap):
    e = c.e
    rc, _, err = run([tcpref, "replay", c.path, "--iface", "tcpref-none0", "--local",
                      "192.0.2.1", "--peer", "192.0.2.2", "-f", "json"], wrap)
    err = err.decode(errors="replace")
    if not no_crash(c, "replay", rc, err):
        return
    errors, _ = error_lines(err, "replay")
    if e["exit"] == 2:
        if rc != 2:
            c.fail("replay exit %d on a damaged recording, expected 2" % rc)
        check_error_line(c, "replay", errors, e.get("error", []))
    elif rc not in (2, 3):
        c.fail("replay exit %d, expected 2 (no such interface) or 3 (inconclusive)" % rc)
    elif rc == 2 and any("byte offset" in x for x in errors):
        c.fail("replay reports damage in an undamaged recording: %r" % errors)


def regenerated_matches(repo, mdir):
    """The committed suite is what the generator makes now."""
    with tempfile.TemporaryDirectory() as t:
        subprocess.run(["/usr/bin/python3", "-B", os.path.join(repo, "corpus/tools/make-malformed.py"),
                        "--out", t], check=True, stdout=subprocess.DEVNULL)
        bad = []
        for name in sorted(os.listdir(t)):
            a = os.path.join(t, name)
            b = os.path.join(mdir, name)
            if not os.path.exists(b) or open(a, "rb").read() != open(b, "rb").read():
                bad.append(name)
        return bad


def main(argv):
    args = list(argv)
    only, wrap = None, None
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i:i + 2]
    if "--wrap" in args:
        i = args.index("--wrap")
        wrap = shlex.split(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    tcpref, repo = os.path.abspath(args[0]), os.path.abspath(args[1])
    mdir = os.path.join(repo, "corpus", "malformed")
    with open(os.path.join(mdir, "manifest.json")) as fh:
        cases = json.load(fh)["cases"]
    failures = []
    if not only:
        stale = regenerated_matches(repo, mdir)
        if stale:
            failures.append("corpus/malformed differs from make-malformed.py's output: %s "
                            "(run corpus/tools/make-malformed.py)" % ", ".join(stale[:8]))
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(mdir)  # paths in messages are the file names the generator wrote
        try:
            for e in cases:
                if only and only not in e["file"]:
                    continue
                c = Case(e, e["file"])
                run_analyze(c, tcpref, wrap, tmp)
                run_sockets(c, tcpref, wrap)
                run_check(c, tcpref, wrap)
                run_replay(c, tcpref, wrap)
                if c.fails:
                    failures += c.fails
                else:
                    passed += 1
        finally:
            os.chdir(cwd)
    if only and passed == 0 and not failures:
        failures.append("--only %s: no file of the suite matches" % only)
    for f in failures:
        print("FAIL " + f)
    nfail = len({f.split(":")[0] for f in failures})
    print("%d passed, %d failed" % (passed, nfail))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
