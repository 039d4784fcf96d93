#!/usr/bin/python3
"""Checks on the outputs of a `tcpref live` run (tests/integration/live).

usage: check.py CHECK WORKDIR [ARGS...]

WORKDIR holds what live_test.sh left: report.json (the live report),
events.ndjson, live.err, and per case tcpdump.pcap / tcpdump.json (tcpdump on
the same interface, and `tcpref analyze` of it), live.pcap / live-pcap.json
(the -w file, and `tcpref analyze` of it), rss.txt. Prints one line per
failure and exits 1 if there was one.

How the live report is compared with `tcpref analyze` of tcpdump's file
(matches-offline): frame numbers are per capture, and the two captures are two
packet sockets on one interface, so they may differ in which packets they
hold and in their timestamps (the receive path stamps each socket's copy
separately: a microsecond apart is common). What is the same is the bytes:
both copies come from the same skb. So a frame is identified by its bytes
(SHA-1) and the number of earlier frames with the same bytes, in each capture;
every frame number in the two reports is replaced by that key. Nor is the
order always the same: two frames that cross on the interface (one sent,
one received at the same moment) may reach the two sockets in different
orders, and an analysis follows its capture's order, so a connection whose
frames the captures hold in different orders is left out of that comparison
(with a note; at least one must remain). Connections
are matched by (client address:port, server address:port, client ISN). Times
and other numbers derived from timestamps (RTT, durations, the histogram of
ACK delays, the vantage point) are left out; the
rest of each connection must be equal: endpoints and their counters, states
and timelines (with mapped frames), handshake, end, and the findings as a
multiset of (rule, severity, class, direction, frame key, count). Comparing
counts per rule alone would miss a finding moved to another segment.
"""
import collections
import hashlib
import json
import os
import socket
import struct
import sys

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_events(work):
    events = []
    with open(os.path.join(work, "events.ndjson")) as f:
        for n, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError as e:
                fail("events line %d does not parse (%s): %r" % (n, e, line[:200]))
                continue
            if check(isinstance(ev, dict) and ev.get("event") in ("open", "finding", "close", "status"),
                     "events line %d: no known event type: %r" % (n, line[:200])):
                events.append(ev)
    return events


def pcap_frames(path):
    """[(ts_ns, bytes)] of a classic pcap file (micro- or nanosecond)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(endian + "I", data[:4])[0]
    tick = 1 if magic == 0xA1B23C4D else 1000
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append((sec * 10**9 + frac * tick, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return frames


def frame_keys(path):
    """{frame number: key}: the frame's bytes and their occurrence."""
    seen = collections.Counter()
    keys = {}
    for i, (_, raw) in enumerate(pcap_frames(path), 1):
        h = hashlib.sha1(raw).hexdigest()[:16]
        seen[h] += 1
        keys[i] = "%s#%d" % (h, seen[h])
    return keys


def conn_key(c):
    e = c["endpoints"]
    return (e[0]["address"], e[0]["port"], e[1]["address"], e[1]["port"], e[0]["isn"])


# Keys whose values come from timestamps without being times themselves:
# the histogram of ACK delays, the capture point placed by the handshake's
# two round trips (a microsecond can move it on a veth).
TIMING_DERIVED = ("delay", "vantage")


def normalize(v, keys, key=""):
    """A connection without times, with frame numbers replaced by keys."""
    if isinstance(v, dict):
        if "rule" in v and "frame" in v:  # a finding
            return ("finding", v["rule"], v["severity"], v["class"], v["direction"],
                    keys.get(v["frame"], v["frame"]), v["count"])
        return {k: normalize(x, keys, k) for k, x in v.items()
                if not isinstance(x, float) and k not in TIMING_DERIVED}
    if isinstance(v, list):
        items = [normalize(x, keys, key) for x in v]
        return sorted(items, key=repr) if key == "findings" else items
    if isinstance(v, int) and not isinstance(v, bool) and key.endswith("frame") and v:
        return keys.get(v, ("missing frame", v))
    return v


def strip_live_only(conns):
    """The live report's connections without the capture.kernel-drops
    findings, which only a live capture can have."""
    out = json.loads(json.dumps(conns))
    for c in out:
        c["findings"] = [f for f in c["findings"] if f["rule"] != "capture.kernel-drops"]
    return out


