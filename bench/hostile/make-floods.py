#!/usr/bin/python3
"""make-floods.py OUTDIR: two hostile captures for tcpref's memory bounds.

  syn-flood.pcap       1,000,000 SYNs, each from a distinct source address and
                       port (10.0.0.0/8 counted up, ports 1024-65535 cycling),
                       to 192.0.2.80:80, 1 us apart; none answered
  segment-flood.pcap   one connection: a handshake, then 1,000,000 one-byte
                       data segments of the client sent out of order (the
                       first byte never arrives: every later byte is held as a
                       hole behind it, and each segment lands at an offset no
                       earlier segment covered, in a scattered order), each
                       answered by a duplicate ACK with a SACK block

Classic pcap, Ethernet, microsecond timestamps, no payload beyond the one
byte; checksums are left 0 (tcpref verifies them only with
--verify-checksums). Pure standard library; about 10 s.

Usage: /usr/bin/python3 bench/hostile/make-floods.py OUTDIR [--count N]
"""
import os
import struct
import sys

EPOCH = 1767225600
N = 1000000


def rec(t_us, frame):
    return struct.pack("<IIII", EPOCH + t_us // 1000000, t_us % 1000000, len(frame), len(frame)) + frame


def hdr():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


ETH = bytes.fromhex("020000000002" "020000000001" "0800")


def ip4(src, dst, tcp_len, ident):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, ident & 0xFFFF, 0x4000, 64, 6, 0,
                       src, dst)


def tcp(sport, dport, seq, ack, flags, win, opts=b"", payload=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4,
                       flags, win, 0, 0) + opts + payload


def syn_flood(path, n):
    dst = bytes([192, 0, 2, 80])
    syn_opts = bytes.fromhex("020405b4") + bytes.fromhex("01030307")
    with open(path, "wb") as f:
        f.write(hdr())
        buf = []
        for i in range(n):
            a = 0x0A000001 + i
            src = struct.pack("!I", a)
            t = tcp(1024 + i % 64512, 80, i * 7919, 0, 0x02, 64240, syn_opts)
            buf.append(rec(i, ETH + ip4(src, dst, len(t), i) + t))
            if len(buf) == 65536:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))


def scatter(n):
    """Offsets 1..n in an order where each lands in a new place, far from the
    one before: i * step mod n, step coprime to n."""
    step = 7919
    while n % step == 0:
        step += 2
    for i in range(n):
        yield 1 + (i * step) % n


def segment_flood(path, n):
    c, s = bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])
    cp, sp = 40000, 80
    isn_c, isn_s = 1000, 5000000
    synopt = bytes.fromhex("020405b4" "0402" "0103030e" "0101")  # MSS, SACK-permitted, WS 14, pad to 12
    out = [hdr()]

    def seg(t, fromc, seq, ack, flags, win=65535, opts=b"", payload=b""):
        a, b = (c, s) if fromc else (s, c)
        x, y = (cp, sp) if fromc else (sp, cp)
        tt = tcp(x, y, seq, ack, flags, win, opts, payload)
        out.append(rec(t, ETH + ip4(a, b, len(tt), len(out)) + tt))

    seg(0, True, isn_c, 0, 0x02, 64240, synopt)
    seg(100, False, isn_s, isn_c + 1, 0x12, 65160, synopt)
    seg(200, True, isn_c + 1, isn_s + 1, 0x10, 2048)
    t = 300
    with open(path, "wb") as f:
        for i, off in enumerate(scatter(n)):
            seq = isn_c + 1 + off
            seg(t, True, seq, isn_s + 1, 0x18, 2048, payload=b"x")
            sack = bytes.fromhex("0101050a") + struct.pack("!II", seq, seq + 1)
            seg(t + 1, False, isn_s + 1, isn_c + 1, 0x10, 65535, sack)
            t += 2
            if len(out) >= 65536:
                f.write(b"".join(out))
                out = []
        f.write(b"".join(out))


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[0]
    n = int(argv[argv.index("--count") + 1]) if "--count" in argv else N
    os.makedirs(outdir, exist_ok=True)
    syn_flood(os.path.join(outdir, "syn-flood.pcap"), n)
    segment_flood(os.path.join(outdir, "segment-flood.pcap"), n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
