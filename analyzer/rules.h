/*
 * The rule catalog: every check tcpref makes, in one table.
 *
 * Each rule has a stable id (`area.name`), a default severity, a class
 * (`protocol`: an endpoint broke a rule; `capture`: the capture cannot be
 * trusted here, and the checks that depend on it were skipped), the RFC text
 * it enforces, the Wireshark expert flag that corresponds to it (where one
 * exists), and templates for the report: {0}..{5} stand for the finding's
 * arguments; a suffix picks the format ({0t}: a duration in ns; {0r}: a
 * sequence number relative to the sender's ISN; {0v}: a timing verdict;
 * plain: an integer).
 *
 * XX(ENUM, "id", SEVERITY, CLASS, "RFC reference", "Wireshark flag",
 *    "expected", "observed", "message")
 */
#ifndef TCPREF_ANALYZER_RULES_H
#define TCPREF_ANALYZER_RULES_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

enum tr_severity { TR_SEV_INFO = 0, TR_SEV_WARNING, TR_SEV_ERROR };
enum tr_class { TR_CLASS_PROTOCOL = 0, TR_CLASS_CAPTURE };


#define TR_RULE_MAP(XX)                                                                        \
    /* ---- handshake ---- */                                                                  \
    XX(HS_SYNACK_ACK, "handshake.synack-ack", ERROR, PROTOCOL,                                            \
       "RFC 9293 §3.10.7.2 (LISTEN: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ+1)", \
       "", "ack = client ISN + 1 = {0r}", "ack = {1r}",                                        \
       "the SYN-ACK acknowledges {1r}, but the client's SYN was ISN {2} (expected ack {0r})")  \
    XX(HS_ACK, "handshake.ack", ERROR, PROTOCOL,                                                          \
       "RFC 9293 §3.10.7.3 (SYN-SENT: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>)", "",         \
       "seq = {0r}, ack = {1r}", "seq = {2r}, ack = {3r}",                                     \
       "the segment completing the handshake must have SEQ = ISN + 1 and ACK = the server's "  \
       "ISN + 1")                                                                              \
    XX(HS_OUT_OF_ORDER, "handshake.out-of-order", WARNING, CAPTURE, "RFC 9293 §3.5 (three-way handshake)", \
       "", "{0}", "{1}",                                                                       \
       "handshake segments appear in the capture in an order no endpoint can send them in: "  \
       "the capture reordered them")                                                           \
    XX(HS_SYN_ISN_CHANGED, "handshake.syn-isn-changed", WARNING, PROTOCOL,                                  \
       "RFC 9293 §3.4 (a retransmitted SYN carries the same ISN); RFC 6298 §5.4",              \
       "tcp.analysis.reused_ports",                                                            \
       "ISN {0}", "ISN {1}",                                                                   \
       "a SYN of the same connection attempt was retransmitted with a different ISN")          \
    XX(HS_SYNACK_WITHOUT_SYN, "handshake.synack-without-syn", WARNING, CAPTURE,                            \
       "RFC 9293 §3.5 (a SYN-ACK answers a SYN)", "", "a SYN before the SYN-ACK",              \
       "no SYN in the capture",                                                                \
       "SYN-ACK for a SYN the capture does not hold: the client's ISN, options and the "       \
       "handshake RTT are unknown")                                                            \
    XX(HS_SYN_DATA, "handshake.syn-data", WARNING, PROTOCOL,                                                \
       "RFC 7413 §2; RFC 9293 §3.10.7.2 (data on a SYN is queued, Fast Open delivers it)", "", \
       "no payload without a Fast Open cookie", "{0} bytes",                                   \
       "the SYN carries {0} bytes of data but no TCP Fast Open option")                        \
    XX(HS_DATA_BEFORE_ESTABLISHED, "handshake.data-before-established", ERROR, PROTOCOL,                  \
       "RFC 9293 §3.10.4 (SEND in SYN-SENT/SYN-RECEIVED: queue the data until ESTABLISHED)",  \
       "", "no data before the handshake completes", "{0} bytes in {1}",                       \
       "data was sent before the handshake completed, without TCP Fast Open")                  \
    XX(HS_WSCALE_TOO_LARGE, "handshake.wscale-too-large", WARNING, PROTOCOL,                                \
       "RFC 7323 §2.3 (\"the shift.cnt value ... MUST use 14 instead\" when larger than 14)",  \
       "", "shift <= 14", "shift {0}", "window scale shift {0} is larger than 14")             \
    XX(HS_WSCALE_UNSOLICITED, "handshake.wscale-unsolicited", ERROR, PROTOCOL,                            \
       "RFC 7323 §2.2 (\"MAY send the Window Scale option in a <SYN,ACK> segment only if it "  \
       "received a Window Scale option in the initial <SYN>\")",                               \
       "", "no Window Scale option", "shift {0}",                                              \
       "the SYN-ACK offers window scaling although the SYN did not")                          \
    XX(HS_TS_UNSOLICITED, "handshake.ts-unsolicited", WARNING, PROTOCOL,                                    \
       "RFC 7323 §3.2 (\"MAY send a TSopt in a <SYN,ACK> segment only if it received a "      \
       "TSopt in the initial <SYN>\")",                                                        \
       "", "no TSopt", "TSopt", "the SYN-ACK carries timestamps although the SYN did not")    \
    /* ---- options ---- */                                                                    \
    XX(OPT_MALFORMED, "options.malformed", WARNING, PROTOCOL,                                               \
       "RFC 9293 §3.1 MUST-6, MUST-7 (illegal option length)", "tcp.options (malformed)",      \
       "well-formed options", "{0o} at header offset {1}", "malformed TCP option: {0o}")         \
    XX(OPT_MSS_NON_SYN, "options.mss-non-syn", WARNING, PROTOCOL,                                           \
       "RFC 9293 §3.2 MUST-65 (MSS \"MUST only be sent in the initial connection request\")",  \
       "", "no MSS option", "MSS {0}", "an MSS option on a segment without SYN")               \
    XX(OPT_SACK_PERM_NON_SYN, "options.sack-permitted-non-syn", WARNING, PROTOCOL,                          \
       "RFC 2018 §2 (SACK-Permitted \"MUST NOT be sent on non-SYN segments\")", "",            \
       "no SACK-Permitted option", "SACK-Permitted", "a SACK-Permitted option on a segment "   \
       "without SYN")                                                                          \
    XX(OPT_TS_MISSING, "options.ts-missing", ERROR, PROTOCOL,                                             \
       "RFC 7323 §3.2 (\"the TSopt MUST be sent in every non-<RST> segment\" once "            \
       "negotiated)", "", "TSopt", "none",                                                     \
       "timestamps were negotiated but this segment carries no TSopt")                        \
    XX(OPT_TS_UNNEGOTIATED, "options.ts-unnegotiated", WARNING, PROTOCOL,                                   \
       "RFC 7323 §3.2 (TSopt only when both SYNs carried it)", "", "no TSopt", "TSopt",        \
       "a TSopt on a segment of a connection that did not negotiate timestamps")               \
    XX(OPT_SACK_UNNEGOTIATED, "options.sack-unnegotiated", WARNING, PROTOCOL,                               \
       "RFC 2018 §2 (SACK is used once SACK-Permitted was received)", "", "no SACK blocks",    \
       "{0} SACK blocks", "SACK blocks on a connection whose peer did not send SACK-Permitted")\
    /* ---- acknowledgments ---- */                                                            \
    XX(ACK_UNSEEN_DATA, "ack.unseen-data", ERROR, PROTOCOL,                                               \
       "RFC 9293 §3.10.7.4 (\"If the ACK acks something not yet sent (SEG.ACK > SND.NXT)\")",  \
       "tcp.analysis.ack_lost_segment", "ack <= {0r}", "ack = {1r}",                           \
       "acknowledges data the peer had not sent yet: the peer's next segments start below "   \
       "this ACK")                                                                             \
    XX(ACK_UNSEEN_CAPTURE, "capture.ack-unseen-segment", WARNING, CAPTURE,                                 \
       "RFC 9293 §3.10.7.4", "tcp.analysis.ack_lost_segment", "ack <= {0r}", "ack = {1r}",     \
       "acknowledges {2} bytes the capture does not hold: segments were not captured; checks " \
       "of that range are unknown")                                                            \
    XX(ACK_PARTIAL, "ack.partial", INFO, PROTOCOL, "RFC 9293 §3.4 (cumulative acknowledgment)", "",      \
       "an ACK on a segment boundary", "ack = {0r}, inside [{1r}, {2r})",                      \
       "the ACK splits a segment: the receiver accepted part of it")                          \
    XX(ACK_BACKWARDS, "ack.backwards", WARNING, PROTOCOL,                                                   \
       "RFC 9293 §3.4 (ACK is cumulative: RCV.NXT never decreases)", "",                       \
       "ack >= {0r}", "ack = {1r}", "the acknowledgment number moved backwards")              \
    XX(ACK_NONZERO_NO_FLAG, "ack.nonzero-without-flag", INFO, PROTOCOL,                                  \
       "RFC 9293 §3.1 (the field is meaningful only when ACK is set)", "tcp.ack.nonzero",     \
       "ack field 0", "ack field {0}", "the acknowledgment field is nonzero but ACK is not set")\
    /* ---- sequence space ---- */                                                             \
    XX(SEQ_OUTSIDE_WINDOW, "seq.outside-window", ERROR, PROTOCOL,                                         \
       "RFC 9293 §3.8.6 (\"the range of sequence numbers the sender of the window ... is "     \
       "currently prepared to accept\"), §3.10.7.4 acceptance test",                          \
       "", "end <= {0r}", "end = {1r}",                                                        \
       "the segment runs {2} bytes past the right edge of the window the receiver advertised")\
    XX(SEQ_DATA_AFTER_FIN, "seq.data-after-fin", ERROR, PROTOCOL,                                         \
       "RFC 9293 §3.10.4 (after CLOSE no more SENDs), §3.6", "", "no data past {0r}",          \
       "data up to {1r}", "data sent after this endpoint's FIN")                               \
    XX(SEQ_FIN_MOVED, "seq.fin-moved", ERROR, PROTOCOL,                                                   \
       "RFC 9293 §3.6 (the FIN occupies the sequence number after the last data)", "",        \
       "FIN at {0r}", "FIN at {1r}", "the FIN is not at the sender's next sequence number")    \
    XX(SEQ_RETRANS_DIFFERS, "seq.retransmission-differs", ERROR, PROTOCOL,                                \
       "RFC 9293 §3.4 (a sequence number names one octet of the stream)", "",                 \
       "the bytes of frame {0}", "different bytes",                                            \
       "the retransmission of [{1r}, {2r}) carries bytes that differ from frame {0}")          \
    XX(SEQ_EXCEEDS_MSS, "seq.exceeds-mss", ERROR, PROTOCOL,                                               \
       "RFC 9293 §3.7.1 (Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize - IPoptionsize), "  \
       "MUST-15", "", "<= {0} bytes", "{1} bytes",                                             \
       "segment larger than the peer's MSS allows")                                            \
    XX(CAP_TSO_GRO, "capture.tso-gro", INFO, CAPTURE, "RFC 9293 §3.7.1", "",                            \
       "<= {0} bytes", "{1} bytes",                                                            \
       "segment larger than the MSS in an IP packet larger than the link MTU: a TSO/GRO "      \
       "super-segment at the capturing host, not a wire segment")                             \
    XX(CAP_NOT_CAPTURED, "capture.segment-not-captured", WARNING, CAPTURE, "RFC 9293 §3.4",                \
       "tcp.analysis.lost_segment", "seq = {0r}", "seq = {1r}",                                \
       "{2} bytes before this segment are missing from the capture")                          \
    XX(CAP_NO_HANDSHAKE, "capture.no-handshake", INFO, CAPTURE, "RFC 9293 §3.5", "",                    \
       "SYN and SYN-ACK", "{0}",                                                               \
       "the capture starts after the handshake: roles, ISNs, window scaling and MSS are "      \
       "unknown, and the checks that need them are skipped")                                  \
    XX(CAP_TRUNCATED_HEADER, "capture.truncated-header", WARNING, CAPTURE, "", "",                         \
       "a whole TCP header", "{0} bytes captured",                                             \
       "the snapshot length cut this segment's headers: it was not analyzed")                 \
    XX(CAP_OPTIONS_CUT, "capture.options-cut", INFO, CAPTURE, "", "", "{0} option bytes",               \
       "{1} captured", "the snapshot length cut the TCP options: option checks skipped")       \
    XX(CAP_BAD_CHECKSUM, "capture.bad-checksum", INFO, CAPTURE, "RFC 9293 §3.1 (checksum)",             \
       "tcp.checksum_bad", "checksum 0", "sum {0}",                                            \
       "bad TCP checksum: usually checksum offload on the capturing host")                    \
    XX(CAP_DUPLICATE, "capture.duplicate", INFO, CAPTURE,                                      \
       "RFC 791 §3.2 (the Identification names one datagram)", "",                             \
       "one copy of each packet", "a copy of frame {0}",                                       \
       "the same packet again (same IP ID, sequence, acknowledgment and timestamps as frame "  \
       "{0}): copied by the network or the capture, not re-sent by the sender")               \
    XX(CAP_REORDERED, "capture.reordered", INFO, CAPTURE,                                      \
       "RFC 7323 §4.3 (TSval follows the sender's clock); RFC 791 §3.2 (the Identification, "  \
       "which Linux numbers in sequence per connection)", "", "{2k} >= {0}", "{2k} {1}",       \
       "the capture holds this segment after one its sender sent later")                      \
    XX(CAP_IP_FRAGMENT, "capture.ip-fragment", INFO, CAPTURE,                                  \
       "RFC 791 §2.3; RFC 8200 §4.5", "", "unfragmented IP", "{0} fragments",                  \
       "IP fragments are counted, not reassembled: TCP segments inside them are not analyzed") \
    XX(CAP_MALFORMED_PACKET, "capture.malformed-packet", WARNING, CAPTURE, "", "",             \
       "well-formed link/IP/TCP headers", "{0} packets",                                       \
       "packets whose headers cannot be right were skipped")                                  \
    XX(CAP_TRUNCATED_PACKET, "capture.truncated-packet", INFO, CAPTURE, "", "",                \
       "whole headers", "{0} packets",                                                         \
       "the snapshot length cut link, IP or TCP headers: these packets were skipped (a cut "   \
       "TCP header of a known connection is also reported there: capture.truncated-header)")  \
    /* ---- limits of a rules file (tcpref check --rules), off by default ---- */              \
    XX(THR_RETX, "threshold.retransmissions", ERROR, PROTOCOL, "", "",                          \
       "at most {2p} of its data segments retransmitted", "{3p} ({0} of {1})",                 \
       "the endpoint retransmitted more of its data segments than the rules file allows")     \
    XX(THR_ZERO_WINDOW, "threshold.zero-window", ERROR, PROTOCOL, "", "",                       \
       "no zero window longer than {1t}", "closed for {0t}",                                   \
       "the endpoint kept its receive window closed longer than the rules file allows")       \
    XX(THR_TIMEOUTS, "threshold.timeouts", ERROR, PROTOCOL, "", "",                             \
       "at most {1} retransmission timeouts", "timeout #{0}",                                  \
       "the endpoint's retransmission timer expired more often than the rules file allows")   \
    XX(THR_HANDSHAKE_RTT, "threshold.handshake-rtt", ERROR, PROTOCOL, "", "",                   \
       "a handshake within {1t}", "{0t}",                                                      \
       "the three-way handshake took longer than the rules file allows")                      \
    XX(CAP_KERNEL_DROPS, "capture.kernel-drops", WARNING, CAPTURE, "", "",                     \
       "every packet that reached the interface captured",                                     \
       "the kernel dropped {0} packets (of any connection) in {1} intervals while this "      \
       "connection was tracked",                                                               \
       "the kernel dropped packets while this connection was tracked (tcpref live): its "      \
       "segments may be missing from the capture, and the checks of that time "               \
       "(retransmissions, ACKs of unseen data, RTT, RTO) may report what the capture lost")   \
    XX(CAP_UNSUPPORTED_LINK, "capture.unsupported-link", WARNING, CAPTURE, "", "",             \
       "a supported link type", "{0} packets",                                                 \
       "packets of a link type tcpref does not decode were skipped")                          \
    /* ---- retransmission timer (RFC 6298) ---- */                                          \
    XX(RTO_TIMEOUT, "rto.timeout", INFO, PROTOCOL,                                             \
       "RFC 6298 §5.4 (on expiry, retransmit the earliest unacknowledged segment)",            \
       "tcp.analysis.retransmission", "RTO {1t}", "{0t}",                                     \
       "retransmission after a timeout of {0t}; the estimator expected an RTO of {1t} "        \
       "(SRTT {2t}, RTTVAR {3t}, timeout #{4} of this data): {5v}")                            \
    XX(RTO_TOO_EARLY, "rto.too-early", ERROR, PROTOCOL,                                        \
       "RFC 6298 §5 (\"a segment is never retransmitted too early, i.e., less than one RTO "   \
       "after the previous transmission\")", "", ">= {1t} (tolerance {2t})", "{0t}",           \
       "retransmitted {0t} after the timer started, before the RTO of {1t} could expire")    \
    XX(RTO_BELOW_MIN, "rto.below-minimum", WARNING, PROTOCOL,                                  \
       "RFC 6298 §2.4 (\"if it is less than 1 second, then the RTO SHOULD be rounded up to 1 " \
       "second\")", "", ">= {1t} (the profile's minimum RTO)", "{0t}",                         \
       "timeout of {0t}, below the minimum RTO of {1t}")                                       \
    XX(RTO_NO_BACKOFF, "rto.no-backoff", ERROR, PROTOCOL,                                      \
       "RFC 6298 §5.5 (\"The host MUST set RTO <- RTO * 2 (back off the timer)\")", "",       \
       ">= {1t} (twice the previous timeout {2t})", "{0t}",                                    \
       "consecutive timeout of the same data without exponential backoff")                    \
    XX(RTO_SYN_TOO_EARLY, "rto.syn-too-early", ERROR, PROTOCOL,                                \
       "RFC 6298 §2.1 (\"the sender SHOULD set RTO <- 1 second\") and §5",                     \
       "", ">= {1t} (tolerance {2t})", "{0t}",                                                 \
       "SYN or SYN-ACK retransmitted {0t} after the previous one, before the RTO of {1t}")    \
    XX(RTO_SYN_NO_BACKOFF, "rto.syn-no-backoff", ERROR, PROTOCOL,                              \
       "RFC 6298 §5.5 (\"The host MUST set RTO <- RTO * 2\"), for SYN too (RFC 9293 MUST-22)", \
       "", ">= {1t} (twice the previous gap {2t})", "{0t}",                                    \
       "SYN or SYN-ACK retransmissions not backing off exponentially")                        \
    XX(RTO_NO_SYN_FALLBACK, "rto.no-syn-fallback", ERROR, PROTOCOL,                            \
       "RFC 6298 §5.7 (\"the RTO MUST be re-initialized to 3 seconds when data transmission "  \
       "begins\")", "", ">= {1t}", "{0t}",                                                     \
       "the SYN timed out and no RTT was measured, yet the first data timeout is shorter "     \
       "than 3 s")                                                                             \
    XX(RTO_NOT_COLLAPSED, "rto.not-collapsed", WARNING, PROTOCOL,                              \
       "RFC 6298 §5 (after a new RTT sample the RTO \"collapses\" back; Karn: the backed-off " \
       "RTO is kept only until then)", "", "about {1t}", "{0t}",                                \
       "the timeout is still backed off although a new RTT measurement brought the RTO down") \
    XX(RTO_STALL, "rto.stall", ERROR, PROTOCOL,                                                \
       "RFC 6298 §5.4 (\"retransmit the earliest segment that has not been acknowledged\")",  \
       "", "a retransmission within {1t}", "none for {0t}",                                    \
       "data is outstanding, the peer's ACKs stopped, and no retransmission came: stalled")    \
    XX(CAP_RTX_NOT_CAPTURED, "capture.retransmission-not-captured", INFO, CAPTURE,             \
       "RFC 6298 §5.4", "", "a retransmission", "none captured for {0t}",                      \
       "the peer acknowledged data whose retransmission the capture does not hold")           \
    XX(CAP_RTO_UNKNOWN, "capture.rto-unknown", INFO, CAPTURE, "RFC 6298 §2, §5", "",            \
       "the handshake", "no handshake captured",                                              \
       "without the handshake the capture point's distance to the endpoints is unknown: RTT " \
       "samples and RTO verdicts are unknown")                                                 \
    XX(RETX_DSACK, "retransmission.dsack", INFO, PROTOCOL,                                     \
       "RFC 2883 §4 (a D-SACK reports a segment received twice)", "tcp.analysis.spurious_retransmission", \
       "", "[{0r}, {1r}) received twice",                                                      \
       "the receiver reported duplicate data: the retransmission of [{0r}, {1r}) was spurious")\
    /* ---- windows (RFC 9293 §3.8.6) ---- */                                                  \
    XX(WIN_ZERO, "window.zero", INFO, PROTOCOL,                                                \
       "RFC 9293 §3.8.6.1 (zero-window probing)", "tcp.analysis.zero_window", "",            \
       "zero window for {0t}, {1} probes",                                                     \
       "advertised a zero window from frame {2} for {0t}; the peer sent {1} probes")           \
    XX(WIN_PROBE_EARLY, "window.probe-early", WARNING, PROTOCOL,                               \
       "RFC 9293 §3.8.6.1 SHLD-29 (the first probe after the zero window has existed for the " \
       "retransmission timeout)", "", ">= {1t}", "{0t}",                                        \
       "the first zero-window probe came {0t} after the window closed, before the RTO of {1t}")\
    XX(WIN_PROBE_NO_BACKOFF, "window.probe-no-backoff", WARNING, PROTOCOL,                     \
       "RFC 9293 §3.8.6.1 SHLD-30 (\"exponentially increase the interval between successive " \
       "probes\")", "", ">= {1t} (twice the previous gap {2t})", "{0t}",                        \
       "zero-window probes not backing off exponentially")                                     \
    XX(WIN_SHRUNK, "window.shrunk", WARNING, PROTOCOL,                                         \
       "RFC 9293 §3.8.6 SHLD-14 (\"A TCP receiver SHOULD NOT shrink the window, i.e., move the "\
       "right window edge to the left\")", "", "right edge >= {0r}", "right edge {1r}",        \
       "the receiver moved the right edge of its window {2} bytes to the left")               \
    XX(WIN_SWS_RECEIVER, "window.sws-receiver", WARNING, PROTOCOL,                             \
       "RFC 9293 §3.8.6.2.2 MUST-39 (receiver silly window syndrome avoidance)", "",           \
       "a window of 0 or >= {1}", "{0} bytes",                                                 \
       "opened a small window: the right edge moved by less than min(MSS, buffer/2)")        \
    XX(WIN_SWS_SENDER, "window.sws-sender", WARNING, PROTOCOL,                                 \
       "RFC 9293 §3.8.6.2.1 MUST-38 (sender silly window syndrome avoidance); full segment: "  \
       "§3.7.1 Eff.snd.MSS (the smaller of the two MSS announced, less this segment's options)",\
       "", "a full segment of {1} bytes", "{0} bytes, more data right after",                  \
       "sent a small segment without PSH although the window and its own data allowed a "      \
       "full one")                                                                             \
    /* ---- acknowledgment behaviour (RFC 9293 §3.8.6.3, RFC 5681 §4.2) ---- */                \
    XX(ACK_DELAY_TOO_LONG, "ack.delay-too-long", ERROR, PROTOCOL,                              \
       "RFC 9293 §3.8.6.3 MUST-40 (\"the delay MUST be less than 0.5 seconds\")", "",          \
       "< 500 ms", "{0t}", "data was acknowledged {0t} after it arrived")                     \
    XX(ACK_NOT_EVERY_SECOND, "ack.not-every-second", WARNING, PROTOCOL,                        \
       "RFC 9293 §3.8.6.3 SHLD-19, RFC 5681 §4.2 (\"an ACK SHOULD be generated for at least " \
       "every second full-sized segment\")", "", "<= 2 full-sized segments per ACK",           \
       "{0} segments", "one ACK for {0} full-sized segments (profile {1v})")                   \
    /* ---- reset and teardown ---- */                                                         \
    XX(RST_OUTSIDE_WINDOW, "rst.outside-window", WARNING, PROTOCOL,                                         \
       "RFC 5961 §3.2 (\"If the RST bit is set and the sequence number is outside the "        \
       "current receive window, silently drop the segment\")", "",                             \
       "seq in [{0r}, {1r})", "seq = {2r}",                                                    \
       "RST outside the receiver's window: invalid, the connection is not reset")             \
    XX(RST_CLOSED_ANSWER, "rst.closed-answer", INFO, PROTOCOL,                                \
       "RFC 9293 §3.10.7.1 (CLOSED: \"If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>\"), "        \
       "§3.10.7.4 and RFC 5961 §3.2 (the peer drops it)", "", "seq in [{0r}, {1r})",           \
       "seq = {2r}",                                                                           \
       "RST from an endpoint closed after its FIN was acknowledged, answering an older "       \
       "segment of the peer: below the peer's window, dropped; neither side erred")           \
    XX(RST_NOT_EXACT, "rst.challenge", INFO, PROTOCOL,                                                   \
       "RFC 5961 §3.2 (in the window but not RCV.NXT: \"TCP MUST send an acknowledgment\")",   \
       "", "seq = {0r}", "seq = {1r}",                                                         \
       "RST inside the window but not at RCV.NXT: the receiver must answer with a challenge "  \
       "ACK, the connection is not reset")                                                    \
    XX(RST_BAD_ACK, "rst.bad-ack", WARNING, PROTOCOL,                                          \
       "RFC 9293 §3.10.7.3 (SYN-SENT: a RST is acceptable only \"If the ACK was acceptable\", " \
       "ISS < SEG.ACK =< SND.NXT)", "", "ack = {0r}", "{1}",                                   \
       "RST answering a SYN does not acknowledge it: invalid, the connection is not reset")   \
    XX(RST_DATA_AFTER, "rst.data-after", ERROR, PROTOCOL,                                                 \
       "RFC 9293 §3.10.7.4 (after a RST the connection is CLOSED)", "",                        \
       "nothing after frame {0}", "{1} bytes", "the endpoint sent data after its own RST")


