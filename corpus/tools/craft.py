#!/usr/bin/python3
"""craft.py: the crafted-violations half of tcpref's conformance corpus.

Each case is a correct TCP conversation between a client and a server (a
handshake with MSS, window scale, SACK-permitted and timestamps, data with a
20 ms round trip and delayed ACKs, a FIN close) into which exactly one
violation is put at a known frame. The conversation is simulated, not
replayed: two hosts with their own TCB state, a wire with a one-way delay,
and a capture point on one of the hosts; a packet is in the capture when it
was sent by the capturing host, or reached it.

Usage (Python 3 standard library + scapy, run with /usr/bin/python3):

    corpus/tools/craft.py --list            # case names and what they pin
    corpus/tools/craft.py                   # regenerate every case
    corpus/tools/craft.py crafted-rto-too-early crafted-baseline

Every case lands in corpus/<case>/: capture.pcap (classic pcap, Ethernet,
microsecond timestamps), README.md (the RFC behaviour, how the violation
was built, every frame) and expect.json (docs/expectations.md). Output is
deterministic: fixed addresses, ISNs and timestamp clocks seeded from the
case name, fixed capture times.
"""
import argparse
import json
import os
import random
import struct
import sys

from scapy.all import IP, TCP, Ether, IPv6, Raw, fragment  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
EPOCH_US = 1767225600 * 1000000  # 2026-01-01T00:00:00Z: frame 1 of every case
OWD = 0.010          # one-way delay: a 20 ms round trip
PROC = 0.000050      # a host answers a segment 50 us after it arrived
ACKPROC = 0.000005   # an immediate ACK leaves 5 us after the segment that triggered it
TX = 0.000012        # back-to-back segments, 1500 bytes at 1 Gbit/s
DELACK = 0.040       # Linux's delayed-ACK timer (TCP_DELACK_MIN)
MOD = 1 << 32

# ---------------------------------------------------------------- options

OPT_EOL, OPT_NOP, OPT_MSS, OPT_WS, OPT_SACKOK, OPT_SACK, OPT_TS = 0, 1, 2, 3, 4, 5, 8


def opt_bytes(opts):
    """Encodes a list of options: ('mss', v), ('ws', v), ('sackok',),
    ('ts', val, ecr), ('sack', [(l, r), ...]) with raw sequence numbers,
    ('nop',), ('eol',), ('raw', bytes). The result must be a multiple of
    4 bytes (the caller pads with NOP/EOL as a real stack does)."""
    out = b""
    for o in opts:
        k = o[0]
        if k == "nop":
            out += bytes([OPT_NOP])
        elif k == "eol":
            out += bytes([OPT_EOL])
        elif k == "mss":
            out += struct.pack("!BBH", OPT_MSS, 4, o[1])
        elif k == "ws":
            out += struct.pack("!BBB", OPT_WS, 3, o[1])
        elif k == "sackok":
            out += struct.pack("!BB", OPT_SACKOK, 2)
        elif k == "ts":
            out += struct.pack("!BBII", OPT_TS, 10, o[1] % MOD, o[2] % MOD)
        elif k == "sack":
            out += struct.pack("!BB", OPT_SACK, 2 + 8 * len(o[1]))
            for left, right in o[1]:
                out += struct.pack("!II", left % MOD, right % MOD)
        elif k == "raw":
            out += o[1]
        else:
            raise ValueError("unknown option %r" % (k,))
    if len(out) % 4:
        raise ValueError("options not padded to 32 bits: %d bytes" % len(out))
    return out


def stream_bytes(role, offset, n):
    """The deterministic byte stream of one side, as tests/peer does it:
    64-byte lines "c2s 000000000000 <letters>\\n" (or "s2c ...")."""
    tag = "c2s" if role == "c" else "s2c"
    out = bytearray()
    pos = offset
    while len(out) < n:
        line_no, col = divmod(pos, 64)
        head = "%s %012d " % (tag, line_no * 64)
        body = "".join(chr(97 + (line_no * 7 + i) % 26) for i in range(64 - len(head) - 1))
        line = (head + body + "\n").encode()
        take = min(64 - col, n - len(out))
        out += line[col:col + take]
        pos += take
    return bytes(out)


# ---------------------------------------------------------------- hosts

class Host:
    """One endpoint: its configuration and the TCB state the simulation
    needs (sequence numbers are kept relative to the ISNs)."""

    def __init__(self, role, addr, port, mac, isn, mss, ws, sack, ts, ts_base, rwnd, ip_id):
        self.role, self.addr, self.port, self.mac = role, addr, port, mac
        self.isn, self.mss, self.ws, self.sack, self.ts = isn, mss, ws, sack, ts
        self.ts_base, self.rwnd, self.ip_id = ts_base, rwnd, ip_id
        self.snd_nxt = 0            # relative to own ISN
        self.rcv_nxt = None         # relative to the peer's ISN
        self.ts_recent = 0
        self.last_ack_sent = None   # RFC 7323 §4.3 Last.ACK.sent
        self.ooo = []               # [lo, hi) received above rcv_nxt
        self.dsack = None           # a duplicate to report (RFC 2883)
        self.reading = True         # the application reads at once
        self.unread = 0
        self.accept_syn_data = False
        self.clock = -1.0           # time of its latest send or receipt
        self.syn_opts = None        # what its SYN carried (None: not sent)
        self.df = True              # IPv4 Don't Fragment (path MTU discovery on)

    def tsval(self, t):
        return (self.ts_base + int(round(t * 1e6)) // 1000) % MOD


class Pkt:
    """One segment as sent, and where the capture saw it."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.frame = None
        self.frames = []   # frames of its copies / fragments in the capture

    @property
    def end(self):
        return self.seq + self.seqlen

    def dirname(self):
        return "client-to-server" if self.src == "c" else "server-to-client"


class Conv:
    """A conversation between a client ('c') and a server ('s'), captured on
    one of them (cap = 'c' or 's'). send() is called in time order per host;
    packets reach the peer OWD later unless lost."""

    def __init__(self, name, v6=False, cap="c", owd=OWD, client=None, server=None):
        self.name, self.v6, self.cap, self.owd = name, v6, cap, owd
        rng = random.Random("tcpref-crafted:" + name)
        cfg_c = dict(mss=1460, ws=7, sack=True, ts=True, rwnd=64256)
        cfg_s = dict(mss=1460, ws=7, sack=True, ts=True, rwnd=65160)
        if v6:
            cfg_c["mss"] = cfg_s["mss"] = 1440
        cfg_c.update(client or {})
        cfg_s.update(server or {})
        if v6:
            ca, sa = "fd00:77::1", "fd00:77::2"
        else:
            ca, sa = "10.77.0.1", "10.77.0.2"
        cport = 40000 + rng.randrange(20000)
        self.c = Host("c", ca, cport, "02:00:0a:4d:00:01", rng.randrange(MOD), cfg_c["mss"], cfg_c["ws"],
                      cfg_c["sack"], cfg_c["ts"], rng.randrange(MOD), cfg_c["rwnd"], rng.randrange(1 << 16))
        self.s = Host("s", sa, 8080, "02:00:0a:4d:00:02", rng.randrange(MOD), cfg_s["mss"], cfg_s["ws"],
                      cfg_s["sack"], cfg_s["ts"], rng.randrange(MOD), cfg_s["rwnd"], rng.randrange(1 << 16))
        self.pkts = []
        self.extra = []      # hand-made records: (t_cap, bytes, caplen, note)
        self.inflight = []   # (arrival, order, pkt) not yet delivered
        self.snaplen = 262144
        self.order = 0

    # ---- helpers
    def host(self, who):
        return self.c if who == "c" else self.s

    def peer(self, who):
        return self.s if who == "c" else self.c

    def ws_ok(self):
        return bool(self.c.syn_opts and self.s.syn_opts and self.c.syn_opts.get("ws") is not None
                    and self.s.syn_opts.get("ws") is not None)

    def ts_ok(self):
        return bool(self.c.syn_opts and self.s.syn_opts and self.c.syn_opts.get("ts")
                    and self.s.syn_opts.get("ts"))

    def sack_ok(self):
        return bool(self.c.syn_opts and self.s.syn_opts and self.c.syn_opts.get("sack")
                    and self.s.syn_opts.get("sack"))

    def eff_mss(self, sender):
        """The payload of a full-sized segment from sender (RFC 9293 §3.7.1)."""
        mss = self.peer(sender).mss
        return mss - (12 if self.ts_ok() else 0)

    # ---- the wire
    def deliver_until(self, who, t):
        """Delivers, in arrival order, every packet that reached who by t."""
        due = sorted(x for x in self.inflight if x[2].dst == who and x[0] <= t + 1e-12)
        for item in due:
            self.inflight.remove(item)
            self._receive(self.host(who), item[2], item[0])

    def _receive(self, h, p, t):
        assert t + 1e-12 >= h.clock, "%s: %s receives at %.6f, before its clock %.6f" % (
            self.name, h.role, t, h.clock)
        h.clock = t
        if "R" in p.flags:
            return
        if "S" in p.flags:
            h.rcv_nxt = p.seq + 1 + (len(p.payload) if h.accept_syn_data else 0)
            h.ts_recent = p.tsval or 0
            return
        if h.rcv_nxt is None:
            return
        if p.tsval is not None and self.ts_ok():
            # RFC 7323 §4.3: TS.Recent <- SEG.TSval when SEG.SEQ =< Last.ACK.sent.
            if (p.tsval - h.ts_recent) % MOD < MOD // 2 and h.last_ack_sent is not None \
                    and p.seq <= h.last_ack_sent:
                h.ts_recent = p.tsval
        if p.seqlen == 0:
            return
        data_end = p.seq + len(p.payload)
        if p.seq <= h.rcv_nxt < p.end:
            new = data_end - h.rcv_nxt if data_end > h.rcv_nxt else 0
            h.rcv_nxt = p.end
            if not h.reading:
                h.unread += new
            self._merge_ooo(h)
        elif p.end <= h.rcv_nxt:
            h.dsack = (p.seq, p.end)
        else:
            h.ooo.append([p.seq, p.end])
            h.ooo.sort()

    def _merge_ooo(self, h):
        changed = True
        while changed:
            changed = False
            for r in list(h.ooo):
                if r[0] <= h.rcv_nxt:
                    h.ooo.remove(r)
                    if r[1] > h.rcv_nxt:
                        if not h.reading:
                            h.unread += r[1] - h.rcv_nxt
                        h.rcv_nxt = r[1]
                    changed = True

    # ---- sending
    def send(self, who, t, flags="A", n=0, payload=None, seq=None, ack=None, win=None,
             opts=None, extra_opts=(), ts=True, sack=None, lost=False, captured=None,
             delay=0.0, ip_id=None, ack_raw=None, seq_raw=None, df=None, cap_t=None, note=""):
        """Sends one segment from who at time t (seconds, the sender's clock).

        flags: 'S', 'SA', 'A', 'PA', 'FA', 'R', 'RA'. n: bytes of the sender's
        stream to carry (payload overrides). seq/ack: relative to the ISNs
        (seq_raw/ack_raw: raw values). win: the raw window field. opts:
        the whole option list (see opt_bytes); extra_opts: appended to the
        usual ones; ts=False: no TSopt; sack: SACK blocks (relative).
        lost: dropped on the wire (after the capture point when the capture
        is on the sender, before it otherwise). captured: override whether
        the capture holds it. delay: extra network delay (reordering)."""
        self.deliver_until(who, t)
        h, p = self.host(who), self.peer(who)
        assert t + 1e-12 >= h.clock, "%s: %s sends at %.6f, before its clock %.6f" % (self.name, who, t, h.clock)
        h.clock = t
        syn, fin = "S" in flags, "F" in flags
        seq = h.snd_nxt if seq is None else seq
        if payload is None:
            payload = stream_bytes(who, seq + (1 if syn else 0) - 1, n) if n else b""
        seqlen = len(payload) + (1 if syn else 0) + (1 if fin else 0)
        if "R" not in flags:
            h.snd_nxt = max(h.snd_nxt, seq + seqlen)
        if "A" in flags:
            ack = h.rcv_nxt if ack is None else ack
            h.last_ack_sent = ack
        ack_field = ack_raw if ack_raw is not None else (((p.isn + ack) % MOD) if ack is not None else 0)
        seq_field = seq_raw if seq_raw is not None else (h.isn + seq) % MOD
        tsval = h.tsval(t)
        if syn:
            o = self.syn_options(h, tsval, h.ts_recent if "A" in flags else 0,
                                 p.syn_opts if "A" in flags else None)
        else:
            o = []
            if self.ts_ok() and ts and "R" not in flags:
                o += [("nop",), ("nop",), ("ts", tsval, h.ts_recent)]
            blocks = sack
            if blocks is None and self.sack_ok() and "R" not in flags:
                blocks = []
                if h.dsack:
                    blocks.append(tuple(h.dsack))
                    h.dsack = None
                blocks += [tuple(r) for r in reversed(h.ooo)][:3 if o else 4]
            if blocks:
                o += [("nop",), ("nop",), ("sack", [((p.isn + a) % MOD, (p.isn + b) % MOD) for a, b in blocks])]
        if opts is not None:
            o = list(opts)
        o = list(o) + list(extra_opts)
        if syn:
            h.syn_opts = dict(mss=next((x[1] for x in o if x[0] == "mss"), None),
                              ws=next((x[1] for x in o if x[0] == "ws"), None),
                              ts=any(x[0] == "ts" for x in o), sack=any(x[0] == "sackok" for x in o))
        if win is None:
            win = self.window(h, syn)
        has_ts = any(x[0] == "ts" for x in o)
        pkt = Pkt(src=who, dst="s" if who == "c" else "c", t=t, flags=flags, seq=seq, seqlen=seqlen,
                  payload=payload, ack=ack if "A" in flags else None, ack_field=ack_field,
                  seq_field=seq_field, win=win, opts=o, tsval=tsval if has_ts else None,
                  lost=lost, delay=delay, note=note, df=h.df if df is None else df, order=self.order)
        self.order += 1
        pkt.caplen, pkt.dups, pkt.frag_mtu, pkt.mangle, pkt.piece_notes = None, [], None, None, {}
        pkt.ip_id = h.ip_id if ip_id is None else ip_id
        h.ip_id = (h.ip_id + 1) % (1 << 16)
        pkt.arr = t + self.owd + delay
        sender_side = who == self.cap
        pkt.captured = (sender_side or not lost) if captured is None else captured
        pkt.t_cap = cap_t if cap_t is not None else (t if sender_side else pkt.arr)
        if not lost:
            self.inflight.append((pkt.arr, pkt.order, pkt))
        self.pkts.append(pkt)
        return pkt

    def syn_options(self, h, tsval, tsecr, answering):
        """The options of a SYN, or of a SYN-ACK answering a SYN that carried
        `answering` (RFC 7323 §2.2, §3.2, RFC 2018 §2: a SYN-ACK offers window
        scaling, timestamps and SACK only when the SYN did), in Linux's order."""
        use_ts = h.ts and (answering is None or answering["ts"])
        use_sack = h.sack and (answering is None or answering["sack"])
        use_ws = h.ws is not None and (answering is None or answering["ws"] is not None)
        o = [("mss", h.mss)]
        if use_ts and use_sack:
            o += [("sackok",), ("ts", tsval, tsecr)]
        elif use_ts:
            o += [("nop",), ("nop",), ("ts", tsval, tsecr)]
        elif use_sack:
            o += [("nop",), ("nop",), ("sackok",)]
        if use_ws:
            o += [("nop",), ("ws", h.ws)]
        return o

    def window(self, h, syn):
        free = max(0, h.rwnd - h.unread)
        if syn:
            return min(free, 65535)
        if self.ws_ok():
            return min(free >> min(h.ws, 14), 65535)
        return min(free, 65535)

    # ---- building the bytes
    def frame_bytes(self, p):
        h, q = self.host(p.src), self.peer(p.src)
        ob = opt_bytes(p.opts)
        tcp = TCP(sport=h.port, dport=q.port, seq=p.seq_field, ack=p.ack_field, flags=p.flags,
                  window=p.win, dataofs=5 + len(ob) // 4) / Raw(ob + p.payload)
        if self.v6:
            ip = IPv6(src=h.addr, dst=q.addr, hlim=64) / tcp
        else:
            ip = IP(src=h.addr, dst=q.addr, id=p.ip_id, flags="DF" if p.df else 0, ttl=64) / tcp
        return bytes(Ether(src=h.mac, dst=q.mac) / ip)

    def records(self):
        """(t_cap, order, piece, bytes, caplen, pkt) of everything in the
        capture, in capture order. A packet may appear as several records:
        its IP fragments (frag_mtu), or copies of it (dups)."""
        recs = []
        for p in self.pkts:
            if not p.captured:
                continue
            blob = self.frame_bytes(p)
            if p.mangle:
                blob = p.mangle(blob)
            pieces = [(0.0, blob)]
            if p.frag_mtu:
                pieces = self.fragments(blob, p.frag_mtu)
            pieces += [(dt, blob) for dt in p.dups]
            for k, (dt, b) in enumerate(pieces):
                recs.append((p.t_cap + dt, p.order, k, b, p.caplen, p))
        recs.sort(key=lambda r: (int(round(r[0] * 1e6)), r[1], r[2]))
        return recs

    def fragments(self, blob, mtu):
        """The IPv4 packet of blob as a router with this MTU fragments it
        (RFC 791 §3.2): fragments 8 us apart on the wire."""
        eth = Ether(blob)
        frags = fragment(eth[IP], fragsize=(mtu - 20) // 8 * 8)
        return [(k * 0.000008, bytes(Ether(src=eth.src, dst=eth.dst) / f)) for k, f in enumerate(frags)]

    def finalize(self):
        """Numbers the frames (as Wireshark does) and returns the records."""
        recs = self.records()
        for i, r in enumerate(recs, 1):
            p = r[5]
            if p is not None:
                p.frames.append(i)
                if p.frame is None:
                    p.frame = i
        return recs


def write_pcap(path, recs, snaplen):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        for t, _o, _k, blob, caplen, _p in recs:
            us = EPOCH_US + int(round(t * 1e6))
            cl = len(blob) if caplen is None else min(caplen, len(blob))
            cl = min(cl, snaplen)
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, cl, len(blob)))
            f.write(blob[:cl])


# ---------------------------------------------------------------- stories

def handshake(cv, t=0.0, **syn_kw):
    """SYN, SYN-ACK (the server answers PROC after the SYN arrived), ACK."""
    syn = cv.send("c", t, "S", **syn_kw)
    sa = cv.send("s", syn.arr + PROC, "SA")
    ack = cv.send("c", sa.arr + PROC, "A")
    return syn, sa, ack


def burst(cv, who, t, sizes, psh_last=True, **kw):
    """Back-to-back data segments of the given sizes from t on; PSH on the
    last (the end of one application write)."""
    segs = []
    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        segs.append(cv.send(who, t + i * TX, "PA" if (last and psh_last) else "A", n, **kw))
    return segs


def ack_segments(cv, who, segs, tail="delayed"):
    """who acknowledges data segments as they arrive: an ACK as soon as two
    full-sized segments are unacknowledged (RFC 9293 §3.8.6.3 SHLD-19,
    RFC 5681 §4.2), the rest after the delayed-ACK timer (tail='delayed')
    or left to a later segment of the caller (tail=None)."""
    h = cv.host(who)
    full = cv.eff_mss(cv.peer(who).role)
    acks = []
    arrived = sorted((s for s in segs if not s.lost), key=lambda s: s.arr)
    for s in arrived:
        t = s.arr + ACKPROC
        cv.deliver_until(who, t)
        if h.rcv_nxt - h.last_ack_sent >= 2 * full:
            acks.append(cv.send(who, t, "A"))
    if tail == "delayed" and arrived:
        cv.deliver_until(who, arrived[-1].arr + DELACK)
        if h.rcv_nxt != h.last_ack_sent:
            acks.append(cv.send(who, arrived[-1].arr + DELACK, "A"))
    return acks


RESP = (1448, 1448, 600)


def exchange(cv, t, req=200, resp=RESP, tail=None):
    """One request/response round: the client writes req bytes at t; the
    server answers PROC after they arrived (its ACK rides on the response);
    the client acknowledges the response (tail: see ack_segments)."""
    rq = cv.send("c", t, "PA", req)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, resp))
    acks = ack_segments(cv, "c", segs, tail=tail)
    return rq, segs, acks


