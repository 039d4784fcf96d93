/* Retransmission timer (RFC 6298), windows (RFC 9293 §3.8.6) and ACK
 * behaviour (§3.8.6.3), each from crafted segments: one behaviour per test.
 *
 * The handshake (tt_hs): client ISN 1000, server ISN 5000, SYN at t0, SYN-ACK
 * at t0 + 10 ms, ACK at t0 + 20 ms, window scale 7, so the round trip is
 * 20 ms, split 10 ms / 10 ms at the capture point. With the linux profile the
 * first sample gives RTO = 20 + max(2 x 20, 200) = 220 ms. */
#include <string.h>

#include "../support/tt.h"
#include "analyzer/format.h"
#include "analyzer/report.h"

#define C2S TT_C2S
#define S2C TT_S2C
#define A TR_ACK
#define PA (TR_ACK | TR_PSH)

/* The same with the client's ACK at `ack_t` (the client side of the
 * capture point: ack_t - 10 ms). */
static struct tr_obs *tt_hs_ack_at(const char *profile, int sack, int ts, double ack_t)
{
    struct tr_obs *o = tt_obs(profile);
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, sack, ts);
    struct tr_seg sa = tt_seg(2, 0.010, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, sack, ts);
    tt_feed(o, syn);
    tt_feed(o, sa);
    tt_feed(o, tt_seg(3, ack_t, C2S, A, 1001, 5001, 0, 502));
    return o;
}

static struct tr_obs *tt_hs(const char *profile, int sack, int ts)
{
    return tt_hs_ack_at(profile, sack, ts, 0.020);
}

static const struct tr_conn *tt_c(struct tr_obs *o)
{
    tr_obs_finish(o);
    return tr_obs_conn(o, 0);
}

/* ---- timeouts ---- */

static void test_timeout_after_the_rto_is_within_bounds(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.25, C2S, PA, 1001, 5001, 100, 502));
    const struct tr_finding *f = tt_finding(o, TR_RULE_RTO_TIMEOUT);
    assert_non_null(f);
    assert_int_equal(f->frame, 5);
    assert_int_equal(f->arg[0], 250000000);  /* observed */
    assert_int_equal(f->arg[1], 220000000);  /* expected: 20 + max(40, 200) ms */
    assert_int_equal(f->arg[5], TR_VERDICT_OK);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_timeout_before_the_rto_is_too_early(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.1, C2S, PA, 1001, 5001, 100, 502));
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TOO_EARLY), 5);
    tr_obs_free(o);
}

static void test_tail_loss_probe_is_not_an_early_timeout_under_linux(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.05, C2S, PA, 1001, 5001, 100, 502)); /* the probe */
    tt_feed(o, tt_seg(6, 1.29, C2S, PA, 1001, 5001, 100, 502)); /* RTO from the probe */
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_TLP], 1);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_RTO], 1);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_rfc_profile_judges_the_probe_as_an_early_timeout(void **state)
{
    (void)state;
    /* RFC 6298 alone: RTO without the 1 s floor = 20 + 4 x 10 = 60 ms */
    struct tr_obs *o = tt_hs("rfc", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.05, C2S, PA, 1001, 5001, 100, 502));
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TOO_EARLY), 5);
    tr_obs_free(o);
}

static void test_rfc_profile_warns_below_one_second(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("rfc", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.3, C2S, PA, 1001, 5001, 100, 502)); /* > 60 ms, < 1 s */
    assert_int_equal(tt_count(o, TR_RULE_RTO_TOO_EARLY), 0);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_BELOW_MIN), 5);
    tr_obs_free(o);
}

static void test_consecutive_timeouts_without_backoff_are_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.25, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(6, 1.50, C2S, PA, 1001, 5001, 100, 502)); /* 250 ms again, not 500 */
    assert_int_equal(tt_frame(o, TR_RULE_RTO_NO_BACKOFF), 6);
    tr_obs_free(o);
}

static void test_doubling_timeouts_are_within_bounds(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.25, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(6, 1.75, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(7, 2.75, C2S, PA, 1001, 5001, 100, 502));
    assert_int_equal(tt_count(o, TR_RULE_RTO_TIMEOUT), 3);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_syn_retransmitted_before_one_second_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.3, C2S, TR_SYN, 1000, 0, 0, 64240));
    assert_int_equal(tt_frame(o, TR_RULE_RTO_SYN_TOO_EARLY), 2);
    tr_obs_free(o);
}

static struct tr_obs *tt_syns(const char *profile)
{
    struct tr_obs *o = tt_obs(profile);
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 1.0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(3, 2.0, C2S, TR_SYN, 1000, 0, 0, 64240)); /* 1 s again */
    return o;
}

static void test_linear_syn_retries_pass_the_linux_profile(void **state)
{
    (void)state;
    struct tr_obs *o = tt_syns("linux"); /* tcp_syn_linear_timeouts */
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_linear_syn_retries_fail_the_rfc_profile(void **state)
{
    (void)state;
    struct tr_obs *o = tt_syns("rfc");
    assert_int_equal(tt_frame(o, TR_RULE_RTO_SYN_NO_BACKOFF), 3);
    tr_obs_free(o);
}

/* Three SYNs 1 s apart (the server's SYN-ACK to the second lost before the
 * capture), then two SYN-ACKs `gap` apart just after the third: the
 * server's timer and its answer to that SYN, crossing (seed 3690
 * flow-heavy, frame 2498845: 23 us apart). With a single SYN the same pair
 * is a SYN-ACK and a re-send `gap` after it, too early. */
static struct tr_obs *tt_synacks_after(int syns, double gap)
{
    struct tr_obs *o = tt_obs("linux");
    uint64_t f = 1;
    for (int k = 0; k < syns; k++, f++)
        tt_feed(o, tt_seg(f, k * 1.0, C2S, TR_SYN, 1000, 0, 0, 64240));
    double t = (syns - 1) * 1.0 + 0.00003;
    tt_feed(o, tt_seg(f++, t, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(f++, t + gap, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(f, t + gap + 0.00002, C2S, A, 1001, 5001, 0, 502));
    tr_obs_finish(o);
    return o;
}

static void test_synack_timer_crossing_a_resent_syn_is_no_early_timeout(void **state)
{
    (void)state;
    struct tr_obs *o = tt_synacks_after(3, 0.000023);
    assert_int_equal(tr_obs_conn(o, 0)->ep[1].st.rtx[TR_RTX_SYN_ANSWER], 1);
    assert_int_equal(tt_count(o, TR_RULE_RTO_SYN_TOO_EARLY), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
    o = tt_synacks_after(1, 0.000023);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_SYN_TOO_EARLY), 3);
    tr_obs_free(o);
}

static void test_first_data_timeout_after_a_syn_timeout_is_three_seconds(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 1.0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(3, 1.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(4, 1.02, C2S, A, 1001, 5001, 0, 64240));
    tt_feed(o, tt_seg(5, 2.0, C2S, PA, 1001, 5001, 100, 64240));
    tt_feed(o, tt_seg(6, 3.0, C2S, PA, 1001, 5001, 100, 64240)); /* 1 s, not 3 s */
    assert_int_equal(tt_frame(o, TR_RULE_RTO_NO_SYN_FALLBACK), 6);
    tr_obs_free(o);
}

/* A first request acknowledged after 20 ms (an RTT sample from data: an RTO
 * of 221.25 ms, below; a stall after 4 x RTO + 10 ms), then 100
 * bytes at 1.0 never acknowledged; the server talks at 3.0 without an ACK.
 * Returns the observer, frame 8 next. */
static struct tr_obs *tt_sampled_then_unacked(void)
{
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 0.5, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.52, S2C, A, 5001, 1101, 0, 509));
    tt_feed(o, tt_seg(6, 1.0, C2S, PA, 1101, 5001, 100, 502));
    tt_feed(o, tt_seg(7, 3.0, S2C, PA, 5001, 1101, 10, 509)); /* the server talks, no ACK */
    return o;
}