def report_basics(rep, stopped_by):
    check(rep.get("command") == "live", "command is %r, not 'live'" % rep.get("command"))
    check(rep.get("schema") == "tcpref-report/1", "schema %r" % rep.get("schema"))
    f = rep["input"]["files"][0]
    check(f["format"] == "live", "input format %r" % f["format"])
    check(f["live"]["stopped_by"] == stopped_by,
          "stopped_by %r, expected %r" % (f["live"]["stopped_by"], stopped_by))
    ids = [c["id"] for c in rep["connections"]]
    check(ids == list(range(len(ids))), "connection ids are not 0..n-1 in order: %s" % ids[:20])
    firsts = [c["first_frame"] for c in rep["connections"]]
    check(firsts == sorted(firsts), "connections are not in the order of their first frame")
    check(rep["summary"]["connections"] == len(ids),
          "summary.connections %d != %d listed" % (rep["summary"]["connections"], len(ids)))


def same_as_analyze_of_w_file(rep, offline):
    """The -w file holds exactly the packets live analyzed."""
    a, b = strip_live_only(rep["connections"]), offline["connections"]
    if not check(a == b, "live report connections differ from `tcpref analyze` of the -w file"):
        for x, y in zip(a, b):
            if x != y:
                print("  first differing connection: id %s" % x["id"])
                for k in x:
                    if x[k] != y.get(k):
                        print("   %s: live %s\n   %s: file %s" % (k, json.dumps(x[k])[:400],
                                                              k, json.dumps(y.get(k))[:400]))
                break
    for k in ("packets", "tcp_segments", "connections", "by_rule"):
        check(rep["summary"][k] == offline["summary"][k],
              "summary.%s: live %s, analyze of -w %s" % (k, rep["summary"][k], offline["summary"][k]))


def flow_of(raw):
    """The address pair of an Ethernet/IPv4/TCP frame, either direction
    (what conn_key's first four fields are), or None."""
    if len(raw) < 14 + 20 + 4 or raw[12:14] != b"\x08\x00" or raw[14 + 9] != 6:
        return None
    ihl = (raw[14] & 15) * 4
    if len(raw) < 14 + ihl + 4:
        return None
    src, dst = socket.inet_ntoa(raw[26:30]), socket.inet_ntoa(raw[30:34])
    sport, dport = struct.unpack(">HH", raw[14 + ihl:14 + ihl + 4])
    return frozenset(((src, sport), (dst, dport)))


def frames_by_flow(path, keys):
    """{address pair: [frame key, ...] in the capture's order}."""
    out = collections.defaultdict(list)
    for i, (_, raw) in enumerate(pcap_frames(path), 1):
        out[flow_of(raw)].append(keys[i])
    return out


def same_as_tcpdump(work, rep, td):
    live_keys = frame_keys(os.path.join(work, "live.pcap"))
    td_keys = frame_keys(os.path.join(work, "tcpdump.pcap"))
    check(sorted(live_keys.values()) == sorted(td_keys.values()),
          "tcpdump and tcpref live captured different packets (%d vs %d frames)"
          % (len(td_keys), len(live_keys)))
    live = {conn_key(c): normalize(c, live_keys) for c in strip_live_only(rep["connections"])}
    off = {conn_key(c): normalize(c, td_keys) for c in td["connections"]}
    check(set(live) == set(off), "connections: live %s, tcpdump %s" % (sorted(live), sorted(off)))
    # Two packet sockets on one interface may take two frames that cross
    # there (one sent, one received at the same moment) in different orders:
    # seen on this test bed in about half the runs, one pair per run, the
    # received one written first by tcpdump with the later timestamp. An
    # analysis follows the order of its capture (an ACK seen before or after
    # a segment it crossed can count differently), so a connection whose
    # frames the two captures hold in different orders is not compared;
    # the others must be equal.
    live_flows = frames_by_flow(os.path.join(work, "live.pcap"), live_keys)
    td_flows = frames_by_flow(os.path.join(work, "tcpdump.pcap"), td_keys)
    compared = 0
    for k in set(live) & set(off):
        flow = frozenset(((k[0], k[1]), (k[2], k[3])))
        if live_flows.get(flow) != td_flows.get(flow):
            a, b = live_flows.get(flow, []), td_flows.get(flow, [])
            i = next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            print("note: connection %s not compared with tcpdump's analysis: the two captures hold its "
                  "frames in different orders from its frame %d on" % (k, i + 1))
            continue
        compared += 1
        if live[k] == off[k]:
            continue
        fail("connection %s differs from tcpdump's analysis" % (k,))
        for f in live[k]:
            if live[k][f] != off[k].get(f):
                print("   %s: live    %s\n   %s: tcpdump %s" % (f, json.dumps(live[k][f], default=str)[:500],
                                                            f, json.dumps(off[k].get(f), default=str)[:500]))
    check(compared > 0, "no connection's frames in the same order in both captures: nothing compared")


