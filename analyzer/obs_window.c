/*
 * Window advertisements (RFC 9293 §3.8.6): the window each endpoint offers,
 * in bytes (scaled only when both SYNs carried Window Scale, never on a SYN:
 * RFC 7323 §2.2); zero windows and the probes into them (§3.8.6.1); a right
 * edge moving left (SHLD-14); small windows opened by a receiver (MUST-39,
 * §3.8.6.2.2) and small segments sent by a sender that could send a full one
 * (MUST-38, §3.8.6.2.1); window updates and windows filled exactly.
 */
#include "analyzer/obs_int.h"
#include "stack/seq.h"

static int64_t tr__min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The window episode ends: how long it stayed closed, how many probes. */
static void tr__zero_end(struct tr_obs *o, struct tr_conn *c, uint8_t ep, uint64_t frame, int64_t ts)
{
    struct tr_ep *e = &c->ep[ep];
    int64_t dur = ts - e->zw_start;
    e->st.zero_window_ns += dur;
    const int64_t a[TR_FINDING_ARGS] = {dur, e->probe_n, (int64_t)e->zw_frame};
    tr__find_at(o, c, TR_RULE_WIN_ZERO, ep, frame, ts, a);
    if (o->cfg.th.zero_window_on && dur > o->cfg.th.zero_window_ns) {
        const int64_t t[TR_FINDING_ARGS] = {dur, o->cfg.th.zero_window_ns};
        tr__find_at(o, c, TR_RULE_THR_ZERO_WINDOW, ep, frame, ts, t);
    }
    e->zw_on = 0;
}

void tr__window_finish(struct tr_obs *o, struct tr_conn *c, int64_t capture_end)
{
    for (uint8_t ep = 0; ep < 2; ep++)
        if (c->ep[ep].zw_on)
            tr__zero_end(o, c, ep, c->last_frame, capture_end);
}

static void tr__zero_window(struct tr_x *x, uint32_t wnd)
{
    struct tr_ep *S = x->snd;
    if (x->s->flags & (TR_SYN | TR_FIN | TR_RST))
        return;
    if (x->s->win == 0) {
        x->ws |= TR_WS_ZERO_WINDOW;
        if (!S->zw_on) {
            S->zw_on = 1;
            S->zw_start = x->s->ts_ns;
            S->zw_frame = x->s->frame;
            S->probe_n = 0;
            S->probe_last = 0;
            S->st.zero_windows++;
        }
    } else if (S->zw_on && wnd) {
        tr__zero_end(x->o, x->c, x->dir, x->s->frame, x->s->ts_ns);
    }
}

/* SHLD-14: the right edge (SEG.ACK + window) never moves left, but for the
 * low bits window scaling drops (up to 2^shift - 1). Linux closes the window
 * at once under memory pressure; the linux profile allows that. */
static void tr__shrink(struct tr_x *x, uint32_t right, uint32_t wnd)
{
    const struct tr_ep *S = x->snd;
    if (!tr_ep_has(S, TR_EP_RIGHT_KNOWN) || !tr_seq_lt(right, S->adv_right))
        return;
    uint32_t slack = tr_tcb_has(&S->tcb, TR_TCB_WS_OK) ? (1u << S->tcb.rcv_wscale) - 1 : 0;
    uint32_t by = S->adv_right - right;
    if (by <= slack || (wnd == 0 && x->o->prof.shrink_to_zero_ok))
        return;
    tr__find(x, TR_RULE_WIN_SHRUNK, tr__rel(x->rcv, S->adv_right), tr__rel(x->rcv, right), by, 0);
}

/* MUST-39: a receiver keeps its right edge still until it can open the
 * window by min(buffer/2, MSS); a small window that moved the edge right is
 * silly. The MSS is the one this receiver announced (the peer's segments). */
