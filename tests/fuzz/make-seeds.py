#!/usr/bin/python3
"""make-seeds.py OUTDIR: seed corpora for the fuzzing harnesses.

  fuzz_pcap       the corpus captures (corpus/*/capture.pcap), each cut to its
                  first records (at most 8 KiB), in their own byte order and
                  turned big-endian and nanosecond; the malformed suite's pcap
                  files (corpus/malformed/)
  fuzz_pcapng     the same captures written as pcapng: little- and big-endian,
                  microsecond and nanosecond interfaces, two interfaces with
                  different link types, two sections, simple packet blocks,
                  unknown blocks; the malformed suite's pcapng files
  fuzz_threads    the fuzz_pcap and fuzz_pcapng seeds (whole capture files)
  fuzz_decode     single frames of the captures, each behind the 4-byte
                  harness header (link type, flags, length delta), and the same
                  TCP/IP packets re-framed for every link type tcpref decodes
  fuzz_observer,  segment records (tests/fuzz/README.md) of whole
  fuzz_replay_compare  conversations: handshake, data, retransmissions, SACK,
                  zero windows, FIN and RST ends, IPv6 and VLAN connections

Deterministic; pure standard library (/usr/bin/python3).
"""
import glob
import importlib.util
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAXSEED = 8192

spec = importlib.util.spec_from_file_location("mm", os.path.join(ROOT, "corpus/tools/make-malformed.py"))
mm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mm)


