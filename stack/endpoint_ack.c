/*
 * The ACK field of an arriving segment (RFC 9293 §3.10.7.4 "fifth, check
 * the ACK field"): SND.UNA, the send window, duplicate ACKs (RFC 5681 §2),
 * RTT samples (RFC 6298 §3 with Karn's algorithm; RFC 7323 §4.1 with
 * timestamps), the retransmission timer (RFC 6298 §5.1-5.3) and the persist
 * timer (RFC 9293 §3.8.6.1).
 */
#include "stack/endpoint_int.h"
#include "stack/seq.h"

/* ---- the record of transmissions ---- */

static struct tr__tx *tr__tx_at(struct tr_endpoint *e, uint32_t k)
{
    return &e->tx[(e->tx_head + k) % TR__TX_MAX];
}

/* Full: the two oldest become one, which no longer gives a sample. */
static void tr__tx_merge_oldest(struct tr_endpoint *e)
{
    struct tr__tx *a = tr__tx_at(e, 0), *b = tr__tx_at(e, 1);
    b->seq = a->seq;
    b->t_first = a->t_first;
    b->ntx = UINT8_MAX;
    e->tx_head = (e->tx_head + 1) % TR__TX_MAX;
    e->tx_count--;
}

static void tr__tx_push(struct tr_endpoint *e, uint32_t seq, uint32_t end, int64_t now)
{
    if (e->tx_count == TR__TX_MAX)
        tr__tx_merge_oldest(e);
    *tr__tx_at(e, e->tx_count) = (struct tr__tx){.seq = seq, .end = end, .t_first = now, .ntx = 1};
    e->tx_count++;
}

/* A re-send of [seq, end): Karn's algorithm forgets the samples it spans. */
static void tr__tx_resent(struct tr_endpoint *e, uint32_t seq, uint32_t end)
{
    for (uint32_t k = 0; k < e->tx_count; k++) {
        struct tr__tx *x = tr__tx_at(e, k);
        if (tr_seq_lt(x->seq, end) && tr_seq_gt(x->end, seq) && x->ntx < UINT8_MAX)
            x->ntx++;
    }
}

void tr__ep_sent(struct tr_endpoint *e, uint32_t seq, uint32_t end, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    if (seq == end)
        return;
    if (tr_seq_lt(seq, t->snd_nxt)) {
        uint32_t old_end = tr_seq_min(end, t->snd_nxt);
        tr__tx_resent(e, seq, old_end);
        e->st.retransmits++;
        seq = old_end;
    }
    if (tr_seq_gt(end, seq)) {
        tr__tx_push(e, seq, end, now);
        t->snd_nxt = t->snd_max = end;
    }
    e->last_send = now;
}

/* RFC 6298 §3: "RTT samples MUST NOT be made using segments that were
 * retransmitted". The sample is the oldest transmission the ACK completes,
 * when none of those was sent twice. Drops what the ACK covers. */
static bool tr__tx_acked(struct tr_endpoint *e, uint32_t ack, int64_t now, int64_t *rtt)
{
    bool ok = false, karn = false;
    while (e->tx_count && tr_seq_le(tr__tx_at(e, 0)->end, ack)) {
        struct tr__tx *x = tr__tx_at(e, 0);
        if (!ok)
            *rtt = now - x->t_first;
        ok = true;
        karn |= x->ntx != 1;
        e->tx_head = (e->tx_head + 1) % TR__TX_MAX;
        e->tx_count--;
    }
    if (e->tx_count && tr_seq_gt(ack, tr__tx_at(e, 0)->seq))
        tr__tx_at(e, 0)->seq = ack; /* partly acknowledged */
    return ok && !karn;
}

/* RFC 7323 §4.1: with timestamps, "RTT = current time - SEG.TSecr" for an
 * ACK that advances the left edge of the send window; valid for a
 * retransmission too, since the echo names the copy that arrived. */
static bool tr__rtt_ts(const struct tr_endpoint *e, const struct tr_seg *s, int64_t now,
                       int64_t *rtt)
{
    if (!s->opt.has_ts || s->opt.tsecr == 0)
        return false;
    uint32_t ms = tr__ep_tsval(e, now) - s->opt.tsecr;
    if (ms > (uint32_t)(e->prof->rto.max_ns / 1000000))
        return false; /* not an echo of ours */
    *rtt = (int64_t)ms * 1000000;
    return true;
}