static void test_late_retransmission_after_a_stall_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_sampled_then_unacked();
    tt_feed(o, tt_seg(8, 4.0, C2S, PA, 1101, 5011, 100, 502)); /* 3 s later */
    assert_int_equal(tt_frame(o, TR_RULE_RTO_STALL), 8);
    /* the estimator's RTO, not the 1 s floor of a sender without a sample
     * from data (test_first_rto_may_come_from_the_destination_cache): the
     * handshake's 20 ms, then 20 + 10 ms (the capture's round trip to the
     * client): SRTT 7/8 x 20 + 1/8 x 30 = 21.25, RTTVAR 3/4 x 10 + 1/4 x 10
     * = 10, RTO 21.25 + max(40, 200) ms */
    assert_int_equal(tt_finding(o, TR_RULE_RTO_STALL)->arg[1], 221250000);
    tr_obs_free(o);
}

static void test_ack_after_a_stall_without_retransmission_is_a_capture_gap(void **state)
{
    (void)state;
    struct tr_obs *o = tt_sampled_then_unacked();
    tt_feed(o, tt_seg(8, 3.5, S2C, A, 5011, 1201, 0, 509)); /* acked: the retransmission was missed */
    assert_int_equal(tt_frame(o, TR_RULE_CAP_RTX_NOT_CAPTURED), 8);
    assert_int_equal(tt_count(o, TR_RULE_RTO_STALL), 0);
    tr_obs_free(o);
}

/* Before any RTT sample from data, Linux's first RTO may come from the
 * destination's cached RTT (tcp_init_metrics()), which the capture cannot
 * see: the stall threshold takes RFC 6298 §2.1's initial 1 s as the RTO,
 * 4 x 1 s + 10 ms. A request at 1.0, never acknowledged, re-sent `at`
 * (seed 9753 flow-heavy, frame 614950: 1.064 s after a probe). */
static void test_first_rto_may_come_from_the_destination_cache(void **state)
{
    (void)state;
    for (int late = 0; late < 2; late++) {
        struct tr_obs *o = tt_hs("linux", 0, 0);
        tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
        tt_feed(o, tt_seg(5, late ? 5.2 : 3.0, C2S, PA, 1001, 5001, 100, 502));
        assert_int_equal(tt_count(o, TR_RULE_RTO_STALL), late ? 1 : 0);
        if (late)
            assert_int_equal(tt_finding(o, TR_RULE_RTO_STALL)->arg[1], 1000000000);
        assert_int_equal(tt_count(o, TR_RULE_RTO_TOO_EARLY), 0);
        tr_obs_free(o);
    }
    /* The rfc profile's minimum RTO is 1 s anyway: 3 s is a stall there. */
    struct tr_obs *o = tt_hs("rfc", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 5.2, C2S, PA, 1001, 5001, 100, 502));
    assert_int_equal(tt_frame(o, TR_RULE_RTO_STALL), 5);
    tr_obs_free(o);
}

static void test_fast_retransmit_follows_duplicate_acks(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 1.0, S2C, PA, 6001, 1001, 1000, 509));
    tt_feed(o, tt_seg(6, 1.0, S2C, PA, 7001, 1001, 1000, 509));
    tt_feed(o, tt_seg(7, 1.0, S2C, PA, 8001, 1001, 1000, 509));
    for (int i = 0; i < 3; i++)
        tt_feed(o, tt_seg(8 + i, 1.02 + i * 0.001, C2S, A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(11, 1.03, S2C, PA, 5001, 1001, 1000, 509));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_FAST], 1);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TIMEOUT), 0);
    tr_obs_free(o);
}

static void test_resend_long_after_duplicate_acks_is_a_timeout(void **state)
{
    (void)state;
    /* RFC 5681 §3.2: the fast retransmit answers the third duplicate ACK.
     * A re-send 480 ms after the last one, once the 220 ms RTO expired,
     * was sent by the timer. */
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 1.0, S2C, PA, 6001, 1001, 1000, 509));
    tt_feed(o, tt_seg(6, 1.0, S2C, PA, 7001, 1001, 1000, 509));
    tt_feed(o, tt_seg(7, 1.0, S2C, PA, 8001, 1001, 1000, 509));
    for (int i = 0; i < 3; i++)
        tt_feed(o, tt_seg(8 + i, 1.02 + i * 0.001, C2S, A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(11, 1.50, S2C, PA, 5001, 1001, 1000, 509));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_FAST], 0);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_RTO], 1);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TIMEOUT), 11);
    tr_obs_free(o);
}

static void test_ack_below_the_probe_does_not_end_the_probe_episode(void **state)
{
    (void)state;
    /* RFC 8985 §7.3/§7.4.2: one probe per episode, which ends when the ACK
     * reaches the probe's SND.NXT (7001). The ACK of 6001 does not, so the
     * next re-send of the tail is the timeout, judged as one. */
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 1.0, S2C, PA, 6001, 1001, 1000, 509));
    tt_feed(o, tt_seg(6, 1.05, S2C, PA, 6001, 1001, 1000, 509)); /* the probe */
    tt_feed(o, tt_seg(7, 1.07, C2S, A, 1001, 6001, 0, 502));
    tt_feed(o, tt_seg(8, 1.32, S2C, PA, 6001, 1001, 1000, 509));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_TLP], 1);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_RTO], 1);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TIMEOUT), 8);
    tr_obs_free(o);
}

/* rfc profile, RTT 20 ms: the estimator's RTO is 60 ms, floored at 1 s
 * (RFC 6298 §2.4). A timer still backed off runs at least 2 s. With
 * `timeout_before`, the sender first backs off: a timeout at 1.0 s (its
 * ACK gives no sample, Karn), then a segment acknowledged once gives the
 * new sample that collapses the RTO; without, the timer never backed off. */
static struct tr_obs *tt_collapsed_then_resend_after(double resend_at, bool timeout_before)
{
    struct tr_obs *o = tt_hs("rfc", 0, 0);
    double t = 1.0;
    uint64_t f = 4;
    uint32_t seq = 1001;
    if (timeout_before) {
        tt_feed(o, tt_seg(f++, 0.5, C2S, PA, 1001, 5001, 100, 502));
        tt_feed(o, tt_seg(f++, 0.5 + 1.05, C2S, PA, 1001, 5001, 100, 502)); /* the timeout */
        tt_feed(o, tt_seg(f++, 0.5 + 1.07, S2C, A, 5001, 1101, 0, 509));    /* Karn: no sample */
        t = 2.0;
        seq = 1101;
        resend_at += 1.0;
    }
    tt_feed(o, tt_seg(f++, t, C2S, PA, seq, 5001, 100, 502));
    tt_feed(o, tt_seg(f++, t + 0.02, S2C, A, 5001, seq + 100, 0, 509)); /* a new sample: backoff 0 */
    tt_feed(o, tt_seg(f++, t + 0.03, C2S, PA, seq + 100, 5001, 100, 502));
    tt_feed(o, tt_seg(f, resend_at, C2S, PA, seq + 100, 5001, 100, 502));
    return o;
}

static struct tr_obs *tt_collapsed_then_resend(double resend_at)
{
    return tt_collapsed_then_resend_after(resend_at, true);
}

static void test_late_timer_is_not_a_timer_left_backed_off(void **state)
{
    (void)state;
    /* 1.27 s: 270 ms late (a busy host), far from the 2 s of a backed-off timer */
    struct tr_obs *o = tt_collapsed_then_resend(2.30);
    assert_int_equal(tt_count(o, TR_RULE_RTO_NOT_COLLAPSED), 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TIMEOUT), 2);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TIMEOUT), 5);
    tr_obs_free(o);
}

static void test_timer_left_backed_off_is_reported(void **state)
{
    (void)state;
    /* 2.4 s: beyond 2 x 1 s + 10 % + the 10 ms to the client */
    struct tr_obs *o = tt_collapsed_then_resend(3.43);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_NOT_COLLAPSED), 10);
    tr_obs_free(o);
}