def read_pcap(path):
    """(endian, nanosecond, linktype, snaplen, [(sec, frac, data, origlen)])."""
    with open(path, "rb") as f:
        b = f.read()
    magic = struct.unpack("<I", b[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", b[:4])[0]
    ns = magic == 0xA1B23C4D
    _, _, _, _, snap, lt = struct.unpack(e + "HHiIII", b[4:24])
    recs, off = [], 24
    while off + 16 <= len(b):
        sec, frac, cl, ol = struct.unpack(e + "IIII", b[off:off + 16])
        recs.append((sec, frac, b[off + 16:off + 16 + cl], ol))
        off += 16 + cl
    return e, ns, lt, snap, recs


def cut(recs, budget=MAXSEED):
    out, n = [], 24
    for r in recs:
        n += 16 + len(r[2])
        if n > budget and out:
            break
        out.append(r)
    return out


def write_pcap(recs, lt, snap, e="<", ns=False):
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    b = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, lt)
    for sec, frac, data, ol in recs:
        b += struct.pack(e + "IIII", sec, frac * 1000 if ns else frac, len(data), ol) + data
    return b


def write_pcapng(recs, lt, snap, e="<", ns=False, variant=0):
    b = mm.ng_shb(e) + mm.ng_idb(lt, snap, tsresol=9 if ns else None, endian=e)
    if variant == 1:  # a second interface of another link type, never used
        b += mm.ng_idb(276, 65535, endian=e)
    for i, (sec, frac, data, ol) in enumerate(recs):
        units = sec * (10 ** 9 if ns else 10 ** 6) + frac * (1000 if ns else 1)
        if variant == 2 and i % 3 == 2:  # simple packet blocks
            pad = b"\0" * (-len(data) % 4)
            b += mm.ng_block(3, struct.pack(e + "I", ol) + data + pad, e)
        else:
            b += mm.ng_epb(0, data, endian=e, origlen=ol, ts_units=units)
        if variant == 3 and i == len(recs) // 2:  # an unknown block, then a new section
            b += mm.ng_block(0x0BAD, b"\x01\x02\x03\x04", e)
            b += mm.ng_shb(e) + mm.ng_idb(lt, snap, endian=e)
    return b


def put(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


LINKS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147]  # as fuzz_decode.c's table


def reframe(ip, version):
    """The same IP packet behind each link type's header: (index, frame)."""
    et = b"\x08\x00" if version == 4 else b"\x86\xdd"
    af_host = struct.pack("<I", 2 if version == 4 else 30)
    af_net = struct.pack(">I", 2 if version == 4 else 24)
    yield LINKS.index(0), af_host + ip
    yield LINKS.index(108), af_net + ip
    yield LINKS.index(1), mm.MAC_S + mm.MAC_C + et + ip
    yield LINKS.index(1), mm.MAC_S + mm.MAC_C + b"\x88\xa8\x00\x0a\x81\x00\x00\x14" + et + ip
    yield LINKS.index(101), ip
    yield LINKS.index(228 if version == 4 else 229), ip
    yield LINKS.index(113), b"\x00\x00\x00\x01\x00\x06" + mm.MAC_C + b"\0\0" + et + ip
    yield LINKS.index(276), et + b"\0\0" + b"\0\0\0\x02" + b"\x00\x01\x00\x06" + mm.MAC_C + b"\0\0" + ip


def ip_of(frame):
    """The IP packet of an untagged Ethernet frame (None otherwise)."""
    if len(frame) > 14 and frame[12:14] in (b"\x08\x00", b"\x86\xdd"):
        return frame[14:], 4 if frame[12:14] == b"\x08\x00" else 6
    return None, 0


# ---- segment records (fuzz_segs.c)

def rec(flags, conn=0, d=0, seq=0, ack=0, ln=0, win=502, dt=(0, 10), mask=0, p1=0, p2=0,
        misc=0, seq_abs=False, ack_abs=False, cut=False, vlan=False, tag=0):
    ctl = conn | d << 2 | seq_abs << 3 | ack_abs << 4 | cut << 5 | vlan << 6 | tag << 7
    unit, n = dt
    return struct.pack(">BBIIHHHBBBB", flags, ctl, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, ln, win,
                       unit << 14 | n, mask, p1, p2, misc)


S, A, F, R, P = 0x02, 0x10, 0x01, 0x04, 0x08
SYNOPTS = dict(mask=0x0F, p1=182, p2=0x47)  # MSS 1456, SACK-permitted, TS (TSecr 0), WS 7
TS = dict(mask=0x08, p1=1, p2=0)


def handshake(conn=0, tag=0):
    return (rec(S, conn, 0, ack=0, ack_abs=True, win=64240, dt=(2, 1), tag=tag, **SYNOPTS) +
            rec(S | A, conn, 1, win=65160, dt=(2, 1), tag=tag, **SYNOPTS) +
            rec(A, conn, 0, dt=(2, 1), tag=tag, **TS))


def exchange(conn=0, tag=0, req=100, resp=300):
    return (rec(P | A, conn, 0, ln=req, dt=(1, 10), tag=tag, **TS) +
            rec(A, conn, 1, dt=(2, 1), tag=tag, **TS) +
            rec(P | A, conn, 1, ln=resp, dt=(1, 5), tag=tag, **TS) +
            rec(A, conn, 0, dt=(2, 1), tag=tag, **TS))


def close(conn=0, tag=0):
    return (rec(F | A, conn, 0, dt=(2, 1), tag=tag, **TS) +
            rec(F | A, conn, 1, dt=(2, 1), tag=tag, **TS) +
            rec(A, conn, 0, dt=(2, 1), tag=tag, **TS))


def conversations():
    base = handshake() + exchange() + close()
    yield "clean", base
    yield "rst", handshake() + exchange() + rec(R | A, 0, 1, dt=(2, 1))
    yield "refused", rec(S, 0, 0, ack_abs=True, **SYNOPTS) + rec(R | A, 0, 1, dt=(2, 1))
    yield "syn-retries", (rec(S, 0, 0, ack_abs=True, **SYNOPTS) +
                          rec(S, 0, 0, seq=0xFFFF, ack_abs=True, dt=(2, 100), **SYNOPTS) +
                          rec(S, 0, 0, seq=0xFFFF, ack_abs=True, dt=(2, 300), **SYNOPTS))
    # data lost before the capture point, retransmitted after an RTO
    rtx = (handshake() + rec(P | A, 0, 0, ln=1000, **TS) + rec(P | A, 0, 0, ln=1000, **TS) +
           rec(A, 0, 1, seq=0, ack=0xFFFF - 999, dt=(2, 1), **TS) +
           rec(P | A, 0, 0, seq=0xFFFF - 999, ln=1000, dt=(2, 30), **TS) +
           rec(A, 0, 1, dt=(2, 1), **TS))
    yield "rto", rtx
    sack = (handshake() + b"".join(rec(A, 0, 0, ln=1000, **TS) for _ in range(4)) +
            rec(A, 0, 1, ack=0xFFFF - 3999, mask=0x18, p1=1, p2=10) * 3 +
            rec(A, 0, 0, seq=0xFFFF - 3999, ln=1000, **TS) + rec(A, 0, 1, **TS))
    yield "sack-fast-retransmit", sack
    zw = (handshake() + rec(P | A, 0, 0, ln=500, **TS) + rec(A, 0, 1, win=0, **TS) +
          rec(A, 0, 0, seq=0xFFFF, ln=1, dt=(2, 20), **TS) + rec(A, 0, 1, win=0, **TS) +
          rec(A, 0, 1, win=1000, dt=(2, 50), **TS) + close())
    yield "zero-window", zw
    yield "ipv6", handshake(2) + exchange(2) + close(2)
    yield "vlan-pair", handshake(3) + exchange(0) + rec(A, 3, 1, vlan=True) + close(3)
    yield "two-conns", handshake(0) + handshake(1) + exchange(1) + exchange(0) + close(0) + close(1)
    yield "midstream", exchange() + exchange() + close()
    yield "dup-keepalive", (handshake() + rec(A, 0, 0, seq=0xFFFF, ln=1, dt=(2, 500), **TS) +
                            rec(A, 0, 1, **TS) + rec(A, 0, 1, misc=0x80, **TS))
    yield "cut-payload", handshake() + rec(P | A, 0, 0, ln=3000, cut=True, **TS) + rec(A, 0, 1, **TS)
    yield "expire", base + rec(0xFF, 0xFF, seq=1) + rec(0xFF, 0xFF, seq=0x80000001)
    yield "malformed-opts", handshake() + rec(A, 0, 0, ln=10, mask=0x28, p1=1, p2=0) + close()


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    out = argv[0]
    dec = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "corpus/*/capture.pcap"))):
        case = os.path.basename(os.path.dirname(path))
        e, ns, lt, snap, recs = read_pcap(path)
        recs = cut(recs)
        put(out + "/fuzz_pcap", case + ".pcap", write_pcap(recs, lt, snap, e, ns))
        for v in range(4):
            put(out + "/fuzz_pcapng", "%s-%d.pcapng" % (case, v),
                write_pcapng(cut(recs, MAXSEED // 2), lt, snap, "<>"[v % 2], v == 1, v))
        for sec, frac, data, ol in recs[:12]:
            key = data[:80]
            if key not in dec and lt in LINKS:
                dec[key] = bytes([LINKS.index(lt), 1, 0, 0]) + data
    put(out + "/fuzz_pcap", "crafted-be-ns.pcap",
        write_pcap([(mm.EPOCH, i, f, len(f)) for i, (t, f) in enumerate(mm.conversation())], 1,
                   262144, ">", True))
    for path in sorted(glob.glob(os.path.join(ROOT, "corpus/malformed/*.pcap"))):
        put(out + "/fuzz_pcap", "malformed-" + os.path.basename(path), open(path, "rb").read())
    for path in sorted(glob.glob(os.path.join(ROOT, "corpus/malformed/*.pcapng"))):
        data = open(path, "rb").read()
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            put(out + "/fuzz_pcapng", "malformed-" + os.path.basename(path), data)
    for src in ("fuzz_pcap", "fuzz_pcapng"):
        d = os.path.join(out, src)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            put(out + "/fuzz_threads", name, open(os.path.join(d, name), "rb").read())
    for i, v in enumerate(sorted(dec.values())):
        put(out + "/fuzz_decode", "corpus-%04d" % i, v)
    for i, (t, f) in enumerate(mm.conversation()):
        ip, ver = ip_of(f)
        for k, (link, frame) in enumerate(reframe(ip, ver)):
            put(out + "/fuzz_decode", "link-%02d-%d" % (i, k), bytes([link, 1, 0, 0]) + frame)
    for name, body in conversations():
        for cfg in (0x00, 0x03, 0x4E):
            put(out + "/fuzz_observer", "%s-%02x" % (name, cfg), bytes([cfg, 0x02]) + body)
        # replay: the recording (tag 0), and the run (tag 1): the same, or with
        # the response's bytes changed
        recs = [bytearray(body[i:i + 20]) for i in range(0, len(body), 20)]
        for r in recs:
            r[1] |= 0x80
        tagged = b"".join(recs)
        for r in recs:
            r[19] |= 0x40  # payload bytes differ
        differ = b"".join(recs)
        put(out + "/fuzz_replay_compare", name + "-same", b"\x00" + body + tagged)
        put(out + "/fuzz_replay_compare", name + "-server", b"\x01" + body + tagged)
        put(out + "/fuzz_replay_compare", name + "-differ", b"\x02" + body + differ)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
