#!/usr/bin/python3
"""check-expect.py: checks corpus cases against their expect.json.

For every case folder (corpus/<case>/ with capture.pcap and expect.json) it
runs `tcpref analyze -f json -p PROFILE capture.pcap` and applies the
semantics of docs/expectations.md:

- a `must` entry matches findings by `rule` (exact id) and, when given,
  `frame`, `direction`, `connection` and `file`; `count` is the exact number
  of matching findings, a finding's folded repeats included (its `count`
  field); without `count`, at least one. Findings matched by a `must` entry
  are expected: no `must_not` pattern applies to them.
- a `must_not` pattern (`rule`: an id or a glob with `*`; `class`;
  `severity`: that severity and above) may match no other finding.

File-level findings (input.files[].findings: IP fragments, truncated or
malformed packets) take part too, with no connection and no direction.

Mutation check: for each `must` entry, the findings it matches are removed
and the entry evaluated again; it must then fail (the expectation is not
vacuous: it would catch the rule never firing). The script says so per case.

Usage:
    corpus/tools/check-expect.py [--tcpref build/tcpref] [-v] [--coverage] [CASE_DIR ...]
    (default: every corpus/*/ folder that has an expect.json; --coverage also
    lists the rules of `tcpref rules --format json` that no must entry names)

Exit status: 0 every case met its expectations, 1 one did not, 2 usage or
tcpref could not be run. Python 3 standard library only.
"""
import argparse
import fnmatch
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEVERITY = {"info": 0, "warning": 1, "error": 2}
MATCH_KEYS = ("frame", "direction", "connection", "file")


def findings_of(report):
    """Every finding of a tcpref JSON report, flattened, with the connection
    id and file index it belongs to (None for file-level findings)."""
    out = []
    for fi, f in enumerate(report["input"]["files"]):
        for x in f.get("findings", []):
            out.append(dict(x, connection=None, file=fi))
    for c in report["connections"]:
        for x in c["findings"]:
            out.append(dict(x, connection=c["id"], file=c["file"]))
    return out


def must_matches(entry, f):
    if f["rule"] != entry["rule"]:
        return False
    return all(k not in entry or f.get(k) == entry[k] for k in MATCH_KEYS)


def weight(f):
    return f.get("count") or 1


def eval_must(entry, findings):
    """(met, total): total = matching findings, repeats included."""
    total = sum(weight(f) for f in findings if must_matches(entry, f))
    met = total == entry["count"] if "count" in entry else total >= 1
    return met, total


def not_matches(pat, f):
    if "rule" in pat and not fnmatch.fnmatchcase(f["rule"], pat["rule"]):
        return False
    if "class" in pat and f["class"] != pat["class"]:
        return False
    if "severity" in pat and SEVERITY[f["severity"]] < SEVERITY[pat["severity"]]:
        return False
    return True


def evaluate(exp, findings):
    """Returns (ok, lines): one line per entry, met or not."""
    ok, lines = True, []
    expected = set()
    for e in exp.get("must", []):
        met, total = eval_must(e, findings)
        for i, f in enumerate(findings):
            if must_matches(e, f):
                expected.add(i)
        want = e.get("count", ">=1")
        lines.append("  must     %-4s %s%s: %s found, want %s" % (
            "met" if met else "NOT", e["rule"], describe(e), total, want))
        ok &= met
    for p in exp.get("must_not", []):
        hits = [f for i, f in enumerate(findings) if i not in expected and not_matches(p, f)]
        lines.append("  must_not %-4s %s" % ("met" if not hits else "NOT", pattern(p)))
        for f in hits:
            lines.append("           unexpected: %s (%s %s) frame %s %s: %s" % (
                f["rule"], f["severity"], f["class"], f.get("frame"), f.get("direction") or "",
                f.get("message", "")))
        ok &= not hits
    return ok, lines


def describe(e):
    parts = ["%s %s" % (k, e[k]) for k in MATCH_KEYS if k in e]
    return " (" + ", ".join(parts) + ")" if parts else ""


def pattern(p):
    return ", ".join("%s=%s" % (k, p[k]) for k in ("rule", "class", "severity") if k in p)


def mutation(exp, findings):
    """For each must entry: drop what it matches; the entry must fail."""
    out = []
    for e in exp.get("must", []):
        rest = [f for f in findings if not must_matches(e, f)]
        met, _ = eval_must(e, rest)
        out.append((e, not met))
    return out


def run_tcpref(tcpref, pcap, profile):
    """tcpref's JSON report. Exit 2 with a report on stdout is a damaged file
    (docs: the report still covers everything before the damage): kept."""
    cmd = [tcpref, "analyze", "-f", "json"] + (["-p", profile] if profile else []) + [pcap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode == 0 or (r.returncode == 2 and r.stdout.strip()):
        return json.loads(r.stdout)
    raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode().strip()))


def check_case(tcpref, d, verbose, profile_override=None):
    with open(os.path.join(d, "expect.json")) as f:
        exp = json.load(f)
    # docs/expectations.md: `profile` applies unless --profile is given.
    profile = profile_override or exp.get("profile")
    report = run_tcpref(tcpref, os.path.join(d, "capture.pcap"), profile)
    profile = report["input"].get("profile", profile)
    findings = findings_of(report)
    ok, lines = evaluate(exp, findings)
    muts = mutation(exp, findings)
    name = os.path.basename(os.path.normpath(d))
    print("%s %s (profile %s)" % ("PASS" if ok else "FAIL", name, profile))
    if verbose or not ok:
        print("\n".join(lines))
    if not muts:
        print("  mutation: no must entry (a clean case): nothing can stop firing")
    for e, fails in muts:
        print("  mutation: if %s%s never fired, the expectation would %s" % (
            e["rule"], describe(e), "fail: not vacuous" if fails else "STILL PASS: vacuous entry"))
    return ok and all(fails for _e, fails in muts)