def findings_match_events(rep, events):
    """Every finding of the report was streamed, once, with its connection."""
    streamed = collections.Counter()
    for ev in events:
        if ev["event"] == "finding" and ev["rule"] != "capture.kernel-drops":
            streamed[(ev["connection"]["id"], ev["rule"], ev["frame"], ev["direction"])] += 1
    listed = collections.Counter()
    for c in rep["connections"]:
        for f in c["findings"]:
            if f["rule"] != "capture.kernel-drops":
                listed[(c["id"], f["rule"], f["frame"], f["direction"])] += 1
    check(streamed == listed, "finding events != report findings: only streamed %s, only listed %s"
          % (list((streamed - listed).items())[:5], list((listed - streamed).items())[:5]))


def events_are_prompt(events, t_start, t_end):
    late = [ev for ev in events if ev.get("packet_ns") and ev["emitted_ns"] - ev["packet_ns"] >= 10**9]
    check(not late, "%d events came out more than 1 s after their packet, e.g. %s"
          % (len(late), json.dumps(late[:1])[:300]))
    during = [ev for ev in events if ev["event"] == "finding" and t_start < ev["emitted_ns"] < t_end - 5 * 10**8]
    check(during, "no finding event came out while the traffic was still flowing")
    opens = [ev for ev in events if ev["event"] == "open" and t_start < ev["emitted_ns"] < t_end]
    check(len(opens) >= 2, "open events while traffic flowed: %d" % len(opens))
    status = [ev for ev in events if ev["event"] == "status"]
    check(len(status) >= 3, "only %d status events with --interval 1" % len(status))
    print("events: %d (%d findings while traffic flowed); max latency %.1f ms"
          % (len(events), len(during),
             max([(ev["emitted_ns"] - ev["packet_ns"]) / 1e6 for ev in events if ev.get("packet_ns")] or [0])))


def check_matches_offline(work, t_start, t_end):
    rep = load_json(os.path.join(work, "report.json"))
    events = load_events(work)
    report_basics(rep, "SIGTERM")
    same_as_analyze_of_w_file(rep, load_json(os.path.join(work, "live-pcap.json")))
    same_as_tcpdump(work, rep, load_json(os.path.join(work, "tcpdump.json")))
    findings_match_events(rep, events)
    events_are_prompt(events, int(t_start), int(t_end))
    conns = rep["connections"]
    check(len(conns) == 3, "expected 3 connections, got %d" % len(conns))
    open_ones = [c for c in conns if c["end"]["how"] == "open"]
    check(len(open_ones) == 1 and all(e["state"] == "ESTABLISHED" for e in open_ones[0]["endpoints"]),
          "the connection open at SIGTERM is not in the report as open and ESTABLISHED")
    check(any(c["handshake"]["syn_retransmissions"] for c in conns), "the lost SYN left no trace")
    nfind = sum(len(c["findings"]) for c in conns)
    check(nfind > 0, "no findings although segments were lost")
    err = open(os.path.join(work, "live.err")).read()
    check("pkt/s" in err and "dropped" in err and "memory" in err, "no status line on stderr")
    print("report: %d connections, %d findings, by rule %s" % (len(conns), nfind, rep["summary"]["by_rule"]))


def rss_samples(work):
    out = []
    for line in open(os.path.join(work, "rss.txt")):
        p = line.split()
        if len(p) == 2:
            out.append((int(p[0]), int(p[1])))
    return out


def check_memory_flat(work, n, limit, rss_check):
    rep = load_json(os.path.join(work, "report.json"))
    events = load_events(work)
    report_basics(rep, "SIGINT")
    conns = rep["connections"]
    check(len(conns) == n, "report has %d connections, expected %d" % (len(conns), n))
    check(all(c["end"]["how"] == "fin" for c in conns), "not all connections ended with FIN both ways")
    live = rep["input"]["files"][0]
    check(rep["input"]["files"][0]["connections_evicted"] >= n - limit,
          "evicted %d, expected >= %d" % (live["connections_evicted"], n - limit))
    closes = [ev for ev in events if ev["event"] == "close"]
    check(len(closes) == live["live"]["connections_spooled"] >= n - limit,
          "close events %d, spooled %d" % (len(closes), live["live"]["connections_spooled"]))
    status = [ev for ev in events if ev["event"] == "status"]
    check(status and max(s["active"] for s in status) <= limit, "more than %d connections tracked" % limit)
    opens = sorted(ev["emitted_ns"] for ev in events if ev["event"] == "open")
    rss = rss_samples(work)
    # From the 100th connection (the limit reached long before, the
    # process warmed up) to the last: RSS must not grow with connections.
    t0, t1 = opens[99], opens[-1]
    phase = [kb for t, kb in rss if t0 <= t <= t1]
    if rss_check != "check":
        print("RSS not checked (sanitizer build)")
    elif check(len(phase) >= 5, "only %d RSS samples during the run" % len(phase)):
        growth = max(phase) - phase[0]
        print("RSS from connection 100 to %d: %d kB -> max %d kB (growth %d kB over %d samples)"
              % (n, phase[0], max(phase), growth, len(phase)))
        check(growth <= 256, "RSS grew by %d kB while 400 more connections came and went" % growth)
    mem = [s["memory"] for s in status]
    check(len(set(mem)) == 1, "observer memory changed during the run: %s" % sorted(set(mem)))


