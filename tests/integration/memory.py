#!/usr/bin/python3
"""memory.py TCPREF SRCDIR TT_MAXRSS: tcpref's peak memory is flat in the length of a
capture and grows by at most 1 KB per connection (issue 7's targets; the
benchmark measures the same on its captures, docs/performance.md, Memory).

Measured with the kernel's own account: the peak resident set (ru_maxrss)
of `tcpref analyze --threads 1 -f json -o -`, forked by the small helper
tests/support/tt_maxrss (forked from Python, a child's ru_maxrss would
start at Python's own resident set).

- base: corpus/kernel-clean-reqresp (one connection, 16 packets);
- length: one connection of 300,000 ACKs (written here): the peak may not
  exceed the base by more than 1 MiB (the read window, the flow table's
  first size and allocator noise; nothing per packet);
- connections: real kernel traffic, corpus/kernel-many-short (40
  connections, 400 packets) copied 500 times with the second and third
  octets of both addresses set to the copy's number and its times shifted
  by 2 ms per copy: 20,000 connections, 200,000 packets. All 20,000 must be
  in the report, the peak under 32 MiB, and (peak - base) / 20,000 at most
  1,024 bytes.

Under AddressSanitizer (the sanitizer build of the suite) the resident set
is the sanitizer's more than tcpref's: the bounds are not checked there,
saying so; the report's connection count still is.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

COPIES = 500
LONG = 300000
PER_CONN_MAX = 1024
TOTAL_MAX = 32 << 20


def peak_rss(helper, argv):
    """(exit status, stdout, peak RSS in bytes) of one run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        rc = subprocess.run([helper] + argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL).returncode
        out.seek(0)
        err.seek(0)
        last = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        fields = last[0].split() if last else []
        if len(fields) != 4 or fields[0] != "maxrss":
            return -1, b"", 0
        return rc, out.read(), int(fields[1]) * 1024


def replicated(src, dst, copies):
    data = open(src, "rb").read()
    magic, _, _, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and link == 1, "%s: expected a microsecond Ethernet pcap" % src
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec * 1000000 + usec, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    out = []
    for k in range(copies):
        hi, lo = (k >> 8) + 1, k & 0xFF
        for us, orig, frame in recs:
            f = bytearray(frame)
            if len(f) >= 34 and f[12:14] == b"\x08\x00":
                f[14 + 13], f[14 + 14], f[14 + 17], f[14 + 18] = hi, lo, hi, lo
            out.append((us + 2000 * k, orig, bytes(f)))
    out.sort(key=lambda r: r[0])
    with open(dst, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, 1))
        for us, orig, frame in out:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(frame), orig))
            f.write(frame)


def long_connection(dst):
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    with open(dst, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(LONG):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0x4000, 64, 6, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            tcp = struct.pack("!HHIIBBHHH", 40000, 8080, 1000, 1 + i, 0x50, 0x10, 1000, 0, 0)
            us = i * 10
            f.write(struct.pack("<IIII", 1700000000 + us // 1000000, us % 1000000, 54, 54))
            f.write(eth + ip + tcp)


def main(tcpref, src, helper):
    res = oracle.Results("memory")

    sanitized = b"__asan_init" in open(tcpref, "rb").read()
    if sanitized:
        print("note: %s is built with AddressSanitizer: memory bounds not checked" % tcpref)
    many_short = os.path.join(src, "corpus", "kernel-many-short", "capture.pcap")
    clean = os.path.join(src, "corpus", "kernel-clean-reqresp", "capture.pcap")
    for p in (many_short, clean):
        if not os.path.exists(p):
            oracle.skip("%s is absent" % p)
    run = [tcpref, "analyze", "--threads", "1", "-f", "json", "-o", "-"]
    with tempfile.TemporaryDirectory() as tmp:
        rc, out, base = peak_rss(helper, run + [clean])
        res.check(rc == 0, "base", "exit 0 on %s" % clean)
        print("     base peak RSS %.1f MiB" % (base / 2**20))

        long_cap = os.path.join(tmp, "long.pcap")
        long_connection(long_cap)
        rc, out, rss = peak_rss(helper, run + [long_cap])
        pk = json.loads(out)["summary"]["packets"] if rc == 0 else -1
        res.check(rc == 0 and pk == LONG, "length", "exit 0, %d packets in the report (got %s, %s)" % (LONG, rc, pk))
        if not sanitized:
            res.check(rss - base <= 1 << 20, "length", "peak %.1f MiB, within 1 MiB of the base %.1f MiB"
                      % (rss / 2**20, base / 2**20))

        cap = os.path.join(tmp, "many.pcap")
        replicated(many_short, cap, COPIES)
        rc, out, rss = peak_rss(helper, run + [cap])
        n = json.loads(out)["summary"]["connections"] if rc == 0 else -1
        res.check(rc == 0 and n == 40 * COPIES, "connections", "exit 0, %d in the report (got %s, %s)"
                  % (40 * COPIES, rc, n))
        if not sanitized and n > 0:
            per = (rss - base) / n
            res.check(rss < TOTAL_MAX, "connections", "peak %.1f MiB < 32 MiB" % (rss / 2**20))
            res.check(per <= PER_CONN_MAX, "connections", "%.0f bytes per connection beyond the base (<= %d)"
                      % (per, PER_CONN_MAX))

    return res.finish("peak RSS per connection")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*(os.path.abspath(a) for a in sys.argv[1:4])))
