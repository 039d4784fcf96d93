/*
 * Profiles: the bounds and tolerances a conforming endpoint is held to where
 * the RFCs leave room (minimum RTO 1 s in RFC 6298, 200 ms in Linux; delayed
 * ACK timers; tail loss probes). Every timing verdict names the profile value
 * it used.
 */
#ifndef TCPREF_STACK_PROFILE_H
#define TCPREF_STACK_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/rto.h"

struct tr_profile {
    char name[24];
    struct tr_rto_params rto;
    bool syn_fallback;        /* RFC 6298 §5.7: RTO <- 3 s after a SYN timed out */
    bool tlp;                 /* RFC 8985 §7 tail loss probes are expected */
    int64_t tlp_min_ns;       /* lower bound of the probe timeout */
    int64_t tol_abs_ns;       /* timing tolerance, absolute */
    uint16_t tol_pct;         /* timing tolerance, percent of the expected value */
    int64_t delack_max_ns;    /* RFC 9293 MUST-40: an ACK is not delayed more than 0.5 s */
    int64_t persist_min_ns;   /* zero-window probe interval bounds */
    int64_t persist_max_ns;
    uint16_t default_mss4;    /* RFC 9293 MUST-15: 536 for IPv4 */
    uint16_t default_mss6;    /* RFC 9293 MUST-15: 1220 for IPv6 */
    int64_t msl_ns;           /* maximum segment lifetime (TIME-WAIT = 2 MSL) */
    int64_t stall_ns;         /* floor of the stall threshold (4 x RTO otherwise) */
    uint8_t syn_linear;       /* SYN retransmissions allowed at a constant RTO before
                                 backoff (Linux >= 6.5: tcp_syn_linear_timeouts 4 = 5 gaps) */
    bool ack_every_second;    /* check RFC 9293 SHLD-19 (Linux sends stretch ACKs under GRO) */
    bool shrink_to_zero_ok;   /* a window closed at once under memory pressure (Linux) */
    bool syn_ts_sample;       /* an RTT sample from the TSecr that answers a retransmitted SYN
                                 or SYN-ACK (RFC 6298 §3, RFC 7323 §4.1; Linux
                                 tcp_ack_update_rtt); without it, Karn: no sample */
    bool rto_seed_cached;     /* a connection's first RTO may come from the destination's cached
                                 RTT, which the capture cannot see (Linux tcp_init_metrics():
                                 crtt + max(2 x crtt, rto_min) when the cache holds more than the
                                 handshake measured): until the sender's first RTT sample from
                                 data, the stall threshold takes at least the initial RTO (§2.1)
                                 as its RTO */
};

/* The built-in profile of that name ("rfc", "linux"), or NULL. */
const struct tr_profile *tr_profile_builtin(const char *name);
/* The names of the built-in profiles, NULL-terminated. */
const char *const *tr_profile_names(void);

#endif