def check_idle_expiry(work):
    rep = load_json(os.path.join(work, "report.json"))
    events = load_events(work)
    report_basics(rep, "SIGTERM")
    conns = rep["connections"]
    check(len(conns) == 4, "expected 4 connections, got %d" % len(conns))
    closes = [ev for ev in events if ev["event"] == "close"]
    check(len(closes) == 3, "expected 3 close events (idle), got %d" % len(closes))
    f = rep["input"]["files"][0]
    check(f["connections_expired"] == 3, "connections_expired %d" % f["connections_expired"])
    check(f["live"]["connections_spooled"] == 3, "spooled %d" % f["live"]["connections_spooled"])
    for ev in closes:
        c = ev["connection"]
        check(ev["packet_ns"] is None, "an idle close event names a packet")
        check(c == conns[c["id"]], "close event of connection %d differs from its report entry" % c["id"])
        check(c["end"]["how"] == "fin", "expired connection %d ended %r" % (c["id"], c["end"]["how"]))
    check(conns[3]["end"]["how"] == "open", "the last connection is %r, not open" % conns[3]["end"]["how"])


def check_kernel_drops(work):
    rep = load_json(os.path.join(work, "report.json"))
    events = load_events(work)
    report_basics(rep, "SIGTERM")
    live = rep["input"]["files"][0]["live"]
    if not check(live["dropped"] > 0, "no kernel drops counted (received %d)" % live["received"]):
        return
    check(live["drop_intervals"] >= 1, "drop_intervals %d" % live["drop_intervals"])
    conns = rep["connections"]
    drops = [f for c in conns for f in c["findings"] if f["rule"] == "capture.kernel-drops"]
    check(len(drops) == 1 and drops[0]["class"] == "capture" and drops[0]["severity"] == "warning",
          "the transfer's connection has no capture.kernel-drops finding: %s" % drops)
    check(rep["summary"]["by_rule"].get("capture.kernel-drops") == sum(f["count"] for f in drops),
          "summary.by_rule does not count capture.kernel-drops")
    evs = [ev for ev in events if ev["event"] == "finding" and ev["rule"] == "capture.kernel-drops"]
    check(evs and all(ev["connection"]["id"] == conns[0]["id"] for ev in evs),
          "no capture.kernel-drops event for the connection")
    err = open(os.path.join(work, "live.err")).read()
    check("dropped %d" % live["dropped"] in err, "status line does not show the drops")
    print("kernel drops: %d packets in %d intervals; received %d" % (live["dropped"], live["drop_intervals"],
                                                                    live["received"]))


def check_no_connections(work):
    rep = load_json(os.path.join(work, "report.json"))
    events = load_events(work)
    report_basics(rep, "duration")
    check(rep["connections"] == [], "connections reported for a filter that matches nothing")
    check(rep["summary"]["packets"] == 0, "packets %d" % rep["summary"]["packets"])
    check(not [ev for ev in events if ev["event"] != "status"], "events other than status")


def check_count(work, n):
    rep = load_json(os.path.join(work, "report.json"))
    report_basics(rep, "count")
    check(rep["summary"]["packets"] == n, "packets %d, expected %d" % (rep["summary"]["packets"], n))
    offline = load_json(os.path.join(work, "live-pcap.json"))
    check(offline["summary"]["packets"] == n, "-w file holds %d packets" % offline["summary"]["packets"])
    same_as_analyze_of_w_file(rep, offline)


def check_connections(work, n):
    rep = load_json(os.path.join(work, "report.json"))
    load_events(work)
    report_basics(rep, "SIGTERM")
    check(len(rep["connections"]) == n, "%d connections, expected %d" % (len(rep["connections"]), n))


CHECKS = {
    "matches-offline": lambda w, a: check_matches_offline(w, a[0], a[1]),
    "memory-flat": lambda w, a: check_memory_flat(w, int(a[0]), int(a[1]), a[2]),
    "idle-expiry": lambda w, a: check_idle_expiry(w),
    "kernel-drops": lambda w, a: check_kernel_drops(w),
    "no-connections": lambda w, a: check_no_connections(w),
    "count": lambda w, a: check_count(w, int(a[0])),
    "connections": lambda w, a: check_connections(w, int(a[0])),
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in CHECKS:
        print(__doc__)
        return 2
    CHECKS[sys.argv[1]](sys.argv[2], sys.argv[3:])
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
