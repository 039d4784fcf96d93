/* The end of a connection: what was still pending is decided, and how it
 * ended is recorded. */
#include "analyzer/obs_int.h"

static void tr__finish_pending(struct tr_obs *o, struct tr_conn *c)
{
    const int64_t none[TR_FINDING_ARGS] = {0};
    if (c->flags & TR_CONN_SYN_PENDING) {
        c->flags &= (uint16_t)~TR_CONN_SYN_PENDING;
        tr__find_at(o, c, TR_RULE_HS_SYNACK_WITHOUT_SYN, 1, c->ep[1].first_syn_frame,
                    c->ep[1].first_syn_ts, none);
    }
    for (uint8_t d = 0; d < 2; d++) {
        struct tr_ep *e = &c->ep[d];
        if (!tr_ep_has(e, TR_EP_UNSEEN_PENDING))
            continue;
        e->flags &= ~(uint32_t)TR_EP_UNSEEN_PENDING;
        const int64_t args[TR_FINDING_ARGS] = {tr__rel(e, e->unseen_from), tr__rel(e, e->unseen_ack),
                                 (uint32_t)(e->unseen_ack - e->unseen_from), 0};
        tr__find_at(o, c, TR_RULE_ACK_UNSEEN_CAPTURE, (uint8_t)!d, e->unseen_frame, e->unseen_ts,
                    args);
    }
}

static void tr__finish_midstream(struct tr_obs *o, struct tr_conn *c)
{
    if (!(c->flags & TR_CONN_MIDSTREAM))
        return;
    /* arg 0: 0 = neither SYN seen */
    const int64_t args[TR_FINDING_ARGS] = {0};
    tr__find_at(o, c, TR_RULE_CAP_NO_HANDSHAKE, TR_DIR_NONE, c->first_frame, c->first_ts, args);
}

static enum tr_end tr__end_of(const struct tr_conn *c)
{
    bool fin0 = tr_tcb_has(&c->ep[0].tcb, TR_TCB_FIN_SENT);
    bool fin1 = tr_tcb_has(&c->ep[1].tcb, TR_TCB_FIN_SENT);
    if (fin0 && fin1)
        return TR_END_FIN;
    if (fin0 || fin1)
        return TR_END_HALF;
    if (c->roles == TR_ROLES_KNOWN && !tr_ep_has(&c->ep[1], TR_EP_SENT_ANY))
        return TR_END_NO_ANSWER;
    return TR_END_OPEN;
}

/* threshold.retransmissions: per endpoint, of the segments that carried
 * sequence space (data, SYN, FIN), the share that re-sent it. */
static bool tr__retx_over(const struct tr_obs *o, const struct tr_dirstats *st, uint64_t *bp)
{
    if (!o->cfg.th.retx_on || st->seq_segs == 0)
        return false;
    *bp = (uint64_t)st->retx_segs * 10000 / st->seq_segs;
    return *bp > o->cfg.th.retx_bp;
}

static void tr__finish_retx(struct tr_obs *o, struct tr_conn *c)
{
    for (uint8_t d = 0; d < 2; d++) {
        const struct tr_dirstats *st = &c->ep[d].st;
        uint64_t bp;
        if (tr__retx_over(o, st, &bp)) {
            const int64_t a[TR_FINDING_ARGS] = {st->retx_segs, (int64_t)st->seq_segs, o->cfg.th.retx_bp,
                                                (int64_t)bp};
            tr__find_at(o, c, TR_RULE_THR_RETX, d, c->last_frame, c->last_ts, a);
        }
    }
}

/* Whether tr__finish_conn(o, c) would find nothing and change nothing but
 * c->flags (TR_CONN_CLOSE_SENT) and c->end (*end: tr__end_of(c) for one
 * still "open"), whenever it is called: no condition below depends on the
 * time of the call. A parked connection for which this held when it was
 * packed then finishes, and retires, without being unpacked (observer.c,
 * tr__finish_parked). It follows tr__finish_conn step by step; every
 * change there must be mirrored here (unit.parking and fuzz_threads
 * compare runs that park everything with runs that park nothing). */
bool tr__finish_inert(const struct tr_obs *o, const struct tr_conn *c, uint8_t *end)
{
    /* tr__finish_pending */
    if (c->flags & (TR_CONN_SYN_PENDING | TR_CONN_MIDSTREAM)) /* and tr__finish_midstream */
        return false;
    bool stalls = c->end != TR_END_RST && c->end != TR_END_REFUSED;
    for (unsigned d = 0; d < 2; d++) {
        const struct tr_ep *e = &c->ep[d];
        /* tr__finish_pending, tr__finish_fin */
        if (tr_ep_has(e, TR_EP_UNSEEN_PENDING | TR_EP_FIN_PENDING))
            return false;
        /* tr__stall_finish: a stall found, or one tr__stall_check could
         * find at a later time */
        if (stalls && (e->stall || tr__stall_may_come(e)))
            return false;
        /* tr__window_finish; the rings */
        if (e->zw_on || e->ring != TR_NIL)
            return false;
        uint64_t bp;
        if (tr__retx_over(o, &e->st, &bp)) /* tr__finish_retx */
            return false;
    }
    if (o->cfg.hooks.conn_close && !(c->flags & TR_CONN_CLOSE_SENT))
        return false;
    *end = c->end == TR_END_OPEN ? (uint8_t)tr__end_of(c) : c->end;
    return true;
}

void tr__finish_conn(struct tr_obs *o, struct tr_conn *c)
{
    tr__finish_pending(o, c);
    /* At the end of the capture a FIN still in flight is taken as received;
     * at an instant inside it (sockets --at) it is not, yet. */
    if (!o->cfg.stop_after_ns)
        tr__finish_fin(o, c);
    if (c->end != TR_END_RST && c->end != TR_END_REFUSED)
        tr__stall_finish(o, c, o->in.last_ts);
    tr__window_finish(o, c, o->in.last_ts ? o->in.last_ts : c->last_ts);
    tr__finish_retx(o, c);
    tr__finish_midstream(o, c);
    if (c->end == TR_END_OPEN)
        c->end = (uint8_t)tr__end_of(c);
    for (uint8_t d = 0; d < 2; d++) {
        struct tr_txring *r = tr__ring(o, &c->ep[d]);
        if (r) {
            r->count = 0;
            r->ngaps = 0;
            tr__ring_release_if_idle(o, &c->ep[d]);
        }
    }
    if (o->cfg.hooks.conn_close && !(c->flags & TR_CONN_CLOSE_SENT))
        o->cfg.hooks.conn_close(o->cfg.hooks.ctx, c);
    c->flags |= TR_CONN_CLOSE_SENT;
}
