#!/usr/bin/python3
"""limits.py TCPREF SRCDIR: --max-connections and --max-records bound what a
capture with many connections holds, and the report says what they cost.

The capture is bench/hostile/make-floods.py's SYN flood of N = 3000 SYNs,
each from its own address and never answered: every SYN is a connection that
stays in SYN-SENT, so none ends by itself. The expected numbers follow from
the limits by hand:

  --max-connections C --max-records R, one thread:
    tracked at once C: each SYN past the C-th closes out the least recently
      active connection, so N - C are evicted and C are still open at the end;
    an evicted connection has ended for the report; past R of those, each one
      is kept as totals only: N - C - R summarized;
    listed in detail: R + C; summary.connections: N (nothing uncounted).
  --threads 2 and 3 split both limits among the observers in proportion to
    their parts of the hash space (with 2, the reader's share and the
    worker's rest), the parts adding up to the limit exactly: eviction still
    leaves C open in all, so N - C evicted; summary.connections is N. Also
    with limits that no split divides evenly (C = 7, R = 13: parts rounded
    up once added to 8 and 14).

Also: the defaults (100000, 500000) change nothing on this capture; bad
values are refused with exit 2 and a message naming the option; the text
report says how many connections were evicted and summarized.
"""
import json
import os
import subprocess
import sys
import tempfile

N = 3000


def run(tcpref, *args):
    p = subprocess.run([tcpref, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main(tcpref, src):
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(src, "bench/hostile/make-floods.py"), tmp,
                        "--count", str(N)], check=True)
        cap = os.path.join(tmp, "syn-flood.pcap")

        def analyze(*extra):
            rc, out, err = run(tcpref, "analyze", "-f", "json", *extra, cap)
            if rc != 0:
                return rc, None, err
            return rc, json.loads(out), err

        rc, j, err = analyze()
        f = j["input"]["files"][0]
        check(rc == 0 and len(j["connections"]) == N and f["connections_evicted"] == 0
              and f["connections_summarized"] == 0,
              "defaults: all %d connections listed, none evicted or summarized" % N)

        for threads, C, R in (("1", 100, 1000), ("2", 100, 1000), ("1", 7, 13), ("2", 7, 13), ("3", 7, 13)):
            what = "--threads %s, C = %d, R = %d" % (threads, C, R)
            rc, j, err = analyze("--threads", threads, "--max-connections", str(C), "--max-records", str(R))
            f = j["input"]["files"][0]
            check(j["summary"]["connections"] == N,
                  "%s: summary.connections = %d (got %d)" % (what, N, j["summary"]["connections"]))
            check(f["connections_evicted"] == N - C,
                  "%s: connections_evicted = N - C = %d (got %d)" % (what, N - C, f["connections_evicted"]))
            listed, summarized = len(j["connections"]), f["connections_summarized"]
            check(listed + summarized == N,
                  "%s: listed + summarized = N (%d + %d)" % (what, listed, summarized))
            if threads == "1":
                check(listed == R + C and summarized == N - C - R,
                      "%s: listed = R + C = %d, summarized = N - C - R = %d (got %d, %d)"
                      % (what, R + C, N - C - R, listed, summarized))
            else:
                # the observers' parts of R and C add up to R and C
                check(listed <= R + C, "%s: listed %d <= R + C = %d" % (what, listed, R + C))
            still_open = sum(1 for c in j["connections"] if c["closed_out"] is None)
            check(still_open == C, "%s: connections not closed out at the end = C = %d (got %d)"
                  % (what, C, still_open))
            limit = sum(1 for c in j["connections"] if c["closed_out"] == "limit")
            check(limit == listed - C, "%s: every other listed connection says closed_out "
                  "\"limit\" (%d of %d)" % (what, limit, listed - C))

        C, R = 100, 1000
        rc, out, err = run(tcpref, "analyze", "-f", "text", "--max-connections", str(C), "--max-records",
                           str(R), cap)
        check(rc == 0 and ("%d connections closed out before their end by --max-connections" % (N - C)) in out
              and ("%d connections counted in the totals only" % (N - C - R)) in out,
              "text report names the evicted and summarized counts")

        for cmd, opt, bad in (("analyze", "--max-connections", "-1"), ("analyze", "--max-records", "x"),
                              ("sockets", "--max-connections", "1e9"), ("check", "--max-connections", "")):
            extra = ["--at", "1"] if cmd == "sockets" else []
            rc, out, err = run(tcpref, cmd, *extra, opt, bad, cap)
            check(rc == 2 and opt in err, "%s %s '%s': exit 2 naming the option (rc %d, %r)"
                  % (cmd, opt, bad, rc, err.strip()[:100]))

        rc, out, err = run(tcpref, "sockets", "--at", "1", "-f", "json", "--max-connections", str(C), cap)
        check(rc == 0, "sockets accepts --max-connections (rc %d %s)" % (rc, err.strip()[:100]))

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