def cv_sizes(cv, sizes):
    """Server segment sizes: 1448 (a full IPv4 segment with timestamps) is
    replaced by the server's full size when that differs (IPv6, no TSopt)."""
    full = cv.eff_mss("s")
    return [full if n == 1448 and full != 1448 else n for n in sizes]


def rounds(cv, t, n, think=0.005, **kw):
    """n request/response rounds; each next request leaves `think` after the
    last response segment arrived and carries the ACK of its tail."""
    out = []
    for _ in range(n):
        rq, segs, acks = exchange(cv, t, **kw)
        out.append((rq, segs, acks))
        t = max(s.arr for s in segs) + think
    return out, t


def close(cv, t, who="c"):
    """who closes first (FIN+ACK at t); the peer's application closes as soon
    as it reads the end of the stream (its FIN+ACK PROC later); who ACKs."""
    other = "s" if who == "c" else "c"
    f1 = cv.send(who, t, "FA")
    f2 = cv.send(other, f1.arr + PROC, "FA")
    last = cv.send(who, f2.arr + PROC, "A")
    return f1, f2, last


def baseline(cv, n=3):
    """The clean conversation: handshake, n request/response rounds, the
    client closes 5 ms after the last response."""
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, n)
    cl = close(cv, t)
    return hs, rs, cl


# ---------------------------------------------------------------- cases

CASES = {}


def case(fn):
    name = "crafted-" + fn.__name__[len("case_"):].replace("_", "-")
    CASES[name] = fn
    return fn


class _Copy:
    """The k-th record of a packet in the capture (a copy or a fragment)."""

    def __init__(self, pkt, k):
        self.pkt, self.k = pkt, k

    @property
    def frame(self):
        return self.pkt.frames[self.k]


class M:
    """A `must` entry: the rule at the frame of pkt (or an explicit frame)."""

    def __init__(self, rule, pkt=None, note="", count=1, frame=None, direction=None, copy=0,
                 file_level=False):
        self.rule, self.pkt, self.note, self.count = rule, pkt, note, count
        self.frame, self.direction, self.copy, self.file_level = frame, direction, copy, file_level

    def entry(self, frames):
        e = {"rule": self.rule}
        frame = self.frame if self.frame is not None else self.pkt.frames[self.copy]
        e["frame"] = frame
        if not self.file_level and self.direction is not False:
            e["direction"] = self.direction or self.pkt.dirname()
        if self.count is not None:
            e["count"] = self.count
        e["note"] = self.note.format(**frames)
        return e


def spec(cv, title, rfc, how, must, profile="linux", capture_clean=True, story="", **refs):
    """A case: its conversation, texts for the README ({name} in `how` stands
    for the frame of the packet refs[name]), and its must entries."""
    return dict(cv=cv, title=title, rfc=rfc, how=how, must=must, profile=profile,
                capture_clean=capture_clean, story=story, refs=refs)


# ---------------------------------------------------------------- output

def flag_names(flags):
    names = {"S": "SYN", "F": "FIN", "R": "RST", "P": "PSH", "A": "ACK"}
    return ",".join(names[f] for f in "SFRPA" if f in flags)


def describe_syn(h):
    o = h.syn_opts
    if not o:
        return "no SYN"
    parts = ["MSS %s" % o["mss"] if o["mss"] is not None else "no MSS"]
    parts.append("window scale %d" % o["ws"] if o["ws"] is not None else "no window scale")
    parts.append("SACK-permitted" if o["sack"] else "no SACK-permitted")
    parts.append("timestamps" if o["ts"] else "no timestamps")
    return ", ".join(parts)


