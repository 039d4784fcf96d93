/*
 * Congestion control: RFC 5681 (initial window, slow start, congestion
 * avoidance, fast retransmit / fast recovery, the loss window after a
 * timeout, the restart window after idle) with the NewReno modification of
 * fast recovery (RFC 6582), so that partial ACKs repair several losses of
 * one window without a timeout. SMSS is tr__ep_smss(): the peer's MSS less
 * the timestamp option.
 */
#include "stack/endpoint_int.h"
#include "stack/seq.h"

#define TR__CWND_MAX (1u << 30)
#define TR__SSTHRESH_INIT 0x7fffffffu /* RFC 5681 §3.1: "arbitrarily high" */

static uint32_t tr__max32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t tr__min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static uint32_t tr__flight(const struct tr_endpoint *e)
{
    return e->tcb.snd_nxt - e->tcb.snd_una;
}

/* RFC 5681 §3.1: "If SMSS > 2190 bytes: IW = 2 * SMSS bytes ...; If (SMSS >
 * 1095 bytes) and (SMSS <= 2190 bytes): IW = 3 * SMSS bytes ...; if SMSS <=
 * 1095 bytes: IW = 4 * SMSS bytes"; and "if the SYN or SYN/ACK is lost, the
 * initial window used by a sender after a correctly transmitted SYN MUST be
 * one segment consisting of at most SMSS bytes". */
static uint32_t tr__iw(const struct tr_endpoint *e)
{
    uint32_t smss = tr__ep_smss(e);
    if (tr_tcb_has(&e->tcb, TR_TCB_SYN_TIMEDOUT))
        return smss;
    return smss > 2190 ? 2 * smss : smss > 1095 ? 3 * smss : 4 * smss;
}

void tr__ep_cc_init(struct tr_endpoint *e)
{
    e->cwnd = tr__iw(e);
    e->ssthresh = TR__SSTHRESH_INIT;
    e->recover = e->tcb.iss; /* RFC 6582 §3.2 step 1 */
    e->dupacks = 0;
    e->in_recovery = false;
}

/* RFC 6582 §3.2 step 5, in fast recovery. "Full acknowledgment: ... Set
 * cwnd to either (1) min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2)
 * ssthresh ... Exit the fast recovery procedure." "Partial acknowledgment:
 * ... retransmit the first unacknowledged segment ... deflate the
 * congestion window by the amount of new data acknowledged ... then add
 * back SMSS bytes to the congestion window". */
static void tr__cc_recovery_ack(struct tr_endpoint *e, uint32_t acked)
{
    uint32_t smss = tr__ep_smss(e);
    if (tr_seq_ge(e->tcb.snd_una, e->recover)) {
        e->cwnd = tr__min32(e->ssthresh, tr__max32(tr__flight(e), smss) + smss);
        e->in_recovery = false;
        e->dupacks = 0;
        return;
    }
    e->out |= TR__OUT_HEAD;
    e->cwnd = e->cwnd > acked ? e->cwnd - acked : 0;
    if (acked >= smss)
        e->cwnd += smss;
    e->cwnd = tr__max32(e->cwnd, smss);
}

/* RFC 5681 §3.1: slow start, "cwnd += min (N, SMSS)" (2); congestion
 * avoidance, "cwnd += SMSS*SMSS/cwnd" (3), at least one byte. */
void tr__ep_cc_ack(struct tr_endpoint *e, uint32_t acked, int64_t now)
{
    (void)now;
    if (e->in_recovery) {
        tr__cc_recovery_ack(e, acked);
        return;
    }
    e->dupacks = 0;
    uint32_t smss = tr__ep_smss(e);
    if (e->cwnd < e->ssthresh)
        e->cwnd += tr__min32(acked, smss);
    else
        e->cwnd += tr__max32(1, (uint32_t)((uint64_t)smss * smss / e->cwnd));
    e->cwnd = tr__min32(e->cwnd, TR__CWND_MAX);
}

/*
 * RFC 5681 §3.2: "2. When the third duplicate ACK is received, a TCP MUST
 * set ssthresh to no more than the value given in equation (4) ... 3. The
 * lost segment starting at SND.UNA MUST be retransmitted and cwnd set to
 * ssthresh plus 3*SMSS ... 4. For each additional duplicate ACK received
 * (after the third), cwnd MUST be incremented by SMSS." RFC 6582 §3.2 step
 * 2: only when "the Cumulative Acknowledgment field ... covers more than
 * recover" (kept here as one past the highest octet sent when the last
 * recovery or timeout began: the ACK must be beyond it), so that duplicate
 * ACKs caused by data sent before a timeout do not re-send it once more.
 */
bool tr__ep_cc_dupack(struct tr_endpoint *e)
{
    uint32_t smss = tr__ep_smss(e);
    if (e->in_recovery) {
        e->cwnd = tr__min32(e->cwnd + smss, TR__CWND_MAX);
        return false;
    }
    if (++e->dupacks != 3 || !tr_seq_gt(e->tcb.snd_una, e->recover))
        return false;
    e->ssthresh = tr__max32(tr__flight(e) / 2, 2 * smss); /* (4) */
    e->recover = e->tcb.snd_nxt;
    e->in_recovery = true;
    e->cwnd = e->ssthresh + 3 * smss;
    return true;
}

/* RFC 5681 §3.1: "When a TCP sender detects segment loss using the
 * retransmission timer and the given segment has not yet been resent by
 * way of the retransmission timer, the value of ssthresh MUST be set to no
 * more than the value given in equation (4) ... Furthermore, upon a timeout
 * cwnd MUST be set to no more than the loss window, LW, which equals 1 full-
 * sized segment". RFC 6582 §3.2 step 4: recover <- the highest octet sent. */
void tr__ep_cc_timeout(struct tr_endpoint *e)
{
    uint32_t smss = tr__ep_smss(e);
    if (e->ntimeouts == 0)
        e->ssthresh = tr__max32(tr__flight(e) / 2, 2 * smss);
    e->cwnd = smss;
    e->in_recovery = false;
    e->dupacks = 0;
    e->recover = e->tcb.snd_nxt;
}

/* RFC 5681 §4.1: "a TCP SHOULD set cwnd to no more than RW before beginning
 * transmission if the TCP has not sent data in an interval exceeding the
 * retransmission timeout", RW = min(IW, cwnd). */
void tr__ep_cc_idle(struct tr_endpoint *e, int64_t now)
{
    if (e->tcb.snd_una != e->tcb.snd_nxt || !e->last_send)
        return;
    if (now - e->last_send > e->tcb.rtt.rto_ns)
        e->cwnd = tr__min32(e->cwnd, tr__iw(e));
}