/* The same 2.4 s from a sender whose timer never backed off: late, not
 * left backed off (a benchmark capture of Linux: a re-send 796 ms after a
 * tail loss probe, with no timeout before it, was called not collapsed). */
static void test_late_timer_that_never_backed_off_is_not_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_collapsed_then_resend_after(3.43, false);
    assert_int_equal(tt_count(o, TR_RULE_RTO_NOT_COLLAPSED), 0);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TIMEOUT), 7);
    tr_obs_free(o);
}

static void test_rto_unknown_once_without_handshake(void **state)
{
    (void)state;
    /* No handshake: the capture point's distance to the sender is unknown,
     * so timeouts that pass are "unknown", and the connection says why
     * once (capture.rto-unknown), not at each timeout. */
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(2, 2.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(3, 4.0, C2S, PA, 1001, 5001, 100, 502));
    assert_int_equal(tt_count(o, TR_RULE_CAP_RTO_UNKNOWN), 1);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_RTO_UNKNOWN), 2);
    const struct tr_finding *f = tt_finding(o, TR_RULE_RTO_TIMEOUT);
    assert_non_null(f);
    assert_int_equal(f->arg[5], TR_VERDICT_UNKNOWN);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* ---- windows ---- */

static struct tr_obs *tt_zero_window(void)
{
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 1.01, C2S, A, 1001, 6001, 0, 0)); /* zero window */
    return o;
}

static void test_zero_window_episode_is_reported_with_its_length(void **state)
{
    (void)state;
    struct tr_obs *o = tt_zero_window();
    tt_feed(o, tt_seg(6, 3.01, C2S, A, 1001, 6001, 0, 502)); /* reopens after 2 s */
    const struct tr_finding *f = tt_finding(o, TR_RULE_WIN_ZERO);
    assert_non_null(f);
    assert_int_equal(f->frame, 6);
    assert_int_equal(f->arg[0], 2000000000);
    assert_int_equal(f->arg[2], 5);
    tr_obs_free(o);
}

static void test_zero_window_probe_before_the_rto_is_early(void **state)
{
    (void)state;
    struct tr_obs *o = tt_zero_window();
    tt_feed(o, tt_seg(6, 1.06, S2C, A, 6000, 1001, 0, 509)); /* 50 ms later */
    assert_int_equal(tt_frame(o, TR_RULE_WIN_PROBE_EARLY), 6);
    tr_obs_free(o);
}

static void test_zero_window_probes_without_backoff_are_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_zero_window();
    tt_feed(o, tt_seg(6, 1.31, S2C, A, 6000, 1001, 0, 509));
    tt_feed(o, tt_seg(7, 1.61, S2C, A, 6000, 1001, 0, 509)); /* 300 ms, not 600 */
    assert_int_equal(tt_count(o, TR_RULE_WIN_PROBE_EARLY), 0);
    assert_int_equal(tt_frame(o, TR_RULE_WIN_PROBE_NO_BACKOFF), 7);
    tr_obs_free(o);
}

static void test_backed_off_zero_window_probes_are_fine(void **state)
{
    (void)state;
    struct tr_obs *o = tt_zero_window();
    tt_feed(o, tt_seg(6, 1.31, S2C, A, 6000, 1001, 0, 509));
    tt_feed(o, tt_seg(7, 1.91, S2C, A, 6000, 1001, 0, 509));
    tt_feed(o, tt_seg(8, 3.11, S2C, A, 6000, 1001, 0, 509));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.window_probes, 3);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_right_edge_moving_left_is_a_shrunk_window(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, A, 1001, 5001, 0, 50)); /* 50 << 7: 6400 bytes less */
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SHRUNK), 4);
    assert_int_equal(tt_finding(o, TR_RULE_WIN_SHRUNK)->arg[2], (502 - 50) * 128);
    tr_obs_free(o);
}

/* The server's SYN-ACK sent again after the connection moved on (Linux's
 * late answer to a re-sent SYN; seed 5813, frame 233324 of a benchmark
 * capture): the handshake's ACK and its unscaled window (RFC 7323 §2.2),
 * 1001 + 65160, left of the 1101 + 600 x 128 the server had advertised. An
 * old statement repeated, not a shrink; and the handshake's client side
 * stays SYN-ACK (10 ms) to ACK (20 ms), not that late SYN-ACK to the ACK. */
static void test_syn_ack_sent_again_late_is_no_shrink(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 0.021, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.0211, S2C, A, 5001, 1101, 0, 600));
    tt_feed(o, tt_seg(6, 0.0212, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.retx_segs, 1);
    assert_int_equal(tt_count(o, TR_RULE_WIN_SHRUNK), 0);
    assert_int_equal(tt_count(o, TR_RULE_ACK_BACKWARDS), 0);
    assert_int_equal(tr_hs_client_side(c), 10000000);
    tr_obs_free(o);
}

/* Client ACKs of 5001, windows 502, 504, 510 (IPv4 IDs 100, 101, 103), then
 * one with window 505 and ID `last_id`. */
static struct tr_obs *tt_acks_then(uint16_t last_id)
{
    struct tr_obs *o = tt_hs("linux", 0, 0);
    const uint16_t id[4] = {100, 101, 103, last_id}, win[4] = {502, 504, 510, 505};
    for (int k = 0; k < 4; k++) {
        struct tr_seg a = tt_seg(4 + (uint64_t)k, 1.0 + k * 0.001, C2S, A, 1001, 5001, 0, win[k]);
        a.ip_id = id[k];
        tt_feed(o, a);
    }
    tr_obs_finish(o);
    return o;
}

/* RFC 9293 §3.8.6 SHLD-14 is about the order the receiver sent its windows
 * in: the ACK with ID 102 was sent before the one with ID 103 and captured
 * after it, so its smaller window is an older statement, not a shrink. */
static void test_older_window_captured_late_is_no_shrink(void **state)
{
    (void)state;
    struct tr_obs *o = tt_acks_then(102);
    assert_int_equal(tt_count(o, TR_RULE_WIN_SHRUNK), 0);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), 7);
    tr_obs_free(o);
    o = tt_acks_then(104); /* sent after: 5 x 128 bytes less, a shrink */
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SHRUNK), 7);
    assert_int_equal(tt_finding(o, TR_RULE_WIN_SHRUNK)->arg[2], 5 * 128);
    assert_int_equal(tt_count(o, TR_RULE_CAP_REORDERED), 0);
    tr_obs_free(o);
}

/* The same by timestamps (RFC 7323 §5.4: TSvals never decrease). */
static void test_older_tsval_window_captured_late_is_no_shrink(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 1);
    struct tr_seg a = tt_seg(4, 1.0, C2S, A, 1001, 5001, 0, 510);
    tt_ts(&a, 2000, 0);
    struct tr_seg b = tt_seg(5, 1.001, C2S, A, 1001, 5001, 0, 505);
    tt_ts(&b, 1999, 0);
    tt_feed(o, a);
    tt_feed(o, b);
    tr_obs_finish(o);
    assert_int_equal(tt_count(o, TR_RULE_WIN_SHRUNK), 0);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), 5);
    tr_obs_free(o);
}

/* A data segment sent before the latest one and captured after it (the
 * hole it fills shows it, its older TSval says it was no retransmission)
 * carries an older window too. */
static void test_window_of_a_late_data_segment_is_no_shrink(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 1);
    const uint32_t seq[3] = {5001, 7001, 6001}, tsv[3] = {100, 101, 100};
    const uint16_t win[3] = {509, 515, 510};
    for (int k = 0; k < 3; k++) {
        struct tr_seg d = tt_seg(4 + (uint64_t)k, 1.0 + k * 0.0001, S2C, A, seq[k], 1001, 1000, win[k]);
        tt_ts(&d, tsv[k], 0);
        tt_feed(o, d);
    }
    tr_obs_finish(o);
    assert_int_equal(tt_count(o, TR_RULE_WIN_SHRUNK), 0);
    assert_int_equal(tr_obs_conn(o, 0)->ep[1].st.ooo_segs, 1);
    tr_obs_free(o);
}