def frame_table(cv, recs):
    t0 = recs[0][0]
    rows = ["| frame | time (s) | direction | flags | seq | ack | len | win | note |",
            "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for i, (t, _o, k, blob, caplen, p) in enumerate(recs, 1):
        if p is None:
            continue
        arrow = "C->S" if p.src == "c" else "S->C"
        note = p.piece_notes.get(k, p.note)
        rows.append("| %d | %.6f | %s | %s | %d | %s | %d | %d | %s |" % (
            i, t - t0, arrow, flag_names(p.flags), p.seq, "-" if p.ack is None else p.ack,
            len(p.payload), p.win, note + (" (record cut to %d bytes)" % caplen if caplen else "")))
    missing = [p for p in cv.pkts if not p.captured]
    if missing:
        rows.append("")
        rows.append("Sent but not in the capture (times as the capture clock would have them):")
        rows.append("")
        for p in missing:
            rows.append("- %s %s seq %d len %d at %.6f s: %s" % (
                "C->S" if p.src == "c" else "S->C", flag_names(p.flags), p.seq, len(p.payload),
                p.t - t0 if p.src == cv.cap else p.arr - t0, p.note or "lost before the capture point"))
    return "\n".join(rows)


def expectations(sp):
    frames = {k: v.frame for k, v in sp["refs"].items()}
    must = [m.entry(frames) for m in sp["must"]]
    must_not = [{"rule": "*", "class": "protocol", "severity": "info",
                 "note": "no other protocol finding of any severity"}]
    if sp["capture_clean"]:
        must_not.append({"rule": "*", "class": "capture", "severity": "info",
                         "note": "the capture itself is complete: no capture finding beyond the must entries"})
    return {"profile": sp["profile"], "must": must, "must_not": must_not}


def readme(name, sp, recs, exp):
    cv = sp["cv"]
    lines = ["# %s: %s" % (name, sp["title"]), "",
             "Crafted with scapy by `corpus/tools/craft.py %s` (run with /usr/bin/python3); see" % name,
             "`corpus/tools/README-craft.md`. A simulated conversation: every frame below was",
             "computed, none was captured from a real stack.", "",
             "## RFC behaviour", "", sp["rfc"].strip(), "",
             "## The violation and how it was built", "",
             sp["how"].strip().format(**{k: v.frame for k, v in sp["refs"].items()}), "",
             "## Expected findings (`expect.json`, profile `%s`)" % exp["profile"], ""]
    for e in exp["must"]:
        where = "frame %d" % e["frame"] + (", %s" % e["direction"] if "direction" in e else " (file level)")
        lines.append("- `%s` at %s, count %s: %s" % (e["rule"], where, e.get("count", ">= 1"), e["note"]))
    if not exp["must"]:
        lines.append("- none")
    lines.append("- nothing else: no other protocol finding of any severity%s." % (
        ", and no capture finding" if sp["capture_clean"] else ""))
    c, s = cv.c, cv.s
    where = {"c": "the client host (as tcpdump on the client)", "s": "the server host (as tcpdump on the server)"}
    lines += ["", "## The conversation", "",
              "- client %s port %d, server %s port %d, IPv%d, Ethernet; classic pcap, microsecond timestamps%s." % (
                  c.addr, c.port, s.addr, s.port, 6 if cv.v6 else 4,
                  ", snapshot length %d" % cv.snaplen if cv.snaplen != 262144 else ""),
              "- client SYN: %s; server SYN-ACK: %s." % (describe_syn(c), describe_syn(s)),
              "- ISNs: client %d, server %d (seq and ack below are relative to them, as in Wireshark)." % (c.isn, s.isn),
              "- one-way delay %.0f ms (round trip %.0f ms); capture point: %s." % (
                  cv.owd * 1e3, 2 * cv.owd * 1e3, where[cv.cap]),
              "- timestamps: a 1 ms clock per host; receive buffers: client %d, server %d bytes." % (c.rwnd, s.rwnd)]
    if sp["story"]:
        lines += ["- " + sp["story"].strip()]
    lines += ["", frame_table(cv, recs), ""]
    return "\n".join(lines)


def generate(name, outdir):
    sp = CASES[name]()
    cv = sp["cv"]
    recs = cv.finalize()
    t0 = recs[0][0]
    recs = [(r[0] - t0,) + tuple(r[1:]) for r in recs]
    exp = expectations(sp)
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    write_pcap(os.path.join(d, "capture.pcap"), recs, cv.snaplen)
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(exp, f, indent=2, sort_keys=False)
        f.write("\n")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(readme(name, sp, recs, exp))
    return exp


def main(argv):
    ap = argparse.ArgumentParser(description="Regenerate the crafted-* cases of tcpref's corpus.")
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the cases and the rules they pin")
    ap.add_argument("--out", default=CORPUS, help="corpus directory (default: %(default)s)")
    a = ap.parse_args(argv)
    if a.list:
        for name, fn in CASES.items():
            print("%-40s %s" % (name, (fn.__doc__ or "").strip().splitlines()[0]))
        return 0
    names = a.cases or list(CASES)
    bad = [n for n in names if n not in CASES]
    if bad:
        print("craft.py: unknown case(s): %s (see --list)" % ", ".join(bad), file=sys.stderr)
        return 2
    for n in names:
        exp = generate(n, a.out)
        print("%s: %s" % (n, ", ".join("%s@%s" % (e["rule"], e["frame"]) for e in exp["must"]) or "clean"))
    return 0


# ================================================================ the cases

@case
def case_baseline():
    """clean conversation: no finding at all (linux)"""
    cv = Conv("crafted-baseline")
    baseline(cv)
    return spec(cv, "a clean conversation",
                """
A conversation a conforming stack produces: the three-way handshake (RFC 9293
§3.5) with MSS, window scale (RFC 7323 §2), SACK-permitted (RFC 2018) and
timestamps (RFC 7323 §3); three request/response rounds in which the client
acknowledges at least every second full-sized segment (RFC 9293 §3.8.6.3
SHLD-19) and the rest with its next request; a FIN close started by the
client (§3.6).
""", """
Nothing is violated: this is the conversation every other case starts from.
""", [])



@case
def case_baseline_ipv6():
    """clean IPv6 conversation: no finding at all (rfc)"""
    cv = Conv("crafted-baseline-ipv6", v6=True)
    baseline(cv)
    return spec(cv, "a clean IPv6 conversation, under the rfc profile",
                """
The baseline conversation over IPv6 (MSS 1440 = 1500 - 40 - 20, RFC 9293
§3.7.1), checked under the `rfc` profile: RFC 6298 as written (minimum RTO
1 s) and RFC 9293 §3.8.6.3 SHLD-19 (an ACK at least every second full-sized
segment) enforced.
""", """
Nothing is violated.
""", [], profile="rfc")


# ---- handshake

@case
def case_synack_ack():
    """handshake.synack-ack: the SYN-ACK acknowledges ISN+2"""
    cv = Conv("crafted-synack-ack")
    syn = cv.send("c", 0.0, "S")
    sa = cv.send("s", syn.arr + PROC, "SA", ack=2, note="SYN-ACK with ACK = client ISN + 2 (the violation)")
    rst = cv.send("c", sa.arr + PROC, "R", seq=2, note="the client's reset <SEQ=SEG.ACK><CTL=RST>")
    return spec(cv, "a SYN-ACK acknowledging ISN + 2",
                """
RFC 9293 §3.10.7.2 (LISTEN, SYN bit): the server sets RCV.NXT = SEG.SEQ + 1 and
answers `<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>`: the SYN-ACK acknowledges the
client's ISN + 1. §3.10.7.3 (SYN-SENT): "If SEG.ACK =< ISS or SEG.ACK >
SND.NXT, send a reset (unless the RST bit is set, if so drop the segment and
return) <SEQ=SEG.ACK><CTL=RST>".
""", """
The server's SYN-ACK (frame {sa}) carries ACK = client ISN + 2, one beyond the
SYN. The client behaves as RFC 9293 §3.10.7.3 says: it answers with a reset
whose SEQ is the SYN-ACK's ACK (frame {rst}), and the capture ends there (the
client would retry its SYN a second later).
""", [M("handshake.synack-ack", sa, "the SYN-ACK acks client ISN + 2 instead of ISN + 1")], sa=sa, rst=rst)


@case
def case_handshake_ack():
    """handshake.ack: the third segment carries SEQ = ISN instead of ISN + 1"""
    cv = Conv("crafted-handshake-ack")
    syn = cv.send("c", 0.0, "S")
    sa = cv.send("s", syn.arr + PROC, "SA")
    ack = cv.send("c", sa.arr + PROC, "A", seq=0, note="third segment with SEQ = ISN (the violation)")
    rep = cv.send("s", ack.arr + PROC, "A", note="the server's ACK for an unacceptable segment")
    rs, t = rounds(cv, rep.arr + PROC, 3)
    close(cv, t)
    return spec(cv, "the handshake's ACK with SEQ = ISN",
                """
RFC 9293 §3.10.7.3 (SYN-SENT, SYN-ACK received): "form an ACK segment
<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it": the segment completing
the handshake carries SEQ = client ISN + 1 (the SYN took ISN) and ACK =
server ISN + 1.
""", """
The client's third segment (frame {ack}) carries SEQ = its ISN, as if its SYN had
not advanced SND.NXT; the ACK field is right. The server, in SYN-RECEIVED,
finds the segment outside its window and answers with an ACK (§3.10.7.4
"first check sequence number": "send an acknowledgment"; Linux's
tcp_check_req does the same), frame {rep}. The client's request (SEQ = ISN + 1)
then completes the handshake at the server, and the conversation goes on as
the baseline.
""", [M("handshake.ack", ack, "SEQ = ISN instead of ISN + 1 on the segment completing the handshake")],
                ack=ack, rep=rep)


@case
def case_syn_isn_changed():
    """handshake.syn-isn-changed: the SYN is retransmitted with another ISN"""
    cv = Conv("crafted-syn-isn-changed")
    syn1 = cv.send("c", 0.0, "S", lost=True, note="SYN, lost after the capture point")
    cv.c.isn = (cv.c.isn + 0x3b9aca07) % MOD
    cv.c.snd_nxt = 0
    syn2 = cv.send("c", 1.0, "S", note="the SYN again after 1 s, with a new ISN (the violation)")
    sa = cv.send("s", syn2.arr + PROC, "SA")
    ack = cv.send("c", sa.arr + PROC, "A")
    rs, t = rounds(cv, ack.t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a SYN retransmitted with a different ISN",
                """
RFC 9293 §3.4: the ISN is chosen when the connection is initiated; a
retransmission re-sends the same sequence space, so a retransmitted SYN
carries the same ISN (RFC 6298 §5.4 retransmits "the earliest segment that
has not been acknowledged").
""", """
The client's SYN (frame {syn1}) is lost after the capture point. Its
retransmission 1 s later (frame {syn2}, the right RFC 6298 §2.1 timeout) carries a
different ISN (+1000000007): a new connection attempt on the same ports while
the first is still in SYN-SENT. The server answers the second SYN and the
conversation goes on as the baseline.
""", [M("handshake.syn-isn-changed", syn2, "the retransmitted SYN carries another ISN than frame {syn1}")],
                syn1=syn1, syn2=syn2)


@case
def case_syn_data():
    """handshake.syn-data: data on a SYN without a Fast Open option"""
    cv = Conv("crafted-syn-data")
    cv.s.accept_syn_data = True
    syn = cv.send("c", 0.0, "S", n=200, note="SYN with the 200-byte request, no Fast Open option (the violation)")
    sa = cv.send("s", syn.arr + PROC, "SA", note="the SYN-ACK acknowledges the SYN and its 200 bytes")
    ack = cv.send("c", sa.arr + PROC, "A")
    segs = burst(cv, "s", ack.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs)
    rs, t = rounds(cv, max(x.arr for x in segs) + DELACK + 0.005, 2)
    close(cv, t)
    return spec(cv, "data on a SYN without TCP Fast Open",
                """
RFC 7413 §2: data on a SYN is delivered only with TCP Fast Open (a cookie in
the TFO option); without it, RFC 9293 §3.10.7.2 lets the server queue the
data "for processing after the connection is established" — a client that
puts data on a plain SYN relies on that.
""", """
The client's SYN (frame {syn}) carries its 200-byte request and no Fast Open
option. The server accepts the data with the SYN (its SYN-ACK acknowledges
ISN + 201, as RFC 9293 §3.10.7.2 allows), answers the request once the
handshake completes, and the conversation goes on as the baseline.
""", [M("handshake.syn-data", syn, "a 200-byte payload on the SYN without a TFO option")], syn=syn)


@case
def case_data_before_established():
    """handshake.data-before-established: the server's banner before the handshake ACK"""
    cv = Conv("crafted-data-before-established", cap="s")
    syn = cv.send("c", 0.0, "S")
    sa = cv.send("s", syn.arr + PROC, "SA")
    banner = cv.send("s", sa.t + 0.000100, "PA", 100,
                     note="100-byte banner sent in SYN-RECEIVED (the violation)")
    ack = cv.send("c", sa.arr + PROC, "A")
    rs, t = rounds(cv, banner.arr + PROC, 3)
    close(cv, t)
    return spec(cv, "the server sends its banner before the handshake completes",
                """
RFC 9293 §3.10.4 (SEND call in SYN-SENT or SYN-RECEIVED): "Queue the data
for transmission after entering ESTABLISHED state"; only TCP Fast Open
(RFC 7413) lets a server send data before the handshake's ACK arrives.
""", """
A server-speaks-first protocol (an SMTP-like banner). The capture is on the
server host. The server sends its 100-byte banner (frame {banner}) 100 us after its
SYN-ACK, 20 ms before the client's ACK reaches it (frame {ack}): in
SYN-RECEIVED. The client takes the banner (its request acknowledges it) and
the conversation goes on as the baseline.
""", [M("handshake.data-before-established", banner, "100 bytes sent while the server was in SYN-RECEIVED")],
                banner=banner, ack=ack)


@case
def case_wscale_15():
    """handshake.wscale-too-large: a window scale shift of 15 on the SYN"""
    cv = Conv("crafted-wscale-15", client=dict(ws=15, rwnd=1 << 20))
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a window scale shift of 15",
                """
RFC 7323 §2.3: "If a Window Scale option is received with a shift.cnt value
larger than 14, the TCP SHOULD log the error but MUST use 14 instead of the
specified value" — a sender must not offer more than 14 (a 1 GiB window).
""", """
The client's SYN (frame {syn}) offers a window scale shift of 15 for its 1 MiB
receive buffer. The server scales the client's windows by 14 as §2.3 says (the
client's raw window 64 = 1 MiB); everything else is the baseline.
""", [M("handshake.wscale-too-large", hs[0], "Window Scale shift.cnt 15 > 14 on the SYN")], syn=hs[0])


@case
def case_wscale_unsolicited():
    """handshake.wscale-unsolicited: the SYN-ACK offers window scaling the SYN did not"""
    cv = Conv("crafted-wscale-unsolicited", client=dict(ws=None))
    syn = cv.send("c", 0.0, "S")
    sa = cv.send("s", syn.arr + PROC, "SA", extra_opts=[("nop",), ("ws", 7)],
                 note="SYN-ACK with Window Scale 7 although the SYN had none (the violation)")
    ack = cv.send("c", sa.arr + PROC, "A")
    rs, t = rounds(cv, ack.t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "an unsolicited Window Scale option on the SYN-ACK",
                """
RFC 7323 §2.2: a TCP "MAY send the Window Scale option in a <SYN,ACK> segment
only if it received a Window Scale option in the initial <SYN> segment";
without it on both SYNs, no window is scaled in either direction.
""", """
The client's SYN (frame {syn}) has no Window Scale option; the server's SYN-ACK
(frame {sa}) offers shift 7 anyway. Both sides then use unscaled windows, as
§2.2 requires; everything else is the baseline.
""", [M("handshake.wscale-unsolicited", sa, "Window Scale on the SYN-ACK, none on the SYN")],
                syn=syn, sa=sa)


@case
def case_ts_unsolicited():
    """handshake.ts-unsolicited: the SYN-ACK carries timestamps the SYN did not"""
    cv = Conv("crafted-ts-unsolicited", client=dict(ts=False))
    syn = cv.send("c", 0.0, "S")
    t_sa = syn.arr + PROC
    sa = cv.send("s", t_sa, "SA", extra_opts=[("nop",), ("nop",), ("ts", cv.s.tsval(t_sa), 0)],
                 note="SYN-ACK with a TSopt although the SYN had none (the violation)")
    ack = cv.send("c", sa.arr + PROC, "A")
    rs, t = rounds(cv, ack.t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "an unsolicited TSopt on the SYN-ACK",
                """
RFC 7323 §3.2: a TCP "MAY send a TSopt in a <SYN,ACK> segment only if it
received a TSopt in the initial <SYN> segment for the connection"; timestamps
are in use only when both SYNs carried them.
""", """
The client's SYN (frame {syn}) has no TSopt; the server's SYN-ACK (frame {sa})
carries one anyway. No later segment carries timestamps (they were not
negotiated); everything else is the baseline.
""", [M("handshake.ts-unsolicited", sa, "TSopt on the SYN-ACK, none on the SYN")], syn=syn, sa=sa)


# ---- options

@case
def case_option_malformed():
    """options.malformed: a SACK option 6 bytes long (no whole block)"""
    cv = Conv("crafted-option-malformed")
    hs = handshake(cv)
    t = hs[2].t + 0.000020
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    h = cv.c
    cv.deliver_until("c", segs[1].arr + ACKPROC)
    bad = cv.send("c", segs[1].arr + ACKPROC, "A",
                  opts=[("nop",), ("nop",), ("ts", h.tsval(segs[1].arr + ACKPROC), h.ts_recent),
                        ("raw", bytes([OPT_SACK, 6, 0, 0, 0, 1])), ("nop",), ("nop",)],
                  note="ACK whose options end with a 6-byte SACK option (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "a malformed SACK option",
                """
RFC 9293 §3.1 (options): an option's length covers its kind, length and data;
MUST-7: a TCP must be prepared to handle an illegal option length without
crashing. RFC 2018 §3: a SACK option is 2 + 8 * n bytes (n blocks of two
32-bit edges); a length of 6 is illegal.
""", """
The client's ACK after the first two response segments (frame {bad}) carries
NOP, NOP, TSopt and then a SACK option with length 6 (4 bytes of data: no
whole block), padded with two NOPs. Everything else is the baseline.
""", [M("options.malformed", bad, "SACK option of length 6 at TCP header offset 32")], bad=bad)


@case
def case_mss_non_syn():
    """options.mss-non-syn: an MSS option on a data segment"""
    cv = Conv("crafted-mss-non-syn")
    hs = handshake(cv)
    rq = cv.send("c", hs[2].t + 0.000020, "PA", 200, extra_opts=[("mss", 1460)],
                 note="request carrying an MSS option (the violation)")
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "an MSS option on a segment without SYN",
                """
RFC 9293 §3.2 (MSS option), MUST-65: the option "MUST only be sent in the
initial connection request (i.e., in segments with the SYN control bit
set)".
""", """
The client's first request (frame {rq}) carries, after NOP, NOP, TSopt, an MSS
option of 1460 (16 option bytes; the 200-byte payload keeps the segment far
below the MSS). Everything else is the baseline.
""", [M("options.mss-non-syn", rq, "MSS option (1460) on a data segment")], rq=rq)


