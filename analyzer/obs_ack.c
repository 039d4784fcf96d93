/*
 * The receiver's side of a segment: what its ACK field acknowledges of the
 * data the receiver sent (RFC 9293 §3.10.7.4 "fifth, check the ACK field"),
 * the RTT measurements it allows (RFC 6298 §3, Karn; RFC 7323 §4), the send
 * window update, and the FIN (§3.10.7.4 "eighth, check the FIN bit").
 */
#include "analyzer/format.h"
#include "analyzer/obs_int.h"
#include "stack/seq.h"

/* RFC 7323 §4.1: with timestamps, the RTT is measured from the TSecr: the
 * time since the segment that carried that TSval was sent. A valid sample
 * even for a retransmission, whose TSval is new. */
static bool tr__rtt_by_ts(struct tr_x *x, const struct tr_txring *r, int64_t *rtt)
{
    const struct tr_seg *s = x->s;
    int64_t sent;
    if (!s->opt.has_ts || !tr_tcb_has(&x->rcv->tcb, TR_TCB_TS_OK) || s->opt.tsecr == 0)
        return false;
    if (!tr__ring_ts_lookup(r, s->opt.tsecr, &sent))
        return false;
    *rtt = s->ts_ns - sent;
    return true;
}

/* What an ACK of new data covers of the ring: the oldest transmission (for
 * the RTT), the newest (for the ACK delay), and how many full-sized
 * segments. */
struct tr__acked {
    const struct tr_txseg *oldest;
    int64_t newest_tx;
    uint32_t full;
    bool karn;     /* a retransmitted or merged entry is among them */
    bool resent;   /* a retransmitted entry is among them */
    bool syn;      /* the SYN is among them: the handshake gives that sample */
    int64_t rack;  /* the latest transmission among them (tr__rack_date) */
};

static void tr__scan_acked(const struct tr_x *x, const struct tr_txring *r, struct tr__acked *a)
{
    uint32_t una = x->rcv->tcb.snd_una, ack = x->s->ack;
    uint32_t mss = x->rcv->tcb.snd_mss;
    uint32_t fullsz = mss > 64 ? mss - 64 : UINT32_MAX;
    *a = (struct tr__acked){0};
    for (uint32_t k = 0; k < r->count; k++) {
        const struct tr_txseg *e = &r->e[(r->head + k) % TR_RING_SLOTS];
        if (!tr_seq_gt(e->end, una) || tr_seq_gt(e->end, ack))
            continue;
        a->karn |= e->ntx > 1 || (e->flags & TR_TX_MERGED);
        a->resent |= e->ntx > 1;
        a->syn |= (e->flags & TR_TX_SYN) != 0;
        if (!a->oldest || e->t_first < a->oldest->t_first)
            a->oldest = e;
        if (e->t_last > a->newest_tx)
            a->newest_tx = e->t_last;
        int64_t sent = tr__rack_date(x, x->rcv, e);
        if (sent > a->rack)
            a->rack = sent;
        if (!(e->flags & TR_TX_MERGED) && (uint32_t)(e->end - e->seq) >= fullsz)
            a->full++;
    }
}

/* RFC 6298 §3 (Karn's algorithm): "RTT samples MUST NOT be made using
 * segments that were retransmitted". The sample is the oldest newly
 * acknowledged transmission, as Linux takes it. */
static bool tr__rtt_by_seq(const struct tr_x *x, const struct tr__acked *a, int64_t *rtt)
{
    if (!a->oldest || a->karn)
        return false;
    *rtt = x->s->ts_ns - a->oldest->t_first;
    return true;
}

/* RFC 9293 §3.8.6.3: how long the receiver held the ACK (MUST-40: under
 * 0.5 s), measured from the newest segment it acknowledges, minus the round
 * trip between the capture and the receiver; and SHLD-19, an ACK at least
 * every second full-sized segment. */
