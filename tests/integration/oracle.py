"""Shared helpers of tcpref's integration tests.

The oracle is tshark: every expected value these tests compare tcpref with is
computed here from tshark's per-frame fields (tcp.stream, tcp.seq_raw,
tcp.flags, tcp.len, the SYN options, ...), never from tcpref's own output.
Python standard library only.
"""
import concurrent.futures
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

SKIP = 77           # CTest SKIP_RETURN_CODE: a prerequisite is missing
TIMEOUT_S = 10      # no tcpref run may take longer

# The preferences the corpus generator uses for facts.tsv / facts-summary.txt
# (see any corpus/kernel-*/facts-summary.txt header), so that the live oracle
# and the committed facts are computed the same way.
TSHARK_PREFS = [
    "-o", "tcp.relative_sequence_numbers:TRUE",
    "-o", "tcp.analyze_sequence_numbers:TRUE",
    "-o", "tcp.calculate_timestamps:TRUE",
    "-o", "tcp.track_bytes_in_flight:TRUE",
    "-o", "tcp.check_checksum:FALSE",
    "-o", "tcp.desegment_tcp_streams:FALSE",
]

# Field name -> attribute name of Frame.
FIELDS = [
    ("frame.number", "number"),
    ("frame.time_relative", "time"),
    ("vlan.id", "vlan"),
    ("ip.src", "ip_src"),
    ("ip.dst", "ip_dst"),
    ("ipv6.src", "ip6_src"),
    ("ipv6.dst", "ip6_dst"),
    ("tcp.srcport", "sport"),
    ("tcp.dstport", "dport"),
    ("tcp.stream", "stream"),
    ("tcp.flags", "flags"),
    ("tcp.seq_raw", "seq"),
    ("tcp.ack_raw", "ack"),
    ("tcp.len", "len"),
    ("ip.len", "ip_len"),
    ("ip.id", "ip_id"),
    ("tcp.window_size_value", "win_raw"),
    ("frame.time_epoch", "epoch"),
    ("ip.hdr_len", "ip_hdr_len"),
    ("tcp.hdr_len", "tcp_hdr_len"),
    ("tcp.options.mss_val", "mss"),
    ("tcp.options.wscale.shift", "wscale"),
    ("tcp.options.sack_perm", "sack_perm"),
    ("tcp.options.timestamp.tsval", "tsval"),
    ("tcp.analysis.keep_alive", "keep_alive"),
    ("tcp.short_segment", "short_segment"),
]

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


# ---------------------------------------------------------------- plumbing

def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def need_tshark():
    path = shutil.which("tshark")
    if not path:
        skip("tshark is not installed (Debian: apt-get install tshark); it is the oracle of this test")
    return path