static void tr__rtt_sample(struct tr_endpoint *e, int64_t rtt)
{
    struct tr_tcb *t = &e->tcb;
    tr_rto_sample(&t->rtt, &e->prof->rto, rtt, t->snd_una, t->snd_nxt);
}

void tr__ep_syn_acked(struct tr_endpoint *e, int64_t now)
{
    /* Karn: a SYN sent more than once gives no sample. Timestamps could tell
     * which copy arrived, but then RFC 6298 §5.7 (3 s once data begins)
     * would not apply: the handshake of a retransmitted SYN is not sampled. */
    if (e->syn_ntx == 1)
        tr__rtt_sample(e, now - e->syn_sent_at);
    e->ntimeouts = 0;
    tr__ep_timer_stop(e, TR__T_RTX);
}

/* ---- the timers ---- */

/* RFC 6298 §5.2: "When all outstanding data has been acknowledged, turn off
 * the retransmission timer"; §5.3: "When an ACK is received that
 * acknowledges new data, restart the retransmission timer so that it will
 * expire after RTO seconds". */
void tr__ep_rtx_restart(struct tr_endpoint *e, int64_t now)
{
    if (e->tcb.snd_una == e->tcb.snd_nxt)
        tr__ep_timer_stop(e, TR__T_RTX);
    else
        tr__ep_timer_set(e, TR__T_RTX, now + e->tcb.rtt.rto_ns);
}

/* RFC 9293 §3.8.6.1 (SHLD-29): "The transmitting host SHOULD send the first
 * zero-window probe when a zero window has existed for the retransmission
 * timeout period". Also the §3.8.6.2.1 override timeout when a small
 * window keeps the sender from sending. */
void tr__ep_persist_arm(struct tr_endpoint *e, int64_t now)
{
    if (e->timer[TR__T_PERSIST] || e->timer[TR__T_RTX] || !tr_seq_lt(e->snd_ptr, tr__ep_data_end(e)))
        return;
    uint8_t st = e->tcb.state;
    if (!tr_state_synchronized((enum tr_state)st) || st == TR_TIME_WAIT || st == TR_FIN_WAIT_2)
        return;
    if (!e->persist_ns) {
        int64_t p = e->tcb.rtt.rto_ns;
        p = p < e->prof->persist_min_ns ? e->prof->persist_min_ns : p;
        e->persist_ns = p > e->prof->persist_max_ns ? e->prof->persist_max_ns : p;
    }
    tr__ep_timer_set(e, TR__T_PERSIST, now + e->persist_ns);
}

/* ---- the ACK field ---- */

/* The send queue gives up the bytes now acknowledged. */
static void tr__ack_consume(struct tr_endpoint *e)
{
    uint32_t una = e->tcb.snd_una, end = tr__ep_data_end(e);
    uint32_t upto = tr_seq_lt(una, end) ? una : end;
    if (tr_seq_gt(upto, e->snd_base)) {
        tr_ring_consume(&e->snd, upto - e->snd_base);
        e->snd_base = upto;
    }
}

/* "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any segments
 * on the retransmission queue that are thereby entirely acknowledged are
 * removed." */
static void tr__ack_new(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    uint32_t acked = s->ack - t->snd_una;
    int64_t rtt = 0;
    bool karn_ok = tr__tx_acked(e, s->ack, now, &rtt);
    t->snd_una = s->ack;
    if (tr_tcb_has(t, TR_TCB_TS_OK) ? tr__rtt_ts(e, s, now, &rtt) : karn_ok)
        tr__rtt_sample(e, rtt);
    tr__ack_consume(e);
    if (tr_seq_lt(e->snd_ptr, t->snd_una))
        e->snd_ptr = t->snd_una;
    e->ntimeouts = 0;
    tr__ep_cc_ack(e, acked, now);
    tr__ep_rtx_restart(e, now);
}

/* Whether s reports octets above every octet SACKed so far (RFC 2018 §3),
 * within what was sent; keeps the new highest edge. */
