#!/usr/bin/python3
"""The report does not depend on how the work was split: byte-identical JSON
(and text) reports with --threads 1, 2, 3 and the default, from the
shards of 'analyze --shard K/N' joined by 'tcpref merge', and from the
streaming JSON writer and the jansson tree it replaced (TCPREF_JSON_TREE=1).

Every capture of corpus/ and of ../shared/pcaps (skipped when absent), one
by one and all of corpus/ in one run (several files). Reports are compared
byte for byte; the reference is always tcpref itself with one thread, whole,
through jansson: what is checked is that splitting the work changes nothing.

usage: report_identity.py TCPREF REPO_ROOT [CHECK...]
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

TIMEOUT_S = 60


def run(argv, env_extra=None, stdin=None):
    env = dict(os.environ)
    env.pop("TCPREF_JSON_TREE", None)
    env.update(env_extra or {})
    p = subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S, env=env)
    return p.returncode, p.stdout, p.stderr


class Results:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures.append(what)
            print("FAIL: " + what)
        return ok


def captures(root):
    files = sorted(glob.glob(os.path.join(root, "corpus", "**", "*.pcap"), recursive=True) +
                   glob.glob(os.path.join(root, "corpus", "**", "*.pcapng"), recursive=True))
    shared = os.path.join(os.path.dirname(os.path.abspath(root)), "shared", "pcaps")
    if os.path.isdir(shared):
        files += sorted(os.path.join(shared, f) for f in os.listdir(shared)
                        if f.endswith((".pcap", ".pcapng", ".cap")))
    else:
        print("note: %s is absent: only the corpus captures are checked" % shared)
    return files


def first_difference(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return "first difference at byte %d: %r vs %r" % (n, a[max(0, n - 40):n + 40], b[max(0, n - 40):n + 40])


def same(res, what, ref, got):
    """Same exit status and the same bytes on standard output."""
    if ref[0] != got[0]:
        return res.check(False, "%s: exit %d, the reference exits %d (stderr: %s)"
                         % (what, got[0], ref[0], got[2].decode("utf-8", "replace").strip()[:200]))
    if ref[1] != got[1]:
        return res.check(False, "%s: report differs from the reference (%d vs %d bytes; %s)"
                         % (what, len(got[1]), len(ref[1]), first_difference(ref[1], got[1])))
    return res.check(True, what)


def reference(tcpref, paths, fmt="json"):
    return run([tcpref, "analyze", "--threads", "1", "-f", fmt] + paths)


# ---------------------------------------------------------------- checks

def from_stdin(tcpref, p, threads, ref):
    """The report of p read from standard input (the threaded pipeline: a
    reader thread feeding workers), with the path and the size of the
    file's report ref, which standard input cannot know."""
    with open(p, "rb") as f:
        rc, out, err = run([tcpref, "analyze", "--threads", threads, "-f", "json", "-"], stdin=f)
    size = re.search(rb'"size":(\d+),', ref[1])
    out = out.replace(b'"path":"-"', b'"path":"%s"' % p.encode()).replace(b'"-: ', b'"%s: ' % p.encode())
    if size:
        out = out.replace(b'"size":0,', b'"size":%s,' % size.group(1))
    return rc, out, err


def test_threads_give_the_single_thread_report(res, tcpref, files):
    """A regular file with --threads N is split among N processes that each
    read it; standard input among N threads fed by one reader: both must
    give the one-thread report."""
    for p in files:
        ref = reference(tcpref, [p])
        for t in ("2", "3"):
            same(res, "%s --threads %s" % (p, t), ref, run([tcpref, "analyze", "--threads", t, "-f", "json", p]))
            same(res, "%s --threads %s from standard input" % (p, t), ref, from_stdin(tcpref, p, t, ref))
        same(res, "%s (default threads)" % p, ref, run([tcpref, "analyze", "-f", "json", p]))


def test_threads_give_the_single_thread_text_report(res, tcpref, files):
    for p in files:
        ref = reference(tcpref, [p], "text")
        same(res, "%s --threads 3 -f text" % p, ref,
             run([tcpref, "analyze", "--threads", "3", "-f", "text", "--color", "never", p]))


def test_several_files_in_one_run(res, tcpref, files):
    corpus = [p for p in files if "/corpus/" in p][:40]
    ref = reference(tcpref, corpus)
    res.check(ref[0] in (0, 2) and ref[1].startswith(b"{"), "several files: the reference run reports")
    same(res, "%d files, --threads 3" % len(corpus), ref,
         run([tcpref, "analyze", "--threads", "3", "-f", "json"] + corpus))
    merged = merge_shards(tcpref, corpus, 3, "2")
    same(res, "%d files, 3 shards merged" % len(corpus), ref, merged)