@case
def case_sack_permitted_non_syn():
    """options.sack-permitted-non-syn: SACK-Permitted on the handshake's ACK"""
    cv = Conv("crafted-sack-permitted-non-syn")
    syn = cv.send("c", 0.0, "S")
    sa = cv.send("s", syn.arr + PROC, "SA")
    ack = cv.send("c", sa.arr + PROC, "A", extra_opts=[("nop",), ("nop",), ("sackok",)],
                  note="the handshake's ACK repeats SACK-Permitted (the violation)")
    rs, t = rounds(cv, ack.t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "SACK-Permitted on a segment without SYN",
                """
RFC 2018 §2: the SACK-Permitted option "MUST NOT be sent on non-SYN
segments".
""", """
The client's ACK completing the handshake (frame {ack}) carries NOP, NOP, TSopt,
NOP, NOP, SACK-Permitted (a stack copying its SYN options). Everything else is
the baseline.
""", [M("options.sack-permitted-non-syn", ack, "SACK-Permitted on the (non-SYN) third segment")], ack=ack)


@case
def case_ts_missing():
    """options.ts-missing: a pure ACK without TSopt after timestamps were negotiated"""
    cv = Conv("crafted-ts-missing")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    bad = cv.send("c", segs[1].arr + ACKPROC, "A", ts=False, note="ACK without TSopt (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a segment without TSopt after timestamps were negotiated",
                """
RFC 7323 §3.2: "Once TSopt has been successfully negotiated, that is both
<SYN> and <SYN,ACK> contain TSopt, the TSopt MUST be sent in every non-<RST>
segment for the duration of the connection".
""", """
Both SYNs carry TSopt. In the second round the client's ACK of the first two
response segments (frame {bad}) carries no TSopt (its options are empty); every
other segment has one. Everything else is the baseline.
""", [M("options.ts-missing", bad, "no TSopt on a non-RST segment of a connection with timestamps")], bad=bad)


@case
def case_ts_unnegotiated():
    """options.ts-unnegotiated: a TSopt on a connection without timestamps"""
    cv = Conv("crafted-ts-unnegotiated", client=dict(ts=False), server=dict(ts=False))
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    tb = segs[1].arr + ACKPROC
    bad = cv.send("c", tb, "A", extra_opts=[("nop",), ("nop",), ("ts", cv.c.tsval(tb), 0)],
                  note="ACK with a TSopt on a connection without timestamps (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a TSopt on a connection that did not negotiate timestamps",
                """
RFC 7323 §3.2: timestamps are in use only when both the <SYN> and the
<SYN,ACK> carried TSopt; otherwise no segment of the connection carries one.
""", """
Neither SYN carries TSopt (both stacks have timestamps off; full segments are
1460 bytes). In the second round the client's ACK of the first two response
segments (frame {bad}) carries NOP, NOP, TSopt anyway. Everything else is the
baseline.
""", [M("options.ts-unnegotiated", bad, "TSopt on a segment; neither SYN carried one")], bad=bad)


@case
def case_sack_unnegotiated():
    """options.sack-unnegotiated: SACK blocks to a peer that did not send SACK-Permitted"""
    cv = Conv("crafted-sack-unnegotiated", cap="s", client=dict(sack=False), server=dict(sack=False))
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    t0 = rq.arr + PROC
    cv.send("s", t0, "A", 1448)
    s2 = cv.send("s", t0 + TX, "A", 1448, delay=0.002, note="delayed 2 ms in the network: arrives after the next")
    s3 = cv.send("s", t0 + 2 * TX, "PA", 600)
    dup = cv.send("c", s3.arr + ACKPROC, "A", sack=[(s3.seq, s3.end)],
                  note="duplicate ACK with a SACK block for the out-of-order segment (the violation)")
    cv.send("c", s2.arr + ACKPROC, "A", note="the hole is filled: ACK of everything")
    rs, t = rounds(cv, s2.arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "SACK blocks to a peer that did not send SACK-Permitted",
                """
RFC 2018 §2: SACK-Permitted on the SYN tells the peer that the sender "has
been extended to receive (and presumably process) the SACK option"; a data
receiver sends SACK options only to a sender that sent SACK-Permitted.
""", """
Neither SYN carries SACK-Permitted. The capture is on the server host. In the
second round the network delays the second response segment by 2 ms, so the
third arrives first; the client answers that with a duplicate ACK carrying a
SACK block for it (frame {dup}), although the server never offered SACK. The
delayed segment then fills the hole and the client acknowledges everything.
Everything else is the baseline.
""", [M("options.sack-unnegotiated", dup, "one SACK block to a server whose SYN-ACK had no SACK-Permitted")], dup=dup)



# ---- acknowledgments

@case
def case_ack_unseen_data():
    """ack.unseen-data: an ACK 1000 bytes beyond what the server had sent"""
    cv = Conv("crafted-ack-unseen-data")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    part1 = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", part1, tail=None)
    tb = part1[-1].arr + DELACK
    cv.deliver_until("c", tb)
    bad = cv.send("c", tb, "A", ack=cv.c.rcv_nxt + 1000,
                  note="delayed ACK 1000 bytes beyond the server's SND.NXT (the violation)")
    part2 = burst(cv, "s", bad.arr + 0.005, cv_sizes(cv, RESP),
                  note="")
    part2[0].note = "the server's next data starts below that ACK"
    ack_segments(cv, "c", part2, tail=None)
    rs, t = rounds(cv, part2[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "an ACK of data the peer had not sent",
                """
RFC 9293 §3.10.7.4 (fifth, check the ACK field, ESTABLISHED): "If the ACK
acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the
segment, and return": SEG.ACK never exceeds the peer's SND.NXT.
""", """
In the second round the server answers in two writes. The client's delayed
ACK of the first write (frame {bad}) acknowledges 1000 bytes more than the
server has sent. The server drops it (as Linux does, without an answer) and
its second write starts at its SND.NXT (frame {p2}), 1000 bytes below that
ACK: the capture proves the acknowledged bytes had not been sent. The client's
later ACKs are right (all beyond the bogus one, so none moves backwards).
""", [M("ack.unseen-data", bad, "acknowledges 1000 bytes the server sends only later (frame {p2} starts below it)")],
                bad=bad, p2=part2[0])


@case
def case_ack_partial():
    """ack.partial: an ACK inside a segment (the receiver acknowledges part of it)"""
    cv = Conv("crafted-ack-partial")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    tp = segs[-1].arr + 0.001
    part = cv.send("c", tp, "A", ack=segs[-1].seq + 300,
                   note="ACK of the first 300 of the segment's 600 bytes (the finding)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "an ACK that splits a segment",
                """
RFC 9293 §3.4: acknowledgment is cumulative: SEG.ACK says every octet below it
was received. A receiver may acknowledge less than a whole segment (RFC 9293
§3.10.7.4 lets it trim a segment to its window, and it acknowledges what it
accepted); tcpref reports such an ACK as information.
""", """
In the second round the client acknowledges the 600-byte tail segment in two
steps: 1 ms after it arrived a pure ACK (frame {part}) covers its first 300
bytes (the client's stack acknowledges what its application has consumed);
the client's next request acknowledges the rest. Everything else is the
baseline.
""", [M("ack.partial", part, "ACK 300 bytes into a 600-byte segment")], part=part)


@case
def case_ack_backwards():
    """ack.backwards: a pure ACK with an older acknowledgment number"""
    cv = Conv("crafted-ack-backwards")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    tb = segs[-1].arr + 0.001
    cv.deliver_until("c", tb)
    right = cv.c.rcv_nxt + cv.c.rwnd   # the right edge it keeps
    bad = cv.send("c", tb, "A", ack=segs[0].end, win=(right - segs[0].end) >> cv.c.ws,
                  note="pure ACK acknowledging only the first segment again, same right edge (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "an acknowledgment number moving backwards",
                """
RFC 9293 §3.4: acknowledgments are cumulative; RCV.NXT never decreases, and
the ACK field of each segment a receiver sends is its RCV.NXT, so it never
moves back (apart from a segment sent earlier and delivered later, which its
TSval gives away, RFC 7323 §4.3).
""", """
In the second round the client acknowledges the first two response segments
at once (frame {good}); 1 ms after the third arrives it sends a pure ACK
(frame {bad}) acknowledging only the first segment, with a newer TSval than
frame {good}: a stale RCV.NXT, not a reordered segment (its window is raised
so that the right edge of the window stays where it was). Its next request
acknowledges everything again. Everything else is the baseline.
""", [M("ack.backwards", bad, "ACK moves back by 1448 bytes; TSval newer than the previous ACK")],
                bad=bad, good=[p for p in cv.pkts if p.src == "c" and p.ack == segs[1].end][0])


@case
def case_ack_nonzero_without_flag():
    """ack.nonzero-without-flag: a SYN whose acknowledgment field is not zero"""
    cv = Conv("crafted-ack-nonzero-without-flag")
    hs = handshake(cv, ack_raw=0x5E2B7C31, note="SYN with ACK field 0x5e2b7c31 and no ACK flag (the finding)")
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a nonzero acknowledgment field without the ACK flag",
                """
RFC 9293 §3.1: "If the ACK control bit is set, this field contains the value
of the next sequence number the sender of the segment is expecting to
receive"; without ACK the field means nothing and a sender leaves it zero
(Wireshark flags `tcp.ack.nonzero`).
""", """
The client's SYN (frame {syn}) has ACK clear but its acknowledgment field holds
0x5e2b7c31 (left-over bytes). Everything else is the baseline.
""", [M("ack.nonzero-without-flag", hs[0], "acknowledgment field 0x5e2b7c31 on a segment without ACK")],
                syn=hs[0])


@case
def case_ack_delay_600ms():
    """ack.delay-too-long: the server acknowledges a request 600 ms after it arrived (rfc)"""
    cv = Conv("crafted-ack-delay-600ms")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    late = cv.send("s", rq.arr + 0.600, "A", note="pure ACK of the request 600 ms after it arrived (the violation)")
    segs = burst(cv, "s", rq.arr + 0.800, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "an ACK delayed by 600 ms",
                """
RFC 9293 §3.8.6.3, MUST-40: "an ACK should not be excessively delayed; in
particular, the delay MUST be less than 0.5 seconds" (Linux holds an ACK at
most 200 ms, TCP_DELACK_MAX).
""", """
The server's application takes 800 ms to answer the second request; the
server acknowledges the request with a pure ACK (frame {late}) 600 ms after
it arrived (620 ms after it was captured, less the 20 ms round trip between
the capture point and the server, measured by the handshake). The client
runs RFC 6298 with its 1 s minimum RTO, so it does not retransmit meanwhile;
hence the `rfc` profile. Everything else is the baseline.
""", [M("ack.delay-too-long", late, "ACK held 600 ms (> 0.5 s)")], profile="rfc", late=late)


@case
def case_stretch_ack():
    """ack.not-every-second: one ACK for four full-sized segments (rfc)"""
    cv = Conv("crafted-stretch-ack")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, [1448, 1448, 1448, 1448, 600])
    st = cv.send("c", segs[3].arr + ACKPROC, "A", note="one ACK for four full-sized segments (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a stretch ACK for four full-sized segments",
                """
RFC 9293 §3.8.6.3 SHLD-19 and RFC 5681 §4.2: "an ACK SHOULD be generated for
at least every second full-sized segment". (Linux sends such stretch ACKs on
purpose under GRO, so only the `rfc` profile checks this.)
""", """
In the second round the server sends four full-sized segments and a 600-byte
tail; the client sends no ACK until the fourth has arrived (frame {st}), then
one ACK covering all four. Its next request acknowledges the tail. Everything
else is the baseline.
""", [M("ack.not-every-second", st, "one ACK for 4 full-sized segments")], profile="rfc", st=st)


# ---- sequence space

@case
def case_outside_window():
    """seq.outside-window: the server sends 496 bytes beyond the client's 8 KiB window"""
    cv = Conv("crafted-outside-window", cap="s", client=dict(rwnd=8192))
    hs = handshake(cv)
    rq = cv.send("c", hs[2].t + 0.000020, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, [1448] * 6)
    segs[-1].note = "runs 496 bytes past the right edge of the client's window (the violation)"
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "data beyond the receiver's window",
                """
RFC 9293 §3.8.6: the window is "the range of sequence numbers the sender of
the window (the data receiver) is currently prepared to accept"; a sender
keeps SEG.SEQ + SEG.LEN within SND.UNA + SND.WND (§3.10.7.4's acceptance test
is the receiver's side of the same rule).
""", """
The client has an 8192-byte receive buffer (window 8192 on every segment). The
capture is on the server host. The server answers the first request with six
full-sized segments (8688 bytes) at once: the sixth (frame {bad}) ends 496
bytes past SND.UNA + 8192. The client keeps the whole segment (Linux queues a
segment that starts inside the window) and acknowledges it; everything else
is the baseline.
""", [M("seq.outside-window", segs[-1], "ends 496 bytes past the right edge of the 8192-byte window")],
                bad=segs[-1])


@case
def case_data_after_fin():
    """seq.data-after-fin: the client sends 100 bytes after its FIN"""
    cv = Conv("crafted-data-after-fin")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    fin = cv.send("c", t, "FA")
    fack = cv.send("s", fin.arr + PROC, "A", note="the server acknowledges the FIN")
    bad = cv.send("c", fin.t + 0.030, "PA", 100, note="100 bytes after the FIN (the violation)")
    f2 = cv.send("s", fack.t + 0.060, "FA", note="the server ignores the data and closes")
    cv.send("c", f2.arr + PROC, "A")
    return spec(cv, "data after the FIN",
                """
RFC 9293 §3.10.4 (CLOSE): "the user ... has no more to send"; §3.6: the FIN
occupies the sequence number after the last data octet, so no data can
follow it.
""", """
After the last round the client closes (FIN, frame {fin}), the server
acknowledges the FIN, and 30 ms later the client sends 100 more bytes
(frame {bad}) with SEQ = FIN + 1. The server, in CLOSE-WAIT, ignores them
(RFC 9293 §3.10.7.4: "This should not occur since a FIN has been received
from the remote side. Ignore the segment text.") and closes; the client
acknowledges its FIN.
""", [M("seq.data-after-fin", bad, "100 bytes after the FIN's sequence number")], fin=fin, bad=bad)


@case
def case_fin_moved():
    """seq.fin-moved: the FIN placed 100 bytes before the end of the data"""
    cv = Conv("crafted-fin-moved")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    last_req = rs[-1][0]
    fin = cv.send("c", t, "FA", seq=last_req.seq + 100,
                  note="FIN at SEQ 100 bytes before the end of the client's data (the violation)")
    dup = cv.send("s", fin.arr + PROC, "A", sack=[], note="an old segment for the server: it repeats its ACK")
    return spec(cv, "a FIN not at the end of the data",
                """
RFC 9293 §3.6: the FIN takes the sequence number after the last data octet
the sender sent (SND.NXT at CLOSE); §3.10.7.4: a segment entirely below
RCV.NXT is not acceptable and is answered with an ACK.
""", """
The client's last request is 200 bytes. After the response, the client's FIN
(frame {fin}) carries SEQ = that request's first byte + 100: inside data it
had already sent, 100 below its SND.NXT. For the server the segment is old;
it answers with its current ACK (frame {dup}; without a D-SACK block, which
RFC 2883 leaves optional) and the capture ends.
""", [M("seq.fin-moved", fin, "FIN 100 sequence numbers before the sender's SND.NXT")], fin=fin, dup=dup)


