#!/usr/bin/python3
"""progress.py TCPREF SRCDIR: the progress line of `tcpref analyze` on a
terminal (docs/performance.md, Progress).

What is promised: when standard error is a terminal, a long input shows
`tcpref: NAME: DONE/TOTAL MB (P%), R M packets/s` (or `DONE MB, R M
packets/s` when the size is unknown: standard input, a pipe), redrawn in
place ("\\r" and erase-line), at most four times a second and only once
the input has taken half a second; the line is erased when the input is
done, so the terminal is left as it was; nothing at all is written to
standard error when it is not a terminal.

An input has to take more than half a second for the line to appear, and
tcpref reads a small capture in milliseconds, so the runs are slowed from
outside: a pipe fed in 12 chunks 0.15 s apart, and a regular file read
with read(2) (TCPREF_NO_MMAP=1) under strace, each read(2) delayed 8 ms by
fault injection (that case is skipped, saying so, when strace is absent).
Standard error is the slave side of a pseudo-terminal (pty) made here.

The capture is written here: N = 300,000 ACKs of one connection (70 bytes
each, 21 MB), so the reader reports progress about four times (every
65,536 packets). The expected numbers are the capture's own: N packets in
the report (nothing dropped while drawing), the total size in MB in the
known-size line.
"""
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

N = 300000
ESC_LINE = b"\r\x1b[K"
UNKNOWN = re.compile(rb"\r\x1b\[Ktcpref: -: (\d+) MB, (\d+\.\d\d) M packets/s")
KNOWN = re.compile(rb"\r\x1b\[Ktcpref: ([^:]+): (\d+)/(\d+) MB \((\d+)%\), (\d+\.\d\d) M packets/s")


def capture():
    """A pcap of N ACKs from 10.0.0.1:40000 to 10.0.0.2:8080, one per 10 us."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    for i in range(N):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0x4000, 64, 6, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        tcp = struct.pack("!HHIIBBHHH", 40000, 8080, 1000, 1 + i, 0x50, 0x10, 1000, 0, 0)
        frame = eth + ip + tcp
        ts = i * 10
        out.append(struct.pack("<IIII", 1700000000 + ts // 1000000, ts % 1000000, len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def run_on_pty(argv, env=None, feed=None, stderr_tty=True, timeout=120):
    """Runs argv with stderr on a new pty (or a pipe); feed, if given, is
    written to stdin in 12 chunks 0.15 s apart. Returns (rc, stderr bytes)."""
    if stderr_tty:
        master, slave = pty.openpty()
        err = slave
    else:
        master = slave = None
        err = subprocess.PIPE
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err, env=env)
    if slave is not None:
        os.close(slave)
    if feed is not None:
        step = len(feed) // 12 + 1
        for k in range(0, len(feed), step):
            p.stdin.write(feed[k:k + step])
            p.stdin.flush()
            time.sleep(0.15)
        p.stdin.close()
    data = b""
    if master is not None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the slave side closed it
                break
            if not chunk:
                break
            data += chunk
        os.close(master)
    else:
        data = p.stderr.read()
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        rc = p.wait()
    return rc, data


def packets_in(path):
    with open(path) as f:
        return json.load(f)["summary"]["packets"]


def main(tcpref, src):
    res = oracle.Results("progress")

    with tempfile.TemporaryDirectory() as tmp:
        data = capture()
        cap = os.path.join(tmp, "acks.pcap")
        with open(cap, "wb") as f:
            f.write(data)
        report = os.path.join(tmp, "report.json")

        # 1. standard input fed slowly through a pipe, size unknown; the
        #    default thread count (the threaded reader where there are CPUs)
        rc, err = run_on_pty([tcpref, "analyze", "-f", "json", "-o", report, "-"], feed=data)
        lines = UNKNOWN.findall(err)
        res.check(rc == 0, "pipe", "exit 0 (got %s; stderr %r)" % (rc, err[-200:]))
        res.check(len(lines) >= 1, "pipe", "at least one progress line (stderr %r)" % err[-300:])
        res.check(all(0 < int(mb) <= len(data) / 1e6 + 1 for mb, _ in lines),
                  "pipe", "MB read within the input's %.0f MB: %r" % (len(data) / 1e6, lines))
        res.check(err.endswith(ESC_LINE), "pipe", "the line is erased at the end (stderr ends %r)" % err[-60:])
        res.check(err.replace(ESC_LINE, b"") == b"".join(
                m.group(0).replace(ESC_LINE, b"") for m in UNKNOWN.finditer(err)),
                "pipe", "nothing but progress lines on stderr (%r)" % err[-200:])
        res.check(rc == 0 and packets_in(report) == N, "pipe", "all %d packets in the report" % N)

        # 2. the same with standard error not a terminal: not a byte
        rc, err = run_on_pty([tcpref, "analyze", "-f", "json", "-o", report, "-"], feed=data,
                             stderr_tty=False)
        res.check(rc == 0 and err == b"", "not a terminal", "exit 0 and nothing on stderr (got %s, %r)"
                  % (rc, err[-200:]))

        # 3. a regular file, size known, one thread reading with read(2),
        #    each read(2) delayed 8 ms by strace
        strace = shutil.which("strace")
        if strace and subprocess.run([strace, "-f", "-qq", "-o", "/dev/null", "true"],
                                     capture_output=True).returncode != 0:
            print("skip regular-file case: strace cannot trace here (ptrace not permitted?)")
        elif not strace:
            print("skip regular-file case: strace is not installed (Debian: apt-get install strace); "
                  "it slows tcpref's reads so that the line appears")
        else:
            # LeakSanitizer (the sanitizer build) refuses to run under
            # ptrace; the other suites check leaks
            asan = os.environ.get("ASAN_OPTIONS", "")
            env = dict(os.environ, TCPREF_NO_MMAP="1",
                       ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0")
            rc, err = run_on_pty([strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=read",
                                  "-e", "inject=read:delay_exit=8000",
                                  tcpref, "analyze", "--threads", "1", "-f", "json", "-o", report, cap],
                                 env=env)
            lines = KNOWN.findall(err)
            total_mb = "%.0f" % (len(data) / 1e6)
            res.check(rc == 0, "file", "exit 0 (got %s; stderr %r)" % (rc, err[-200:]))
            res.check(len(lines) >= 1, "file", "at least one progress line (stderr %r)" % err[-300:])
            res.check(all(name == b"acks.pcap" and total.decode() == total_mb and
                          int(done) <= int(total) and 0 <= int(pct) <= 100 for name, done, total, pct, _ in lines),
                      "file", "name and total %s MB, done <= total: %r" % (total_mb, lines))
            res.check(err.endswith(ESC_LINE), "file", "the line is erased at the end (stderr ends %r)" % err[-60:])
            res.check(rc == 0 and packets_in(report) == N, "file", "all %d packets in the report" % N)

    return res.finish("progress line on a pty")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])))