static void test_closing_the_window_under_memory_pressure_passes_linux(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, A, 1001, 5001, 0, 0));
    assert_int_equal(tt_count(o, TR_RULE_WIN_SHRUNK), 0);
    tr_obs_free(o);
}

static void test_small_window_opened_is_receiver_sws(void **state)
{
    (void)state;
    struct tr_obs *o = tt_zero_window();
    tt_feed(o, tt_seg(6, 1.5, C2S, A, 1001, 6001, 0, 4)); /* 512 bytes < the 1460 MSS */
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SWS_RECEIVER), 6);
    tr_obs_free(o);
}

static void test_small_segment_then_more_data_is_sender_sws(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, A, 5001, 1001, 100, 509));   /* no PSH, room for more */
    tt_feed(o, tt_seg(5, 1.0001, S2C, PA, 5101, 1001, 1460, 509));
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SWS_SENDER), 4);
    tr_obs_free(o);
}

/* RFC 9293 §3.7.1: the client announced MSS 536 (a socket with TCP_MAXSEG
 * 536), the server 1460; the client's full segment is 536 bytes, not 1460. */
static void test_full_segment_is_the_smaller_of_the_two_mss(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake_with(o, 0, 536, 502);
    tt_feed(o, tt_seg(4, 0.021, S2C, A, 5001, 1001, 0, 509));
    tt_feed(o, tt_seg(5, 1.0, C2S, A, 1001, 5001, 536, 502));
    tt_feed(o, tt_seg(6, 1.0001, C2S, A, 1537, 5001, 536, 502));
    tt_feed(o, tt_seg(7, 1.0002, C2S, PA, 2073, 5001, 100, 502));
    assert_int_equal(tt_count(o, TR_RULE_WIN_SWS_SENDER), 0);
    tt_feed(o, tt_seg(8, 1.1, C2S, A, 2173, 5001, 300, 502)); /* 300 < 536: silly */
    tt_feed(o, tt_seg(9, 1.1001, C2S, PA, 2473, 5001, 536, 502));
    assert_int_equal(tt_count(o, TR_RULE_WIN_SWS_SENDER), 1);
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SWS_SENDER), 8);
    assert_int_equal(tt_finding(o, TR_RULE_WIN_SWS_SENDER)->arg[1], 536);
    tr_obs_free(o);
}

/* The server's full segment is 1460 less its options: 1448 while its
 * segments carry a SACK block (12 bytes), 1460 after. A stack that cut its
 * queued data at 1448 keeps sending 1448-byte segments, and leaves one
 * short remainder where that data ends (Linux keeps the GSO size per
 * buffer); a second short segment in a row is silly again. */
static void test_segment_size_following_sack_blocks_is_not_sender_sws(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 0.5, C2S, PA, 1101, 5001, 100, 502)); /* 1001-1101 lost upstream */
    struct tr_seg d = tt_seg(5, 1.0, S2C, A, 5001, 1001, 1448, 509);
    d.opt.nsack = 1;
    d.opt.sack[0] = (struct tr_sack_block){1101, 1201};
    d.tcp_hlen = 32; /* NOP NOP SACK(10) */
    d.wire_len += 12;
    tt_feed(o, d);
    tt_feed(o, tt_seg(6, 1.001, C2S, PA, 1001, 5001, 100, 502)); /* the hole filled */
    tt_feed(o, tt_seg(7, 1.002, S2C, A, 6449, 1201, 1448, 509)); /* no option: room for 1460 */
    tt_feed(o, tt_seg(8, 1.0021, S2C, A, 7897, 1201, 1448, 509));
    tt_feed(o, tt_seg(9, 1.0022, S2C, A, 9345, 1201, 500, 509));  /* the remainder */
    tt_feed(o, tt_seg(10, 1.0023, S2C, A, 9845, 1201, 300, 509)); /* small again */
    tt_feed(o, tt_seg(11, 1.0024, S2C, PA, 10145, 1201, 1448, 509));
    assert_int_equal(tt_count(o, TR_RULE_WIN_SWS_SENDER), 1);
    assert_int_equal(tt_frame(o, TR_RULE_WIN_SWS_SENDER), 10);
    assert_int_equal(tt_finding(o, TR_RULE_WIN_SWS_SENDER)->arg[1], 1448);
    tr_obs_free(o);
}

/* ---- acknowledgments ---- */

static void test_ack_held_over_half_a_second_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 100, 509));
    tt_feed(o, tt_seg(5, 1.7, C2S, A, 1001, 5101, 0, 502)); /* 700 - 10 ms held */
    assert_int_equal(tt_frame(o, TR_RULE_ACK_DELAY_TOO_LONG), 5);
    tr_obs_free(o);
}

static void tt_four_full_then_one_ack(struct tr_obs *o)
{
    for (int i = 0; i < 4; i++)
        tt_feed(o, tt_seg(4 + (uint64_t)i, 1.0 + i * 0.0001, S2C, A, 5001 + 1460u * (uint32_t)i, 1001, 1460, 509));
    tt_feed(o, tt_seg(8, 1.001, C2S, A, 1001, 5001 + 4 * 1460, 0, 502));
}

static void test_one_ack_for_four_full_segments_fails_rfc(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("rfc", 0, 0);
    tt_four_full_then_one_ack(o);
    assert_int_equal(tt_frame(o, TR_RULE_ACK_NOT_EVERY_SECOND), 8);
    tr_obs_free(o);
}

static void test_stretch_acks_are_counted_under_linux(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_four_full_then_one_ack(o);
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[0].st.stretch_acks, 1);
    assert_int_equal(tt_count(o, TR_RULE_ACK_NOT_EVERY_SECOND), 0);
    tr_obs_free(o);
}

static void test_dsack_block_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 100, 509));
    struct tr_seg a = tt_seg(5, 1.02, C2S, A, 1001, 5101, 0, 502);
    a.opt.nsack = 1;
    a.opt.sack[0] = (struct tr_sack_block){5001, 5101}; /* below the ACK: received twice */
    tt_feed(o, a);
    assert_int_equal(tt_frame(o, TR_RULE_RETX_DSACK), 5);
    tr_obs_free(o);
}

static void test_ack_filling_a_hole_is_not_a_stretch_ack(void **state)
{
    (void)state;
    /* The first of four full segments is lost after the capture; the
     * receiver answers the other three at once with duplicate ACKs
     * (RFC 5681 §4.2), and the ACK after the retransmission covers all
     * four: a hole fill, not an ACK withheld past the second segment. */
    struct tr_obs *o = tt_hs("rfc", 0, 0);
    for (int i = 0; i < 4; i++)
        tt_feed(o, tt_seg(4 + (uint64_t)i, 1.0 + i * 0.0001, S2C, A, 5001 + 1460u * (uint32_t)i, 1001, 1460, 509));
    for (int i = 0; i < 3; i++)
        tt_feed(o, tt_seg(8 + (uint64_t)i, 1.02 + i * 0.0001, C2S, A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(11, 1.021, S2C, A, 5001, 1001, 1460, 509));
    tt_feed(o, tt_seg(12, 1.041, C2S, A, 1001, 5001 + 4 * 1460, 0, 502));
    assert_int_equal(tt_count(o, TR_RULE_ACK_NOT_EVERY_SECOND), 0);
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_FAST], 1);
    tr_obs_free(o);
}