static void tr__ack_behaviour(struct tr_x *x, const struct tr__acked *a)
{
    struct tr_ep *S = x->snd;
    S->st.acks_new++;
    if (x->s->len)
        S->st.acks_piggybacked++;
    /* An ACK that fills a hole covers segments that came out of order, each
     * already answered by a duplicate ACK (RFC 5681 §4.2: "an immediate ACK
     * when an out-of-order segment arrives"), or held while the receiver
     * could not acknowledge them: the receiver repeated its ACK or SACKed
     * (until the ACK reaches what was sent then), or the ACK covers a
     * retransmission (the hole it filled). */
    bool hole_fill = tr_ep_has(S, TR_EP_HOLE_SIGNALLED) || a->resent;
    if (a->full >= 3 && !hole_fill) {
        S->st.stretch_acks++;
        if (x->o->prof.ack_every_second)
            tr__find(x, TR_RULE_ACK_NOT_EVERY_SECOND, a->full, TR_VERDICT_VIOLATION, 0, 0);
    }
    if (!a->newest_tx || x->s->len)
        return;
    int64_t d = x->s->ts_ns - a->newest_tx;
    static const int64_t edge[6] = {1000000, 10000000, 40000000, 100000000, 200000000, 500000000};
    unsigned b = 0;
    while (b < 6 && d >= edge[b])
        b++;
    S->st.ack_delay_hist[b]++;
    if (d > S->st.ack_delay_max)
        S->st.ack_delay_max = d;
    int64_t held = d - (x->c->side_known ? x->c->side_rtt[x->dir] : 0);
    if (x->c->side_known && held >= x->o->prof.delack_max_ns)
        tr__find(x, TR_RULE_ACK_DELAY_TOO_LONG, held, 0, 0, 0);
}

/* An ACK that covers a hole of the captured stream: "ACKed segment that
 * wasn't captured". */
static void tr__ack_covers_hole(struct tr_x *x, struct tr_txring *r)
{
    for (uint8_t i = 0; i < r->ngaps; i++) {
        if (!tr_seq_gt(x->s->ack, r->gaps[i].lo))
            continue;
        x->ws |= TR_WS_ACK_LOST_SEGMENT; /* Wireshark flags every such ACK */
        if (r->gaps[i].ack_reported)
            continue;
        r->gaps[i].ack_reported = true;
        uint32_t hi = tr_seq_lt(x->s->ack, r->gaps[i].hi) ? x->s->ack : r->gaps[i].hi;
        tr__find(x, TR_RULE_ACK_UNSEEN_CAPTURE, tr__rel(x->rcv, r->gaps[i].lo), tr__rel(x->rcv, x->s->ack),
                 (uint32_t)(hi - r->gaps[i].lo), 0);
        return;
    }
}

/* An ACK inside a transmitted segment: the receiver took part of it. */
static void tr__check_partial(struct tr_x *x, const struct tr_txring *r)
{
    uint32_t ack = x->s->ack;
    for (uint32_t k = 0; k < r->count; k++) {
        const struct tr_txseg *e = &r->e[(r->head + k) % TR_RING_SLOTS];
        if ((e->flags & TR_TX_MERGED) || !tr_seq_gt(ack, e->seq) || !tr_seq_lt(ack, e->end))
            continue;
        tr__find(x, TR_RULE_ACK_PARTIAL, tr__rel(x->rcv, ack), tr__rel(x->rcv, e->seq),
                 tr__rel(x->rcv, e->end), 0);
        return;
    }
}

static void tr__ack_state_events(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    const struct tr_seg *s = x->s;
    uint8_t r = (uint8_t)!x->dir;
    /* §3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then
     * enter ESTABLISHED state". */
    if (R->tcb.state == TR_SYN_RECEIVED && tr_seq_gt(s->ack, R->tcb.iss))
        tr__transition(x->o, x->c, r, TR_EV_RCV_ACK_OF_SYN, s->frame, s->ts_ns);
    /* FIN-WAIT-1, CLOSING, LAST-ACK: "if the FIN segment is now
     * acknowledged". */
    if (tr_tcb_has(&R->tcb, TR_TCB_FIN_SENT) && tr_seq_gt(s->ack, R->tcb.fin_seq))
        tr__transition(x->o, x->c, r, TR_EV_RCV_ACK_OF_FIN, s->frame, s->ts_ns);
}

/* This ACK of new data covers re-sent data ending at end: above the old
 * SND.UNA, at or below the ACK. */
static bool tr__covers_resend(const struct tr_x *x, uint32_t end)
{
    const struct tr_ep *R = x->rcv;
    return R->st.retx_segs && tr_seq_gt(end, R->tcb.snd_una) && tr_seq_le(end, x->s->ack);
}