@case
def case_retransmission_differs():
    """seq.retransmission-differs: a retransmitted request carries other bytes"""
    cv = Conv("crafted-retransmission-differs", client=dict(sack=False), server=dict(sack=False))
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    rq = cv.send("c", t, "PA", 200, lost=True, note="request, lost after the capture point")
    other = bytes(b ^ 0x20 if 97 <= b <= 122 else b for b in rq.payload)
    rt = cv.send("c", t + 0.224, "PA", payload=other, seq=rq.seq,
                 note="its retransmission 224 ms later, letters in upper case (the violation)")
    segs = burst(cv, "s", rt.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    close(cv, segs[-1].arr + 0.005)
    return spec(cv, "a retransmission carrying other bytes",
                """
RFC 9293 §3.4: every octet has a sequence number; a retransmission re-sends
the same octets, so the same range of sequence numbers carries the same
bytes.
""", """
SACK is off on both sides (so Linux's tail loss probe does not apply). After
three rounds the client's fourth request (frame {rq}, 200 bytes, full payload
captured) is lost after the capture point; the client retransmits it when its
RTO expires, 224 ms later (SRTT 20 ms + RTTVAR 200 ms, Linux), but the copy
(frame {rt}) has every letter in upper case. The server answers it.
""", [M("seq.retransmission-differs", rt, "same 200-byte range as frame {rq}, other bytes"),
      M("rto.timeout", rt, "implied: the re-send is an RTO retransmission (info), after a timeout the "
        "estimator expects (224 ms vs 220 ms)")], rq=rq, rt=rt)


@case
def case_exceeds_mss_ipv6():
    """seq.exceeds-mss: a 1428-byte segment to an IPv6 client that announced MSS 1380"""
    cv = Conv("crafted-exceeds-mss-ipv6", v6=True, client=dict(mss=1380))
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, [1428, 1368, 600])
    segs[0].note = "1428 bytes + 12 option bytes > MSS 1380, in a 1500-byte IPv6 packet (the violation)"
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a segment larger than the peer's MSS (IPv6)",
                """
RFC 9293 §3.7.1, MUST-15 and the formula "Eff.snd.MSS = min(SendMSS+20,
MMS_S) - TCPhdrsize - IPoptionsize": the TCP payload plus the TCP options
never exceed the MSS the peer announced.
""", """
IPv6 (MSS 1440 on the server's SYN-ACK). The client announces MSS 1380 (its
path has a smaller MTU, e.g. a tunnel). In the second round the server sends
one segment sized for its own MSS (frame {bad}): 1428 payload bytes + 12
TSopt bytes = 1440 > 1380, in a 1500-byte IPv6 packet (so not a TSO
super-segment). Every other full segment is 1368 bytes; everything else is the
baseline.
""", [M("seq.exceeds-mss", segs[0], "1440 bytes of payload and options, MSS 1380")], bad=segs[0])



@case
def case_ack_unseen_data_answered():
    """ack.unseen-data: as crafted-ack-unseen-data, the server answering with an ACK (RFC 9293)"""
    cv = Conv("crafted-ack-unseen-data-answered")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    part1 = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", part1, tail=None)
    tb = part1[-1].arr + DELACK
    cv.deliver_until("c", tb)
    bad = cv.send("c", tb, "A", ack=cv.c.rcv_nxt + 1000,
                  note="delayed ACK 1000 bytes beyond the server's SND.NXT (the violation)")
    rep = cv.send("s", bad.arr + PROC, "A", note="the server's answer: an ACK with SEQ = its SND.NXT")
    part2 = burst(cv, "s", bad.arr + 0.005, cv_sizes(cv, RESP))
    part2[0].note = "the server's next data starts below the client's ACK"
    ack_segments(cv, "c", part2, tail=None)
    rs, t = rounds(cv, part2[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "an ACK of data the peer had not sent, answered as RFC 9293 says",
                """
RFC 9293 §3.10.7.4 (fifth, check the ACK field, ESTABLISHED): "If the ACK
acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the
segment, and return".
""", """
The conversation of crafted-ack-unseen-data, except that the server reacts to
the bogus ACK (frame {bad}, 1000 bytes beyond its SND.NXT) exactly as RFC 9293
§3.10.7.4 says: it sends an ACK (frame {rep}) whose SEQ is its SND.NXT, 1000
below the client's ACK, then its second write starting there (frame {p2}). Both
segments show that the acknowledged bytes had not been sent.
""", [M("ack.unseen-data", bad, "acknowledges 1000 bytes beyond the server's SND.NXT; the server's ACK "
        "(frame {rep}, SEQ = SND.NXT) and its data (frame {p2}) start below it")],
                bad=bad, rep=rep, p2=part2[0])


# ---- retransmission timer (RFC 6298)

NOSACK = dict(client=dict(sack=False), server=dict(sack=False))
RTO_LINUX = 0.224   # SRTT 20 ms + RTTVAR 200 ms, plus Linux's jiffy rounding


def lost_request(cv, t, gaps, note_last="", payloads=None, cap_last=True):
    """The client's request leaves at t and is lost after the capture point;
    it is re-sent after each gap (from the previous transmission), and the
    last copy gets through. Returns (transmissions, response, end time)."""
    tx = [cv.send("c", t, "PA", 200, lost=True, note="request, lost after the capture point")]
    for k, g in enumerate(gaps):
        last = k == len(gaps) - 1
        tx.append(cv.send("c", tx[-1].t + g, "PA", 200, seq=tx[0].seq, lost=not last,
                          note=("re-sent %.0f ms later" % (g * 1e3)) + ("" if last else ", lost again")))
    segs = burst(cv, "s", tx[-1].arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    return tx, segs, segs[-1].arr + 0.005


RTO_INTRO = """
SACK is off on both sides, so Linux's tail loss probe (RFC 8985 §7, which
needs SACK) does not apply and the only re-send of a lone lost segment is an
RTO retransmission. Three request/response rounds give the client RTT
samples of 20 ms (the handshake and each request), so its Linux RTO is
SRTT + RTTVAR = 20 + 200 = 220 ms (rto_min 200 ms bounds RTTVAR).
"""


@case
def case_rto_timeout():
    """rto.timeout: a lost request re-sent after a correct RTO (info)"""
    cv = Conv("crafted-rto-timeout", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [RTO_LINUX])
    close(cv, t)
    return spec(cv, "a retransmission after a correct timeout",
                """
RFC 6298 §5.4: "When the retransmission timer expires, retransmit the
earliest segment that has not been acknowledged"; tcpref reports each such
timeout as information, with the RTO its estimator expected.
""", RTO_INTRO + """
The fourth request (frame {rq}) is lost after the capture point; the client
re-sends it 224 ms later (frame {rt}), when its RTO expires. Nothing is
violated.
""", [M("rto.timeout", tx[1], "a timeout of 224 ms; the estimator expects 220 ms: on time")],
                rq=tx[0], rt=tx[1])


@case
def case_rto_too_early():
    """rto.too-early: a lost request re-sent 50 ms later, RTO 220 ms"""
    cv = Conv("crafted-rto-too-early", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [0.050])
    close(cv, t)
    return spec(cv, "a retransmission before the RTO could expire",
                """
RFC 6298 §5: "a segment is never retransmitted too early, i.e., less than
one RTO after the previous transmission of that segment".
""", RTO_INTRO + """
The fourth request (frame {rq}) is lost after the capture point; the client
re-sends it 50 ms later (frame {rt}), no duplicate ACK or SACK having shown a
loss: a timer of 50 ms where the RTO was 220 ms.
""", [M("rto.too-early", tx[1], "re-sent 50 ms after the timer started; RTO 220 ms"),
      M("rto.timeout", tx[1], "implied: the early re-send is judged as a timeout (info record of it)")],
                rq=tx[0], rt=tx[1])


@case
def case_rto_no_backoff():
    """rto.no-backoff: the second timeout of the same request does not double"""
    cv = Conv("crafted-rto-no-backoff", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [RTO_LINUX, RTO_LINUX])
    close(cv, t)
    return spec(cv, "consecutive timeouts without backoff",
                """
RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")"
when the timer expires; the next retransmission of the same data waits at
least twice as long.
""", RTO_INTRO + """
The fourth request (frame {rq}) is lost after the capture point; its first
retransmission 224 ms later (frame {rt1}) is right, and is lost too; the
second (frame {rt2}) comes again 224 ms later instead of 448 ms. It gets
through.
""", [M("rto.no-backoff", tx[2], "second timeout 224 ms, after a first of 224 ms (needs 448 ms)"),
      M("rto.timeout", tx[1], "implied: the first, correct, timeout (info)"),
      M("rto.timeout", tx[2], "implied: the second timeout's info record")],
                rq=tx[0], rt1=tx[1], rt2=tx[2])


@case
def case_rto_stall():
    """rto.stall: after one timeout the next retransmission comes 3 s later"""
    cv = Conv("crafted-rto-stall", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [RTO_LINUX, 3.0])
    close(cv, t)
    return spec(cv, "a retransmission timer that stopped",
                """
RFC 6298 §5.4 and §5.5: while data is outstanding and unacknowledged, each
expiry of the timer retransmits the earliest unacknowledged segment and
doubles the RTO; the timer keeps running until the data is acknowledged
(§5.2, §5.3).
""", RTO_INTRO + """
The fourth request (frame {rq}) is lost after the capture point; its first
retransmission 224 ms later (frame {rt1}) is right and is lost too. Then
nothing: the timer, which should expire 448 ms later, does not; the next
retransmission (frame {rt2}) comes 3 s later (more than 4 RTOs and 1 s: a
stall). It gets through.
""", [M("rto.stall", tx[2], "3 s without a retransmission while data was outstanding (RTO 448 ms)"),
      M("rto.timeout", tx[1], "implied: the first, correct, timeout (info)"),
      M("rto.timeout", tx[2], "implied: the late retransmission's timeout record (info; 3 s >= 448 ms "
        "is no backoff violation)")],
                rq=tx[0], rt1=tx[1], rt2=tx[2])


@case
def case_rto_not_collapsed():
    """rto.not-collapsed: the RTO stays backed off after a new RTT sample"""
    cv = Conv("crafted-rto-not-collapsed", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    txa, segs, t = lost_request(cv, t, [RTO_LINUX, 2 * RTO_LINUX])
    txb, segs, t = lost_request(cv, t, [4 * RTO_LINUX])
    close(cv, t)
    return spec(cv, "a backed-off RTO kept after a new RTT measurement",
                """
RFC 6298 §5.5 backs the timer off on each expiry; §5 (Karn, and RFC 7323 §4
with timestamps): once a new RTT measurement is taken, the RTO is computed
again from SRTT and RTTVAR (§2.3): the backoff collapses. Linux clears
icsk_backoff on every RTT sample.
""", RTO_INTRO + """
The fourth request (frame {a0}) is lost twice; its retransmissions come 224 ms
(frame {a1}) and 448 ms (frame {a2}) later, correctly backed off, and the
second gets through. The server's response echoes that copy's TSval, a valid
RTT sample of 20 ms (RFC 7323 §4), so the RTO is 220 ms again. The fifth
request (frame {b0}) is lost in turn, and the client re-sends it only 896 ms
later (frame {b1}): still the twice backed-off timer.
""", [M("rto.not-collapsed", txb[1], "timeout 896 ms after a new RTT sample brought the RTO back to 220 ms"),
      M("rto.timeout", txa[1], "implied: first timeout of the fourth request (info, correct)"),
      M("rto.timeout", txa[2], "implied: second timeout of the fourth request (info, correctly doubled)"),
      M("rto.timeout", txb[1], "implied: the late timeout's info record")],
                a0=txa[0], a1=txa[1], a2=txa[2], b0=txb[0], b1=txb[1])


@case
def case_rto_below_minimum():
    """rto.below-minimum: a 300 ms timeout under RFC 6298's 1 s minimum (rfc)"""
    cv = Conv("crafted-rto-below-minimum")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [0.300])
    close(cv, t)
    return spec(cv, "a timeout below the 1 s minimum RTO",
                """
RFC 6298 §2.4: "Whenever RTO is computed, if it is less than 1 second, then
the RTO SHOULD be rounded up to 1 second". (Linux uses 200 ms on purpose;
the `rfc` profile holds the sender to RFC 6298 as written.)
""", """
Four RTT samples of 20 ms give SRTT 20 ms and a small RTTVAR: SRTT + 4 *
RTTVAR is about 37 ms, which §2.4 rounds up to 1 s. The fourth request
(frame {rq}) is lost after the capture point; the client re-sends it 300 ms
later (frame {rt}): after its unrounded RTO (so not too early for §5's
MUST), but below the 1 s the SHOULD asks for. With the `rfc` profile no tail
loss probe is expected, so SACK stays on.
""", [M("rto.below-minimum", tx[1], "a 300 ms timeout, minimum RTO 1 s"),
      M("rto.timeout", tx[1], "implied: the re-send is a timeout (info record)")],
                profile="rfc", rq=tx[0], rt=tx[1])


@case
def case_syn_rto_too_early():
    """rto.syn-too-early: the SYN is retransmitted after 300 ms"""
    cv = Conv("crafted-syn-rto-too-early")
    s1 = cv.send("c", 0.0, "S", lost=True, note="SYN, lost after the capture point")
    hs = handshake(cv, t=0.300, seq=0)
    hs[0].note = "the SYN again, 300 ms later (the violation)"
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a SYN retransmitted after 300 ms",
                """
RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been made for
a segment sent between the sender and receiver, the sender SHOULD set RTO <-
1 second"; §5: no retransmission before the RTO expires. RFC 9293 §3.8.1
(MUST-22) applies it to the SYN.
""", """
The client's SYN (frame {s1}) is lost after the capture point; the client
re-sends it 300 ms later (frame {s2}) instead of after the initial RTO of 1 s
(Linux: TCP_TIMEOUT_INIT). The server answers the second SYN and the
conversation goes on as the baseline.
""", [M("rto.syn-too-early", hs[0], "SYN re-sent 300 ms after the first, initial RTO 1 s"),
      M("rto.timeout", hs[0], "implied: the SYN re-send is a timeout (info record)")],
                s1=s1, s2=hs[0])


@case
def case_syn_no_backoff():
    """rto.syn-no-backoff: the second SYN retransmission 1 s after the first (rfc)"""
    cv = Conv("crafted-syn-no-backoff")
    s1 = cv.send("c", 0.0, "S", lost=True, note="SYN, lost after the capture point")
    s2 = cv.send("c", 1.0, "S", seq=0, lost=True, note="re-sent 1 s later (right), lost again")
    hs = handshake(cv, t=2.0, seq=0)
    hs[0].note = "re-sent 1 s later again: not doubled (the violation)"
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "SYN retransmissions without backoff",
                """
RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")";
RFC 9293 §3.8.1 (MUST-22) applies the retransmission timer to the SYN: the
second SYN retransmission waits twice as long as the first. (Linux since
6.5 keeps the first tcp_syn_linear_timeouts SYN timeouts at 1 s on purpose,
so this case uses the `rfc` profile.)
""", """
The client's SYN (frame {s1}) and its first retransmission 1 s later
(frame {s2}, the right initial RTO) are lost after the capture point; the
second retransmission (frame {s3}) comes 1 s after the first instead of 2 s.
The server answers it and the conversation goes on as the baseline.
""", [M("rto.syn-no-backoff", hs[0], "second SYN timeout 1 s, after a first of 1 s (needs 2 s)"),
      M("rto.timeout", s2, "implied: the first SYN timeout (info, correct)"),
      M("rto.timeout", hs[0], "implied: the second SYN timeout's info record")],
                profile="rfc", s1=s1, s2=s2, s3=hs[0])


