#!/usr/bin/python3
"""wsflags vs tshark: tcpref's per-frame verdicts in Wireshark's vocabulary
(`tcpref analyze --format wsflags`) against tshark's tcp.analysis.* flags on
every capture of corpus/ and ../shared/pcaps (read in place).

Asserts:
- every frame where the two disagree falls in a category named by
  scripts/wsflags-compare.py's Categorizer from tshark's own header fields
  (IPv4 ID, sequence ranges, IP length, flags, timestamps) - never from
  tcpref's output; docs/wireshark.md explains each category and why tcpref's
  verdict follows the RFCs there;
- the flags where both tools read the same facts agree on every frame:
  zero_window, window_full, keep_alive_ack (no disagreement at all);
- the categories are the documented ones (a new kind of disagreement fails
  until it is understood and documented).

Skips (77) without tshark; ../shared/pcaps is used when present.

usage: wsflags_vs_tshark.py TCPREF REPO_ROOT
"""
import importlib.util
import os
import shutil
import sys

sys.dont_write_bytecode = True

DOCUMENTED = {
    "copy of one packet", "re-send of captured bytes", "hole fill sent later (IPv4 ID)",
    "reordered in the capture (IPv4 ID)", "Linux zero-window probe",
    "answer to a Linux zero-window probe", "re-sent FIN", "IP length beyond the frame",
    "ACK of captured bytes", "ACK into a capture gap", "no data of the peer captured yet",
    "unacceptable RST before it", "after a RST beyond the data",
    "IP fragments (tcpref does not reassemble)", "after a malformed TCP header",
    "SYN-ACK acknowledging more than the SYN",
}
EXACT = ["zero_window", "window_full", "keep_alive_ack"]


def main():
    tcpref, root = sys.argv[1], sys.argv[2]
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    spec = importlib.util.spec_from_file_location("wsc", os.path.join(root, "scripts", "wsflags-compare.py"))
    wsc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wsc)
    # The conformance cases; corpus/malformed holds deliberately broken
    # files for the readers (tests/integration/malformed*), not traffic.
    corpus = os.path.join(root, "corpus")
    paths = sorted(os.path.join(corpus, d) for d in os.listdir(corpus)
                   if os.path.isfile(os.path.join(corpus, d, "capture.pcap")))
    shared = os.path.join(root, "..", "shared", "pcaps")
    if os.path.isdir(shared):
        paths.append(shared)
    else:
        print("note: ../shared/pcaps is absent; comparing on corpus/ only")
    tot, examples, reasons = wsc.compare(tcpref, paths, 1000)
    fails = []
    both = sum(v[0] for v in tot.values())
    if both < 100:
        fails.append("only %d agreeing flags: did tcpref --format wsflags produce output?" % both)
    for (flag, why), n in sorted(reasons.items()):
        if why not in DOCUMENTED:
            ex = [e for e in examples[flag] if e[4] == why][:5]
            fails.append("%s: %d disagreement(s) of kind '%s', e.g. %s" % (
                flag, n, why, "; ".join("%s frame %d tshark %s tcpref %s" % (os.path.relpath(p, root), f, t, r)
                                        for p, f, t, r, _ in ex)))
    for flag in EXACT:
        b, ot, orf = tot[flag]
        if ot or orf:
            fails.append("%s: %d only tshark, %d only tcpref (expected full agreement)" % (flag, ot, orf))
        if not b:
            fails.append("%s: never flagged by both; the corpus should exercise it" % flag)
    for f in wsc.FLAGS:
        b, ot, orf = tot[f]
        print("%-24s both %5d  only tshark %4d  only tcpref %4d" % (f, b, ot, orf))
    for (flag, why), n in sorted(reasons.items()):
        print("  %-24s %-40s %d" % (flag, why, n))
    if fails:
        print("FAIL:\n  " + "\n  ".join(fails))
        return 1
    print("OK: every disagreement is of a documented kind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