static void tr__ack_new(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    struct tr_txring *r = tr__ring(x->o, R);
    int64_t rtt = 0;
    bool sample = false;
    if (r) {
        struct tr__acked a;
        tr__scan_acked(x, r, &a);
        /* The timer ran far past its RTO with no retransmission captured:
         * the sender most likely re-sent the data out of the capture's
         * sight, so which transmission this ACK answers is unknown (Karn). */
        if (R->stall)
            a.karn = true;
        if (!a.syn)
            sample = tr__rtt_by_seq(x, &a, &rtt) || tr__rtt_by_ts(x, r, &rtt);
        tr__ack_behaviour(x, &a);
        tr__rack_advance(x, R, a.rack);
        /* data it re-sent is among what this ACK covers: a whole entry
         * sent twice, or (merged entries are acknowledged in part) the
         * highest data it re-sent, or its latest re-send, between the old
         * SND.UNA and the ACK (in a long recovery the sender may already
         * have re-sent data above the ACK, then a hole below it) */
        if (a.resent || tr__covers_resend(x, R->resent_high) || tr__covers_resend(x, R->last_rtx_end)) {
            R->resent_acked_ts = x->s->ts_ns;
            R->resent_acked_una = x->s->ack;
        }
        tr__check_partial(x, r);
        tr__ack_covers_hole(x, r);
        tr__ring_ack(r, x->s->ack);
    }
    R->tcb.snd_una = x->s->ack;
    if (sample) {
        tr__rtt_sample(x->o, x->c, (unsigned)!x->dir, rtt);
        R->flags |= TR_EP_DATA_RTT;
    }
    tr__timer_on_ack(x, R);
    x->snd->dupack_run = 0;
    if (tr_seq_ge(x->s->ack, x->snd->hole_until))
        x->snd->flags &= ~(uint32_t)TR_EP_HOLE_SIGNALLED;
    tr__ring_release_if_idle(x->o, R);
}

/* A duplicate ACK (RFC 5681 §2): no data, no SYN/FIN, the same ACK and the
 * same window as the previous segment of its sender, while data is
 * outstanding. */
static void tr__ack_dup(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    struct tr_ep *S = x->snd;
    const struct tr_tcb *rt = &x->rcv->tcb;
    if (s->len || (s->flags & (TR_SYN | TR_FIN)) || x->probe)
        return;
    if (!tr_ep_has(S, TR_EP_ACK_SEEN) || s->ack != S->last_ack || s->win != S->last_win)
        return;
    if (x->ws & (TR_WS_KEEP_ALIVE_ACK | TR_WS_ZERO_WINDOW_PROBE_ACK))
        return;
    /* Wireshark's duplicate_ack: the same ACK and window again from a
     * sender that sent nothing new (no test of outstanding data). */
    if (s->win && s->seq == S->tcb.snd_max)
        x->ws |= TR_WS_DUPLICATE_ACK;
    /* RFC 5681 §2 adds "(a) the receiver of the ACK has outstanding data";
     * a repeated zero window announces the closed window, not a loss. */
    if (rt->snd_max == rt->snd_una || s->win == 0)
        return;
    S->st.dup_acks++;
    S->dupack_run++;
    S->dupack_ts = s->ts_ns;
}

/* The answer to the peer's keep-alive or zero-window probe: a pure ACK
 * repeating the last ACK (Wireshark's keep_alive_ack, zero_window_probe_ack). */
static void tr__probe_answer(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    const struct tr_ep *S = x->snd, *R = x->rcv;
    if (s->len || (s->flags & (TR_SYN | TR_FIN | TR_RST)) || !tr_ep_has(S, TR_EP_ACK_SEEN) ||
        s->ack != S->last_ack || s->seq != S->tcb.snd_max)
        return;
    if (tr_ep_has(R, TR_EP_KEEPALIVE_LAST) && s->win && s->win == S->last_win)
        x->ws |= TR_WS_KEEP_ALIVE_ACK;
    if (tr_ep_has(R, TR_EP_PROBE_LAST) && s->win == 0 && S->last_win == 0)
        x->ws |= TR_WS_ZERO_WINDOW_PROBE_ACK;
}

/* The segment carries a TSval older than one its sender sent before (RFC
 * 7323 §5.4: TSvals are monotone non-decreasing): sent earlier, captured
 * later. */
static bool tr__ts_earlier(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    return x->s->opt.has_ts && tr_ep_has(S, TR_EP_TSVAL_KNOWN) && tr_seq_lt(x->s->opt.tsval, S->tsval_last);
}

/* capture.reordered when the segment's TSval, or its IPv4 identification
 * (or `id_weak`, the caller's weaker reading of it), shows it was sent
 * before its sender's latest; true when reported. */
static bool tr__late_reported(struct tr_x *x, bool id_weak)
{
    const struct tr_ep *S = x->snd;
    if (tr__ts_earlier(x))
        tr__find(x, TR_RULE_CAP_REORDERED, S->tsval_last, x->s->opt.tsval, 0, 0);
    else if (tr__id_earlier(x) || id_weak)
        tr__find(x, TR_RULE_CAP_REORDERED, S->id_last, x->s->ip_id, 1, 0);
    else
        return false;
    return true;
}