static bool tr__sack_news(struct tr_endpoint *e, const struct tr_seg *s)
{
    const struct tr_tcb *t = &e->tcb;
    if (!tr_tcb_has(t, TR_TCB_SACK_OK) || !(s->flags & TR_ACK))
        return false;
    bool news = false;
    for (uint8_t i = 0; i < s->opt.nsack; i++) {
        uint32_t r = s->opt.sack[i].right;
        uint32_t high = tr_seq_in_closed(e->sack_high, t->snd_una, t->snd_nxt) ? e->sack_high
                                                                                : t->snd_una;
        if (tr_seq_gt(r, high) && tr_seq_le(r, t->snd_nxt)) {
            e->sack_high = r;
            news = true;
        }
    }
    return news;
}

/* RFC 5681 §2: a duplicate ACK when "(a) the receiver of the ACK has
 * outstanding data, (b) the incoming acknowledgment carries no data, (c)
 * the SYN and FIN bits are both off, (d) the acknowledgment number is equal
 * to the greatest acknowledgment received on the given connection (SND.UNA)
 * and (e) the advertised window in the incoming acknowledgment equals the
 * advertised window in the last incoming acknowledgment". It goes on:
 * "Alternatively, a TCP that utilizes selective acknowledgments (SACKs)
 * ... can leverage the SACK information to determine when an incoming ACK
 * is a 'duplicate' (e.g., if the ACK contains previously unknown SACK
 * information)": with SACK, an ACK reporting new SACKed octets is a
 * duplicate whatever its window (a Linux receiver changes its window in
 * nearly every ACK while it holds out-of-order data, and (e) alone would
 * leave every loss to the retransmission timer). A zero window repeated
 * answers a probe: not a loss signal. */
static void tr__ack_dup(struct tr_endpoint *e, const struct tr_seg *s, bool sack_news)
{
    if (e->tcb.snd_una == e->tcb.snd_nxt || s->len || (s->flags & (TR_SYN | TR_FIN)) ||
        (s->win != e->last_peer_win && !sack_news) || s->win == 0)
        return;
    e->st.dup_acks_in++;
    if (tr__ep_cc_dupack(e)) {
        e->st.fast_retransmits++;
        e->out |= TR__OUT_HEAD;
    }
}

/* The send window (tr_tcb_window_update). A window that opens ends the
 * persist state; one that closes starts it afresh, so that the first probe
 * comes one RTO after the window closed (SHLD-29). */
static void tr__ack_window(struct tr_endpoint *e, const struct tr_seg *s)
{
    struct tr_tcb *t = &e->tcb;
    bool was_open = t->snd_wnd > 0;
    if (!tr_tcb_window_update(t, s->seq, s->ack, tr_tcb_peer_window(t, s)))
        return;
    if ((t->snd_wnd > 0) != was_open || (was_open && e->timer[TR__T_PERSIST])) {
        tr__ep_timer_stop(e, TR__T_PERSIST);
        e->persist_ns = 0;
    }
}

/* FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter
 * FIN-WAIT-2"; CLOSING: "enter the TIME-WAIT state"; LAST-ACK: "enter the
 * CLOSED state". */
static void tr__ack_fin(struct tr_endpoint *e, int64_t now)
{
    const struct tr_tcb *t = &e->tcb;
    if (tr_tcb_has(t, TR_TCB_FIN_SENT) && tr_seq_gt(t->snd_una, t->fin_seq))
        tr__ep_event(e, TR_EV_RCV_ACK_OF_FIN, now);
}

bool tr__ep_ack(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    bool sack_news = tr__sack_news(e, s);
    switch (tr_tcb_classify_ack(&e->tcb, s->ack)) {
    case TR_ACK_UNSENT: /* "send an ACK, drop the segment, and return" */
    case TR_ACK_TOO_OLD: /* RFC 5961 §5.2: challenge ACK, drop */
        e->out |= TR__OUT_ACK;
        return false;
    case TR_ACK_NEW:
        tr__ack_new(e, s, now);
        break;
    case TR_ACK_DUP:
        tr__ack_dup(e, s, sack_news);
        break;
    case TR_ACK_OLD: /* "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored" */
        break;
    }
    tr__ack_window(e, s);
    e->last_peer_win = s->win;
    tr__ack_fin(e, now);
    return e->tcb.state != TR_CLOSED;
}
