#!/usr/bin/python3
"""make-malformed.py: the malformed-capture suite of tcpref (corpus/malformed/).

Every file is a small capture damaged in exactly one way the generator
knows: the frame it broke, the byte offset of that frame's record (or block)
in the file, and what tcpref must still report from what came before. Each
file is listed in corpus/malformed/manifest.json with:

  file        name in corpus/malformed/
  what        what is wrong, in words
  exit        the exit status `tcpref analyze` must return (README.md:
              0 the analysis ran, 2 input that is damaged; the report still
              covers everything before the damage)
  error       for exit 2: fragments the one error line must hold: the file
              name, "frame N" (absent when the file header itself is
              damaged), "byte offset O", and a number from the damage
  warnings    fragments of non-fatal warnings (a record longer than the
              snapshot length, ...), each naming the file, frame and offset
  packets, tcp_segments, connections
              what the JSON report must still count
  decode      packets per decode outcome the report must count
  finding     a finding the report must hold: rule, frame, and a fragment
              of its reason or observed text
  counters    other input.files[] counters (timestamps_backwards, ...)

tests/integration/malformed.py runs every subcommand that reads captures on
every file and checks all of it. The expectations come from the
construction below, not from tcpref's output.

Pure Python 3 standard library: /usr/bin/python3 corpus/tools/make-malformed.py
[--out DIR] (default corpus/malformed). Deterministic: same bytes every run.
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
EPOCH = 1767225600  # 2026-01-01T00:00:00Z
CLIENT4, SERVER4 = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])
CLIENT6 = bytes.fromhex("20010db8000000000000000000000001")
SERVER6 = bytes.fromhex("20010db8000000000000000000000002")
CPORT, SPORT = 40000, 80
MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10

# ------------------------------------------------------------ packet bytes


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_options(mss=None, ws=None, sackok=False, ts=None):
    """RFC 9293 §3.2 MSS, RFC 7323 window scale and timestamps, RFC 2018
    SACK-permitted, laid out as Linux does, padded to 4 bytes."""
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sackok:
        o += bytes([4, 2])
    if ts is not None:
        o += (b"\x01\x01" if not sackok else b"") + struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if ws is not None:
        o += bytes([1, 3, 3, ws])
    while len(o) % 4:
        o += b"\x00"
    return o


def tcp(src, dst, sport, dport, seq, ack, flags, win=64240, opts=b"", payload=b"",
        doff=None, ipver=4, csum_len=None):
    """A TCP header (RFC 9293 §3.1) with a correct checksum over the
    pseudo-header of src/dst. doff overrides the data offset (in words)."""
    hlen = 20 + len(opts)
    off = (hlen // 4) if doff is None else doff
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, win, 0, 0) + opts
    seg = hdr + payload
    n = len(seg) if csum_len is None else csum_len
    if ipver == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, n)
    else:
        pseudo = src + dst + struct.pack("!IxxxB", n, 6)
    c = csum16(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, payload, proto=6, ihl=5, total=None, opts=b"", ident=1, frag=0x4000, ttl=64):
    """An IPv4 header (RFC 791) with its checksum; ihl and total override
    the header length (words) and total length fields."""
    hl = 20 + len(opts)
    ihl_v = ihl if ihl is not None else hl // 4
    tot = hl + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl_v, 0, tot, ident, frag, ttl, proto, 0, src, dst)
    h += opts
    c = csum16(h)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, payload, nh=6, plen=None, ext=b""):
    """An IPv6 header (RFC 8200 §3), extension headers already in ext."""
    n = len(ext) + len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000, n, nh, 64, src, dst) + ext + payload


def eth(payload, ethertype=0x0800, tags=()):
    """Ethernet II; each tag is (TPID, TCI) (IEEE 802.1Q / 802.1ad)."""
    h = MAC_S + MAC_C
    for tpid, tci in tags:
        h += struct.pack("!HH", tpid, tci)
    return h + struct.pack("!H", ethertype) + payload


# ------------------------------------------------------------ the conversation

ISN_C, ISN_S = 1000000, 2000000
REQ = bytes((i * 7) & 0xFF for i in range(100))
RESP = bytes((i * 13) & 0xFF for i in range(150))


def conversation():
    """A clean IPv4 connection over Ethernet: handshake with MSS, SACK-
    permitted, timestamps and window scale, a request and a response, a
    FIN close. Returns [(time_s, frame_bytes)], 10 frames."""
    c, s = ISN_C, ISN_S
    out = []

    def seg(t, fromc, seq, ack, flags, payload=b"", opts=b"", win=502):
        a, b = (CLIENT4, SERVER4) if fromc else (SERVER4, CLIENT4)
        sp, dp = (CPORT, SPORT) if fromc else (SPORT, CPORT)
        t_ = tcp(a, b, sp, dp, seq, ack, flags, win, opts, payload)
        out.append((t, eth(ipv4(a, b, t_, ident=len(out) + 1))))

    syn_o = tcp_options(mss=1460, sackok=True, ts=(100, 0), ws=7)
    seg(0.000, True, c, 0, SYN, opts=syn_o, win=64240)
    seg(0.010, False, s, c + 1, SYN | ACK, opts=tcp_options(mss=1460, sackok=True, ts=(500, 100), ws=7),
        win=65160)
    ts = lambda v, e: b"\x01\x01" + struct.pack("!BBII", 8, 10, v, e)  # noqa: E731
    seg(0.020, True, c + 1, s + 1, ACK, opts=ts(110, 500))
    seg(0.021, True, c + 1, s + 1, PSH | ACK, REQ, opts=ts(111, 500))
    seg(0.031, False, s + 1, c + 101, ACK, opts=ts(510, 111))
    seg(0.032, False, s + 1, c + 101, PSH | ACK, RESP, opts=ts(511, 111))
    seg(0.042, True, c + 101, s + 151, ACK, opts=ts(121, 511))
    seg(0.050, True, c + 101, s + 151, FIN | ACK, opts=ts(129, 511))
    seg(0.060, False, s + 151, c + 102, FIN | ACK, opts=ts(520, 129))
    seg(0.070, True, c + 102, s + 152, ACK, opts=ts(140, 520))
    return out


def data_segment(payload_tcp_opts=b"", doff=None, flags=PSH | ACK, payload=b"extra"):
    """A client segment in the middle of the conversation (after frame 4),
    as TCP bytes, for the decode cases to damage."""
    return tcp(CLIENT4, SERVER4, CPORT, SPORT, ISN_C + 101, ISN_S + 1, flags, 502,
               payload_tcp_opts, payload, doff=doff)


# ------------------------------------------------------------ file writers

PCAP_US, PCAP_NS = 0xA1B2C3D4, 0xA1B23C4D


def pcap_header(magic=PCAP_US, major=2, minor=4, snaplen=262144, linktype=1, endian="<"):
    return struct.pack(endian + "IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def pcap_record(t, data, caplen=None, origlen=None, ns=False, endian="<", frac=None):
    scale = 10 ** 9 if ns else 10 ** 6
    units = int(round((EPOCH + t) * scale))
    sec = units // scale
    f = frac if frac is not None else units % scale
    cl = len(data) if caplen is None else caplen
    ol = len(data) if origlen is None else origlen
    return struct.pack(endian + "IIII", sec, f, cl, ol) + data


class Pcap:
    """A classic pcap being written; records remember their offsets."""

    def __init__(self, **hdr):
        self.ns = hdr.get("magic") == PCAP_NS
        self.buf = bytearray(pcap_header(**hdr))
        self.offsets = []

    def add(self, t, data, **kw):
        self.offsets.append(len(self.buf))
        self.buf += pcap_record(t, data, ns=self.ns, **kw)
        return self.offsets[-1]

    def raw(self, b):
        off = len(self.buf)
        self.buf += b
        return off


def ng_block(btype, body, endian="<", trailer_len=None, lead_len=None):
    n = 12 + len(body)
    return (struct.pack(endian + "II", btype, n if lead_len is None else lead_len) + body +
            struct.pack(endian + "I", n if trailer_len is None else trailer_len))


def ng_shb(endian="<", major=1, bom=0x1A2B3C4D):
    body = struct.pack(endian + "IHHq", bom, major, 0, -1)
    return ng_block(0x0A0D0D0A, body, endian)


def ng_idb(linktype=1, snaplen=262144, tsresol=None, endian="<"):
    body = struct.pack(endian + "HHI", linktype, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(endian + "HHB3x", 9, 1, tsresol)
        body += struct.pack(endian + "HH", 0, 0)
    return ng_block(1, body, endian)


def ng_epb(t, data, iface=0, endian="<", caplen=None, origlen=None, ts_units=None):
    units = int(round((EPOCH + t) * 1e6)) if ts_units is None else ts_units
    cl = len(data) if caplen is None else caplen
    ol = len(data) if origlen is None else origlen
    pad = b"\0" * (-len(data) % 4)
    body = struct.pack(endian + "IIIII", iface, units >> 32, units & 0xFFFFFFFF, cl, ol) + data + pad
    return ng_block(6, body, endian)


class Pcapng:
    def __init__(self, endian="<"):
        self.endian = endian
        self.buf = bytearray(ng_shb(endian) + ng_idb(endian=endian))
        self.offsets = []

    def add(self, t, data, **kw):
        self.offsets.append(len(self.buf))
        self.buf += ng_epb(t, data, endian=self.endian, **kw)
        return self.offsets[-1]

    def raw(self, b):
        off = len(self.buf)
        self.buf += b
        return off


# ------------------------------------------------------------ the cases

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def good(k):
    return conversation()[:k]


def expect(name, what, data, exit, **kw):
    e = {"file": name, "what": what, "exit": exit}
    e.update(kw)
    return e, bytes(data)


def conns(k):
    return 1 if k > 0 else 0


@case
def pcap_header_truncated():
    """The 24-byte pcap file header cut at each byte, 0 to 23."""
    hdr = pcap_header()
    for n in range(24):
        name = "pcap-header-cut-%02d.pcap" % n
        yield expect(name, "pcap file header cut after %d of its 24 bytes" % n, hdr[:n], 2,
                     error=[name, "byte offset 0", "%d" % n], packets=0, tcp_segments=0,
                     connections=0)


@case
def pcapng_header_truncated():
    """The 28-byte section header block (and the IDB after it) cut at each
    byte: the file ends inside the first block."""
    shb = ng_shb()
    for n in range(len(shb)):
        name = "pcapng-shb-cut-%02d.pcapng" % n
        yield expect(name, "pcapng section header block cut after %d of its %d bytes"
                     % (n, len(shb)), shb[:n], 2,
                     error=[name, "byte offset 0"] + (["%d" % n] if n else []), packets=0,
                     tcp_segments=0, connections=0)


@case
def pcap_bad_magic():
    p = Pcap()
    for t, f in good(3):
        p.add(t, f)
    data = struct.pack("<I", 0xDEADBEEF) + bytes(p.buf[4:])
    name = "pcap-bad-magic.pcap"
    yield expect(name, "magic number 0xdeadbeef: neither pcap nor pcapng", data, 2,
                 error=[name, "byte offset 0", "0xdeadbeef"], packets=0, tcp_segments=0,
                 connections=0)


@case
def pcap_bad_version():
    p = Pcap(major=3)
    for t, f in good(3):
        p.add(t, f)
    name = "pcap-bad-version.pcap"
    yield expect(name, "pcap major version 3 (only 2 exists)", p.buf, 2,
                 error=[name, "byte offset 4", "3.4"], packets=0, tcp_segments=0, connections=0)


@case
def pcap_caplen_over_256k():
    p = Pcap()
    for t, f in good(3):
        p.add(t, f)
    off = p.raw(struct.pack("<IIII", EPOCH, 30000, 262145, 262145) + b"\0" * 64)
    name = "pcap-caplen-over-256k.pcap"
    yield expect(name, "record 4 claims 262145 captured bytes (more than 256 KiB)", p.buf, 2,
                 error=[name, "frame 4", "byte offset %d" % off, "262145"], packets=3,
                 tcp_segments=3, connections=1)


@case
def pcap_caplen_huge():
    p = Pcap(endian=">")
    for t, f in good(5):
        p.add(t, f, endian=">")
    off = p.raw(struct.pack(">IIII", EPOCH, 40000, 0xFFFFFFFF, 60))
    name = "pcap-caplen-4g.pcap"
    yield expect(name, "big-endian pcap; record 6 claims 4294967295 captured bytes", p.buf, 2,
                 error=[name, "frame 6", "byte offset %d" % off, "4294967295"], packets=5,
                 tcp_segments=5, connections=1)


@case
def pcap_caplen_over_snaplen():
    conv = conversation()
    p = Pcap(snaplen=96)
    offs = [p.add(t, f[:96] if i != 3 else f, origlen=len(f)) for i, (t, f) in enumerate(conv)]
    name = "pcap-caplen-over-snaplen.pcap"
    cap4 = len(conv[3][1])
    yield expect(name, "snapshot length 96; record 4 holds %d captured bytes" % cap4, p.buf, 0,
                 warnings=[[name, "frame 4", "byte offset %d" % offs[3], "%d" % cap4, "96"]],
                 packets=10, tcp_segments=10, connections=1,
                 counters={"warnings_total": 1})


@case
def pcap_caplen_over_origlen():
    conv = conversation()
    p = Pcap()
    offs = []
    for i, (t, f) in enumerate(conv):
        offs.append(p.add(t, f, origlen=60 if i == 4 else None))
    name = "pcap-caplen-over-origlen.pcap"
    cap5 = len(conv[4][1])
    yield expect(name, "record 5 holds %d captured bytes but says 60 were on the wire" % cap5,
                 p.buf, 0, warnings=[[name, "frame 5", "byte offset %d" % offs[4], "%d" % cap5,
                                      "60"]],
                 packets=10, tcp_segments=10, connections=1, counters={"warnings_total": 1})


@case
def pcap_zero_length():
    conv = conversation()
    p = Pcap()
    for t, f in conv[:4]:
        p.add(t, f)
    p.add(0.0205, b"", origlen=0)
    p.add(0.0206, b"", origlen=74)
    for t, f in conv[4:]:
        p.add(t, f)
    name = "pcap-zero-length-records.pcap"
    yield expect(name, "records 5 and 6 hold no captured byte (original length 0 and 74)",
                 p.buf, 0, packets=12, tcp_segments=10, connections=1,
                 decode={"truncated": 2, "tcp": 10},
                 finding={"rule": "capture.truncated-packet", "frame": 5, "text": "Ethernet"})


@case
def pcap_record_cut():
    p = Pcap()
    for t, f in good(5):
        p.add(t, f)
    t, f = conversation()[5]
    rec = pcap_record(t, f)
    off = p.raw(rec[:16 + 40])
    name = "pcap-record-cut.pcap"
    yield expect(name, "record 6 says %d captured bytes; the file ends 40 bytes into them"
                 % len(f), p.buf, 2,
                 error=[name, "frame 6", "byte offset %d" % off, "%d" % len(f)], packets=5,
                 tcp_segments=5, connections=1)


@case
def pcap_record_header_cut():
    p = Pcap(magic=PCAP_NS)
    for t, f in good(7):
        p.add(t, f)
    off = p.raw(pcap_record(0.05, b"x" * 60, ns=True)[:7])
    name = "pcap-record-header-cut.pcap"
    yield expect(name, "nanosecond pcap; the file ends 7 bytes into record 8's header", p.buf, 2,
                 error=[name, "frame 8", "byte offset %d" % off, "7"], packets=7,
                 tcp_segments=7, connections=1)


@case
def pcap_timestamps_backwards():
    conv = conversation()
    p = Pcap()
    for i, (t, f) in enumerate(conv):
        p.add(t if i not in (4, 7) else t - 0.5, f)
    name = "pcap-timestamps-backwards.pcap"
    yield expect(name, "records 5 and 8 are timestamped 0.5 s before the records before them",
                 p.buf, 0, packets=10, tcp_segments=10, connections=1,
                 counters={"timestamps_backwards": 2})


@case
def pcap_ns_fraction():
    conv = conversation()
    p = Pcap(magic=PCAP_NS)
    offs = []
    for i, (t, f) in enumerate(conv):
        offs.append(p.add(t, f, frac=1000000000 if i == 2 else (4294967295 if i == 6 else None)))
    name = "pcap-ns-fraction-1e9.pcap"
    yield expect(name, "nanosecond pcap; record 3's fraction is 1000000000 and record 7's "
                 "4294967295 (not below 1e9)", p.buf, 0,
                 warnings=[[name, "frame 3", "byte offset %d" % offs[2], "1000000000"],
                           [name, "frame 7", "byte offset %d" % offs[6], "4294967295"]],
                 packets=10, tcp_segments=10, connections=1, counters={"warnings_total": 2})


@case
def pcap_us_fraction():
    conv = conversation()
    p = Pcap()
    offs = []
    for i, (t, f) in enumerate(conv):
        offs.append(p.add(t, f, frac=1000000 if i == 1 else None))
    name = "pcap-us-fraction-1e6.pcap"
    yield expect(name, "microsecond pcap; record 2's fraction is 1000000", p.buf, 0,
                 warnings=[[name, "frame 2", "byte offset %d" % offs[1], "1000000"]],
                 packets=10, tcp_segments=10, connections=1, counters={"warnings_total": 1})


# ---- pcapng blocks


def ng_with(k, endian="<"):
    n = Pcapng(endian)
    for t, f in good(k):
        n.add(t, f)
    return n


@case
def pcapng_lengths_disagree():
    n = ng_with(4)
    t, f = conversation()[4]
    blk = bytearray(ng_epb(t, f))
    blk[-4:] = struct.pack("<I", len(blk) + 8)
    off = n.raw(blk)
    name = "pcapng-lengths-disagree.pcapng"
    yield expect(name, "block of frame 5: leading length %d, trailing %d" % (len(blk), len(blk) + 8),
                 n.buf, 2, error=[name, "frame 5", "byte offset %d" % off, "%d" % len(blk),
                                  "%d" % (len(blk) + 8)],
                 packets=4, tcp_segments=4, connections=1)


@case
def pcapng_length_not_multiple_of_4():
    n = ng_with(6)
    t, f = conversation()[6]
    blk = bytearray(ng_epb(t, f))
    bad = len(blk) - 2
    blk[4:8] = struct.pack("<I", bad)
    off = n.raw(blk)
    name = "pcapng-length-not-4.pcapng"
    yield expect(name, "block of frame 7 says %d bytes, not a multiple of 4" % bad, n.buf, 2,
                 error=[name, "frame 7", "byte offset %d" % off, "%d" % bad], packets=6,
                 tcp_segments=6, connections=1)


@case
def pcapng_length_below_12():
    n = ng_with(2)
    off = n.raw(struct.pack("<II", 6, 8) + b"\0" * 16)
    name = "pcapng-length-below-12.pcapng"
    yield expect(name, "block after frame 2 says 8 bytes, below the 12-byte minimum", n.buf, 2,
                 error=[name, "frame 3", "byte offset %d" % off, "8"], packets=2,
                 tcp_segments=2, connections=1)


@case
def pcapng_block_past_end():
    n = ng_with(8)
    t, f = conversation()[8]
    blk = ng_epb(t, f)
    off = n.raw(blk[:len(blk) - 10])
    name = "pcapng-block-past-end.pcapng"
    yield expect(name, "block of frame 9 says %d bytes; the file ends %d bytes into it"
                 % (len(blk), len(blk) - 10), n.buf, 2,
                 error=[name, "frame 9", "byte offset %d" % off, "%d" % len(blk)], packets=8,
                 tcp_segments=8, connections=1)


@case
def pcapng_block_16m():
    n = ng_with(3)
    off = n.raw(struct.pack("<II", 6, 0x01000000) + b"\0" * 40)
    name = "pcapng-block-16m-in-small-file.pcapng"
    yield expect(name, "block after frame 3 says 16 MiB in a file of a few hundred bytes", n.buf,
                 2, error=[name, "frame 4", "byte offset %d" % off, "16777216"], packets=3,
                 tcp_segments=3, connections=1)


@case
def pcapng_unknown_block():
    conv = conversation()
    n = Pcapng()
    for i, (t, f) in enumerate(conv):
        if i == 5:
            n.raw(ng_block(0x0BADF00D, b"unknown block body!!"))
        n.add(t, f)
    name = "pcapng-unknown-block.pcapng"
    yield expect(name, "a block of unknown type 0x0badf00d between frames 5 and 6 (skipped, as "
                 "the pcapng draft says)", n.buf, 0, packets=10, tcp_segments=10, connections=1)


@case
def pcapng_undeclared_interface():
    n = ng_with(5)
    t, f = conversation()[5]
    off = n.add(t, f, iface=3)
    for t, f in conversation()[6:]:
        n.add(t, f)
    name = "pcapng-undeclared-interface.pcapng"
    yield expect(name, "frame 6 refers to interface 3; the section declares only interface 0",
                 n.buf, 2, error=[name, "frame 6", "byte offset %d" % off, "3"], packets=5,
                 tcp_segments=5, connections=1)


@case
def pcapng_packet_before_idb():
    buf = bytearray(ng_shb())
    t, f = conversation()[0]
    off = len(buf)
    buf += ng_epb(t, f)
    name = "pcapng-packet-before-interface.pcapng"
    yield expect(name, "frame 1 comes before any interface description block", buf, 2,
                 error=[name, "frame 1", "byte offset %d" % off, "0"], packets=0, tcp_segments=0,
                 connections=0)


@case
def pcapng_caplen_past_block():
    n = ng_with(3, endian=">")
    t, f = conversation()[3]
    blk = bytearray(ng_epb(t, f, endian=">"))
    blk[20:24] = struct.pack(">I", len(f) + 100)
    off = n.raw(blk)
    name = "pcapng-caplen-past-block.pcapng"
    yield expect(name, "big-endian pcapng; frame 4 says %d captured bytes in a %d-byte block"
                 % (len(f) + 100, len(blk)), n.buf, 2,
                 error=[name, "frame 4", "byte offset %d" % off, "%d" % (len(f) + 100)],
                 packets=3, tcp_segments=3, connections=1)


@case
def pcapng_bad_bom():
    n = ng_with(3)
    off = n.raw(ng_shb(bom=0x11223344))
    name = "pcapng-second-section-bad-bom.pcapng"
    yield expect(name, "a second section header whose byte-order magic is 0x11223344", n.buf, 2,
                 error=[name, "frame 4", "byte offset %d" % (off + 8), "0x11223344"], packets=3,
                 tcp_segments=3, connections=1)


@case
def pcapng_bad_version():
    buf = ng_shb(major=2) + ng_idb()
    name = "pcapng-bad-version.pcapng"
    yield expect(name, "section header of pcapng version 2.0", buf, 2,
                 error=[name, "frame 1", "byte offset 0", "2.0"], packets=0, tcp_segments=0,
                 connections=0)


@case
def pcapng_timestamps_backwards():
    conv = conversation()
    n = Pcapng()
    for i, (t, f) in enumerate(conv):
        n.add(t - 3.0 if i == 6 else t, f)
    name = "pcapng-timestamps-backwards.pcapng"
    yield expect(name, "frame 7 is timestamped 3 s before frame 6", n.buf, 0, packets=10,
                 tcp_segments=10, connections=1, counters={"timestamps_backwards": 1})


@case
def pcapng_ns_resolution_huge_units():
    buf = bytearray(ng_shb() + ng_idb(tsresol=9))
    conv = conversation()
    offs = []
    for i, (t, f) in enumerate(conv):
        units = int(round((EPOCH + t) * 1e9)) if i != 3 else 0xFFFFFFFFFFFFFFFF
        offs.append(len(buf))
        buf += ng_epb(t, f, ts_units=units)
    name = "pcapng-ns-timestamp-max.pcapng"
    yield expect(name, "if_tsresol 9 (ns); frame 4's timestamp is 2^64-1 ns (year 2554)", buf, 0,
                 warnings=[[name, "frame 4", "byte offset %d" % offs[3], "clamped"]],
                 packets=10, tcp_segments=10, connections=1,
                 counters={"timestamps_backwards": 1, "warnings_total": 1})


@case
def pcapng_tsoffset_negative():
    buf = bytearray(ng_shb())
    # the first interface is fine; the second one's if_tsoffset is -2^63 s
    buf += ng_idb()
    body = struct.pack("<HHI", 1, 0, 262144) + struct.pack("<HHq", 14, 8, -(1 << 63)) + b"\0" * 4
    buf += ng_block(1, body)
    conv = conversation()
    offs = []
    for i, (t, f) in enumerate(conv):
        offs.append(len(buf))
        buf += ng_epb(t, f, iface=1 if i == 6 else 0)
    name = "pcapng-tsoffset-negative.pcapng"
    yield expect(name, "frame 7 comes from an interface whose if_tsoffset is -2^63 seconds",
                 buf, 0, warnings=[[name, "frame 7", "byte offset %d" % offs[6], "clamped"]],
                 packets=10, tcp_segments=10, connections=1,
                 counters={"timestamps_backwards": 1, "warnings_total": 1})


# ---- decode: the record is fine, the packet in it is not


def with_frame_at(pos, frame, ng=False):
    """The conversation with `frame` inserted as frame pos+1 (1-based)."""
    conv = conversation()
    w = Pcapng() if ng else Pcap()
    offs = []
    for i, (t, f) in enumerate(conv):
        if i == pos:
            offs.append(w.add(conv[i - 1][0] + 0.0001, frame))
        offs.append(w.add(t, f))
    return w, offs


def decode_case(name, what, frame, dec, rule, text, pos=4, segs=10, tcp_extra=0, ng=False):
    w, _ = with_frame_at(pos, frame, ng)
    kw = {"packets": 11, "tcp_segments": segs + tcp_extra, "connections": 1}
    if dec:
        kw["decode"] = {dec: 1}
    if rule:
        kw["finding"] = {"rule": rule, "frame": pos + 1, "text": text}
    return expect(name, what, w.buf, 0, **kw)


@case
def ipv4_ihl():
    seg = data_segment()
    yield decode_case("ipv4-ihl-4.pcap", "frame 5: IPv4 IHL 4 (16 bytes), below the minimum 5",
                      eth(ipv4(CLIENT4, SERVER4, seg, ihl=4)), "malformed",
                      "capture.malformed-packet", "IHL")
    yield decode_case("ipv4-ihl-0.pcap", "frame 5: IPv4 IHL 0",
                      eth(ipv4(CLIENT4, SERVER4, seg, ihl=0)), "malformed",
                      "capture.malformed-packet", "IHL")
    # IHL 15 (60 bytes) but the total length says 40: the header runs past the packet
    yield decode_case("ipv4-ihl-beyond-total.pcap",
                      "frame 5: IPv4 IHL 15 (60 bytes) with a total length of 40",
                      eth(ipv4(CLIENT4, SERVER4, seg[:20], ihl=15, total=40)), "malformed",
                      "capture.malformed-packet", "total length")
    # IHL 15 and a total length of 100, but only 40 bytes of IP captured
    yield decode_case("ipv4-ihl-beyond-captured.pcap",
                      "frame 5: IPv4 IHL 15 (60 bytes); the frame holds only 40 bytes of IP",
                      eth(ipv4(CLIENT4, SERVER4, seg[:20], ihl=15, total=100)), "truncated",
                      "capture.truncated-packet", "IPv4 options")


def ip6_chain(n, nh_last=6, htype=0):
    """n extension headers of type htype (hop-by-hop: 0), each 8 bytes and
    pointing at the next of the same type: the chain loops as far as
    the packet lets it."""
    ext = b""
    for i in range(n):
        nxt = htype if i < n - 1 else nh_last
        ext += bytes([nxt, 0]) + b"\x01\x04\0\0\0\0"  # PadN over the rest
    return ext


@case
def ipv6_ext():
    seg = tcp(CLIENT6, SERVER6, CPORT, SPORT, 5000, 0, SYN, ipver=6)
    pkt = ipv6(CLIENT6, SERVER6, seg, nh=0, ext=ip6_chain(40))
    yield decode_case("ipv6-ext-loop.pcap", "frame 5: 40 IPv6 hop-by-hop headers, each naming "
                      "another hop-by-hop header as the next", eth(pkt, 0x86DD), "malformed",
                      "capture.malformed-packet", "extension headers")
    ext = bytes([60, 0]) + b"\x01\x04\0\0\0\0" + bytes([6, 255]) + b"\x01\x04\0\0\0\0"
    pkt = ipv6(CLIENT6, SERVER6, seg, nh=0, ext=ext)
    yield decode_case("ipv6-ext-overrun.pcap", "frame 5: an IPv6 destination-options header "
                      "whose length (2048 bytes) runs past the payload length",
                      eth(pkt, 0x86DD), "malformed", "capture.malformed-packet", "payload length")
    ext = bytes([44, 0]) + b"\x01\x04\0\0\0\0"
    pkt = ipv6(CLIENT6, SERVER6, seg, nh=0, ext=ext, plen=4)
    yield decode_case("ipv6-plen-below-ext.pcap", "frame 5: IPv6 payload length 4, below the "
                      "8-byte hop-by-hop header it starts with", eth(pkt, 0x86DD), "malformed",
                      "capture.malformed-packet", "payload length")


@case
def tcp_doff():
    yield decode_case("tcp-doff-4.pcap", "frame 5: TCP data offset 4 (16 bytes), below 5",
                      eth(ipv4(CLIENT4, SERVER4, data_segment(doff=4))), "malformed",
                      "capture.malformed-packet", "data offset")
    seg = data_segment(payload=b"")
    yield decode_case("tcp-doff-beyond-ip.pcap", "frame 5: TCP data offset 15 (60 bytes) in a "
                      "20-byte TCP segment (IP total length 40)",
                      eth(ipv4(CLIENT4, SERVER4, data_segment(doff=15, payload=b""))), "malformed",
                      "capture.malformed-packet", "data offset")
    # data offset 15 and the IP length agree, but the snapshot cut the options
    opts = b"\x01" * 40
    full = data_segment(payload_tcp_opts=opts, payload=b"")
    frame = eth(ipv4(CLIENT4, SERVER4, full))[:14 + 20 + 28]
    yield decode_case("tcp-doff-beyond-captured.pcap", "frame 5: TCP data offset 15; the frame "
                      "was cut 28 bytes into the TCP header (options not captured)", frame, None,
                      None, None, tcp_extra=1)
    del seg


@case
def tcp_option_lengths():
    base = tcp_options(ts=(115, 500))
    for label, opt, err in (("len-0", b"\x08\x00", "0"), ("len-1", b"\x08\x01", "1"),
                            ("overrun", b"\x08\x30", "past")):
        opts = opt + b"\x00" * (-len(opt) % 4)
        seg = data_segment(payload_tcp_opts=opts)
        name = "tcp-option-%s.pcap" % label
        w, _ = with_frame_at(4, eth(ipv4(CLIENT4, SERVER4, seg)))
        yield expect(name, "frame 5: TCP option kind 8 with length byte %s" % opt[1], w.buf, 0,
                     packets=11, tcp_segments=11, connections=1,
                     finding={"rule": "options.malformed", "frame": 5, "text": "offset 20"})
    del base


@case
def vlan_stack():
    seg = data_segment()
    frame = eth(ipv4(CLIENT4, SERVER4, seg), tags=[(0x8100, 100)] * 1000)
    yield decode_case("vlan-1000-tags.pcap", "frame 5: 1,000 stacked 802.1Q tags", frame,
                      "malformed", "capture.malformed-packet", "VLAN")
    frame = eth(ipv4(CLIENT4, SERVER4, seg), tags=[(0x88A8, 10), (0x8100, 20)] * 2)
    yield decode_case("vlan-cut.pcap", "frame 5: four 802.1ad/802.1Q tags, the frame cut in the "
                      "third", frame[:14 + 8 + 2], "truncated", "capture.truncated-packet",
                      "VLAN")


@case
def pcapng_decode():
    seg = data_segment()
    yield decode_case("pcapng-ipv4-ihl-4.pcapng", "pcapng; frame 5: IPv4 IHL 4",
                      eth(ipv4(CLIENT4, SERVER4, seg, ihl=4)), "malformed",
                      "capture.malformed-packet", "IHL", ng=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(CORPUS, "malformed"))
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    manifest = []
    for fn in CASES:
        for e, data in fn():
            with open(os.path.join(a.out, e["file"]), "wb") as f:
                f.write(data)
            manifest.append(e)
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump({"note": "generated by corpus/tools/make-malformed.py; see its docstring",
                   "cases": manifest}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%d files in %s" % (len(manifest), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
