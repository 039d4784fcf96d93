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


def tshark_flags(path):
    """frame -> set of flags, from tshark 4.0's sequence analysis."""
    argv = ["tshark", "-r", path, "-n", "-Y", "tcp", "-T", "fields", "-E", "separator=/t",
            "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.relative_sequence_numbers:TRUE",
            "-e", "frame.number"] + sum((["-e", "tcp.analysis." + f] for f in FLAGS), [])
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    out = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FLAGS) + 1 - len(cols))
        s = {f for f, v in zip(FLAGS, cols[1:]) if v}
        # tcp.analysis.retransmission is also set on fast and spurious ones
        if s & {"fast_retransmission", "spurious_retransmission"}:
            s.discard("retransmission")
        if s:
            out[int(cols[0])] = s
    return out


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
    for path in captures(paths):
        t, r = tshark_flags(path), tcpref_flags(tcpref, path)
        for frame in sorted(set(t) | set(r)):
            a, b = t.get(frame, set()), r.get(frame, set())
            for f in a | b:
                k = 0 if (f in a and f in b) else 1 if f in a else 2
                tot[f][k] += 1
                if k and len([e for e in examples[f] if e[0] == path]) < detail:
                    examples[f].append((path, frame, sorted(a), sorted(b)))
    return tot, examples


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
    tot, ex = compare(a.tcpref, a.paths, a.detail)
    worst = 100.0
    rows = []
    for f in FLAGS:
        both, ot, orf = tot[f]
        n = both + ot + orf
        pct = 100.0 * both / n if n else None
        if pct is not None:
            worst = min(worst, pct)
        rows.append({"flag": f, "both": both, "only_tshark": ot, "only_tcpref": orf, "agreement": pct})
    if a.json:
        print(json.dumps({"flags": rows, "examples": {f: ex[f] for f in FLAGS if ex[f]}}, indent=1))
    else:
        print("| flag | both | only tshark | only tcpref | agreement |")
        print("|---|---|---|---|---|")
        for r in rows:
            pct = "-" if r["agreement"] is None else "%.1f%%" % r["agreement"]
            print("| %s | %d | %d | %d | %s |" % (r["flag"], r["both"], r["only_tshark"], r["only_tcpref"], pct))
        for f in FLAGS:
            for path, frame, t, r in ex[f]:
                print("%s: %s frame %d: tshark %s, tcpref %s" % (f, os.path.basename(path), frame, t, r))
    if a.min is not None and worst < a.min:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