def coverage(tcpref, dirs):
    """Rules of `tcpref rules --format json` that no `must` entry of the
    given cases names, by class. Returns the uncovered protocol rules."""
    r = subprocess.run([tcpref, "rules", "--format", "json"], stdout=subprocess.PIPE, check=True)
    rules = json.loads(r.stdout)
    covered = {}
    for d in dirs:
        with open(os.path.join(d, "expect.json")) as f:
            for e in json.load(f).get("must", []):
                covered.setdefault(e["rule"], []).append(os.path.basename(os.path.normpath(d)))
    # threshold.* rules are limits of a rules file (off unless one sets them):
    # not conformance rules a capture can pin; tests/integration/check_gate.py
    # covers each of them against tshark.
    rules = [x for x in rules if not x["id"].startswith("threshold.")]
    missing = {"protocol": [], "capture": []}
    for rule in rules:
        if rule["id"] not in covered:
            missing[rule["class"]].append(rule["id"])
    n_proto = sum(1 for x in rules if x["class"] == "protocol")
    print("coverage: %d of %d protocol rules named by a must entry; not covered: %s" % (
        n_proto - len(missing["protocol"]), n_proto, ", ".join(missing["protocol"]) or "none"))
    print("coverage: capture rules not covered: %s" % (", ".join(missing["capture"]) or "none"))
    return missing["protocol"]


def self_test():
    """The semantics of docs/expectations.md on synthetic findings."""
    F = [dict(rule="rto.timeout", severity="info", **{"class": "protocol"}, frame=20, direction="client-to-server",
              connection=0, file=0, count=1),
         dict(rule="rto.too-early", severity="error", **{"class": "protocol"}, frame=20,
              direction="client-to-server", connection=0, file=0, count=1),
         dict(rule="window.zero", severity="info", **{"class": "protocol"}, frame=9, direction="server-to-client",
              connection=0, file=0, count=3),
         dict(rule="capture.ip-fragment", severity="info", **{"class": "capture"}, frame=7, direction=None,
              connection=None, file=0, count=2)]
    cases = [
        # count is exact and includes folded repeats
        ({"must": [{"rule": "window.zero", "count": 3}]}, True),
        ({"must": [{"rule": "window.zero", "count": 1}]}, False),
        ({"must": [{"rule": "window.zero"}]}, True),
        ({"must": [{"rule": "window.zero", "frame": 8}]}, False),
        ({"must": [{"rule": "rto.timeout", "direction": "server-to-client"}]}, False),
        ({"must": [{"rule": "capture.ip-fragment", "frame": 7, "count": 2, "file": 0}]}, True),
        # must_not: severity and above; findings matched by a must are exempt
        ({"must_not": [{"rule": "*", "class": "protocol", "severity": "warning"}]}, False),
        ({"must": [{"rule": "rto.too-early"}], "must_not": [{"class": "protocol", "severity": "warning"}]}, True),
        ({"must": [{"rule": "rto.too-early", "count": 5}],
          "must_not": [{"class": "protocol", "severity": "warning"}]}, False),
        ({"must_not": [{"rule": "rto.*", "severity": "error"}]}, False),
        ({"must_not": [{"rule": "window.*", "severity": "warning"}]}, True),
        ({"must_not": [{"class": "capture"}]}, False),
        ({"must_not": [{"rule": "rto.timeout"}], "must": [{"rule": "rto.timeout", "frame": 20}]}, True),
    ]
    bad = 0
    for exp, want in cases:
        got, _ = evaluate(exp, F)
        if got != want:
            bad += 1
            print("self-test FAILED: %s -> %s, want %s" % (json.dumps(exp), got, want))
    assert all(fails for _e, fails in mutation({"must": [{"rule": "window.zero", "count": 3}]}, F))
    print("self-test: %d of %d semantic checks passed" % (len(cases) - bad, len(cases)))
    return 1 if bad else 0


def main(argv):
    ap = argparse.ArgumentParser(description="Check corpus cases against their expect.json.")
    ap.add_argument("cases", nargs="*", help="case folders (default: every corpus/*/ with expect.json)")
    ap.add_argument("--tcpref", default=os.path.join(ROOT, "build", "tcpref"))
    ap.add_argument("-p", "--profile", help="analyze with this profile instead of each file's `profile`")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every entry, met or not")
    ap.add_argument("--coverage", action="store_true",
                    help="also list the rules of `tcpref rules` that no must entry of these cases names "
                         "(exit 1 if a protocol rule is uncovered)")
    ap.add_argument("--self-test", action="store_true", help="check this script's semantics and exit")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    dirs = a.cases or sorted(os.path.dirname(p) for p in glob.glob(os.path.join(ROOT, "corpus", "*", "expect.json")))
    if not dirs:
        print("check-expect.py: no case with an expect.json", file=sys.stderr)
        return 2
    failed = []
    for d in dirs:
        try:
            if not check_case(a.tcpref, d, a.verbose, a.profile):
                failed.append(os.path.basename(os.path.normpath(d)))
        except (OSError, RuntimeError, ValueError) as e:
            print("ERROR %s: %s" % (d, e))
            return 2
    print("%d case(s), %d failed%s" % (len(dirs), len(failed), (": " + ", ".join(failed)) if failed else ""))
    uncovered = coverage(a.tcpref, dirs) if a.coverage else []
    return 1 if failed or uncovered else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
