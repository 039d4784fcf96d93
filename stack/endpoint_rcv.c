/*
 * The receiving side: segment text and FIN (RFC 9293 §3.10.7.4 seventh and
 * eighth), the out-of-order queue and its SACK blocks (RFC 2018 §4), when
 * to acknowledge (RFC 9293 §3.8.6.3, RFC 5681 §4.2), and the window offered
 * (§3.8.6.2.2 receiver SWS avoidance, SHLD-14, RFC 7323 §2.3 scaling).
 *
 * Text goes straight into the receive ring at its offset from the first
 * unread byte: in order it is committed at once; beyond a hole it waits as
 * a range of the out-of-order queue (at most TR__OOO_MAX ranges; a segment
 * that would need one more is dropped and its sender re-sends it).
 */
#include <string.h>

#include "stack/endpoint_int.h"
#include "stack/seq.h"

void tr__ep_rcv_sync(struct tr_endpoint *e)
{
    struct tr_tcb *t = &e->tcb;
    t->rcv_wnd = tr_seq_gt(e->rcv_adv, t->rcv_nxt) ? e->rcv_adv - t->rcv_nxt : 0;
}

/* ---- acknowledging ---- */

static void tr__rcv_ack_now(struct tr_endpoint *e) { e->out |= TR__OUT_ACK; }

/* SHLD-19: "an ACK SHOULD be generated for at least every second full-sized
 * segment"; MUST-40: the delay "MUST be less than 0.5 seconds". We answer
 * every second data segment of any size, the first waits for the timer. */
static void tr__rcv_ack_later(struct tr_endpoint *e, int64_t now)
{
    if (++e->unacked_segs >= 2) {
        tr__rcv_ack_now(e);
        return;
    }
    if (!e->timer[TR__T_DELACK])
        tr__ep_timer_set(e, TR__T_DELACK, now + e->cfg.delack_ns);
}

/* ---- the out-of-order queue ---- */

static void tr__ooo_remove(struct tr_endpoint *e, uint8_t i)
{
    memmove(&e->ooo[i], &e->ooo[i + 1], (size_t)(e->nooo - i - 1) * sizeof e->ooo[0]);
    e->nooo--;
}

/* Holds [l, r); merges it with the ranges it touches. False when it would
 * need a range more than the queue holds. */
static bool tr__ooo_add(struct tr_endpoint *e, uint32_t l, uint32_t r)
{
    uint8_t i = 0;
    while (i < e->nooo && tr_seq_lt(e->ooo[i].right, l))
        i++;
    if (i == e->nooo || tr_seq_gt(e->ooo[i].left, r)) {
        if (e->nooo == TR__OOO_MAX)
            return false;
        memmove(&e->ooo[i + 1], &e->ooo[i], (size_t)(e->nooo - i) * sizeof e->ooo[0]);
        e->ooo[i] = (struct tr__range){.left = l, .right = r};
        e->nooo++;
    }
    struct tr__range *g = &e->ooo[i];
    g->left = tr_seq_min(g->left, l);
    g->right = tr_seq_max(g->right, r);
    while (i + 1 < e->nooo && tr_seq_le(e->ooo[i + 1].left, g->right)) {
        g->right = tr_seq_max(g->right, e->ooo[i + 1].right);
        tr__ooo_remove(e, (uint8_t)(i + 1));
    }
    g->stamp = ++e->ooo_stamp;
    return true;
}

static void tr__rcv_fin(struct tr_endpoint *e, uint32_t at, int64_t now);

/* RCV.NXT advanced: held ranges now in order become readable. */
static void tr__ooo_pull(struct tr_endpoint *e, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    while (e->nooo && tr_seq_le(e->ooo[0].left, t->rcv_nxt)) {
        if (tr_seq_gt(e->ooo[0].right, t->rcv_nxt)) {
            tr_ring_commit(&e->rcv, e->ooo[0].right - t->rcv_nxt);
            t->rcv_nxt = e->ooo[0].right;
        }
        tr__ooo_remove(e, 0);
    }
    if (e->fin_ooo && t->rcv_nxt == e->fin_rcv_seq)
        tr__rcv_fin(e, t->rcv_nxt, now);
}

uint8_t tr__ep_sack_blocks(const struct tr_endpoint *e, struct tr_sack_block *b, uint8_t max)
{
    uint8_t n = 0;
    uint32_t below = UINT32_MAX; /* stamps already taken are >= below */
    while (n < max) {
        int best = -1;
        for (uint8_t i = 0; i < e->nooo; i++)
            if (e->ooo[i].stamp < below && (best < 0 || e->ooo[i].stamp > e->ooo[best].stamp))
                best = i;
        if (best < 0)
            break;
        b[n++] = (struct tr_sack_block){.left = e->ooo[best].left, .right = e->ooo[best].right};
        below = e->ooo[best].stamp;
    }
    return n;
}

/* ---- text and FIN ---- */

/* §3.10.7.4 seventh: "Once in the ESTABLISHED state, it is possible to
 * deliver segment data to user RECEIVE buffers". RFC 5681 §4.2: "A TCP
 * receiver SHOULD send an immediate duplicate ACK when an out-of-order
 * segment arrives ... [and] an immediate ACK when the incoming segment
 * fills in all or part of a gap in the sequence space". */