@case
def case_rto_no_syn_fallback():
    """rto.no-syn-fallback: first data RTO of 1 s after a SYN timeout without RTT sample"""
    cv = Conv("crafted-rto-no-syn-fallback", client=dict(sack=False, ts=False),
              server=dict(sack=False, ts=False))
    s1 = cv.send("c", 0.0, "S", lost=True, note="SYN, lost after the capture point")
    hs = handshake(cv, t=1.0, seq=0)
    hs[0].note = "re-sent after the initial RTO of 1 s"
    tx, segs, t = lost_request(cv, hs[2].t + 0.000020, [1.0])
    rs, t = rounds(cv, t, 2)
    close(cv, t)
    return spec(cv, "no 3 s RTO after a SYN timeout",
                """
RFC 6298 §5.7: "If the timer expires awaiting the ACK of a SYN segment and
the TCP implementation is using an RTO less than 3 seconds, the RTO MUST be
re-initialized to 3 seconds when data transmission begins (i.e., after the
three-way handshake completes)" (Linux: TCP_TIMEOUT_FALLBACK).
""", """
Neither SACK nor timestamps are on (no tail loss probe, and no RTT sample
from the SYN-ACK's TSecr). The client's SYN (frame {s1}) is lost; its
retransmission 1 s later (frame {s2}) gets through: Karn's algorithm gives
no RTT sample from the handshake. The client's first request (frame {rq}) is
lost after the capture point and re-sent 1 s later (frame {rt}) — its RTO
should have been re-initialized to 3 s.
""", [M("rto.no-syn-fallback", tx[1], "first data timeout 1 s after a SYN timeout, no RTT sample: needs 3 s"),
      M("rto.timeout", hs[0], "implied: the SYN timeout that the rule is about (info, correct)"),
      M("rto.timeout", tx[1], "implied: the data timeout's info record")],
                s1=s1, s2=hs[0], rq=tx[0], rt=tx[1])


@case
def case_dsack():
    """retransmission.dsack: a spurious tail loss probe reported by D-SACK (info)"""
    cv = Conv("crafted-dsack")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    rq = cv.send("c", t, "PA", 200)
    cv.send("s", rq.arr + DELACK, "A", lost=True, note="the server's delayed ACK, lost before the capture point")
    tlp = cv.send("c", t + 0.240, "PA", 200, seq=rq.seq,
                  note="tail loss probe: the request again after 2 SRTT + 200 ms")
    dack = cv.send("s", tlp.arr + ACKPROC, "A", note="ACK with a D-SACK block for the duplicate (the finding)")
    segs = burst(cv, "s", rq.arr + 0.300, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    close(cv, segs[-1].arr + 0.005)
    return spec(cv, "a D-SACK reporting a spurious retransmission",
                """
RFC 2883 §4: when a receiver gets a segment it already had, the first SACK
block of its ACK reports it (a D-SACK): the sender learns its retransmission
was spurious. tcpref reports it as information.
""", """
The server's application takes 300 ms to answer the fourth request (frame
{rq}); the server's delayed ACK for it is lost before the capture point. With
one segment in flight, Linux's tail loss probe (RFC 8985 §7: PTO = 2 SRTT +
rto_min) re-sends the request 240 ms later (frame {tlp}). The server already
had it and acknowledges at once with a D-SACK block covering it (frame
{dack}); the response follows.
""", [M("retransmission.dsack", dack, "D-SACK for the 200 bytes of the probe: the re-send was spurious")],
                rq=rq, tlp=tlp, dack=dack)




@case
def case_rto_after_tlp():
    """rto.timeout: the RTO retransmission after a lost tail loss probe (info)"""
    cv = Conv("crafted-rto-after-tlp")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    a = cv.send("c", t, "A", 1448, note="request, first segment")
    b = cv.send("c", t + TX, "PA", 600, lost=True, note="request, last segment: lost after the capture point")
    tlp = cv.send("c", t + 0.042, "PA", 600, seq=b.seq, lost=True,
                  note="tail loss probe (PTO = 2 SRTT + 2 ms): lost too")
    dack = cv.send("s", a.arr + DELACK, "A", note="the server's delayed ACK of the first segment")
    rto = cv.send("c", dack.arr + RTO_LINUX, "PA", 600, seq=b.seq,
                  note="RTO retransmission, 224 ms after that ACK restarted the timer (the finding)")
    segs = burst(cv, "s", rto.arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", segs, tail=None)
    close(cv, segs[-1].arr + 0.005)
    return spec(cv, "an RTO retransmission after a lost tail loss probe",
                """
RFC 8985 §7: a tail loss probe re-sends the last segment once per episode
("the sender MUST NOT send another TLP until the previous TLP episode ends"
— until the ACK of the probed data or a loss detection); then the
retransmission timer takes over. RFC 6298 §5.3: an ACK of new data restarts
the timer; §5.4: on its expiry the earliest unacknowledged segment is re-sent
(tcpref reports the timeout as information).
""", """
SACK and timestamps on (Linux's defaults). The client's fourth request is
2048 bytes in two segments; the second (600 bytes, frame {b}) is lost after
the capture point. With two segments in flight Linux's tail loss probe
re-sends it 42 ms later (frame {tlp}, PTO = 2 SRTT + 2 ms), and the probe is
lost too. The server's delayed ACK of the first segment (frame {dack})
restarts the client's retransmission timer; 224 ms later the RTO fires and
the client re-sends the 600 bytes (frame {rto}) — an RTO retransmission,
not a second probe (the probe episode has not ended: nothing acknowledged the
probed data). The server answers the request.
""", [M("rto.timeout", rto, "a 224 ms timeout from the ACK that restarted the timer (RTO 220 ms): on time")],
                b=b, tlp=tlp, dack=dack, rto=rto)


# ---- windows

ZW_INTRO = """
The client has an 8192-byte receive buffer (window scale 7). In the second
round its application stops reading: the server fills the window with five
full segments and a 952-byte one (exactly to the right edge; the client's
ACKs keep that edge, within the 127 bytes window scaling rounds away), and
the client's ACK of the last one (frame {zw}) announces a zero window.
"""


def zero_window(cv, probe_gaps, reopen_after, small=None, small_after=None):
    """The zero-window story: returns (zero-window ACK, probes, reopening
    ACK(s), end time). probe_gaps: the server's persist intervals (the first
    from the zero window's arrival); reopen_after: when the application reads
    everything, after the zero window was sent; small: a window of that many
    bytes opened at small_after first."""
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    cv.c.reading = False
    segs = burst(cv, "s", rq.arr + PROC, [1448] * 5 + [952], psh_last=False)
    acks = []
    h = cv.c
    for k, sg in enumerate(segs):
        cv.deliver_until("c", sg.arr + ACKPROC)
        if k in (1, 3, 5):
            acks.append(cv.send("c", sg.arr + ACKPROC, "A"))
    zw = acks[-1]
    zw.note = "zero window: the application stopped reading"
    probes, t = [], zw.arr
    for g in probe_gaps:
        t += g
        pr = cv.send("s", t, "A", seq=cv.s.snd_nxt - 1, note="zero-window probe (SEQ = SND.UNA - 1)")
        probes.append(pr)
        cv.send("c", pr.arr + ACKPROC, "A", note="the zero window again")
    opens = []
    if small:
        h.unread -= small
        opens.append(cv.send("c", zw.t + small_after, "A", note="window update: %d bytes" % small))
    h.unread = 0
    h.reading = True
    opens.append(cv.send("c", zw.t + reopen_after, "A", note="window update: the application read everything"))
    rest = burst(cv, "s", opens[-1].arr + PROC, cv_sizes(cv, RESP))
    ack_segments(cv, "c", rest, tail=None)
    return zw, probes, opens, rest[-1].arr + 0.005


@case
def case_zero_window():
    """window.zero: a zero window, two persist probes, reopened (info)"""
    cv = Conv("crafted-zero-window", client=dict(rwnd=8192))
    zw, probes, opens, t = zero_window(cv, [RTO_LINUX, 2 * RTO_LINUX], 0.800)
    rs, t = rounds(cv, t, 1)
    close(cv, t)
    return spec(cv, "a zero window probed and reopened",
                """
RFC 9293 §3.8.6.1: a receiver may close its window; the sender then probes it
(SHLD-29: the first probe after the window has been zero for an RTO; SHLD-30:
exponentially increasing intervals) until the receiver opens it again.
tcpref reports each zero-window episode as information, with its length and
the number of probes.
""", ZW_INTRO + """
The server's persist timer sends a probe an RTO (224 ms) after the zero
window reached it (frame {p1}), and another 448 ms later (frame {p2}); the
client answers each with its zero window. 800 ms after closing it, the
application reads everything and the client reopens the window (frame
{open}); the server sends the rest of its response. Nothing is violated.
""", [M("window.zero", opens[-1], "zero window from frame {zw} for 800 ms, 2 probes")],
                zw=zw, p1=probes[0], p2=probes[1], open=opens[-1])


@case
def case_zwp_early():
    """window.probe-early: the first zero-window probe 40 ms after the window closed"""
    cv = Conv("crafted-zwp-early", client=dict(rwnd=8192))
    zw, probes, opens, t = zero_window(cv, [0.040], 0.200)
    rs, t = rounds(cv, t, 1)
    close(cv, t)
    return spec(cv, "a zero-window probe before the RTO",
                """
RFC 9293 §3.8.6.1 SHLD-29: "The transmitting host SHOULD send the first
zero-window probe when a zero window has existed for the retransmission
timeout period".
""", ZW_INTRO + """
The server's RTO is 220 ms, yet it probes 40 ms after the zero window
reached it (frame {p1}, 60 ms after the capture saw the zero window). The
client answers with its zero window; 200 ms after closing it the client
reopens it (frame {open}), before any further probe, and the server sends
the rest.
""", [M("window.probe-early", probes[0], "first probe 60 ms after the window closed, RTO 220 ms"),
      M("window.zero", opens[-1], "implied: the zero-window episode the probe belongs to (info)")],
                zw=zw, p1=probes[0], open=opens[-1])


@case
def case_zwp_no_backoff():
    """window.probe-no-backoff: the second zero-window probe does not wait twice as long"""
    cv = Conv("crafted-zwp-no-backoff", client=dict(rwnd=8192))
    zw, probes, opens, t = zero_window(cv, [RTO_LINUX, RTO_LINUX], 0.600)
    rs, t = rounds(cv, t, 1)
    close(cv, t)
    return spec(cv, "zero-window probes without backoff",
                """
RFC 9293 §3.8.6.1 SHLD-30: "the interval between successive probes SHOULD be
increased exponentially".
""", ZW_INTRO + """
The server's first probe (frame {p1}) comes an RTO (224 ms) after the zero
window reached it, as it should; the second (frame {p2}) again 224 ms later
instead of 448 ms. The client answers each with its zero window and reopens
the window 600 ms after closing it (frame {open}).
""", [M("window.probe-no-backoff", probes[1], "second probe 224 ms after the first (needs about 2 x 244 ms)"),
      M("window.zero", opens[-1], "implied: the zero-window episode the probes belong to (info)")],
                zw=zw, p1=probes[0], p2=probes[1], open=opens[-1])


@case
def case_sws_receiver():
    """window.sws-receiver: a closed window reopened by 512 bytes"""
    cv = Conv("crafted-sws-receiver", client=dict(rwnd=8192))
    zw, probes, opens, t = zero_window(cv, [], 0.200, small=512, small_after=0.100)
    rs, t = rounds(cv, t, 1)
    close(cv, t)
    return spec(cv, "a receiver opening a silly small window",
                """
RFC 9293 §3.8.6.2.2, MUST-39 (receiver silly window syndrome avoidance): the
receiver keeps the right edge of its window still until it can move it by
min(Fr * RcvBuffer, Eff.snd.MSS) (Fr = 1/2): here min(4096, 1448) = 1448
bytes.
""", ZW_INTRO + """
100 ms later the application reads 512 bytes and the client at once
announces a 512-byte window (frame {small}): the right edge moves by 512 <
1448. The server, avoiding sender SWS (§3.8.6.2.1), waits; 200 ms after the
window closed the application reads the rest and the client opens the whole
8192 bytes (frame {open}), before any probe was due.
""", [M("window.sws-receiver", opens[0], "a 512-byte window opened from zero (needs 1448)"),
      M("window.zero", opens[0], "implied: the small window ends the zero-window episode (info)")],
                zw=zw, small=opens[0], open=opens[1])


@case
def case_window_shrunk():
    """window.shrunk: the client moves the right edge of its window 5040 bytes left"""
    cv = Conv("crafted-window-shrunk")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    bad = cv.send("c", segs[1].arr + ACKPROC, "A", win=440,
                  note="window 440 << 7 = 56320: the right edge moves 5040 bytes left (the violation)")
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "a receiver shrinking its window",
                """
RFC 9293 §3.8.6, SHLD-14: "A TCP receiver SHOULD NOT shrink the window,
i.e., move the right window edge to the left". (Linux closes a window to
zero at once under memory pressure, which the linux profile allows; a
nonzero window moving left is a violation under both profiles.)
""", """
The client's windows are 64256 bytes (502 << 7). In the second round its ACK
of the first two response segments (frame {bad}) announces 56320 bytes (440
<< 7): the right edge, ACK + window, moves 5040 bytes to the left of the one
its previous segment announced. Its next segment announces 64256 again,
beyond the old edge. Everything else is the baseline.
""", [M("window.shrunk", bad, "right edge 5040 bytes left of the one announced before")], bad=bad)


@case
def case_sws_sender():
    """window.sws-sender: a 500-byte segment without PSH in the middle of a response"""
    cv = Conv("crafted-sws-sender")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, [1448, 500, 1448, 600])
    segs[1].note = "500 bytes without PSH, more data right behind (the violation)"
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 2)
    close(cv, t)
    return spec(cv, "a sender sending a silly small segment",
                """
RFC 9293 §3.8.6.2.1, MUST-38 (sender silly window syndrome avoidance): a
sender sends a segment smaller than Eff.snd.MSS only when it pushes all the
data it has, or the window allows no more (or after the override timeout).
""", """
In the second round the server's response goes out as 1448, 500, 1448 and
600 bytes back to back: the 500-byte segment (frame {bad}) has no PSH, the
window had room for a full segment, and the next 1448 bytes follow 12 us
later, before any ACK — it could have sent a full segment. The client
acknowledges as usual. Everything else is the baseline.
""", [M("window.sws-sender", segs[1], "a 500-byte segment without PSH, followed at once by more data")],
                bad=segs[1])


