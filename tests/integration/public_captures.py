#!/usr/bin/python3
"""public captures: tcpref analyze on every capture of ../shared/pcaps listed
in its MANIFEST.tsv (public captures of other projects; read in place, never
copied into the repository), compared with tshark run live on the same file.

For every file: tcpref exits 0 in at most 10 s without a crash; its JSON
parses; its connections are tshark's tcp.streams (same count, same first
frames); and each connection's packets per direction are tshark's. The
deliberately broken files (tshark cannot read them to the end; the manifest
notes say 'READ ERROR') must exit 2 with an error naming the file and, for
damage after the file header, the frame number and byte offset, computed here
by walking the pcap records.

usage: public_captures.py TCPREF REPO_ROOT
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

# Expected failures (see README.md): assertion key -> the tcpref bug.
KNOWN_BUGS = {
}


def exclude_frame(f):
    """Frames tshark counts in a stream that tcpref legitimately skips.

    tcp.short_segment: the TCP data offset runs past the end of the IP
    payload (pcapplusplus__tcp-malformed.pcap: IP total length 40, data
    offset 7 = 28 bytes). RFC 9293 §3.1: "Data Offset: the number of 32-bit
    words in the TCP header"; a header longer than the segment cannot be
    right, and the bytes past the IP length are Ethernet padding. tshark
    still files the frame under a stream (and reports 'Malformed Packet');
    tcpref skips it as capture.malformed-packet. So these frames are not
    part of the oracle's streams.
    """
    return f.short_segment


def read_manifest(path):
    rows = []
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            if line.strip():
                rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
              b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}


def pcap_damage(path):
    """Where a classic pcap file is damaged, from its bytes alone:
    ('header', offset, None) for a bad file header (version), ('record',
    offset, frame) for a record cut short (frame numbered from 1, offset of
    its record header), None when the records end exactly at the end of the
    file, or when the file is no classic pcap."""
    with open(path, "rb") as fh:
        data = fh.read()
    order = PCAP_MAGIC.get(data[:4])
    if order is None:
        return None
    if len(data) < 24:
        return ("header", len(data), None)
    major, _minor = struct.unpack(order + "HH", data[4:8])
    if major != 2:
        return ("header", 4, None)
    off, frame = 24, 1
    while off < len(data):
        if off + 16 > len(data):
            return ("record", off, frame)
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        if off + 16 + caplen > len(data):
            return ("record", off, frame)
        off += 16 + caplen
        frame += 1
    return None


def check_broken(res, name, path, r):
    """Exit 2, and an error that names the file and, for a damaged record,
    the frame and byte offset."""
    k = res.key
    res.eq(k(name, "exit"), 2, r.rc, "exit status for a damaged file (%s)" % r.describe())
    res.check(name in r.err, k(name, "error-names-file"), "stderr does not name the file: %r" % r.err)
    dmg = pcap_damage(path)
    if dmg is None:
        return
    kind, off, frame = dmg
    res.check(re.search(r"\boffset %d\b" % off, r.err) is not None, k(name, "error-names-offset"),
              "stderr does not give byte offset %d (%s damage): %r" % (off, kind, r.err))
    if frame is not None:
        res.check(re.search(r"\bframe %d\b" % frame, r.err) is not None, k(name, "error-names-frame"),
                  "stderr does not give frame %d: %r" % (frame, r.err))


def check_connections(res, name, rep, strs):
    k = res.key
    res.eq(k(name, "connections"), len(strs), len(rep["connections"]),
           "connections (tshark tcp.stream count)")
    n = 0
    for c, s in oracle.match_connections(res, name, rep["connections"], strs):
        n += 1
        where = k(name, "conn%d" % c["id"])
        got = {oracle.endpoint_key(e): e["sent"]["packets"] for e in c["endpoints"]}
        want = {key: d.packets for key, d in s.dirs.items()}
        res.eq(k(where, "packets"), want, got, "packets per direction (tshark stream %d)" % s.index)
        check_vlan(res, where, c, s)
        for ep in c["endpoints"]:
            d = s.dirs.get(oracle.endpoint_key(ep))
            if d is not None:
                check_counters(res, k(where, ep["role"]), ep["sent"], d)
    return n


def check_vlan(res, where, c, s):
    """VLANs. tshark's tcp.stream ignores 802.1Q tags; tcpref keys
    connections on the VLAN ID but lets an untagged segment (or VID 0, a
    priority tag) match a tagged connection (analyzer/observer.c
    tr__vlan_match), because one direction is often tagged and the other not.
    suricata-verify__syn_retransmit_with_ts.pcap is such a capture (client to
    server tagged VID 3136, server to client untagged): one stream for tshark,
    one connection for tcpref, with vlan 3136. The two would differ only for
    one 4-tuple seen on two different non-zero VIDs (tcpref: two connections,
    unless --no-vlan); no capture here has that. The report's vlan is the
    one non-zero VID tshark saw in the stream, or null."""
    vids = {f.vlan for f in s.frames if f.vlan}
    if len(vids) <= 1:
        res.eq(res.key(where, "vlan"), vids.pop() if vids else None, c["vlan"])


def check_counters(res, where, sent, d):
    """Beyond packets: the other per-direction counters tshark's fields
    define exactly (see oracle.Direction; SYN options are not compared here:
    some of these captures re-send a SYN-ACK with different options, and
    which copy counts is a choice, not a fact)."""
    for name, want in (("bytes", d.bytes), ("pure_acks", d.pure_acks), ("syn", d.syn),
                       ("fin", d.fin), ("rst", d.rst)):
        res.eq(res.key(where, name), want, sent[name])
    res.eq(res.key(where, "resent"), d.resent, sent["retransmitted_segments"] + sent["out_of_order"],
           "segments re-sending seen sequence space (retransmitted_segments + out_of_order)")
    res.eq(res.key(where, "duplicates"), d.duplicates, sent["duplicates"],
           "copies of one IP packet (same IPv4 ID and TCP fields)")


def one_file(args):
    tcpref, path = args
    frames, trc, terr = oracle.tshark(path)
    r = oracle.run([tcpref, "analyze", "-f", "json", path])
    return path, frames, trc, terr, r


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tcpref, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    oracle.need_binary(tcpref)
    oracle.need_tshark()
    pdir = os.path.normpath(os.path.join(root, "..", "shared", "pcaps"))
    manifest = os.path.join(pdir, "MANIFEST.tsv")
    if not os.path.isfile(manifest):
        oracle.skip("%s is absent (the public captures live outside the repository)" % manifest)
    rows = read_manifest(manifest)
    res = oracle.Results("public captures", KNOWN_BUGS)
    todo = []
    for row in rows:
        path = os.path.join(pdir, row["file"])
        if res.check(os.path.isfile(path), res.key(row["file"], "present"),
                     "listed in MANIFEST.tsv but missing from %s" % pdir):
            todo.append((tcpref, path))
    notes = {row["file"]: row.get("notes", "") for row in rows}
    nconn = nbroken = 0
    slowest = (0.0, "")
    for path, frames, trc, terr, r in oracle.parallel_map(one_file, todo):
        name = os.path.basename(path)
        slowest = max(slowest, (r.seconds, name))
        res.check(not r.timed_out and r.seconds <= oracle.TIMEOUT_S, res.key(name, "time"), r.describe())
        res.check(not r.crashed(), res.key(name, "no-crash"), "crashed: " + r.describe())
        # Broken: tshark stops with a read error. The manifest says so too.
        broken = trc != 0
        res.eq(res.key(name, "manifest-agrees"), "READ ERROR" in notes[name], broken,
               "manifest 'READ ERROR' note vs tshark failing to read (%s)" % terr.strip())
        if broken:
            nbroken += 1
            check_broken(res, name, path, r)
        else:
            res.eq(res.key(name, "exit"), 0, r.rc, r.describe())
        try:
            rep = r.json()
        except ValueError as e:
            res.fail(res.key(name, "json"), "the JSON report does not parse: %s" % e)
            continue
        # For a broken file, the report covers what precedes the damage:
        # the frames tshark read before its error.
        nconn += check_connections(res, name, rep, oracle.streams(frames, exclude_frame))
    return res.finish("%d captures (%d broken), %d connections; slowest tcpref run %.2f s (%s)"
                      % (len(todo), nbroken, nconn, slowest[0], slowest[1]))


if __name__ == "__main__":
    sys.exit(main())
