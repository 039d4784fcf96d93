/*
 * The receiver's side of a segment: what its ACK field acknowledges of the
 * data the receiver sent (RFC 9293 §3.10.7.4 "fifth, check the ACK field"),
 * the RTT measurements it allows (RFC 6298 §3, Karn; RFC 7323 §4), the send
 * window update, and the FIN (§3.10.7.4 "eighth, check the FIN bit").
 */
#include "analyzer/obs_int.h"
#include "stack/seq.h"

static void tr__rtt_sample(struct tr_obs *o, struct tr_ep *R, int64_t rtt)
{
    if (rtt < 0)
        return;
    if (R->rtt_n == 0 || rtt < R->rtt_min)
        R->rtt_min = rtt;
    if (R->rtt_n == 0 || rtt > R->rtt_max)
        R->rtt_max = rtt;
    R->rtt_sum += rtt;
    R->rtt_n++;
    tr_rto_sample(&R->tcb.rtt, &o->prof.rto, rtt);
}

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

/* RFC 6298 §3 (Karn's algorithm): "RTT samples MUST NOT be made using
 * segments that were retransmitted". The sample is the oldest newly
 * acknowledged transmission, as Linux takes it. */
static bool tr__rtt_by_seq(const struct tr_x *x, const struct tr_txring *r, int64_t *rtt)
{
    uint32_t una = x->rcv->tcb.snd_una, ack = x->s->ack;
    const struct tr_txseg *first = NULL;
    for (uint32_t k = 0; k < r->count; k++) {
        const struct tr_txseg *e = &r->e[(r->head + k) % TR_RING_SLOTS];
        if (!tr_seq_gt(e->end, una) || tr_seq_gt(e->end, ack))
            continue;
        if (e->ntx > 1 || (e->flags & TR_TX_MERGED))
            return false;
        if (!first || e->t_first < first->t_first)
            first = e;
    }
    if (!first)
        return false;
    *rtt = x->s->ts_ns - first->t_first;
    return true;
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

static void tr__ack_new(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    struct tr_txring *r = tr__ring(x->o, R);
    if (r) {
        int64_t rtt;
        if (tr__rtt_by_ts(x, r, &rtt) || tr__rtt_by_seq(x, r, &rtt))
            tr__rtt_sample(x->o, R, rtt);
        tr__check_partial(x, r);
        tr__ring_ack(r, x->s->ack);
    }
    R->tcb.snd_una = x->s->ack;
    x->snd->dupack_run = 0;
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
    if (rt->snd_max == rt->snd_una)
        return;
    S->st.dup_acks++;
    S->dupack_run++;
}

/* RFC 9293 §3.4: acknowledgments are cumulative, so the ACK an endpoint
 * sends never moves back, except in a segment sent earlier and captured
 * later, which its TSval gives away. */
static void tr__ack_old(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (x->retx || x->ooo || !tr_ep_has(S, TR_EP_ACK_SEEN) || !tr_seq_lt(s->ack, S->highest_ack))
        return;
    if (s->opt.has_ts && tr_seq_lt(s->opt.tsval, S->tsval_last))
        tr__find(x, TR_RULE_CAP_REORDERED, S->tsval_last, s->opt.tsval, 0, 0);
    else
        tr__find(x, TR_RULE_ACK_BACKWARDS, tr__rel(x->rcv, S->highest_ack),
                 tr__rel(x->rcv, s->ack), 0, 0);
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
        R->flags |= TR_EP_SENT_ANY;
        R->tcb.iss = R->tcb.snd_una = R->tcb.snd_nxt = R->tcb.snd_max = x->s->ack;
        return;
    }
    R->tcb.snd_nxt = R->tcb.snd_max;
    switch (tr_tcb_classify_ack(&R->tcb, x->s->ack)) {
    case TR_ACK_UNSENT:
        tr__ack_unsent(x);
        return;
    case TR_ACK_NEW:
        tr__ack_new(x);
        break;
    case TR_ACK_DUP:
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
    if (!x->new_fin)
        return;
    struct tr_ep *R = x->rcv;
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

/* What the segment says of its sender: how far it has received (its ACK),
 * and the window it offers. */
void tr__sender_statement(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (s->opt.has_ts)
        S->tsval_last = s->opt.tsval;
    S->last_win = s->win;
    if (!(s->flags & TR_ACK))
        return;
    if (!tr_ep_has(S, TR_EP_ACK_SEEN) || tr_seq_gt(s->ack, S->highest_ack))
        S->highest_ack = s->ack;
    if (tr_seq_gt(s->ack, S->tcb.rcv_nxt) || !tr_ep_has(S, TR_EP_ACK_SEEN))
        S->tcb.rcv_nxt = s->ack;
    S->last_ack = s->ack;
    S->flags |= TR_EP_ACK_SEEN;
    uint32_t wnd;
    if (!tr__adv_window(S, s, &wnd))
        return;
    S->tcb.rcv_wnd = wnd;
    uint32_t right = s->ack + wnd;
    if (!tr_ep_has(S, TR_EP_RIGHT_KNOWN) || tr_seq_gt(right, S->adv_right))
        S->adv_right = right;
    S->flags |= TR_EP_RIGHT_KNOWN;
}