static void test_head_resent_long_after_sack_information_is_a_timeout(void **state)
{
    (void)state;
    /* SACK blocks with a growing window (Linux): not RFC 5681 duplicate
     * ACKs, but loss evidence (RFC 6675). The sender did not act on them;
     * its timer re-sent the head 480 ms later: a timeout, not recovery. */
    struct tr_obs *o = tt_hs("linux", 1, 0);
    for (int i = 0; i < 4; i++)
        tt_feed(o, tt_seg(4 + (uint64_t)i, 1.0, S2C, PA, 5001 + 1000u * (uint32_t)i, 1001, 1000, 509));
    for (int i = 0; i < 3; i++) {
        struct tr_seg a = tt_seg(8 + (uint64_t)i, 1.02 + i * 0.001, C2S, A, 1001, 5001, 0, 502 + (uint16_t)i);
        a.opt.nsack = 1;
        a.opt.sack[0] = (struct tr_sack_block){6001, 7001 + 1000u * (uint32_t)i};
        tt_feed(o, a);
    }
    tt_feed(o, tt_seg(11, 1.50, S2C, PA, 5001, 1001, 1000, 509));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_SACK_RECOVERY], 0);
    assert_int_equal(c->ep[1].st.rtx[TR_RTX_RTO], 1);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TIMEOUT), 11);
    tr_obs_free(o);
}

static void test_repeated_one_octet_window_probe_is_a_probe(void **state)
{
    (void)state;
    /* RFC 9293 §3.8.6.1 (BSD, Windows): the probe carries the next new
     * octet; while the window stays closed the same octet goes again. */
    struct tr_obs *o = tt_hs("linux", 0, 0);
    tt_feed(o, tt_seg(4, 1.0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 1.01, C2S, A, 1001, 6001, 0, 0));      /* zero window */
    tt_feed(o, tt_seg(6, 1.25, S2C, PA, 6001, 1001, 1, 509));   /* probe */
    tt_feed(o, tt_seg(7, 1.26, C2S, A, 1001, 6001, 0, 0));      /* still closed */
    tt_feed(o, tt_seg(8, 1.75, S2C, PA, 6001, 1001, 1, 509));   /* the same probe */
    tt_feed(o, tt_seg(9, 1.76, C2S, A, 1001, 6001, 0, 0));
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.window_probes, 2);
    assert_int_equal(c->ep[1].st.retx_segs, 0);
    assert_int_equal(tt_count(o, TR_RULE_SEQ_OUTSIDE_WINDOW), 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TIMEOUT), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_copy_of_a_packet_is_a_duplicate_not_a_retransmission(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    struct tr_seg d = tt_seg(4, 1.0, S2C, PA, 5001, 1001, 100, 509);
    d.ip_id = 0x1234;
    tt_feed(o, d);
    d.frame = 5;
    d.ts_ns += 300000; /* seen again 0.3 ms later, same IP ID */
    tt_feed(o, d);
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_DUPLICATE), 5);
    assert_int_equal(c->ep[1].st.retx_segs, 0);
    assert_int_equal(c->ep[1].st.duplicates, 1);
    tr_obs_free(o);
}

static void test_resend_with_a_new_ip_id_is_a_retransmission(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 0, 0);
    struct tr_seg d = tt_seg(4, 1.0, S2C, PA, 5001, 1001, 100, 509);
    d.ip_id = 0x1234;
    tt_feed(o, d);
    d.frame = 5;
    d.ts_ns += 300000000;
    d.ip_id = 0x1235;
    tt_feed(o, d);
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.retx_segs, 1);
    assert_int_equal(c->ep[1].st.duplicates, 0);
    tr_obs_free(o);
}

/* ---- the handshake's RTT sample, and silence before it ---- */

/* RFC 9293 §3.8.3 (MUST-23: "The application can close the connection (i.e.,
 * give up on the open attempt) sooner") and §3.10.4 (CLOSE in SYN-SENT
 * deletes the TCB, sending nothing): SYNs that stop, or SYN-ACKs that stop,
 * are no stall, however long the capture goes on. */
static void test_abandoned_connection_attempt_is_not_a_stall(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    for (int k = 0; k < 3; k++) /* a client that gives up after 2.5 s */
        tt_feed(o, tt_seg((uint64_t)k + 1, k, C2S, TR_SYN, 1000, 0, 0, 64240));
    struct tr_seg syn = tt_seg(4, 3.0, C2S, TR_SYN, 2000, 0, 0, 64240);
    syn.sport = 40001;
    struct tr_seg sa1 = tt_seg(5, 3.0001, S2C, TR_SYN | A, 7000, 2001, 0, 65160);
    sa1.dport = 40001;
    struct tr_seg sa2 = sa1;
    sa2.frame = 6;
    sa2.ts_ns += 1000000000; /* the server's timer, then it gives up too */
    tt_feed(o, syn);
    tt_feed(o, sa1);
    tt_feed(o, sa2);
    struct tr_seg late = tt_seg(7, 30.0, C2S, TR_SYN, 3000, 0, 0, 64240);
    late.sport = 40002; /* the capture goes on for 27 s more */
    tt_feed(o, late);
    tr_obs_set_last_ts(o, late.ts_ns); /* as the reader does */
    tr_obs_finish(o);
    assert_int_equal(tr_obs_conn(o, 0)->end, TR_END_NO_ANSWER);
    assert_int_equal(tt_count(o, TR_RULE_RTO_STALL), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* Frames 1-4: the client's SYN (TSval 100) at 0 and again (1100) at 1 s;
 * the server's SYN-ACK echoes the first (TSecr 100) at 1.0001 s; the ACK at
 * 1.0002 s. SACK and timestamps on. */
static void tt_hs_syn_resent(struct tr_obs *o)
{
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 1);
    tt_ts(&syn, 100, 0);
    tt_feed(o, syn);
    syn.frame = 2;
    syn.ts_ns = 1000000000;
    tt_ts(&syn, 1100, 0);
    tt_feed(o, syn);
    struct tr_seg sa = tt_seg(3, 1.0001, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 1);
    tt_ts(&sa, 7000, 100);
    tt_feed(o, sa);
    struct tr_seg s = tt_seg(4, 1.0002, C2S, A, 1001, 5001, 0, 502);
    tt_ts(&s, 1100, 7000);
    tt_feed(o, s);
}

/* RFC 6298 §3 and RFC 7323 §4.1: with timestamps, the SYN-ACK's TSecr names
 * the SYN it answers even after a retransmission. The server received the
 * first SYN and its SYN-ACK was lost; its timer's SYN-ACK (echoing the first
 * SYN, TSval 100) reaches the client 1.0001 s after that SYN, the client
 * ACKs 0.1 ms later at the capture: sample 1.0002 s, and Linux's first-sample
 * RTO = m + max(2m, 200 ms) = 3.0006 s (ss -ti shows the same after such a
 * handshake: rtt 1029 ms, rto 3088 ms). The second request is lost and sent
 * again 2.0 s later (the tail loss probe, 2 SRTT + 200 ms): no stall, which
 * Karn's rule alone (no handshake sample, then a 0.2 ms data sample and an
 * RTO of 200 ms) made of it. */
static void test_retransmitted_syn_is_timed_by_the_echoed_timestamp(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_hs_syn_resent(o);
    const struct tr_conn *c = tr_obs_conn(o, 0);
    struct tr_seg s;
    assert_int_equal(c->ep[0].tcb.rtt.nsamples, 1);
    assert_int_equal(c->ep[0].tcb.rtt.srtt_ns, 1000200000);
    assert_int_equal(c->ep[0].tcb.rtt.rto_ns, 3000600000);
    s = tt_seg(5, 1.001, C2S, PA, 1001, 5001, 100, 502);
    tt_ts(&s, 1101, 7000);
    tt_feed(o, s);
    s = tt_seg(6, 1.0011, S2C, A, 5001, 1101, 0, 509);
    tt_ts(&s, 7001, 1101);
    tt_feed(o, s);
    s = tt_seg(7, 1.002, C2S, PA, 1101, 5001, 100, 502); /* lost beyond the capture */
    tt_ts(&s, 1102, 7001);
    tt_feed(o, s);
    s = tt_seg(8, 3.0, C2S, PA, 1101, 5001, 100, 502);
    tt_ts(&s, 3100, 7001);
    tt_feed(o, s);
    s = tt_seg(9, 3.0001, S2C, A, 5001, 1201, 0, 509);
    tt_ts(&s, 9000, 3100);
    tt_feed(o, s);
    c = tt_c(o);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_TLP], 1);
    assert_int_equal(tt_count(o, TR_RULE_RTO_STALL), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* The rfc profile keeps Karn's rule for the handshake: RFC 6298 §5.7 sets
 * the first data RTO to 3 s after a SYN timeout whatever was measured. */
static void test_rfc_profile_takes_no_sample_from_a_retransmitted_syn(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("rfc");
    tt_hs_syn_resent(o);
    assert_int_equal(tr_obs_conn(o, 0)->ep[0].tcb.rtt.nsamples, 0);
    tr_obs_free(o);
}

/* Three SYNs (TSval 100, 1100, 2100 at 0, 1 and 2 s); the server kept the
 * second, the first having been lost before it, and its SYN-ACK to the third
 * echoes 1100. The capture has no frame with that TSval's send time alone:
 * the client's timestamp clock (1000 ticks between the first and the third,
 * 2 s apart) dates it at 1.0 s, so the sample is 2.0001 - 1.0 + 0.0001 (the
 * client's side) = 1.0002 s. */
static void test_syn_echoed_between_first_and_latest_is_dated_by_its_clock(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 1);
    for (int k = 0; k < 3; k++) {
        syn.frame = 1 + (uint64_t)k;
        syn.ts_ns = k * 1000000000LL;
        tt_ts(&syn, 100 + 1000 * (uint32_t)k, 0);
        tt_feed(o, syn);
    }
    struct tr_seg sa = tt_seg(4, 2.0001, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 1);
    tt_ts(&sa, 7000, 1100);
    tt_feed(o, sa);
    struct tr_seg a = tt_seg(5, 2.0002, C2S, A, 1001, 5001, 0, 502);
    tt_ts(&a, 2100, 7000);
    tt_feed(o, a);
    const struct tr_conn *c = tr_obs_conn(o, 0);
    assert_int_equal(c->ep[0].tcb.rtt.nsamples, 1);
    assert_int_equal(c->ep[0].tcb.rtt.srtt_ns, 1000200000);
    tr_obs_free(o);
}