static void tr__sws_receiver(struct tr_x *x, uint32_t right, uint32_t wnd)
{
    const struct tr_ep *S = x->snd;
    if (!wnd || !S->syn.has_mss || !tr_ep_has(S, TR_EP_RIGHT_KNOWN) || (x->s->flags & TR_SYN))
        return;
    uint32_t prev = S->last_ack + S->tcb.rcv_wnd;
    uint32_t slack = tr_tcb_has(&S->tcb, TR_TCB_WS_OK) ? (1u << S->tcb.rcv_wscale) : 1;
    /* Eff.snd.MSS (RFC 9293 §3.7.1): the MSS less the 12 option bytes every
     * segment carries when timestamps are on. */
    uint32_t eff = S->syn.mss - (tr_tcb_has(&S->tcb, TR_TCB_TS_OK) ? 12u : 0u);
    uint32_t small = (uint32_t)tr__min64(eff, S->st.max_window / 2);
    if (wnd < small && tr_seq_gt(right, prev + slack) && S->tcb.rcv_wnd < small)
        tr__find(x, TR_RULE_WIN_SWS_RECEIVER, wnd, small, 0, 0);
}

/* Wireshark's window_update: a pure ACK that changes only the window. */
static void tr__window_update(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    struct tr_ep *S = x->snd;
    if (s->len || (s->flags & (TR_SYN | TR_FIN | TR_RST)) || !tr_ep_has(S, TR_EP_ACK_SEEN) ||
        s->win == 0 || s->win == S->last_win || s->ack != S->last_ack || x->probe)
        return;
    x->ws |= TR_WS_WINDOW_UPDATE;
    S->st.window_updates++;
}

/* Zero windows and window updates, which need no window scale. */
void tr__window_raw(struct tr_x *x)
{
    tr__zero_window(x, x->s->win);
    tr__window_update(x);
}

/* Called with the window the sender of x advertises (wnd bytes, known) and
 * its right edge, before they replace the previous ones. */
void tr__window_advert(struct tr_x *x, uint32_t wnd, uint32_t right)
{
    struct tr_ep *S = x->snd;
    if (x->s->flags & TR_ACK) {
        tr__shrink(x, right, wnd);
        tr__sws_receiver(x, right, wnd);
    }
    if (wnd > S->st.max_window && !(x->s->flags & TR_SYN))
        S->st.max_window = wnd;
}

/* The sender x->snd probes the zero window of x->rcv (SHLD-29, SHLD-30): the
 * first probe an RTO after the window closed, then exponentially apart. */
void tr__window_probe(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    const struct tr_ep *S = x->snd;
    int64_t now = x->s->ts_ns;
    x->ws |= TR_WS_ZERO_WINDOW_PROBE;
    if (!R->zw_on)
        return;
    R->probe_n++;
    const struct tr_profile *p = &x->o->prof;
    if (R->probe_n == 1) {
        /* The prober's persist timer starts when the zero window reaches
         * it and its probe comes back past the capture point: the round
         * trip between the capture and the prober is not part of it. */
        int64_t side = x->c->side_known ? x->c->side_rtt[x->dir] : 0;
        int64_t gap = now - R->zw_start - side, want = S->tcb.rtt.rto_ns;
        if (want > p->persist_min_ns)
            want = want > p->persist_max_ns ? p->persist_max_ns : want;
        else
            want = p->persist_min_ns;
        int64_t tol = p->tol_abs_ns + want * p->tol_pct / 100;
        if (gap < want - tol)
            tr__find(x, TR_RULE_WIN_PROBE_EARLY, gap, want, 0, 0);
        R->probe_gap = gap;
    } else {
        int64_t gap = now - R->probe_last;
        int64_t need = tr__min64(2 * R->probe_gap, p->persist_max_ns);
        int64_t tol = p->tol_abs_ns + need * p->tol_pct / 100;
        if (gap < need - tol)
            tr__find(x, TR_RULE_WIN_PROBE_NO_BACKOFF, gap, need, R->probe_gap, 0);
        R->probe_gap = gap;
    }
    R->probe_last = now;
}

