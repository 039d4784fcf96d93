#!/usr/bin/env bash
# corpus/tools/regenerate.sh: regenerates the whole corpus in one command,
# then checks every case against its expect.json with tcpref itself.
#
#   sudo corpus/tools/regenerate.sh [--tcpref build/tcpref]
#
# - crafted-*: corpus/tools/craft.py (scapy; byte-identical every run);
# - malformed/: corpus/tools/make-malformed.py (when present);
# - kernel-*: corpus/tools/make-kernel-captures.sh (root: network
#   namespaces; the kernel's behaviour and ISNs differ between runs, so the
#   frames pinned in kernel-bulk-loss-sack and kernel-zero-window's
#   expect.json must be verified again with tshark after a regeneration:
#   their README and expect.json notes say how).
# Not as root, the kernel cases are kept and a message says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tcpref="$root/build/tcpref"
if [[ ${1:-} == --tcpref ]]; then tcpref=$2; fi
py=/usr/bin/python3
echo "== crafted cases"
"$py" "$here/craft.py"
if [[ -f $here/make-malformed.py ]]; then
    echo "== malformed captures"
    "$py" "$here/make-malformed.py"
fi
if [[ $(id -u) -eq 0 ]]; then
    echo "== real-kernel cases"
    "$here/make-kernel-captures.sh"
else
    echo "== real-kernel cases kept: regenerating them needs root (network namespaces)"
fi
echo "== checking every case with $tcpref"
fail=0
for e in "$root"/corpus/*/expect.json; do
    d=$(dirname "$e")
    if ! "$tcpref" check --expect "$e" "$d/capture.pcap" > /dev/null; then
        echo "FAIL $(basename "$d"): $tcpref check --expect $e $d/capture.pcap"
        fail=1
    fi
done
"$py" "$here/check-expect.py" --tcpref "$tcpref" --coverage > /dev/null || fail=1
[[ $fail -eq 0 ]] && echo "every case passes"
exit $fail