/* The capture point from a handshake captured next to the server, whose
 * first SYN-ACK (35 us after the SYN) was lost beyond it: the server's side
 * is that answer, not the SYN-ACK its timer sent 1 s later; the client's side
 * is the timer's SYN-ACK to the ACK (139 us). */
static void test_vantage_uses_the_synack_that_answered_the_syn(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 0);
    tt_feed(o, syn);
    struct tr_seg sa = tt_seg(2, 0.000035, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 0);
    tt_feed(o, sa);
    sa.frame = 3;
    sa.ts_ns = 1002800000;
    tt_feed(o, sa);
    tt_feed(o, tt_seg(4, 1.002939, C2S, A, 1001, 5001, 0, 502));
    const struct tr_conn *c = tt_c(o);
    assert_true(c->side_known);
    assert_int_equal(c->side_rtt[1], 35000);
    assert_int_equal(c->side_rtt[0], 139000);
    /* the client's SYN was captured once: SYN to the SYN-ACK it answered,
     * plus its side, 1.002939 s, as Linux measures it */
    assert_int_equal(c->ep[0].rtt_min, 1002939000);
    assert_int_equal(c->ep[1].rtt_n, 0); /* Karn: the SYN-ACK went twice, no timestamps */
    tr_obs_free(o);
}

/* ---- RACK (RFC 8985 §6.2) and reordering shown by the IPv4 identification ---- */

static struct tr_seg tt_ack_sack(uint64_t frame, double t, uint32_t ack, uint32_t left, uint32_t right)
{
    struct tr_seg a = tt_seg(frame, t, S2C, A, 5001, ack, 0, 509);
    if (left != right) {
        a.opt.nsack = 1;
        a.opt.sack[0] = (struct tr_sack_block){left, right};
    }
    return a;
}

/* X, Y lost, Z SACKed; X' and Y' re-sent (SACK recovery up to 1301), new
 * data H and `more` segments after it sent and lost, Y' lost again; the
 * peer acks X', then Y'' (re-sent at 1.0422, after H) and Z: the ACK
 * reaches 1301, the recovery point, and nothing above it is SACKed. H goes
 * again 0.1 ms later. Returns the connection's observer, finished. */
static struct tr_obs *tt_rack_case_above(const char *profile, uint32_t more, bool above);

static struct tr_obs *tt_rack_case(const char *profile, uint32_t more)
{
    return tt_rack_case_above(profile, more, false);
}

/* The same; with `above`, the sender also re-sends the last of the `more`
 * segments, above the ACK to come, just before Y'' (as Linux re-sends in a
 * long RACK recovery: data above the hole first, then the hole). */
static struct tr_obs *tt_rack_case_above(const char *profile, uint32_t more, bool above)
{
    struct tr_obs *o = tt_hs(profile, 1, 0);
    tt_feed(o, tt_seg(4, 1.000, C2S, PA, 1001, 5001, 100, 502)); /* X, lost */
    tt_feed(o, tt_seg(5, 1.001, C2S, PA, 1101, 5001, 100, 502)); /* Y, lost */
    tt_feed(o, tt_seg(6, 1.002, C2S, PA, 1201, 5001, 100, 502)); /* Z */
    tt_feed(o, tt_ack_sack(7, 1.022, 1001, 1201, 1301));
    tt_feed(o, tt_seg(8, 1.0221, C2S, PA, 1001, 5001, 100, 502)); /* X' */
    tt_feed(o, tt_seg(9, 1.0222, C2S, PA, 1101, 5001, 100, 502)); /* Y', lost */
    tt_feed(o, tt_seg(10, 1.0223, C2S, PA, 1301, 5001, 100, 502)); /* H, lost */
    uint64_t f = 11;
    for (uint32_t k = 0; k < more; k++, f++) /* lost */
        tt_feed(o, tt_seg(f, 1.0224 + k * 0.00001, C2S, PA, 1401 + 100 * k, 5001, 100, 502));
    tt_feed(o, tt_ack_sack(f++, 1.0421, 1101, 1201, 1301));
    if (above && more)
        tt_feed(o, tt_seg(f++, 1.04215, C2S, PA, 1401 + 100 * (more - 1), 5001, 100, 502));
    tt_feed(o, tt_seg(f++, 1.0422, C2S, PA, 1101, 5001, 100, 502)); /* Y'' */
    tt_feed(o, tt_ack_sack(f++, 1.0622, 1301, 0, 0));
    tt_feed(o, tt_seg(f, 1.0623, C2S, PA, 1301, 5001, 100, 502)); /* H' */
    tr_obs_finish(o);
    return o;
}

/* H' under linux: RACK (a transmission sent after H's was delivered), not a
 * timeout 0.1 ms after the timer restarted (rto.too-early). Found as false
 * errors in the benchmark's captures of Linux. */
static void test_resend_after_a_later_transmission_was_delivered_is_rack(void **state)
{
    (void)state;
    struct tr_obs *o = tt_rack_case("linux", 1);
    const struct tr_conn *c = tr_obs_conn(o, 0);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_SACK_RECOVERY], 4);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_RTO], 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TOO_EARLY), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* With 36 segments after H the ring (32 entries) merges its oldest: H
 * shares its entry, and its latest time, with Y'', which RACK's dates
 * cannot tell apart. What shows RACK then: the peer has just acknowledged
 * re-sent data (Y'') up to H, and H goes again at once. */
static void test_rack_resend_from_merged_ring_entries(void **state)
{
    (void)state;
    struct tr_obs *o = tt_rack_case("linux", 36);
    assert_int_equal(tr_obs_conn(o, 0)->ep[0].st.rtx[TR_RTX_RTO], 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TOO_EARLY), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* The same with data above the ACK re-sent before Y'': the highest data
 * re-sent lies above the ACK, yet the ACK covers the latest re-send (Y''),
 * which is what shows RACK (found as a false rto.too-early on a fresh
 * benchmark capture: seed 4447, frame 1252081). */
static void test_rack_resend_from_merged_entries_after_data_above_was_resent(void **state)
{
    (void)state;
    struct tr_obs *o = tt_rack_case_above("linux", 36, true);
    assert_int_equal(tr_obs_conn(o, 0)->ep[0].st.rtx[TR_RTX_RTO], 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TOO_EARLY), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* The rfc profile does not assume RACK: the same H' is a timeout 0.1 ms
 * after the timer restarted. */
static void test_rfc_profile_judges_a_rack_resend_as_a_timeout(void **state)
{
    (void)state;
    struct tr_obs *o = tt_rack_case("rfc", 1);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TOO_EARLY), 15);
    tr_obs_free(o);
}