/* Wireshark's window_full: a data segment that ends exactly at the right
 * edge of the window the receiver last advertised. */
void tr__window_full(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    const struct tr_seg *s = x->s;
    if (!s->len || (s->flags & (TR_SYN | TR_FIN | TR_RST)) || !tr_ep_has(R, TR_EP_ACK_SEEN) ||
        !tr_ep_has(R, TR_EP_SCALE_KNOWN))
        return;
    if (s->seq + s->len == R->last_ack + R->tcb.rcv_wnd) {
        x->ws |= TR_WS_WINDOW_FULL;
        x->snd->st.window_full++;
    }
}

/* RFC 9293 §3.8.6.2.1, MUST-38: a sender sends less than a full segment
 * only when it has no more to send (and pushes it), or the window allows no
 * more. A small segment without PSH followed at once by more new data,
 * before any ACK, with room in the window, is silly.
 *
 * Full is the effective send MSS less this segment's options (§3.7.1:
 * "Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize - IPoptionsize"), so it
 * changes when SACK blocks come and go in the sender's headers (RFC 2018
 * §3). A stack cuts its queued data at the size in force when it queued it
 * (Linux keeps its GSO size per buffer): after such a change it sends runs
 * of segments at the smaller size, and a remainder where a buffer cut at
 * one size is sent at another. Neither is silly window syndrome, which is a
 * sender making small segments one after another (RFC 813 §3): once the
 * sender's full size has varied, the smallest full size it used is the
 * measure, and one short segment right after full ones is such a
 * remainder. */
static uint32_t tr__sws_full(struct tr_ep *S, const struct tr_seg *s)
{
    uint32_t mss = tr__send_mss(S), opts = (uint32_t)(s->tcp_hlen - 20) + s->ip_opt_len;
    if (mss <= opts)
        return 0;
    uint32_t full = mss - opts;
    if (full > UINT16_MAX)
        full = UINT16_MAX;
    if (!S->full_lo)
        S->full_lo = (uint16_t)full;
    else if (full != S->full_lo) {
        S->flags |= TR_EP_FULL_VARIED;
        if (full < S->full_lo)
            S->full_lo = (uint16_t)full;
    }
    return tr_ep_has(S, TR_EP_FULL_VARIED) ? S->full_lo : full;
}

void tr__sws_sender(struct tr_x *x, bool new_data)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (tr_ep_has(S, TR_EP_SMALL_PENDING) && new_data && s->seq == S->small_end) {
        const int64_t a[TR_FINDING_ARGS] = {S->small_len, S->small_full};
        tr__find_at(x->o, x->c, TR_RULE_WIN_SWS_SENDER, x->dir, S->small_frame, s->ts_ns, a);
    }
    S->flags &= ~(uint32_t)TR_EP_SMALL_PENDING;
    if (!new_data || (s->flags & TR_SYN))
        return;
    uint32_t full = tr__sws_full(S, s);
    bool after_full = tr_ep_has(S, TR_EP_LAST_FULL);
    if (full && s->len >= full)
        S->flags |= TR_EP_LAST_FULL;
    else
        S->flags &= ~(uint32_t)TR_EP_LAST_FULL;
    if (!full || s->len >= full || (s->flags & (TR_PSH | TR_FIN)))
        return;
    if (after_full && tr_ep_has(S, TR_EP_FULL_VARIED))
        return; /* the remainder of data queued at another size */
    const struct tr_ep *R = x->rcv;
    if (tr_ep_has(R, TR_EP_RIGHT_KNOWN) && tr_seq_ge(R->last_ack + R->tcb.rcv_wnd, s->seq + s->len + full)) {
        S->flags |= TR_EP_SMALL_PENDING;
        S->small_frame = s->frame;
        S->small_end = s->seq + s->len;
        S->small_len = s->len;
        S->small_full = (uint16_t)full;
    }
}