enum tr_rule {
#define TR__RULE_ENUM(en, id, sev, cls, rfc, ws, exp, obs, msg) TR_RULE_##en,
    TR_RULE_MAP(TR__RULE_ENUM)
#undef TR__RULE_ENUM
        TR_RULE_COUNT
};

struct tr_rule_info {
    const char *id;
    uint8_t severity; /* enum tr_severity */
    uint8_t cls;      /* enum tr_class */
    const char *rfc;
    const char *wireshark;
    const char *expected;
    const char *observed;
    const char *message;
};

/* The rule as this run applies it (severity possibly overridden). */
const struct tr_rule_info *tr_rule_info(enum tr_rule r);
/* The rule as the catalog defines it. */
const struct tr_rule_info *tr_rule_catalog(enum tr_rule r);
/* The run's policy (tcpref check --rules), set before the analysis starts:
 * a disabled rule records no finding. */
void tr_rule_set_severity(enum tr_rule r, enum tr_severity s);
void tr_rule_set_enabled(enum tr_rule r, bool on);
bool tr_rule_enabled(enum tr_rule r);
void tr_rule_policy_reset(void);
/* The rule with that id, or -1. */
int tr_rule_find(const char *id);

const char *tr_severity_name(enum tr_severity s);
const char *tr_class_name(enum tr_class c);
/* Parses "error", "warning", "info"; returns -1 otherwise. */
int tr_severity_parse(const char *s);

#endif