/* A sender whose view of the ACKs lags the capture's. The client is near
 * the capture point (SYN-ACK to ACK 0.1 ms, SYN to SYN-ACK 10 ms): what the
 * capture saw arrive, it received. It sends 1001..1501 in five segments;
 * the server acknowledges 1101, 1201, 1301 at 1.0004-1.0006; the client
 * re-sends 1001..1301 (acknowledged: it had not processed those ACKs, as
 * Linux under load leaves them in the socket's backlog) at 1.0007-1.00072,
 * then 1301, the capture's SND.UNA, at `last`. Found on a benchmark capture
 * of Linux (seed 5813, frame 25122, and seed 9341 twice): such a burst ran
 * on into the capture's SND.UNA 4 us after its last re-send of acknowledged
 * data, judged a timeout 104 us after the timer restarted. */
static struct tr_obs *tt_stale_run(double last)
{
    struct tr_obs *o = tt_hs_ack_at("linux", 1, 0, 0.0101);
    for (uint32_t k = 0; k < 5; k++)
        tt_feed(o, tt_seg(4 + k, 1.0 + k * 0.00005, C2S, PA, 1001 + 100 * k, 5001, 100, 502));
    for (uint32_t k = 0; k < 3; k++)
        tt_feed(o, tt_seg(9 + k, 1.0004 + k * 0.0001, S2C, A, 5001, 1101 + 100 * k, 0, 509));
    for (uint32_t k = 0; k < 3; k++)
        tt_feed(o, tt_seg(12 + k, 1.0007 + k * 0.00001, C2S, PA, 1001 + 100 * k, 5001, 100, 502));
    tt_feed(o, tt_seg(15, last, C2S, PA, 1301, 5001, 100, 502));
    tr_obs_finish(o);
    return o;
}

/* Right after (10 us): loss recovery going on from the sender's older
 * SND.UNA, not its timer. */
static void test_resend_running_on_from_acknowledged_data_is_not_a_timeout(void **state)
{
    (void)state;
    struct tr_obs *o = tt_stale_run(1.00073);
    const struct tr_conn *c = tr_obs_conn(o, 0);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_SPURIOUS], 3);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_SACK_RECOVERY], 1);
    assert_int_equal(c->ep[0].st.rtx[TR_RTX_RTO], 0);
    assert_int_equal(tt_count(o, TR_RULE_RTO_TIMEOUT), 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* 50 ms later, far beyond the 120 us by which the sender was shown to lag
 * (its re-send at 1.00072 against the ACK captured at 1.0006): the timer,
 * 50 ms after the ACK restarted it, too early. */
static void test_resend_long_after_acknowledged_data_is_judged_as_a_timeout(void **state)
{
    (void)state;
    struct tr_obs *o = tt_stale_run(1.05);
    assert_int_equal(tr_obs_conn(o, 0)->ep[0].st.rtx[TR_RTX_RTO], 1);
    assert_int_equal(tt_frame(o, TR_RULE_RTO_TOO_EARLY), 15);
    tr_obs_free(o);
}

/* Pure ACKs of a sender that numbers its packets in sequence: one numbered
 * below an ACK captured before it was sent before that one. Its lower ACK
 * is the capture's reordering (capture.reordered, by IP ID), not an ACK
 * moving backwards; the same ACK with a higher number is. */
/* The server's first numbered packets: an ACK of 1201 (ID 0x625e), then
 * one of 1101 numbered 0x625d, sent before it (Linux numbers a
 * connection's packets in sequence; the SYN-ACK carried ID 0). One ID is no
 * sequence yet, but one just below it is evidence enough against
 * ack.backwards; one far from it is not. */
static void test_ack_just_below_the_first_id_is_no_step_back(void **state)
{
    (void)state;
    for (int near = 0; near < 2; near++) {
        struct tr_obs *o = tt_hs("linux", 1, 0);
        tt_feed(o, tt_seg(4, 1.0, C2S, A, 1001, 5001, 100, 502));
        tt_feed(o, tt_seg(5, 1.0001, C2S, PA, 1101, 5001, 100, 502));
        struct tr_seg a = tt_seg(6, 1.01, S2C, A, 5001, 1201, 0, 509);
        a.ip_id = 0x625e;
        tt_feed(o, a);
        a = tt_seg(7, 1.0101, S2C, A, 5001, 1101, 0, 509);
        a.ip_id = near ? 0x625d : 0x1000;
        tt_feed(o, a);
        assert_int_equal(tt_count(o, TR_RULE_ACK_BACKWARDS), near ? 0 : 1);
        assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), near ? 7 : 0);
        tr_obs_free(o);
    }
}

static void test_lower_ip_id_shows_an_old_ack_captured_late(void **state)
{
    (void)state;
    for (int late = 0; late < 2; late++) {
        struct tr_obs *o = tt_hs("linux", 1, 0);
        for (int i = 0; i < 4; i++)
            tt_feed(o, tt_seg(4 + (uint64_t)i, 1.0 + i * 0.0001, C2S, PA, 1001 + 100u * (uint32_t)i, 5001, 100, 502));
        static const uint32_t ack[4] = {1101, 1201, 1401, 1301};
        /* near the top of the 16-bit range: the first number is not taken
         * for an earlier one than "none" */
        static const uint16_t id[2][4] = {{0xfdf0, 0xfdf1, 0xfdf3, 0xfdf4}, {0xfdf0, 0xfdf1, 0xfdf3, 0xfdf2}};
        for (int i = 0; i < 4; i++) {
            struct tr_seg a = tt_seg(8 + (uint64_t)i, 1.01 + i * 0.0001, S2C, A, 5001, ack[i], 0, 509);
            a.ip_id = id[late][i];
            tt_feed(o, a);
        }
        if (late) {
            assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), 11);
            assert_int_equal(tt_count(o, TR_RULE_ACK_BACKWARDS), 0);
            const struct tr_finding *f = tt_finding(o, TR_RULE_CAP_REORDERED);
            assert_int_equal(f->arg[0], 0xfdf3);
            assert_int_equal(f->arg[1], 0xfdf2);
            assert_int_equal(f->arg[2], 1); /* by IP ID */
        } else {
            assert_int_equal(tt_frame(o, TR_RULE_ACK_BACKWARDS), 11);
            assert_int_equal(tt_count(o, TR_RULE_CAP_REORDERED), 0);
        }
        tr_obs_free(o);
    }
}

/* The server's FIN (IP ID 0x76a) is captured after its ACK of the client's
 * FIN (0x76b), which already counts the FIN: the FIN fills the hole that
 * ACK showed, sent before it (as captured of Linux in the benchmark), not a
 * FIN moved. */
