#!/usr/bin/env bash
# bench/compare.sh -- the whole comparison of issue 7 in one command: tcpref
# against the bare libpcap loop, tcptrace and tshark on the benchmark capture
# (generated, or reused from bench/results/cache), with the ratios to the
# targets, tcpref's memory per connection, and the identity of the reports of
# one thread, all threads and merged shards.  docs/performance.md shows the
# results and how to read them.
#
#   bench/compare.sh                     # 300 MB capture (~2.2 M packets, 3.8 k connections)
#   SHORT_FRAC=1 bench/compare.sh        # flow-heavy capture (~20.5 k connections)
#   bench/compare.sh --pcap FILE         # any capture
#
# Every option of bench/run.sh applies (bench/run.sh --help); tools that are
# not installed (tcptrace, tshark) are skipped with a message.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case " $* " in
    *" -h "*|*" --help "*) "$HERE/run.sh" --help; exit 0 ;;
esac
exec "$HERE/run.sh" --with-tcptrace --with-tshark "$@"