# ---- resets

@case
def case_rst_outside_window():
    """rst.outside-window: a RST 1 MiB beyond the client's window"""
    cv = Conv("crafted-rst-outside-window")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    rst = cv.send("s", t - OWD, "R", seq=cv.s.snd_nxt + (1 << 20),
                  note="RST with SEQ = RCV.NXT + 1 MiB: outside the client's 64256-byte window (the violation)")
    close(cv, t + 0.005)
    return spec(cv, "a RST outside the receiver's window",
                """
RFC 5961 §3.2 (adopted by RFC 9293 §3.10.7.4): "If the RST bit is set and
the sequence number is outside the current receive window, silently drop the
segment"; a RST is valid only at RCV.NXT (and in the window it asks for a
challenge ACK).
""", """
After the last round a RST carrying the server's address and ports arrives
(frame {rst}) with SEQ 1 MiB beyond the client's RCV.NXT, far outside its
64256-byte window (a stale RST from an old incarnation, or a blind
injection). The client drops it silently and closes normally 5 ms later.
""", [M("rst.outside-window", rst, "RST SEQ = RCV.NXT + 1048576, window 64256")], rst=rst)


@case
def case_rst_challenge():
    """rst.challenge: a RST inside the window but not at RCV.NXT (info)"""
    cv = Conv("crafted-rst-challenge")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    rst = cv.send("s", t - OWD, "R", seq=cv.s.snd_nxt + 1000,
                  note="RST with SEQ = RCV.NXT + 1000: in the window, not exact (the finding)")
    ch = cv.send("c", rst.arr + ACKPROC, "A", note="the client's challenge ACK")
    close(cv, t + 0.005)
    return spec(cv, "a RST in the window but not at RCV.NXT",
                """
RFC 5961 §3.2: "If the RST bit is set and the sequence number does not
exactly match the next expected sequence value, yet is within the current
receive window, TCP MUST send an acknowledgment (challenge ACK)" and not
reset the connection; tcpref reports such a RST as information.
""", """
After the last round a RST carrying the server's address and ports arrives
(frame {rst}) with SEQ = the client's RCV.NXT + 1000: inside its window but
not exact (a blind injection guessing the window). The client answers with a
challenge ACK (frame {ch}); the server, which sent no RST, has nothing to do
with it, and the client closes normally 5 ms later.
""", [M("rst.challenge", rst, "RST 1000 bytes into the window, not at RCV.NXT")], rst=rst, ch=ch)


@case
def case_rst_closed_answer():
    """rst.closed-answer: a closed server answers the client's late FIN with a RST (info)"""
    cv = Conv("crafted-rst-closed-answer")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    f1 = cv.send("c", t, "FA", note="the client's FIN")
    sf1 = cv.send("s", f1.arr + PROC, "FA", lost=True, note="the server's FIN+ACK, lost before the capture point")
    f2 = cv.send("c", f1.t + RTO_LINUX, "FA", seq=f1.seq, delay=0.025,
                 note="the client's FIN again (its timer); 25 ms late on the way: the server gets it last")
    sf2 = cv.send("s", sf1.t + RTO_LINUX, "FA", seq=sf1.seq, note="the server's FIN again (its timer)")
    ack = cv.send("c", sf2.arr + ACKPROC, "A", note="the client acknowledges the server's FIN: TIME-WAIT")
    assert ack.arr < f2.arr, "the ACK of the FIN must overtake the late FIN"
    rst = cv.send("s", f2.arr + ACKPROC, "R", seq=f2.ack,
                  note="the server, CLOSED since the ACK of its FIN, answers the late FIN: <SEQ=SEG.ACK><CTL=RST>")
    return spec(cv, "a RST from a closed endpoint answering a late segment",
                """
RFC 9293 §3.10.7.1: a TCP with no connection (CLOSED) answers any incoming
segment but a RST with a RST, and "If the ACK bit is on,
<SEQ=SEG.ACK><CTL=RST>". The passive closer is CLOSED as soon as its FIN is
acknowledged (LAST-ACK, §3.10.7.4). The peer, in TIME-WAIT, finds that RST
below its window and drops it (RFC 5961 §3.2). Nobody erred; tcpref reports
the RST as information instead of as a RST outside the window.
""", """
The client closes (frame {f1}); the server's FIN+ACK is lost, so both FINs
go again when the two retransmission timers expire: the client's (frame
{f2}) is held 25 ms on the way (reordering), the server's (frame {sf2})
reaches the client, which acknowledges it (frame {ack}). That ACK reaches
the server before the late FIN does: the server is CLOSED when the FIN
arrives and answers it with a RST numbered by the FIN's ACK field (frame
{rst}): the server's FIN sequence number, one below the client's RCV.NXT.
The same exchange is in real Linux traffic: the benchmark captures of
`../shared/bench` hold about ten per 300 MB flow-heavy capture, each a RST
without ACK at the server's FIN, 30 us after the client's ACK of that FIN
and right after the client's retransmitted FIN (the two segments most
likely handled on different CPUs on their way through the veth pair).
""", [M("rst.closed-answer", rst, "RST seq = the server's FIN, one below the client's RCV.NXT")],
                f1=f1, f2=f2, sf2=sf2, ack=ack, rst=rst)


@case
def case_rst_bad_ack():
    """rst.bad-ack: the RST refusing a SYN acknowledges ISN instead of ISN + 1"""
    cv = Conv("crafted-rst-bad-ack")
    syn = cv.send("c", 0.0, "S")
    r1 = cv.send("s", syn.arr + PROC, "RA", seq_raw=0, ack_raw=cv.c.isn, win=0,
                 note="RST,ACK with ACK = client ISN: acknowledges nothing (the violation)")
    syn2 = cv.send("c", 1.0, "S", seq=0, note="the client ignored that RST: its SYN again after 1 s")
    r2 = cv.send("s", syn2.arr + PROC, "RA", seq_raw=0, ack_raw=(cv.c.isn + 1) % MOD, win=0,
                 note="RST,ACK with ACK = ISN + 1: the connection is refused")
    return spec(cv, "a RST answering a SYN without acknowledging it",
                """
RFC 9293 §3.10.7.1 (CLOSED): a SYN to a closed port is answered
`<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`; §3.10.7.3 (SYN-SENT): "If the ACK
bit is set: If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the
RST bit is set, if so drop the segment and return)" — a RST whose ACK does
not cover the SYN is dropped.
""", """
Nothing listens on the server's port. Its answer to the client's SYN (frame
{r1}) is a RST,ACK with ACK = the client's ISN instead of ISN + 1. The client
drops it, as §3.10.7.3 says, and its SYN timer re-sends the SYN 1 s later
(frame {syn2}); this time the RST acknowledges ISN + 1 (frame {r2}) and the
connection is refused.
""", [M("rst.bad-ack", r1, "RST,ACK with ACK = ISN, not ISN + 1"),
      M("rto.timeout", syn2, "implied: having dropped the invalid RST, the client re-sends its SYN "
        "after the 1 s initial RTO (info, correct)")], r1=r1, syn2=syn2, r2=r2)


@case
def case_rst_data_after():
    """rst.data-after: the client sends data after its own RST"""
    cv = Conv("crafted-rst-data-after")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 2)
    rst = cv.send("c", t, "RA", note="the client aborts: RST,ACK at SND.NXT")
    bad = cv.send("c", t + 0.030, "PA", 200, note="a 200-byte request after its own RST (the violation)")
    r2 = cv.send("s", bad.arr + PROC, "R", seq=cv.s.snd_nxt, note="the server has no connection: RST <SEQ=SEG.ACK>")
    return spec(cv, "data after the sender's own RST",
                """
RFC 9293 §3.10.7.4 (RST) and §3.10.5 (ABORT): a reset deletes the TCB; the
endpoint is CLOSED and sends nothing more on that connection.
""", """
After two rounds the client aborts (RST,ACK at its SND.NXT, frame {rst}: a
valid reset). 30 ms later it sends a 200-byte request on the same ports and
sequence space (frame {bad}). The server, whose connection is gone, answers
with a RST (§3.10.7.1: `<SEQ=SEG.ACK><CTL=RST>`, frame {r2}).
""", [M("rst.data-after", bad, "200 bytes sent 30 ms after its own RST (frame {rst})")],
                rst=rst, bad=bad, r2=r2)



@case
def case_zero_window_long_rtt():
    """window.zero: correct doubling persist probes over a 200 ms round trip (info)"""
    cv = Conv("crafted-zero-window-long-rtt", owd=0.100, client=dict(rwnd=8192))
    zw, probes, opens, t = zero_window(cv, [0.430, 0.860], 1.800)
    rs, t = rounds(cv, t, 1)
    close(cv, t)
    return spec(cv, "a zero window probed correctly over a long round trip",
                """
RFC 9293 §3.8.6.1: SHLD-29, the first zero-window probe after the window has
been zero for an RTO; SHLD-30, "the interval between successive probes
SHOULD be increased exponentially". Both intervals are the prober's: from
the zero window's arrival to the first probe, and from probe to probe.
""", ZW_INTRO.replace("round,", "round (a 200 ms round trip here),") + """
The server's RTO is about 430 ms (SRTT 200 ms). Its persist timer probes 430
ms after the zero window reached it (frame {p1}) and doubles: the second probe
comes 860 ms after the first (frame {p2}). At the capture point (the client)
the first gap is 630 ms, because it includes the 200 ms round trip between
the client and the server; the second is exactly the server's 860 ms, twice
its first interval. Nothing is violated; the client reopens the window 1.8 s
after closing it (frame {open}).
""", [M("window.zero", opens[-1], "zero window from frame {zw} for 1.8 s, 2 probes; the probes back off "
        "correctly (430 ms, then 860 ms at the server)")],
                zw=zw, p1=probes[0], p2=probes[1], open=opens[-1])


# ---- capture-class cases: the capture, not an endpoint, is at fault

@case
def case_capture_hole():
    """capture.segment-not-captured: a response segment the capture dropped"""
    cv = Conv("crafted-capture-hole")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, [1448, 1448, 1448, 600]))
    segs[0].captured = False
    segs[0].note = "delivered to the client, but not captured"
    acks = ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a segment missing from the capture",
                """
The capture, not an endpoint, misses a segment (RFC 9293 §3.4: the sequence
numbers show which bytes are missing): the segment after the hole starts
beyond everything captured from its sender, and the receiver acknowledges the
missing bytes. Both are capture findings; the checks of that range are
skipped.
""", """
In the second round the client receives all four response segments, but the
capture dropped the first (a kernel buffer overrun at tcpdump). The second
(frame {s2}) starts 1448 bytes beyond everything captured from the server;
the client's ACK (frame {ack}) then acknowledges the first two, the missing
one included.
""", [M("capture.segment-not-captured", segs[1], "1448 bytes before this segment are not in the capture"),
      M("capture.ack-unseen-segment", acks[0], "implied: the client's ACK covers the 1448 bytes the capture "
        "does not hold")], s2=segs[1], ack=acks[0])


@case
def case_capture_ack_unseen():
    """capture.ack-unseen-segment: an ACK covering a tail segment the capture dropped"""
    cv = Conv("crafted-capture-ack-unseen")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    segs[-1].captured = False
    segs[-1].note = "delivered to the client, but not captured"
    ack_segments(cv, "c", segs, tail=None)
    (rq2, segs2, acks2), = rounds(cv, segs[-1].arr + 0.005, 1)[0]
    close(cv, segs2[-1].arr + 0.005)
    return spec(cv, "an ACK of a segment missing from the capture",
                """
The capture misses the tail segment of a response. The receiver's ACK covers
bytes the capture never held (Wireshark: "ACKed segment that wasn't
captured"); the sender's next segment then shows they were sent before (it
starts at that ACK, not below it), so the capture, not the receiver, is at
fault.
""", """
In the second round the capture drops the 600-byte tail of the response
(delivered to the client). The client's next request (frame {rq2})
acknowledges it: an ACK beyond everything captured from the server. The
server's next segment (frame {s2}) starts exactly at that ACK, so the bytes
were sent and not captured; it also reveals the hole itself.
""", [M("capture.ack-unseen-segment", rq2, "the request acknowledges 600 bytes the capture does not hold"),
      M("capture.segment-not-captured", segs2[0], "implied: the server's next segment starts 600 bytes "
        "beyond what was captured from it")], rq2=rq2, s2=segs2[0])


@case
def case_capture_duplicate():
    """capture.duplicate: one packet captured twice (same IP ID)"""
    cv = Conv("crafted-capture-duplicate")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    segs[0].dups = [0.000004]
    segs[0].piece_notes = {1: "the same packet again, 4 us later (same IP ID)"}
    ack_segments(cv, "c", segs, tail=None)
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a packet duplicated in the capture",
                """
RFC 791 §3.2: the Identification field names one datagram of a sender; the
same datagram seen twice (same IP ID, sequence, acknowledgment, window and
timestamps) was copied by the network or the capture (a SPAN port, two
interfaces), not sent again by TCP.
""", """
In the second round the first response segment is in the capture twice, 4 us
apart (frames {f1} and {f2}): byte-identical, same IP ID. The client received
it once. Everything else is the baseline.
""", [M("capture.duplicate", segs[0], "the same IPv4 datagram as frame {f1}", copy=1)],
                f1=segs[0], f2=_Copy(segs[0], 1))