def test_standard_input_is_read_by_one_thread(res, tcpref, files):
    p = next(f for f in files if f.endswith("kernel-clean-reqresp/capture.pcap"))
    ref = reference(tcpref, [p])
    with open(p, "rb") as f:
        got = run([tcpref, "analyze", "--threads", "4", "-f", "json", "-"], stdin=f)
    # the report names the file "-" and cannot know its size: all else is the same
    fixed = got[1].replace(b'"path":"-"', b'"path":"%s"' % p.encode()).replace(
        b'"size":0,', b'"size":%d,' % os.path.getsize(p))
    res.check(got[0] == 0 and fixed == ref[1], "standard input with --threads 4: the report of the file")


def merge_shards(tcpref, paths, n, threads="1"):
    with tempfile.TemporaryDirectory() as d:
        outs = []
        for k in range(n):
            out = os.path.join(d, "shard%d.json" % k)
            rc, _, err = run([tcpref, "analyze", "--threads", threads, "--shard", "%d/%d" % (k, n),
                              "-f", "json", "-o", out] + paths)
            if rc not in (0, 2) or not os.path.exists(out):
                return rc, b"", err
            outs.append(out)
        outs.reverse()  # any order
        return run([tcpref, "merge"] + outs)


def test_merged_shards_give_the_whole_report(res, tcpref, files):
    for p in files:
        ref = reference(tcpref, [p])
        for n, threads in ((2, "1"), (3, "2"), (5, "1")):
            got = merge_shards(tcpref, [p], n, threads)
            # a damaged file exits 2 in analyze but merges fine: compare the report
            same(res, "%s: %d shards (--threads %s) merged" % (p, n, threads), (0,) + ref[1:], got)


def test_merge_refuses_an_incomplete_set(res, tcpref, files):
    p = next(f for f in files if f.endswith("kernel-many-short/capture.pcap"))
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.json"), os.path.join(d, "b.json")
        run([tcpref, "analyze", "--shard", "0/3", "-f", "json", "-o", a, p])
        run([tcpref, "analyze", "--shard", "1/3", "-f", "json", "-o", b, p])
        rc, out, err = run([tcpref, "merge", a, b])
        res.check(rc == 2 and out == b"" and b"3" in err, "merge of 2 of 3 shards exits 2 naming the count")
        rc, out, err = run([tcpref, "merge", a, a, b])
        res.check(rc == 2 and b"both shard 0" in err, "merge of shard 0 twice exits 2")
        q = next(f for f in files if f.endswith("kernel-clean-reqresp/capture.pcap"))
        c = os.path.join(d, "c.json")
        run([tcpref, "analyze", "--shard", "2/3", "-f", "json", "-o", c, q])
        rc, out, err = run([tcpref, "merge", a, b, c])
        res.check(rc == 2 and out == b"", "merge of shards of different captures exits 2")


def test_shard_option_is_checked(res, tcpref, files):
    p = files[0]
    for bad in ("3/3", "1", "-1/2", "0/0", "a/b", "1/2x"):
        rc, _, err = run([tcpref, "analyze", "--shard", bad, "-f", "json", p])
        res.check(rc == 2 and b"--shard" in err, "--shard %s is a usage error" % bad)


def test_streaming_json_is_the_jansson_dump(res, tcpref, files):
    for p in files:
        ref = run([tcpref, "analyze", "--threads", "1", "-f", "json", p], {"TCPREF_JSON_TREE": "1"})
        same(res, "%s: streaming writer" % p, ref, reference(tcpref, [p]))