static void tr__rcv_data(struct tr_endpoint *e, const uint8_t *p, uint32_t seq, uint32_t len,
                         int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    uint32_t off = seq - e->rcv_user;
    if (off + len > e->rcv.cap) /* beyond the buffer: never advertised */
        return;
    tr_ring_write_at(&e->rcv, off, p, len);
    if (seq != t->rcv_nxt) {
        e->st.out_of_order_in++;
        tr__ooo_add(e, seq, seq + len);
        tr__rcv_ack_now(e);
        return;
    }
    bool gap = e->nooo > 0;
    tr_ring_commit(&e->rcv, len);
    t->rcv_nxt += len;
    tr__ooo_pull(e, now);
    if (gap)
        tr__rcv_ack_now(e);
    else
        tr__rcv_ack_later(e, now);
}

/* §3.10.7.4 eighth: "advance RCV.NXT over the FIN ... and return an
 * acknowledgment for the FIN"; SYN-RECEIVED, ESTABLISHED: CLOSE-WAIT;
 * FIN-WAIT-1: CLOSING (our FIN acknowledged: the ACK step made it
 * FIN-WAIT-2, so TIME-WAIT); FIN-WAIT-2: TIME-WAIT; TIME-WAIT: "Restart the
 * 2 MSL time-wait timeout". A FIN beyond a hole waits for the hole. */
static void tr__rcv_fin(struct tr_endpoint *e, uint32_t at, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    tr__rcv_ack_now(e);
    if (at != t->rcv_nxt) {
        e->fin_ooo = true;
        e->fin_rcv_seq = at;
        return;
    }
    e->fin_ooo = false;
    t->rcv_nxt++;
    t->flags |= TR_TCB_FIN_RCVD;
    if (t->state == TR_TIME_WAIT)
        tr__ep_timer_set(e, TR__T_TIME_WAIT, now + e->cfg.time_wait_ns);
    else
        tr__ep_event(e, TR_EV_RCV_FIN, now);
}

void tr__ep_rcv_text(struct tr_endpoint *e, const struct tr_seg *s, uint32_t off, uint32_t seq,
                     uint32_t len, bool fin, int64_t now)
{
    uint8_t st = e->tcb.state;
    /* CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur since
     * a FIN has been received from the remote side. Ignore the segment text." */
    bool take = st == TR_ESTABLISHED || st == TR_FIN_WAIT_1 || st == TR_FIN_WAIT_2;
    if (len && take)
        tr__rcv_data(e, s->payload + off, seq, len, now);
    if (fin && !tr_tcb_has(&e->tcb, TR_TCB_FIN_RCVD))
        tr__rcv_fin(e, seq + len, now);
}

/* ---- the window offered ---- */

static uint8_t tr__rcv_shift(const struct tr_endpoint *e)
{
    return tr_tcb_has(&e->tcb, TR_TCB_WS_OK) ? e->tcb.rcv_wscale : 0;
}

/*
 * RFC 9293 §3.8.6.2.2: "The suggested SWS avoidance algorithm for the
 * receiver is to keep RCV.NXT+RCV.WND fixed until the reduction satisfies:
 * RCV.BUFF - RCV.USER - RCV.WND >= min( Fr * RCV.BUFF, Eff.snd.MSS )", Fr =
 * 1/2, Eff.snd.MSS the MSS we announced less the timestamp option. The
 * window is a multiple of 2^Rcv.Wind.Shift (what the field can say); kept,
 * the right edge may retract by less than that (RFC 7323 §2.4), never more
 * (SHLD-14).
 */
static uint32_t tr__rcv_wnd_next(const struct tr_endpoint *e)
{
    const struct tr_tcb *t = &e->tcb;
    uint8_t shift = tr__rcv_shift(e);
    uint32_t free = e->cfg.rcv_buffer - e->rcv.len;
    uint32_t most = 65535u << shift;
    uint32_t cand = free < most ? free : most;
    cand = (cand >> shift) << shift;
    uint32_t cur = tr_seq_gt(e->rcv_adv, t->rcv_nxt) ? e->rcv_adv - t->rcv_nxt : 0;
    uint32_t eff = t->rcv_mss - (tr_tcb_has(t, TR_TCB_TS_OK) ? 12u : 0u);
    uint32_t fr = e->cfg.rcv_buffer / 2;
    uint32_t threshold = fr < eff ? fr : eff;
    if (cand > cur && cand - cur >= threshold)
        return cand;
    return cur < most ? cur : most;
}

uint16_t tr__ep_rcv_window(struct tr_endpoint *e, bool commit)
{
    uint8_t shift = tr__rcv_shift(e);
    uint32_t raw = tr__rcv_wnd_next(e) >> shift;
    if (commit) {
        uint32_t edge = e->tcb.rcv_nxt + (raw << shift);
        if (tr_seq_gt(edge, e->rcv_adv))
            e->rcv_adv = edge;
        tr__ep_rcv_sync(e);
    }
    return (uint16_t)raw;
}

/* A read that opens the window (by the §3.8.6.2.2 threshold) to at least
 * twice what was offered is announced at once, as Linux does: the peer may
 * be waiting on a zero or small window (RFC 1122 §4.2.2.17). Smaller
 * openings ride on the next ACK. */
void tr__ep_rcv_read(struct tr_endpoint *e)
{
    const struct tr_tcb *t = &e->tcb;
    if (!tr_state_synchronized((enum tr_state)t->state) || tr_tcb_has(t, TR_TCB_FIN_RCVD))
        return;
    uint64_t cur = tr_seq_gt(e->rcv_adv, t->rcv_nxt) ? e->rcv_adv - t->rcv_nxt : 0;
    uint64_t next = tr__rcv_wnd_next(e);
    if (next > cur && next >= 2 * cur)
        tr__rcv_ack_now(e);
}