/* RFC 9293 §3.4: acknowledgments are cumulative, so the ACK an endpoint
 * sends never moves back, except in a segment sent earlier and captured
 * later, which its TSval gives away, or within one tick of that clock its
 * sequential IPv4 identification. */
static void tr__ack_old(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (x->retx || x->ooo || !tr_ep_has(S, TR_EP_ACK_SEEN) || !tr_seq_lt(s->ack, S->highest_ack))
        return;
    if (tr__late_reported(x, tr__id_just_below(x)))
        x->stale = true;
    else
        tr__find(x, TR_RULE_ACK_BACKWARDS, tr__rel(x->rcv, S->highest_ack),
                 tr__rel(x->rcv, s->ack), 0, 0);
}

/* The same ACK again, in a pure ACK sent before the latest segment of its
 * sender (its TSval, or its sequential IPv4 identification, is older) and
 * captured after it: reported as such; tr__statement_ack takes its window
 * for an older statement, no shrink (SHLD-14 is about the order the
 * receiver sent them in). */
static void tr__ack_same_old(struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (x->seqlen || !tr_ep_has(S, TR_EP_ACK_SEEN) || s->ack != S->highest_ack)
        return;
    tr__late_reported(x, false);
}

/* SEG.ACK > SND.NXT: remembered until the receiver's next segment tells
 * whether the capture missed data or the ACK covered unsent data. */
static void tr__ack_unsent(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    if (tr_ep_has(R, TR_EP_UNSEEN_PENDING)) {
        if (tr_seq_gt(x->s->ack, R->unseen_ack))
            R->unseen_ack = x->s->ack;
        return;
    }
    x->ws |= TR_WS_ACK_LOST_SEGMENT;
    R->flags |= TR_EP_UNSEEN_PENDING;
    R->unseen_ack = x->s->ack;
    R->unseen_from = R->tcb.snd_max;
    R->unseen_frame = x->s->frame;
    R->unseen_ts = x->s->ts_ns;
}

static void tr__window_update(struct tr_x *x)
{
    uint32_t wnd;
    if (tr__adv_window(x->snd, x->s, &wnd))
        tr_tcb_window_update(&x->rcv->tcb, x->s->seq, x->s->ack, wnd);
}

void tr__receive_ack(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    if (!tr_ep_has(R, TR_EP_SENT_ANY)) {
        /* Nothing seen from the receiver yet: the ACK is its send base. */
        R->flags |= TR_EP_SENT_ANY | TR_EP_BASE_FROM_ACK;
        R->tcb.iss = R->tcb.snd_una = R->tcb.snd_nxt = R->tcb.snd_max = x->s->ack;
        return;
    }
    R->tcb.snd_nxt = R->tcb.snd_max;
    tr__probe_answer(x);
    tr__sack_info(x);
    switch (tr_tcb_classify_ack(&R->tcb, x->s->ack)) {
    case TR_ACK_UNSENT:
        /* A SYN-ACK acknowledging more than the SYN: the receiver had sent
         * nothing else (SYN-SENT), so no segment can be missing; the
         * handshake checks judge it (handshake.synack-ack). */
        if (!(x->s->flags & TR_SYN))
            tr__ack_unsent(x);
        return;
    case TR_ACK_NEW:
        tr__ack_new(x);
        break;
    case TR_ACK_DUP:
        if (R->timer_on && x->s->ack == R->tcb.snd_una)
            R->timer_late = x->s->ts_ns;
        if (!x->s->len && !(x->s->flags & (TR_SYN | TR_FIN)) && R->tcb.snd_max != R->tcb.snd_una) {
            if (!tr_ep_has(x->snd, TR_EP_HOLE_SIGNALLED) || tr_seq_gt(R->tcb.snd_max, x->snd->hole_until))
                x->snd->hole_until = R->tcb.snd_max;
            x->snd->flags |= TR_EP_HOLE_SIGNALLED;
        }
        tr__ack_same_old(x);
        tr__ack_dup(x);
        break;
    case TR_ACK_OLD:
    case TR_ACK_TOO_OLD:
        tr__ack_old(x);
        break;
    }
    tr__ack_state_events(x);
    tr__window_update(x);
}