def pcap_bytes(packets):
    """A classic pcap (microseconds, Ethernet) of (time, src, sport, dst, dport, seq, ack, flags)."""
    import struct
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for t, src, sport, dst, dport, seq, ack, flags in packets:
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp
        sec = int(t)
        out.append(struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)), len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def test_time_stepping_back_at_the_linger_boundary(res, tcpref, files):
    """An ended connection whose last segment's time is earlier than that of
    a connection seen before it (captures from several CPUs) leaves the flow
    table once it has been idle for the linger time (10 s), whichever
    connections its observer follows: its late ACK starts a new connection
    in every split of the work alike."""
    S, A, F, R = 0x02, 0x10, 0x01, 0x04
    pk = []
    for i in range(8):
        cl, sv, cp, rp = "10.0.%d.1" % i, "10.0.%d.2" % i, 40000 + i, 41000 + i
        # R: a handshake, last seen at 0.5 s
        pk += [(0.0, cl, rp, sv, 80, 1000, 0, S), (0.01, sv, 80, cl, rp, 5000, 1001, S | A),
               (0.5, cl, rp, sv, 80, 1001, 5001, A)]
    for i in range(8):
        cl, sv, cp = "10.0.%d.1" % i, "10.0.%d.2" % i, 40000 + i
        # C: opened and closed both ways, captured after R but stamped 0.1-0.2 s
        pk += [(0.10, cl, cp, sv, 80, 100, 0, S), (0.11, sv, 80, cl, cp, 900, 101, S | A),
               (0.12, cl, cp, sv, 80, 101, 901, A), (0.13, cl, cp, sv, 80, 101, 901, F | A),
               (0.14, sv, 80, cl, cp, 901, 102, F | A), (0.20, cl, cp, sv, 80, 102, 902, A)]
    # a connection picked up mid-stream that keeps the clock going
    for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.35):
        pk.append((t, "10.9.9.1", 50000, "10.9.9.2", 443, 7000, 8000, A))
    for i in range(8):
        # C's late ACK, 10.3 s after its last segment
        pk.append((10.5, "10.0.%d.1" % i, 40000 + i, "10.0.%d.2" % i, 80, 102, 902, A))
    del R
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "stepping-back.pcap")
        with open(p, "wb") as f:
            f.write(pcap_bytes(pk))
        ref = reference(tcpref, [p])
        import json
        n = json.loads(ref[1])["summary"]["connections"] if ref[0] == 0 else -1
        res.check(n == 25, "stepping back: 8 + 8 + 1 connections and 8 started by the late ACKs, not %d" % n)
        for t in ("2", "3", "5"):
            same(res, "stepping back, --threads %s" % t, ref,
                 run([tcpref, "analyze", "--threads", t, "-f", "json", p]))
        for n in (2, 3):
            same(res, "stepping back, %d shards merged" % n, ref, merge_shards(tcpref, [p], n))


def replicated_capture(root, out, copies=24):
    """Real kernel traffic with many connections: the IPv4 records of several
    corpus captures, each copied `copies` times with the second octet of both
    addresses set to the copy's number and its times shifted by 1.7 ms per
    copy, all merged in time order. Classic pcap, Ethernet, as the corpus
    captures are; checksums are not verified by default."""
    import struct
    names = ("kernel-many-short", "kernel-bulk-loss-sack", "kernel-clean-reqresp", "kernel-zero-window",
             "kernel-rto-backoff", "kernel-tail-loss", "kernel-rst-abort", "kernel-half-close")
    recs = []
    for name in names:
        path = os.path.join(root, "corpus", name, "capture.pcap")
        if not os.path.exists(path):
            continue
        data = open(path, "rb").read()
        magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
        if magic not in (0xa1b2c3d4, 0xa1b23c4d) or link != 1:
            continue
        scale = 1000 if magic == 0xa1b2c3d4 else 1
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
            frame = data[off + 16:off + 16 + incl]
            off += 16 + incl
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            for k in range(copies):
                f = bytearray(frame)
                f[14 + 13] = f[14 + 17] = k + 1
                recs.append((sec * 10**9 + frac * scale + k * 1700000, orig, bytes(f)))
    recs.sort(key=lambda r: r[0])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
        for ns, orig, frame in recs:
            f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(frame), orig))
            f.write(frame)
    return len(recs)


