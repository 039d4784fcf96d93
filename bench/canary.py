#!/usr/bin/env python3
"""The benchmark's canary: the bare libpcap loop (`rawloop next`) pinned to
each allowed CPU in turn, timed.

A virtual CPU whose host core is busy with another tenant's work runs
tcpref up to 1.6 times slower and the bare loop 1.3 times, for seconds to
minutes (docs/performance.md, "Eleventh round").  bench/run.sh takes the
canary before and after each row's runs and around each interleaved round,
and calls a row or round quiet when every canary ran within 8 % of the
run's best on any CPU.

As a command: canary.py RAWLOOP PCAP FILE appends one line to FILE, the
wall times in seconds, one per allowed CPU in ascending order.  As a
module: run.sh's interleaved rounds import timed() and canaries(), and
both they and its summary QUIET.
"""
import os
import subprocess
import sys
import time

# A canary within this factor of the run's best one, on any CPU, is quiet.
QUIET = 1.08


def timed(cmd, what):
    """Wall time of cmd in seconds; exits naming `what` when cmd fails."""
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f'{what} exited with status {r.returncode}')
    return d


def cpus():
    return sorted(os.sched_getaffinity(0))


def canaries(rawloop, pcap, where=''):
    """The bare loop on each allowed CPU in turn: a list of wall times (s)."""
    return [timed(['taskset', '-c', str(c), rawloop, 'next', pcap], f'the canary on CPU {c}{where}')
            for c in cpus()]


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: canary.py RAWLOOP PCAP FILE (appends one line: seconds per CPU)')
    line = ' '.join(f'{x:.4f}' for x in canaries(sys.argv[1], sys.argv[2]))
    with open(sys.argv[3], 'a') as f:
        f.write(line + '\n')