def need_binary(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        print("FAIL: tcpref binary %r is missing or not executable" % path)
        sys.exit(1)


def parallel_map(fn, items):
    """fn over items on a few threads (tshark and tcpref are processes)."""
    workers = max(2, min(8, os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(fn, items))


class Run:
    """One tcpref run: exit status, output, wall time."""

    def __init__(self, args, rc, out, err, seconds, timed_out):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.seconds, self.timed_out = seconds, timed_out

    def crashed(self):
        """Killed by a signal (negative rc from subprocess) or a shell-style
        128+N exit: a crash, whatever the command was."""
        return self.rc is None or self.rc < 0 or self.rc >= 128

    def json(self):
        return json.loads(self.out)

    def describe(self):
        if self.timed_out:
            return "timed out after %d s" % TIMEOUT_S
        return "exit %s in %.2f s; stderr: %s" % (self.rc, self.seconds, self.err.strip()[:300])


def run(argv, cwd=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT_S)
        return Run(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace"), time.monotonic() - t0, False)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace")
        return Run(argv, None, out, err, time.monotonic() - t0, True)


# ---------------------------------------------------------------- results

class Results:
    """Collects the outcome of every assertion.

    known_bugs maps an assertion key (see key()) to the description of a
    tcpref bug that makes it fail. Such an assertion is an expected failure:
    it prints a 'KNOWN BUG' warning and does not fail the test. If it passes,
    the test fails (strict): the bug was fixed and its entry must go.
    """

    def __init__(self, name, known_bugs=None):
        self.name = name
        self.known = dict(known_bugs or {})
        self.used_known = set()
        self.failures = []
        self.warnings = []
        self.checks = 0

    @staticmethod
    def key(*parts):
        return "/".join(str(p) for p in parts)

    def check(self, ok, key, message):
        self.checks += 1
        bug = self.known.get(key)
        if bug is not None:
            self.used_known.add(key)
            if ok:
                self.failures.append("%s: passes now, but is listed as a KNOWN BUG (%s); "
                                     "remove its entry" % (key, bug))
            else:
                self.warnings.append("KNOWN BUG %s: %s [%s]" % (key, message, bug))
            return ok
        if not ok:
            self.failures.append("%s: %s" % (key, message))
        return ok

    def eq(self, key, expected, observed, what=""):
        msg = "%sexpected %r (tshark/RFC), tcpref says %r" % (what + ": " if what else "",
                                                             expected, observed)
        return self.check(expected == observed, key, msg)

    def fail(self, key, message):
        return self.check(False, key, message)

    def finish(self, summary):
        for k in sorted(set(self.known) - self.used_known):
            self.failures.append("KNOWN BUG entry %s was never checked (stale entry?)" % k)
        for w in self.warnings:
            print("WARNING: " + w)
        for f in self.failures:
            print("FAIL: " + f)
        print("%s: %s; %d assertions, %d failed, %d known bugs (expected failures)"
              % (self.name, summary, self.checks, len(self.failures), len(self.warnings)))
        return 1 if self.failures else 0


# ---------------------------------------------------------------- tshark

class Frame:
    __slots__ = [a for _, a in FIELDS]

    def src(self):
        return (self.ip6_src or self.ip_src, self.sport)

    def dst(self):
        return (self.ip6_dst or self.ip_dst, self.dport)

    def seqlen(self):
        """Sequence space the segment occupies (RFC 9293 §3.4: SYN and FIN
        count as one octet each)."""
        return self.len + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)


def _last(v):
    # -E occurrence=l already keeps the last; tshark still joins
    # multi-valued fields of one layer on ','.
    return v.split(",")[-1] if v else v


def _int(v, base=10):
    return int(v, base) if v != "" else None


def _addr(v):
    return str(ipaddress.ip_address(v)) if v else ""


def tshark(path, extra=()):
    """(frames, returncode, stderr) for every frame of path; the innermost
    IP header is kept (occurrence=l)."""
    argv = [need_tshark(), "-r", path, "-n"] + TSHARK_PREFS + list(extra) + [
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l"]
    for f, _ in FIELDS:
        argv += ["-e", f]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    frames = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        fr = Frame()
        for (_, attr), v in zip(FIELDS, cols):
            setattr(fr, attr, _last(v))
        fr.number = int(fr.number)
        fr.time = float(fr.time) if fr.time else 0.0
        for a in ("ip_src", "ip_dst", "ip6_src", "ip6_dst"):
            setattr(fr, a, _addr(getattr(fr, a)))
        for a in ("sport", "dport", "stream", "seq", "ack", "len", "mss", "wscale", "vlan",
                  "ip_len", "ip_hdr_len", "tcp_hdr_len", "win_raw"):
            setattr(fr, a, _int(getattr(fr, a)))
        fr.ip_id = _int(fr.ip_id, 16) if fr.ip_id else None
        fr.epoch = float(fr.epoch) if fr.epoch else 0.0
        # The payload length is the IPv4 header's (RFC 791 total length less
        # both headers) where that is larger than what tshark reports from a
        # frame that holds fewer bytes than the IP header says: tcpref counts
        # IP-header lengths, as it must for snaplen-cut packets.
        if fr.ip_len is not None and fr.ip_hdr_len is not None and fr.tcp_hdr_len is not None:
            iplen = fr.ip_len - fr.ip_hdr_len - fr.tcp_hdr_len
            if fr.len is not None and iplen > fr.len:
                fr.len = iplen
        fr.flags = _int(fr.flags, 16) if fr.flags else None
        fr.sack_perm = fr.sack_perm != ""
        fr.keep_alive = fr.keep_alive != ""
        fr.short_segment = fr.short_segment != ""
        frames.append(fr)
    err = p.stderr.decode("utf-8", "replace")
    err = "\n".join(l for l in err.splitlines() if "Running as user" not in l)
    return frames, p.returncode, err


def seq_lt(a, b):
    """a < b in 32-bit sequence space (RFC 9293 §3.4)."""
    return ((a - b) & 0xFFFFFFFF) >= 0x80000000


class Direction:
    """What one endpoint sent in one tshark stream."""

    def __init__(self, key):
        self.key = key
        self.packets = self.bytes = self.pure_acks = 0
        self.syn = self.fin = self.rst = 0
        self.resent = 0
        self.resent_data = 0      # the corpus generator's data-only variant
        self.hi_data = None
        self.hi = None            # highest seq + seqlen seen so far
        self.duplicates = 0       # copies of one packet (see _is_copy)
        self.sigs = []            # its two latest distinct packets
        self.syn_frame = None     # its first SYN (or SYN-ACK)
        self.syn_frames = []      # every copy
        self.fin_frames = []

    def add(self, f):
        self.packets += 1
        self.bytes += f.len
        if f.flags & SYN:
            self.syn += 1
            self.syn_frames.append(f)
            if self.syn_frame is None:
                self.syn_frame = f
        if f.flags & FIN:
            self.fin += 1
            self.fin_frames.append(f.number)
        if f.flags & RST:
            self.rst += 1
        if f.flags & (ACK | SYN | FIN | RST) == ACK and f.len == 0:
            self.pure_acks += 1
        if self._is_copy(f):
            self.duplicates += 1
            return
        self._count_resent(f)
        self._count_resent_data(f)

    def _is_copy(self, f):
        """The same IP packet again (RFC 791 §3.2: the Identification names
        one datagram): the same IPv4 ID and TCP fields as one of this
        sender's two latest distinct packets; without an ID (IPv6, or 0), the
        same capture microsecond. A copy made by the network or the capture
        is one transmission, not a re-send."""
        sig = (f.seq, f.ack, f.len, f.flags, f.win_raw, f.tsval)
        for s_sig, s_id, s_t in self.sigs:
            if s_sig != sig:
                continue
            if f.ip_id is not None and s_id is not None and (f.ip_id or s_id):
                if f.ip_id == s_id:
                    return True
                continue
            if abs(f.epoch - s_t) <= 1e-6:
                return True
        self.sigs = [(sig, f.ip_id, f.epoch)] + self.sigs[:1]
        return False

    def _count_resent_data(self, f):
        """The corpus facts-summary's *_resent_segments_seq_based, as
        corpus/tools/make-kernel-captures.sh computes it: data segments
        starting below the highest seq + len of earlier data segments. Only
        used to check this module against the committed facts."""
        if f.len == 0:
            return
        end = (f.seq + f.len) & 0xFFFFFFFF
        if self.hi_data is not None and seq_lt(f.seq, self.hi_data):
            self.resent_data += 1
        if self.hi_data is None or seq_lt(self.hi_data, end):
            self.hi_data = end

    def _count_resent(self, f):
        """The seq-based count of segments re-sending sequence space already
        seen, computed from tshark's raw fields only (tshark's own
        retransmission / out-of-order flags depend on timing heuristics, e.g.
        a 3 ms out-of-order threshold, and are not used). The rule:

        - hi is the highest SEG.SEQ + SEG.LEN (SYN and FIN count one, RFC
          9293 §3.4) seen in this direction; the first non-RST segment of the
          direction starts it at its SEG.SEQ;
        - a segment that occupies sequence space (payload, SYN or FIN) and
          starts below hi re-sends space already seen: a retransmission, or
          a segment that fills a hole and was reordered before the capture
          point. tcpref splits these into retransmitted_segments and
          out_of_order, so their sum must equal this count;
        - except tshark's keep-alives (SEQ = hi - 1, at most one octet, RFC
          1122 §4.2.3.6), which also covers Linux's persist probes: they are
          probes, not re-sends;
        - RSTs occupy no sequence space and take no part.
        Unlike the corpus facts-summary's *_resent_segments_seq_based (data
        segments only), SYN and FIN re-sends count here.
        """
        if f.flags & RST:
            return
        end = (f.seq + f.seqlen()) & 0xFFFFFFFF
        if self.hi is None:
            self.hi = f.seq
        if f.seqlen() == 0:
            return
        if seq_lt(f.seq, self.hi) and not f.keep_alive:
            self.resent += 1
        if seq_lt(self.hi, end):
            self.hi = end

    def syn_options(self, f=None):
        """Options offered in its first SYN / SYN-ACK (or in f), as tcpref
        names them. When re-sent SYNs carry other options, which copy is 'the'
        offer is a choice, not a fact: see syn_options_agree."""
        f = f or self.syn_frame
        if f is None:
            return None
        return {"isn": f.seq, "mss": f.mss, "window_scale": f.wscale,
                "sack_permitted": f.sack_perm, "timestamps": f.tsval not in ("", None)}


    def syn_options_agree(self):
        return all(self.syn_options(f) == self.syn_options() for f in self.syn_frames)


class Stream:
    """One tshark tcp.stream."""

    def __init__(self, index):
        self.index = index
        self.frames = []
        self.dirs = {}

    def add(self, f):
        self.frames.append(f)
        self.dirs.setdefault(f.src(), Direction(f.src())).add(f)
        self.dirs.setdefault(f.dst(), Direction(f.dst()))

    @property
    def first_frame(self):
        return self.frames[0].number

    @property
    def last_frame(self):
        return self.frames[-1].number

    def client(self):
        """The sender of the first SYN without ACK, else the receiver of the
        first SYN-ACK; None when the capture holds neither."""
        for f in self.frames:
            if f.flags & (SYN | ACK) == SYN:
                return f.src()
            if f.flags & (SYN | ACK) == SYN | ACK:
                return f.dst()
        return None

    def server(self):
        c = self.client()
        if c is None:
            return None
        return [k for k in self.dirs if k != c][0]

    def refused(self):
        """A SYN answered by RST (RFC 9293 §3.10.7.1) with no SYN-ACK."""
        c = self.client()
        if c is None or self.dirs[self.server()].syn:
            return False
        return any(f.flags & RST and f.src() != c for f in self.frames)


    def frame(self, number):
        return next(f for f in self.frames if f.number == number)

    def fin_receipt(self, receiver):
        """When the receiver got its peer's FIN, as the receiver's own ACKs
        prove it (RFC 9293 §3.10.7.4, eighth step: a FIN is acknowledged
        with SEG.SEQ + SEG.LEN + 1 once it arrives; a copy lost on the way
        is never acknowledged). Returns (copy, before): copy is the frame of
        the FIN copy it received, the peer's last FIN transmission before
        the receiver's first segment acknowledging the FIN; before is the
        receiver's last segment before that one that did not acknowledge
        the FIN (None if none). (None, None) without such an ACK."""
        sender = [k for k in self.dirs if k != receiver][0]
        fin = next((f for f in self.frames if f.src() == sender and f.flags & FIN), None)
        if fin is None:
            return None, None
        fin_end = (fin.seq + fin.seqlen()) & 0xFFFFFFFF
        copy = before = None
        for f in self.frames:
            if f.src() == sender and f.flags & FIN:
                copy = f.number
            elif f.src() == receiver and f.flags & ACK and not f.flags & RST:
                if not seq_lt(f.ack, fin_end):
                    return copy, before
                if copy is not None:
                    before = f.number
        return None, None


def streams(frames, exclude=lambda f: False):
    """tshark's streams, in order of first frame (tcp.stream numbers them in
    that order)."""
    out = {}
    for f in frames:
        if f.stream is None or f.flags is None or exclude(f):
            continue
        out.setdefault(f.stream, Stream(f.stream)).add(f)
    return [out[k] for k in sorted(out)]


# ---------------------------------------------------------------- tcpref

def endpoint_key(ep):
    return (_addr(ep["address"]), ep["port"])


def match_connections(res, where, conns, strs):
    """Pairs tcpref connections with tshark streams by first frame; reports
    the unmatched ones. Returns [(conn, stream)]."""
    by_first = {s.first_frame: s for s in strs}
    pairs, seen = [], set()
    for c in conns:
        s = by_first.get(c["first_frame"])
        if s is None:
            res.fail(res.key(where, "conn%d" % c["id"], "matches-a-stream"),
                     "tcpref connection %d (first frame %d, %s) starts no tshark stream"
                     % (c["id"], c["first_frame"],
                        " <-> ".join("%s:%s" % endpoint_key(e) for e in c["endpoints"])))
            continue
        seen.add(s.index)
        pairs.append((c, s))
    for s in strs:
        if s.index not in seen:
            res.fail(res.key(where, "stream%d" % s.index, "matches-a-connection"),
                     "tshark stream %d (frames %d..%d, %s) is no tcpref connection"
                     % (s.index, s.first_frame, s.last_frame,
                        " <-> ".join("%s:%s" % k for k in s.dirs)))
    return pairs