/* §3.10.7.4 "eighth, check the FIN bit": ESTABLISHED and SYN-RECEIVED enter
 * CLOSE-WAIT, FIN-WAIT-1 enters CLOSING (TIME-WAIT when our FIN is
 * acknowledged: the ACK step has then moved it to FIN-WAIT-2), FIN-WAIT-2
 * enters TIME-WAIT.
 *
 * When did the receiver get the FIN? Not necessarily before its next
 * segment: in a simultaneous close both FINs cross. The receiver's ACK of the
 * FIN is the evidence; until it comes, the receipt is pending. */
static void tr__fin_received(struct tr_obs *o, struct tr_conn *c, uint8_t ep)
{
    struct tr_ep *R = &c->ep[ep];
    R->flags &= ~(uint32_t)TR_EP_FIN_PENDING;
    R->tcb.flags |= TR_TCB_FIN_RCVD;
    tr__transition(o, c, ep, TR_EV_RCV_FIN, R->fin_rcv_frame, R->fin_rcv_ts);
}

void tr__receive_fin(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    bool resent = (x->s->flags & TR_FIN) && tr_ep_has(R, TR_EP_FIN_PENDING);
    if (!x->new_fin && !resent)
        return;
    /* The copy received is the latest one before the receiver's ACK of it. */
    R->flags |= TR_EP_FIN_PENDING;
    R->fin_rcv_frame = x->s->frame;
    R->fin_rcv_ts = x->s->ts_ns;
}

/* The sender of this segment had a FIN pending: does the segment show it
 * was received (its ACK covers the FIN)? */
void tr__resolve_fin(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_tcb *peer = &x->rcv->tcb;
    if (!tr_ep_has(S, TR_EP_FIN_PENDING) || !(x->s->flags & TR_ACK) || (x->s->flags & TR_RST))
        return;
    if (tr_seq_gt(x->s->ack, peer->fin_seq))
        tr__fin_received(x->o, x->c, x->dir);
}

/* End of input: a FIN whose receipt was never shown is taken as received. */
void tr__finish_fin(struct tr_obs *o, struct tr_conn *c)
{
    for (uint8_t d = 0; d < 2; d++)
        if (tr_ep_has(&c->ep[d], TR_EP_FIN_PENDING))
            tr__fin_received(o, c, d);
}

/* The ACK and the window of the statement (before last_win moves on). */
static void tr__statement_ack(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    /* A statement older than the latest one (captured reordered) says
     * nothing new: its window is not a shrink, its ACK not a step back. A
     * data segment sent before the latest segment and captured after it is
     * one too, whatever its ACK. The IPv4 identification alone decides
     * only for a segment without data: one whose data comes in sequence
     * order outweighs it (some stacks repeat or skip identifications). */
    if (!(s->flags & TR_ACK) || x->stale || x->ooo || tr__ts_earlier(x) || (!x->seqlen && tr__id_earlier(x)))
        return;
    /* A re-send carrying an ACK below its sender's highest repeats an
     * older segment whole: a SYN-ACK sent again after the connection moved
     * on (the answer to a re-sent SYN, late) states the handshake's ACK and
     * its unscaled window (RFC 7323 §2.2), not a shrink. */
    if (x->retx && tr_ep_has(S, TR_EP_ACK_SEEN) && tr_seq_lt(s->ack, S->highest_ack))
        return;
    if (!tr_ep_has(S, TR_EP_ACK_SEEN) || tr_seq_gt(s->ack, S->highest_ack))
        S->highest_ack = s->ack;
    if (tr_seq_gt(s->ack, S->tcb.rcv_nxt) || !tr_ep_has(S, TR_EP_ACK_SEEN))
        S->tcb.rcv_nxt = s->ack;
    tr__window_raw(x);
    uint32_t wnd;
    if (tr__adv_window(S, s, &wnd)) {
        uint32_t right = s->ack + wnd;
        tr__window_advert(x, wnd, right); /* compares with the previous statement */
        S->tcb.rcv_wnd = wnd;
        if (!tr_ep_has(S, TR_EP_RIGHT_KNOWN) || tr_seq_gt(right, S->adv_right))
            S->adv_right = right;
        S->flags |= TR_EP_RIGHT_KNOWN;
    }
    S->last_ack = s->ack;
    S->flags |= TR_EP_ACK_SEEN;
}

/* What the segment says of its sender: how far it has received (its ACK),
 * and the window it offers. */
void tr__sender_statement(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    tr__statement_ack(x);
    if (s->opt.has_ts && (!tr_ep_has(S, TR_EP_TSVAL_KNOWN) || tr_seq_gt(s->opt.tsval, S->tsval_last))) {
        S->tsval_last = s->opt.tsval;
        S->flags |= TR_EP_TSVAL_KNOWN;
    }
    S->last_win = s->win;
}