@case
def case_capture_options_cut():
    """capture.options-cut: a 68-byte snapshot length cuts the SYNs' options"""
    cv = Conv("crafted-capture-options-cut")
    cv.snaplen = 68
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "TCP options cut by the snapshot length",
                """
A capture taken with tcpdump's old default snapshot length of 68 bytes: 14
(Ethernet) + 20 (IPv4) + 34 bytes of TCP. The SYN and SYN-ACK (20 option
bytes, 74-byte frames) lose the end of their options, so MSS, window scale,
SACK-permitted and timestamps cannot be read; later segments keep their
headers (32 bytes) but lose their payload.
""", """
The baseline conversation written with snapshot length 68: frames {syn} and
{sa} are cut inside their options; the others keep their headers. No
protocol check that needs the negotiated options can be made, and none may
be reported.
""", [M("capture.options-cut", hs[0], "the SYN's options are cut at 68 bytes"),
      M("capture.options-cut", hs[1], "the SYN-ACK's options are cut at 68 bytes")],
                syn=hs[0], sa=hs[1])


@case
def case_capture_truncated_header():
    """capture.truncated-header: one record cut inside its TCP header"""
    cv = Conv("crafted-capture-truncated-header")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    acks = ack_segments(cv, "c", segs, tail=None)
    acks[0].caplen = 14 + 20 + 12
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a TCP header cut by the capture",
                """
A record whose captured length ends inside the TCP header (after the
sequence and acknowledgment numbers, before the flags): the segment cannot
be analyzed.
""", """
In the second round the client's pure ACK (frame {ack}) is stored with only
46 of its 66 bytes (Ethernet, IPv4 and 12 bytes of TCP; its original length
is kept). It carried no data, so nothing else is missing.
""", [M("capture.truncated-header", acks[0], "the record holds 12 of the 32 TCP header bytes"),
      M("capture.truncated-packet", frame=None, pkt=acks[0], file_level=True,
        note="implied: the file-level count of packets the snapshot length cut includes this record "
             "(first_reason: TCP header cut)")],
                ack=acks[0])


@case
def case_capture_truncated_packet():
    """capture.truncated-packet: one record cut inside its IPv4 header"""
    cv = Conv("crafted-capture-truncated-packet")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    acks = ack_segments(cv, "c", segs, tail=None)
    acks[0].caplen = 14 + 12
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "an IP header cut by the capture",
                """
A record whose captured length ends inside the IPv4 header (RFC 791 §3.1:
20 bytes without options): neither the addresses nor the TCP header are
there, so the packet cannot be given to any connection.
""", """
In the second round the client's pure ACK (frame {ack}) is stored with only
26 of its 66 bytes (Ethernet and 12 bytes of IPv4). It carried no data, so
nothing else is missing.
""", [M("capture.truncated-packet", acks[0], "one packet cut inside its IPv4 header", file_level=True)],
                ack=acks[0])


@case
def case_capture_malformed():
    """capture.malformed-packet: one record with a TCP data offset of 4"""
    cv = Conv("crafted-capture-malformed")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, cv_sizes(cv, RESP))
    acks = ack_segments(cv, "c", segs, tail=None)
    acks[0].mangle = lambda b: b[:46] + bytes([0x40 | (b[46] & 0x0F)]) + b[47:]
    rs, t = rounds(cv, segs[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a packet whose headers cannot be right",
                """
RFC 9293 §3.1: the data offset counts 32-bit words and is at least 5 (the
fixed 20-byte header); a smaller value cannot come from a TCP sender, so the
record was damaged (a bit flip in the capture path) and is skipped.
""", """
In the second round the client's pure ACK (frame {ack}) has its TCP data
offset nibble changed from 8 to 4 after it was built (its checksum no longer
matches). It carried no data, so nothing else is missing.
""", [M("capture.malformed-packet", acks[0], "TCP data offset 4 (< 5)", file_level=True)], ack=acks[0])


@case
def case_capture_ip_fragment():
    """capture.ip-fragment: a 1500-byte segment fragmented by a 1000-byte MTU"""
    cv = Conv("crafted-capture-ip-fragment")
    cv.s.df = False
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1, resp=(900,))
    rq = cv.send("c", t, "PA", 200)
    segs = burst(cv, "s", rq.arr + PROC, [1448, 600])
    segs[0].frag_mtu = 1000
    segs[0].piece_notes = {0: "IP fragment 1 (offset 0, MF) of a 1448-byte segment",
                           1: "IP fragment 2 (offset 976)"}
    (rq2, segs2, acks2), = rounds(cv, segs[-1].arr + 0.005, 1, resp=(900,))[0]
    close(cv, segs2[-1].arr + 0.005)
    return spec(cv, "a TCP segment in IP fragments",
                """
RFC 791 §2.3: a datagram larger than a link's MTU is fragmented when DF is
clear; the receiver reassembles it. tcpref counts fragments without
reassembling them (RFC 8200 §4.5 likewise for IPv6), so the TCP segment
inside is not analyzed: to the analysis it is a segment missing from the
capture.
""", """
The server runs without path MTU discovery (DF clear) and a link on the way
has an MTU of 1000 bytes. Responses are 900 bytes, except in the second
round: 1448 + 600 bytes. The 1448-byte segment (a 1500-byte datagram) arrives
as two fragments (frames {f1} and {f2}); the client reassembles it. The next
segment (frame {s2}) then starts 1448 bytes beyond what the analysis saw, and
the client's next request (frame {rq2}) acknowledges those bytes.
""", [M("capture.ip-fragment", segs[0], "two IPv4 fragments (file level; count = packets)", count=2,
        file_level=True),
      M("capture.segment-not-captured", segs[1], "implied: the fragmented segment is not analyzed, so its "
        "1448 bytes are a hole before this segment"),
      M("capture.ack-unseen-segment", rq2, "implied: the client acknowledges the fragmented segment's bytes")],
                f1=segs[0], f2=_Copy(segs[0], 1), s2=segs[1], rq2=rq2)


@case
def case_capture_tso():
    """capture.tso-gro: a TSO super-segment captured on the sending host"""
    cv = Conv("crafted-capture-tso", cap="s")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    tso = cv.send("s", rq.arr + PROC, "A", 2896,
                  note="2896 bytes in one 2948-byte IP packet: TSO splits it into two segments on the wire")
    tail = cv.send("s", rq.arr + PROC + 2 * TX, "PA", 600)
    ack_segments(cv, "c", [tso, tail], tail=None)
    rs, t = rounds(cv, tail.arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "a TSO super-segment",
                """
RFC 9293 §3.7.1 caps each segment at the peer's MSS. A capture on a host
with TCP segmentation offload sees the segments before the NIC splits them:
one IP packet larger than the link MTU carrying several MSS of data. That is
the capture's view, not what the wire carried.
""", """
The capture is on the server host, which has TSO on. In the second round the
server's stack hands the NIC 2896 bytes in one 2948-byte IP packet (frame
{tso}); the NIC sends two 1448-byte segments, and the client acknowledges
them as such.
""", [M("capture.tso-gro", tso, "2896 + 12 bytes in a 2948-byte IP packet, MSS 1460")], tso=tso)


@case
def case_capture_no_handshake():
    """capture.no-handshake: the capture starts after the handshake"""
    cv = Conv("crafted-capture-no-handshake")
    hs = handshake(cv)
    for p in hs:
        p.captured = False
        p.note = "before the capture started"
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    first = rs[0][0]
    return spec(cv, "a capture that starts after the handshake",
                """
RFC 9293 §3.5: the SYNs carry the ISNs and the options (MSS, window scale,
SACK-permitted, timestamps) that the rest of the connection depends on. A
capture started after them leaves roles, ISNs, window scaling and the MSS
unknown; the checks needing them are skipped, and tcpref says so once.
""", """
The baseline conversation with its first three frames (SYN, SYN-ACK, ACK)
taken before the capture started: the capture opens with the client's first
request (frame {first}). Roles are unknown (A is the sender of that first
segment).
""", [M("capture.no-handshake", first, "the connection is picked up mid-stream", direction=False)],
                first=first)


@case
def case_capture_handshake_reordered():
    """handshake.out-of-order: the capture holds the SYN after the SYN-ACK"""
    cv = Conv("crafted-capture-handshake-reordered")
    hs = handshake(cv)
    hs[0].t_cap = hs[1].t_cap + 0.000020
    hs[0].note = "the SYN, captured 20 us after the SYN-ACK that answers it"
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a handshake reordered by the capture",
                """
RFC 9293 §3.5: the SYN-ACK answers the SYN; no endpoint can send them in the
other order, so a capture holding the SYN-ACK first reordered them (a SPAN
port, a multi-queue capture merged late).
""", """
The baseline conversation, except that the capture records the client's SYN
20 us after the server's SYN-ACK (frames {sa} and {syn}). The handshake's
round trip cannot be split at the capture point, so timing verdicts that need
it become unknown.
""", [M("handshake.out-of-order", hs[0], "the SYN comes after its SYN-ACK in the capture")],
                sa=hs[1], syn=hs[0])


@case
def case_capture_synack_without_syn():
    """handshake.synack-without-syn: the capture starts between the SYN and the SYN-ACK"""
    cv = Conv("crafted-capture-synack-without-syn")
    hs = handshake(cv)
    hs[0].captured = False
    hs[0].note = "before the capture started"
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    close(cv, t)
    return spec(cv, "a SYN-ACK without its SYN in the capture",
                """
RFC 9293 §3.5: a SYN-ACK answers a SYN. Without the SYN, the client's ISN is
inferred from the SYN-ACK's ACK, and its options and the handshake round
trip are unknown.
""", """
The baseline conversation with the client's SYN taken before the capture
started: the capture opens with the server's SYN-ACK (frame {sa}).
""", [M("handshake.synack-without-syn", hs[1], "the SYN-ACK's SYN is not in the capture")], sa=hs[1])


@case
def case_capture_reordered():
    """capture.reordered: two ACKs of the client captured in the reverse order"""
    cv = Conv("crafted-capture-reordered", cap="s")
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 1)
    rq = cv.send("c", t, "PA", 200)
    b1 = burst(cv, "s", rq.arr + PROC, [1448, 1448], psh_last=False)
    b2 = burst(cv, "s", rq.arr + PROC + 0.002, [1448, 1448, 600])
    a1 = cv.send("c", b1[1].arr + ACKPROC, "A", delay=0.005, note="ACK of the first two, delayed 5 ms in the network")
    a2 = cv.send("c", b2[1].arr + ACKPROC, "A", note="ACK of the next two, sent 2 ms later, captured first")
    rs, t = rounds(cv, b2[-1].arr + 0.005, 1)
    close(cv, t)
    return spec(cv, "segments reordered before the capture point",
                """
RFC 7323 §4.3: TSval grows with the sender's clock, so a segment with an
older TSval than one captured before it was sent earlier: the network (or
the capture) reordered them. An ACK that seems to move backwards for that
reason is not a protocol violation.
""", """
The capture is on the server host. In the second round the server sends two
full segments, and two more plus a tail 2 ms later (paced). The client
acknowledges each pair at once; the network delays the first ACK by 5 ms, so
the second (frame {a2}, TSval 2 ms newer) is captured before the first
(frame {a1}).
""", [M("capture.reordered", a1, "an older ACK with an older TSval, captured after a newer one")],
                a1=a1, a2=a2)


@case
def case_capture_rtx_not_captured():
    """capture.retransmission-not-captured: 1.5 s of the client's retransmissions missing from the capture"""
    cv = Conv("crafted-capture-rtx-not-captured", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [RTO_LINUX, 2 * RTO_LINUX, 4 * RTO_LINUX])
    for p in tx[1:]:
        p.captured = False
        p.note += "; not captured"
    close(cv, t)
    return spec(cv, "retransmissions missing from the capture",
                """
RFC 6298 §5.4, §5.5: while its data is unacknowledged, a sender retransmits
it each time the (doubling) timer expires. When the capture holds none of
those retransmissions but the peer acknowledges the data, the capture missed
them (tcpdump dropping packets under load), not the sender.
""", """
SACK is off (no tail loss probe). The client's fourth request (frame {rq}) is
lost after the capture point, and so are its retransmissions 224 and 448 ms
later; the third, 896 ms after that, gets through. The capture holds none of
the three (it dropped everything for 1.5 s). The server's response (frame
{resp}) acknowledges the request 1.59 s after the capture saw it: long past
4 RTOs, with no retransmission in the capture.
""", [M("capture.retransmission-not-captured", segs[0], "the request is acknowledged 1.59 s later without "
        "a retransmission in the capture")], rq=tx[0], resp=segs[0])



@case
def case_capture_rtx_not_captured_then_rto():
    """rto.timeout: a correct RTO after retransmissions the capture missed (no RTT sample from them)"""
    cv = Conv("crafted-capture-rtx-not-captured-then-rto", **NOSACK)
    hs = handshake(cv)
    rs, t = rounds(cv, hs[2].t + 0.000020, 3)
    tx, segs, t = lost_request(cv, t, [RTO_LINUX, 2 * RTO_LINUX, 4 * RTO_LINUX])
    for p in tx[1:]:
        p.captured = False
        p.note += "; not captured"
    tx2, segs2, t = lost_request(cv, t, [RTO_LINUX])
    close(cv, t)
    return spec(cv, "a correct RTO after retransmissions the capture missed",
                """
RFC 6298 §3 (Karn's algorithm): "RTT samples MUST NOT be made using segments
that were retransmitted"; RFC 7323 §4: with timestamps the ACK's TSecr names
the transmission it answers. RFC 6298 §5.4: on expiry of the RTO, retransmit.
""", """
The first part is crafted-capture-rtx-not-captured: the fourth request (frame
{rq}) and its three retransmissions are lost, the capture holds none of the
retransmissions, and the server's response (frame {resp}) acknowledges the
request 1.59 s after the capture saw it. That response echoes the TSval of the
last (uncaptured) retransmission, 20 ms before it: the request's round trip
is still 20 ms, and the original transmission gives no valid sample (it was
retransmitted). The client's RTO is therefore still about 220 ms. The fifth
request (frame {rq2}) is lost too and re-sent after a correct 224 ms timeout
(frame {rt2}).
""", [M("capture.retransmission-not-captured", segs[0], "the request is acknowledged 1.59 s later without "
        "a retransmission in the capture"),
      M("rto.timeout", tx2[1], "a 224 ms timeout with an RTO of about 220 ms: on time (no RTT sample may come "
        "from the original transmission of frame {rq})")],
                rq=tx[0], resp=segs[0], rq2=tx2[0], rt2=tx2[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