static void test_fin_captured_after_a_later_ack_fills_the_hole(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    struct tr_seg s = tt_seg(4, 1.0, S2C, PA, 5001, 1001, 100, 509);
    s.ip_id = 0x768;
    tt_feed(o, s);
    s = tt_seg(5, 1.0001, S2C, PA, 5101, 1001, 100, 509);
    s.ip_id = 0x769;
    tt_feed(o, s);
    tt_feed(o, tt_seg(6, 1.01, C2S, A | TR_FIN, 1001, 5201, 0, 502));
    s = tt_seg(7, 1.0101, S2C, A, 5202, 1002, 0, 509); /* ACK after the FIN */
    s.ip_id = 0x76b;
    tt_feed(o, s);
    /* 30 ms late, more than the 20 ms round trip: only its number shows
     * it was not re-sent */
    s = tt_seg(8, 1.0401, S2C, A | TR_FIN, 5201, 1002, 0, 509); /* the FIN, sent before */
    s.ip_id = 0x76a;
    tt_feed(o, s);
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(tt_count(o, TR_RULE_SEQ_FIN_MOVED), 0);
    assert_int_equal(c->ep[1].st.ooo_segs, 1);
    assert_int_equal(c->ep[1].st.retx_segs, 0);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* Data numbered below a packet of its sender captured before it: the
 * original, delayed on the way to the capture, not a re-send (which would
 * take a new identification). The server's packets 0x300-0x304: 0x301
 * (5101) is delayed; 0x302 shows the hole, 0x304 re-sends 5101 (a
 * retransmission: numbered above the packet that showed the hole), and the
 * late original 0x301 comes last: out of order, no second retransmission. */
static void test_data_numbered_below_its_senders_latest_is_not_a_resend(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    static const uint32_t seq[5] = {5001, 5201, 5301, 5101, 5101};
    static const uint16_t id[5] = {0x300, 0x302, 0x303, 0x304, 0x301};
    for (int i = 0; i < 5; i++) {
        struct tr_seg s = tt_seg(4 + (uint64_t)i, 1.0 + i * 0.0001, S2C, A, seq[i], 1001, 100, 509);
        s.ip_id = id[i];
        tt_feed(o, s);
    }
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.retx_segs, 1);
    assert_int_equal(c->ep[1].st.ooo_segs, 1);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), 8);
    tr_obs_free(o);
}

/* A jump forward in the numbering (here 125: packets not captured yet)
 * does not end the sequence: the late packet 0x303, captured 30 ms after
 * 0x380 (longer than the round trip, so its timing alone would make it a
 * retransmission), was sent before it and fills the hole out of order. */
static void test_numbering_goes_on_across_packets_not_captured(void **state)
{
    (void)state;
    struct tr_obs *o = tt_hs("linux", 1, 0);
    static const uint32_t seq[5] = {5001, 5101, 5201, 5401, 5301};
    static const uint16_t id[5] = {0x300, 0x301, 0x302, 0x380, 0x303};
    static const double t[5] = {1.0, 1.0001, 1.0002, 1.0003, 1.0303};
    for (int i = 0; i < 5; i++) {
        struct tr_seg s = tt_seg(4 + (uint64_t)i, t[i], S2C, A, seq[i], 1001, 100, 509);
        s.ip_id = id[i];
        tt_feed(o, s);
    }
    const struct tr_conn *c = tt_c(o);
    assert_int_equal(c->ep[1].st.retx_segs, 0);
    assert_int_equal(c->ep[1].st.ooo_segs, 1);
    tr_obs_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_after_the_rto_is_within_bounds),
        cmocka_unit_test(test_timeout_before_the_rto_is_too_early),
        cmocka_unit_test(test_tail_loss_probe_is_not_an_early_timeout_under_linux),
        cmocka_unit_test(test_rfc_profile_judges_the_probe_as_an_early_timeout),
        cmocka_unit_test(test_rfc_profile_warns_below_one_second),
        cmocka_unit_test(test_consecutive_timeouts_without_backoff_are_reported),
        cmocka_unit_test(test_doubling_timeouts_are_within_bounds),
        cmocka_unit_test(test_syn_retransmitted_before_one_second_is_reported),
        cmocka_unit_test(test_linear_syn_retries_pass_the_linux_profile),
        cmocka_unit_test(test_linear_syn_retries_fail_the_rfc_profile),
        cmocka_unit_test(test_first_data_timeout_after_a_syn_timeout_is_three_seconds),
        cmocka_unit_test(test_late_retransmission_after_a_stall_is_reported),
        cmocka_unit_test(test_ack_after_a_stall_without_retransmission_is_a_capture_gap),
        cmocka_unit_test(test_first_rto_may_come_from_the_destination_cache),
        cmocka_unit_test(test_fast_retransmit_follows_duplicate_acks),
        cmocka_unit_test(test_resend_long_after_duplicate_acks_is_a_timeout),
        cmocka_unit_test(test_ack_below_the_probe_does_not_end_the_probe_episode),
        cmocka_unit_test(test_rto_unknown_once_without_handshake),
        cmocka_unit_test(test_late_timer_is_not_a_timer_left_backed_off),
        cmocka_unit_test(test_timer_left_backed_off_is_reported),
        cmocka_unit_test(test_late_timer_that_never_backed_off_is_not_reported),
        cmocka_unit_test(test_zero_window_episode_is_reported_with_its_length),
        cmocka_unit_test(test_zero_window_probe_before_the_rto_is_early),
        cmocka_unit_test(test_zero_window_probes_without_backoff_are_reported),
        cmocka_unit_test(test_backed_off_zero_window_probes_are_fine),
        cmocka_unit_test(test_right_edge_moving_left_is_a_shrunk_window),
        cmocka_unit_test(test_older_window_captured_late_is_no_shrink),
    cmocka_unit_test(test_older_tsval_window_captured_late_is_no_shrink),
    cmocka_unit_test(test_window_of_a_late_data_segment_is_no_shrink),
    cmocka_unit_test(test_closing_the_window_under_memory_pressure_passes_linux),
        cmocka_unit_test(test_small_window_opened_is_receiver_sws),
        cmocka_unit_test(test_small_segment_then_more_data_is_sender_sws),
    cmocka_unit_test(test_full_segment_is_the_smaller_of_the_two_mss),
    cmocka_unit_test(test_segment_size_following_sack_blocks_is_not_sender_sws),
        cmocka_unit_test(test_ack_held_over_half_a_second_is_reported),
        cmocka_unit_test(test_one_ack_for_four_full_segments_fails_rfc),
        cmocka_unit_test(test_stretch_acks_are_counted_under_linux),
        cmocka_unit_test(test_dsack_block_is_reported),
        cmocka_unit_test(test_ack_filling_a_hole_is_not_a_stretch_ack),
        cmocka_unit_test(test_head_resent_long_after_sack_information_is_a_timeout),
        cmocka_unit_test(test_repeated_one_octet_window_probe_is_a_probe),
        cmocka_unit_test(test_copy_of_a_packet_is_a_duplicate_not_a_retransmission),
        cmocka_unit_test(test_resend_with_a_new_ip_id_is_a_retransmission),
        cmocka_unit_test(test_abandoned_connection_attempt_is_not_a_stall),
        cmocka_unit_test(test_retransmitted_syn_is_timed_by_the_echoed_timestamp),
        cmocka_unit_test(test_rfc_profile_takes_no_sample_from_a_retransmitted_syn),
        cmocka_unit_test(test_syn_echoed_between_first_and_latest_is_dated_by_its_clock),
    cmocka_unit_test(test_vantage_uses_the_synack_that_answered_the_syn),
        cmocka_unit_test(test_resend_after_a_later_transmission_was_delivered_is_rack),
        cmocka_unit_test(test_rack_resend_from_merged_ring_entries),
        cmocka_unit_test(test_rack_resend_from_merged_entries_after_data_above_was_resent),
        cmocka_unit_test(test_rfc_profile_judges_a_rack_resend_as_a_timeout),
        cmocka_unit_test(test_resend_running_on_from_acknowledged_data_is_not_a_timeout),
        cmocka_unit_test(test_resend_long_after_acknowledged_data_is_judged_as_a_timeout),
        cmocka_unit_test(test_syn_ack_sent_again_late_is_no_shrink),
        cmocka_unit_test(test_synack_timer_crossing_a_resent_syn_is_no_early_timeout),
        cmocka_unit_test(test_lower_ip_id_shows_an_old_ack_captured_late),
        cmocka_unit_test(test_ack_just_below_the_first_id_is_no_step_back),
        cmocka_unit_test(test_fin_captured_after_a_later_ack_fills_the_hole),
        cmocka_unit_test(test_data_numbered_below_its_senders_latest_is_not_a_resend),
        cmocka_unit_test(test_numbering_goes_on_across_packets_not_captured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