def test_many_connections_written_by_several_threads(res, tcpref, files):
    """With --threads N and more than 2 x 64 connections in a file, N threads
    format the JSON report's connections in chunks; it must be the bytes of
    the one-thread writer and of the jansson tree."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "replicated.pcap")
        n = replicated_capture(root, p)
        ref = run([tcpref, "analyze", "--threads", "1", "-f", "json", p], {"TCPREF_JSON_TREE": "1"})
        import json
        conns = json.loads(ref[1])["summary"]["connections"] if ref[0] == 0 else 0
        res.check(n > 10000 and conns >= 1000,
                  "replicated capture: %d packets, %d connections (>= 1000)" % (n, conns))
        same(res, "replicated, --threads 1 (streaming writer)", ref, reference(tcpref, [p]))
        for t in ("2", "3", "4"):
            same(res, "replicated, --threads %s" % t, ref, run([tcpref, "analyze", "--threads", t, "-f", "json", p]))
        same(res, "replicated, 3 shards (--threads 2) merged", ref, merge_shards(tcpref, [p], 3, "2"))
        same(res, "replicated and a corpus file in one run, --threads 3",
             reference(tcpref, [p, files[0]]), run([tcpref, "analyze", "--threads", "3", "-f", "json", p, files[0]]))
        # a write error in the middle of the threads' output: exit status, no hang
        if os.path.exists("/dev/full"):
            rc, _, err = run([tcpref, "analyze", "--threads", "3", "-f", "json", "-o", "/dev/full", p])
            res.check(rc != 0 and err, "replicated, --threads 3 to /dev/full: an error, no hang (exit %d)" % rc)


def test_a_process_that_dies_is_an_error(res, tcpref, files):
    """--threads 2 on a file forks one child; killed while it reads, the run
    must end in an error that names it (exit status 2), not in a report
    without its connections."""
    import signal
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "replicated.pcap")
        replicated_capture(root, p, copies=200)
        for attempt in range(5):
            proc = subprocess.Popen([tcpref, "analyze", "--threads", "2", "-f", "json", "-o", os.devnull, p],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            killed = False
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                        kids = [int(x) for x in f.read().split()]
                except OSError:
                    kids = []
                if kids:
                    try:
                        with open("/proc/%d/stat" % kids[0]) as f:
                            state = f.read().rsplit(")", 1)[1].split()[0]
                        if state not in ("Z", "X"):
                            os.kill(kids[0], signal.SIGKILL)
                            killed = True
                    except (OSError, IndexError):
                        pass
                    break
                time.sleep(0.0002)
            err = proc.communicate(timeout=TIMEOUT_S)[1].decode("utf-8", "replace")
            if not killed:
                continue  # the child had finished already: try again
            res.check(proc.returncode == 2 and "analysis process 2 of 2 was killed by signal 9" in err,
                      "a child killed while it reads: exit %d, %s" % (proc.returncode, err.strip()[:200]))
            return
        res.check(False, "a child killed while it reads: never caught it running in 5 attempts")


def test_a_file_that_changes_while_read_is_an_error(res, tcpref, files):
    """Each process opens the file by its name: when the file grows between
    process 0's pass and a child's, the run must end in an error naming
    both counts (exit status 2), not in a report of two files. The child is
    stopped (SIGSTOP) as soon as it exists, the file grows once process 0
    waits for it, then the child goes on."""
    import signal
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "replicated.pcap")
        replicated_capture(root, base, copies=200)
        data = open(base, "rb").read()
        p = os.path.join(d, "growing.pcap")
        for attempt in range(5):
            with open(p, "wb") as f:
                f.write(data)
            proc = subprocess.Popen([tcpref, "analyze", "--threads", "2", "-f", "json", "-o", os.devnull, p],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            kid, waited = None, False
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                if kid is None:
                    try:
                        with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                            kids = f.read().split()
                        if kids:
                            kid = int(kids[0])
                            os.kill(kid, signal.SIGSTOP)
                    except OSError:
                        pass
                else:
                    with open("/proc/%d/wchan" % proc.pid) as f:
                        if f.read().strip() == "do_wait":  # process 0 is done, waiting for the child
                            waited = True
                            break
                time.sleep(0.0002)
            if kid is not None and waited:
                with open(p, "ab") as f:
                    f.write(data[24:])  # the same records again: more packets
            if kid is not None:
                try:
                    os.kill(kid, signal.SIGCONT)
                except OSError:
                    pass
            err = proc.communicate(timeout=TIMEOUT_S)[1].decode("utf-8", "replace")
            if kid is None or not waited:
                continue  # the child had finished, or was caught too late: again
            res.check(proc.returncode == 2 and "the file changed while 2 processes read it" in err,
                      "a file that grows between the processes' passes: exit %d, %s"
                      % (proc.returncode, err.strip()[:200]))
            return
        res.check(False, "a file that grows: never caught the child before it finished, in 5 attempts")


CHECKS = {
    "threads": [test_threads_give_the_single_thread_report, test_threads_give_the_single_thread_text_report,
                test_several_files_in_one_run, test_standard_input_is_read_by_one_thread,
                test_time_stepping_back_at_the_linger_boundary, test_many_connections_written_by_several_threads,
                test_a_process_that_dies_is_an_error, test_a_file_that_changes_while_read_is_an_error],
    "shards": [test_merged_shards_give_the_whole_report, test_merge_refuses_an_incomplete_set,
               test_shard_option_is_checked],
    "json": [test_streaming_json_is_the_jansson_dump],
}


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    tcpref, root = sys.argv[1], sys.argv[2]
    if not os.access(tcpref, os.X_OK):
        print("FAIL: %s is not an executable" % tcpref)
        return 1
    files = captures(root)
    res = Results()
    for name in sys.argv[3:] or sorted(CHECKS):
        for fn in CHECKS[name]:
            before = len(res.failures)
            fn(res, tcpref, files)
            print("%s %s" % ("ok  " if len(res.failures) == before else "FAIL", fn.__name__))
    print("%d checks over %d captures, %d failed" % (res.checks, len(files), len(res.failures)))
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
