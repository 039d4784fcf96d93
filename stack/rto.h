/*
 * The retransmission timer estimator of RFC 6298.
 *
 * RFC 6298 §2.2, first measurement R:
 *     SRTT <- R,  RTTVAR <- R/2,  RTO <- SRTT + max(G, K*RTTVAR)
 * §2.3, each later measurement R':
 *     RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
 *     SRTT   <- (1 - alpha) * SRTT + alpha * R'
 *     RTO    <- SRTT + max(G, K*RTTVAR)
 * with alpha = 1/8, beta = 1/4, K = 4; §2.4: "Whenever RTO is computed, if it
 * is less than 1 second, then the RTO SHOULD be rounded up to 1 second"; §2.5:
 * "A maximum value MAY be placed on RTO provided it is at least 60 seconds";
 * §2.1: "Until a round-trip time (RTT) measurement has been made ..., the
 * sender SHOULD set RTO <- 1 second"; §5.5: "The host MUST set RTO <- RTO * 2
 * ("back off the timer")".
 *
 * Values are kept unscaled, in nanoseconds.
 *
 * The `linux` formula reproduces Linux's tcp_rtt_estimator() and
 * tcp_set_rto() (net/ipv4/tcp_input.c), which depart from RFC 6298 on
 * purpose: MDEV tracks the mean deviation with gain 1/4 (a falling RTT raises
 * it with gain 1/32 only); RTTVAR follows the largest MDEV of the current
 * round trip and decays towards it once per round, never below the minimum
 * RTO; and RTO = SRTT + RTTVAR. So the minimum RTO bounds the variance term,
 * not the sum, and the first sample R gives R + max(2R, min RTO).
 */
#ifndef TCPREF_STACK_RTO_H
#define TCPREF_STACK_RTO_H

#include <stdbool.h>
#include <stdint.h>

enum tr_rto_formula {
    TR_RTO_FORMULA_RFC6298 = 0, /* RTO = max(min, SRTT + max(G, K*RTTVAR)) */
    TR_RTO_FORMULA_LINUX,       /* RTO = SRTT + max(min, K*RTTVAR) */
};

struct tr_rto_params {
    int64_t initial_ns;  /* §2.1: 1 s */
    int64_t min_ns;      /* §2.4: 1 s; Linux: 200 ms */
    int64_t max_ns;      /* §2.5: >= 60 s; Linux: 120 s */
    int64_t g_ns;        /* clock granularity G */
    int64_t fallback_ns; /* §5.7: 3 s after a SYN timed out */
    uint8_t alpha_shift; /* alpha = 1 / 2^alpha_shift (3: 1/8) */
    uint8_t beta_shift;  /* beta = 1 / 2^beta_shift (2: 1/4) */
    uint8_t k;           /* 4 */
    uint8_t formula;     /* enum tr_rto_formula */
};

struct tr_rtt_est {
    int64_t srtt_ns;
    int64_t rttvar_ns;
    int64_t rto_ns;      /* current RTO, backoff included */
    int64_t mdev_ns;     /* linux: 4 x mean deviation */
    int64_t mdev_max_ns; /* linux: largest MDEV in this round */
    uint32_t rtt_seq;    /* linux: SND.NXT when the round started */
    uint32_t nsamples;
    uint8_t backoff;     /* consecutive timeouts (RTO doublings) */
};

/* §2.1: no measurement yet, RTO = initial. */
void tr_rto_init(struct tr_rtt_est *e, const struct tr_rto_params *p);
/* §2.2 / §2.3: feed one RTT measurement; clears the backoff (Karn: a valid
 * sample is taken only from a segment that was not retransmitted).
 * snd_una / snd_nxt are the sender's after the ACK that gave the sample (the
 * linux formula counts round trips with them; RFC 6298 ignores them). */
void tr_rto_sample(struct tr_rtt_est *e, const struct tr_rto_params *p, int64_t r_ns,
                   uint32_t snd_una, uint32_t snd_nxt);
/* §5.5: RTO <- RTO * 2, bounded by the maximum. */
void tr_rto_backoff(struct tr_rtt_est *e, const struct tr_rto_params *p);
/* The RTO computed from SRTT and RTTVAR without backoff (initial RTO when no
 * sample was taken). */
int64_t tr_rto_base(const struct tr_rtt_est *e, const struct tr_rto_params *p);
/* The RTO without the §2.4 floor (a SHOULD), backoff included: what §5's
 * MUST ("never retransmitted ... less than one RTO after") is held to. For
 * the linux formula the same as rto_ns (its floor is built into RTTVAR). */
int64_t tr_rto_unfloored(const struct tr_rtt_est *e, const struct tr_rto_params *p);
/* §5.7: after the SYN's timer expired, RTO <- fallback when data begins. */
void tr_rto_syn_fallback(struct tr_rtt_est *e, const struct tr_rto_params *p);

#endif
