#!/usr/bin/python3
"""Compare tcpref's per-frame verdicts, in Wireshark's vocabulary
(`tcpref analyze --format wsflags`), with tshark's tcp.analysis.* flags.

usage: wsflags-compare.py [--tcpref BIN] [--json] [--detail N] [--min PCT]
                          CAPTURE|DIR...

For each flag it prints the frames both tools flag, those only tshark flags
and those only tcpref flags, over all captures given (directories are
searched for *.pcap and *.pcapng), and the agreement: both / (both + only
tshark + only tcpref). --detail N lists up to N disagreeing frames per flag
and capture (for docs/wireshark.md). --min PCT exits 1 when a flag that
either tool set agrees less than PCT percent. tshark's
tcp.analysis.retransmission also matches fast and spurious retransmissions;
the plain flag compared here is retransmission without either.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

FLAGS = [
    "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
    "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
    "zero_window_probe_ack", "window_full", "window_update", "keep_alive", "keep_alive_ack",
    "reused_ports",
]


def captures(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    if f.endswith((".pcap", ".pcapng")):
                        yield os.path.join(root, f)
        else:
            yield p


FACTS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.id", "tcp.seq_raw", "tcp.ack_raw",
         "tcp.len", "tcp.flags", "tcp.window_size_value", "tcp.seq", "tcp.nxtseq", "tcp.ack", "ip.len",
         "ip.hdr_len", "tcp.hdr_len", "frame.time_epoch", "ip.fragment.count"]

RETX = {"retransmission", "fast_retransmission", "spurious_retransmission"}


def tshark_flags(path):
    """(frame -> set of flags, frame -> header facts), from tshark 4.0."""
    argv = ["tshark", "-r", path, "-n", "-Y", "tcp", "-T", "fields", "-E", "separator=/t",
            "-E", "occurrence=l",
            "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.relative_sequence_numbers:TRUE",
            "-e", "frame.number"] + sum((["-e", "tcp.analysis." + f] for f in FLAGS), []) + \
        sum((["-e", f] for f in FACTS), [])
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    out, facts = {}, {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FLAGS) + len(FACTS) + 1 - len(cols))
        frame = int(cols[0])
        s = {f for f, v in zip(FLAGS, cols[1:]) if v}
        # tcp.analysis.retransmission is also set on fast and spurious ones
        if s & {"fast_retransmission", "spurious_retransmission"}:
            s.discard("retransmission")
        if s:
            out[frame] = s
        facts[frame] = dict(zip(FACTS, cols[1 + len(FLAGS):]))
    return out, facts


def _int(v, base=10):
    try:
        return int(v, base)
    except ValueError:
        return None


class Categorizer:
    """Names the reason of a disagreement from tshark's own header fields,
    independently of tcpref (docs/wireshark.md describes each category).
    Sequence numbers are tshark's relative ones; all state is built in frame
    order, so a frame is judged only by what was captured before it."""

    def __init__(self, facts):
        self.facts = facts
        self.first = {}      # (direction, ip.id, seq, ack, len, flags) -> first frame
        self.peer_win = {}   # frame -> raw window of the peer's latest frame before it
        self.resent = set()  # data frames whose bytes were all captured before
        self.later_id = set()  # hole fills sent after the highest segment (IPv4 ID)
        self.earlier_id = set()  # frames whose IPv4 ID is below one captured before
        maxid = {}           # direction -> latest IPv4 ID seen
        self.state = {}      # frame -> facts of both directions before the frame
        cov = {}             # direction -> merged captured intervals
        top = {}             # direction -> (highest end, IPv4 ID of that segment)
        implied = {}         # direction -> highest end implied by the IP length
        last = {}            # stream -> {direction: window}
        rst = {}             # stream -> (frame, ack_raw) of the latest RST
        rst_seq = {}         # direction -> highest relative seq of its RSTs
        frag = set()         # directions with an IPv4 datagram tshark reassembled
        bogus = set()        # directions with a TCP header shorter than 20 bytes
        syn = {}             # direction -> seq_raw of its SYN
        for frame in sorted(facts):
            f = facts[frame]
            d = self._dir(f)
            r = self._rev(f, last)
            wins = last.setdefault(f["tcp.stream"], {})
            self.peer_win[frame] = next((w for k, w in wins.items() if k != d), None)
            self.state[frame] = {"rev_seen": r is not None,
                                 "rev_top": top.get(r, (None, None))[0],
                                 "rev_cov": list(cov.get(r, [])),
                                 "rev_implied": implied.get(r),
                                 "implied": implied.get(d),
                                 "rst": rst.get(f["tcp.stream"]),
                                 "rev_syn": syn.get(r),
                                 "rst_seq": rst_seq.get(d),
                                 "frag": d in frag or r in frag,
                                 "bogus": d in bogus}
            wins[d] = f["tcp.window_size_value"]
            self.first.setdefault(self._key(f), []).append((frame, f["frame.time_epoch"]))
            flags = _int(f["tcp.flags"], 16) or 0
            if f["ip.fragment.count"]:
                frag.add(d)
            if (_int(f["tcp.hdr_len"]) or 20) < 20:
                bogus.add(d)
            fid = _int(f["ip.id"], 16) if f["ip.id"] else 0
            if fid:
                m = maxid.get(d)
                if m is not None and 0 < (m - fid) % 65536 < 32768:
                    self.earlier_id.add(frame)
                else:
                    maxid[d] = fid
            if flags & 0x02:
                syn.setdefault(d, _int(f["tcp.seq_raw"]))
            if flags & 0x04:
                rst[f["tcp.stream"]] = (frame, _int(f["tcp.ack_raw"]))
                q = _int(f["tcp.seq"])
                if q is not None:
                    rst_seq[d] = max(rst_seq.get(d, q), q)
            seq, nxt, n = _int(f["tcp.seq"]), _int(f["tcp.nxtseq"]), _int(f["tcp.len"]) or 0
            if seq is None or nxt is None or not n:
                continue
            end = seq + n
            if all(any(a <= seq and end <= b for a, b in cov.get(d, [])) for _ in [0]):
                if cov.get(d):
                    self.resent.add(frame)
            t, tid = top.get(d, (None, None))
            iid = _int(f["ip.id"], 16) if f["ip.id"] else None
            if t is not None and seq < t and iid and tid is not None and 0 < (iid - tid) % 65536 < 32768:
                self.later_id.add(frame)
            if t is None or end > t:
                top[d] = (end, iid)
            ipl, ih, th = _int(f["ip.len"]), _int(f["ip.hdr_len"]), _int(f["tcp.hdr_len"])
            if ipl is not None and ih is not None and th is not None and ipl - ih - th > n:
                implied[d] = max(implied.get(d, 0), seq + ipl - ih - th)
            cov[d] = self._merge(cov.get(d, []), seq, end)

    @staticmethod
    def _merge(iv, a, b):
        out = []
        for x, y in sorted(iv + [(a, b)]):
            if out and x <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], y))
            else:
                out.append((x, y))
        return out

    @staticmethod
    def _dir(f):
        return (f["tcp.stream"], f["ip.src"] or f["ipv6.src"], f["tcp.srcport"])

    def _rev(self, f, last):
        return next((k for k in last.get(f["tcp.stream"], {}) if k != self._dir(f)), None)

    def _key(self, f):
        return (self._dir(f), f["ip.id"], f["tcp.seq_raw"], f["tcp.ack_raw"], f["tcp.len"], f["tcp.flags"],
                f["tcp.window_size_value"])

    def _copy(self, frame, f):
        """The same packet captured twice: same TCP fields and IPv4 ID; with
        no ID (IPv6, or 0 in DF packets), the same capture microsecond."""
        t = float(f["frame.time_epoch"] or 0)
        for e, te in self.first.get(self._key(f), []):
            if e >= frame:
                break
            if f["ip.id"] not in ("", "0x0000") or abs(t - float(te or 0)) <= 1e-6:
                return True
        return False

    def reason(self, frame, flag, t, r):
        f = self.facts.get(frame)
        if f is None:
            return "uncategorized"
        st = self.state[frame]
        ack = _int(f["tcp.ack"])
        flags = _int(f["tcp.flags"], 16) or 0
        if self._copy(frame, f):
            return "copy of one packet"
        if "out_of_order" in t and r & RETX:
            if frame in self.resent:
                return "re-send of captured bytes"
            if frame in self.later_id:
                return "hole fill sent later (IPv4 ID)"
        if "out_of_order" in r and t & RETX and frame in self.earlier_id:
            return "reordered in the capture (IPv4 ID)"
        if "zero_window_probe" in r and (not t or "keep_alive" in t) and self.peer_win.get(frame) == "0":
            return "Linux zero-window probe"
        if "zero_window_probe_ack" in r and not (t - {"zero_window"}):
            return "answer to a Linux zero-window probe"
        if "keep_alive" in t and "zero_window_probe" in r:
            return "Linux zero-window probe"
        if flag in RETX and "fast_retransmission" in t and "retransmission" in r and flags & 0x01 \
                and f["tcp.len"] == "0":
            return "re-sent FIN"
        if "lost_segment" in t and "lost_segment" not in r and st["implied"] is not None \
                and _int(f["tcp.seq"]) is not None and _int(f["tcp.seq"]) <= st["implied"]:
            return "IP length beyond the frame"
        if flag == "ack_lost_segment" and flag in t and flags & 0x12 == 0x12:
            return "SYN-ACK acknowledging more than the SYN"
        if "ack_lost_segment" in t and "ack_lost_segment" not in r and ack is not None:
            if st["rev_implied"] is not None and ack <= st["rev_implied"]:
                return "IP length beyond the frame"
            if st["rev_top"] is not None and ack <= st["rev_top"]:
                return "ACK of captured bytes"
        if "ack_lost_segment" in r and "ack_lost_segment" not in t and ack is not None:
            if not st["rev_seen"] or st["rev_top"] is None:
                return "no data of the peer captured yet"
            cov = st["rev_cov"]
            if any(cov[i][1] < ack for i in range(len(cov) - 1)):
                return "ACK into a capture gap"
        if flag in ("lost_segment", "ack_lost_segment") and r and not t and st["frag"]:
            return "IP fragments (tcpref does not reassemble)"
        if t and not r and st["bogus"]:
            return "after a malformed TCP header"
        q = _int(f["tcp.seq"])
        if flag == "retransmission" and t == {"retransmission"} and not r and st["rst_seq"] is not None \
                and q is not None and q < st["rst_seq"]:
            return "after a RST beyond the data"
        if "reused_ports" in t and not r and st["rst"] is not None and st["rev_syn"] is not None \
                and st["rst"][1] != (st["rev_syn"] + 1) % 2**32:
            return "unacceptable RST before it"
        return "uncategorized"


def tcpref_flags(tcpref, path):
    p = subprocess.run([tcpref, "analyze", "--format", "wsflags", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=600)
    out = {}
    for line in p.stdout.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        frame, flag = line.split("\t")
        out.setdefault(int(frame), set()).add(flag)
    return out


def compare(tcpref, paths, detail):
    tot = {f: [0, 0, 0] for f in FLAGS}  # both, only tshark, only tcpref
    examples = {f: [] for f in FLAGS}
    reasons = {}                         # (flag, reason) -> frames
    for path in captures(paths):
        (t, facts), r = tshark_flags(path), tcpref_flags(tcpref, path)
        cat = Categorizer(facts)
        for frame in sorted(set(t) | set(r)):
            a, b = t.get(frame, set()), r.get(frame, set())
            for f in a | b:
                k = 0 if (f in a and f in b) else 1 if f in a else 2
                tot[f][k] += 1
                if not k:
                    continue
                why = cat.reason(frame, f, a, b)
                reasons[(f, why)] = reasons.get((f, why), 0) + 1
                if len([e for e in examples[f] if e[0] == path]) < detail:
                    examples[f].append((path, frame, sorted(a), sorted(b), why))
    return tot, examples, reasons


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--tcpref", default=os.path.join(os.path.dirname(__file__), "..", "build", "tcpref"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--detail", type=int, default=0)
    ap.add_argument("--min", type=float, default=None)
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("wsflags-compare: tshark is not installed (apt-get install tshark)", file=sys.stderr)
        return 77
    tot, ex, reasons = compare(a.tcpref, a.paths, a.detail)
    worst = 100.0
    rows = []
    for f in FLAGS:
        both, ot, orf = tot[f]
        n = both + ot + orf
        explained = sum(v for (g, why), v in reasons.items() if g == f and why != "uncategorized")
        pct = 100.0 * both / n if n else None
        rest = n - explained
        pct_rest = 100.0 * both / rest if rest else None
        if pct_rest is not None:
            worst = min(worst, pct_rest)
        rows.append({"flag": f, "both": both, "only_tshark": ot, "only_tcpref": orf, "agreement": pct,
                     "explained": explained, "agreement_unexplained": pct_rest})
    uncat = sum(v for (g, why), v in reasons.items() if why == "uncategorized")
    if a.json:
        print(json.dumps({"flags": rows, "reasons": [[g, why, v] for (g, why), v in sorted(reasons.items())],
                          "uncategorized": uncat,
                          "examples": {f: ex[f] for f in FLAGS if ex[f]}}, indent=1))
    else:
        fmt = lambda x: "-" if x is None else "%.1f%%" % x
        print("| flag | both | only tshark | only tcpref | agreement | explained | agreement, unexplained only |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print("| %s | %d | %d | %d | %s | %d | %s |" % (r["flag"], r["both"], r["only_tshark"],
                  r["only_tcpref"], fmt(r["agreement"]), r["explained"], fmt(r["agreement_unexplained"])))
        print()
        for (g, why), v in sorted(reasons.items()):
            print("%-26s %-40s %d" % (g, why, v))
        for f in FLAGS:
            for path, frame, t, r, why in ex[f]:
                print("%s: %s frame %d: tshark %s, tcpref %s [%s]" % (f, os.path.basename(path), frame, t, r, why))
    if a.min is not None and worst < a.min:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
