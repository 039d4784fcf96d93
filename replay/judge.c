/* Outcomes of the recording and of the run, and the verdict. */
#include <stdlib.h>
#include <string.h>

#include "replay/replay.h"

static void tr__dir(struct tr_out_dir *o, const struct tr_cv_side *sd, const struct tr_conn *c,
                    int d)
{
    memset(o, 0, sizeof *o);
    o->data = sd->bytes.data;
    o->len = sd->bytes.end;
    o->captured = tr_stream_captured_all(&sd->bytes, 0, o->len);
    o->fin = sd->fin;
    o->rst = sd->rst;
    o->data_segs = sd->new_data_segs;
    o->max_seg = sd->max_seg;
    if (c) {
        o->retx_segs = c->ep[d].st.retx_segs;
        o->timeouts = c->ep[d].st.rtx[TR_RTX_RTO];
        o->fast_retx = c->ep[d].st.rtx[TR_RTX_FAST];
    }
}

static void tr__opts(struct tr_out_opts *o, const struct tr_cv_side *sd)
{
    memset(o, 0, sizeof *o);
    o->seen = sd->syn_seen;
    o->has_mss = sd->syn.has_mss;
    o->mss = sd->syn.mss;
    o->has_ws = sd->syn.has_wscale;
    o->ws = sd->syn.wscale;
    o->sack_perm = sd->syn.sack_perm;
    o->has_ts = sd->syn.has_ts;
}

/* Side d's RST came after the connection had closed: both FINs sent and
 * acknowledged before it. Such a RST answers a segment that reached a
 * closed connection (RFC 9293 §3.10.7.1: in CLOSED "an incoming segment not
 * containing a RST causes a RST to be sent in response"), typically an ACK
 * of a retransmitted FIN that crossed the final ACK: it does not change how
 * the connection ended. */
static bool tr__rst_after_close(const struct tr_cv_side *s, int d)
{
    int64_t t = s[d].rst_ts;
    for (int k = 0; k < 2; k++)
        if (!s[k].fin || s[k].fin_ts > t || !s[k].fin_acked_ts || s[k].fin_acked_ts > t)
            return false;
    return true;
}

static void tr__end(struct tr_outcome *o, const struct tr_convo *cv)
{
    const struct tr_cv_side *s = cv->side;
    o->end_by = -1;
    if (!o->established) {
        if (s[1].rst && !s[1].syn_seen)
            o->end = TR_OUT_REFUSED, o->end_by = 1;
        else
            o->end = s[0].syn_seen && !s[1].syn_seen ? TR_OUT_NO_ANSWER : TR_OUT_OPEN;
        return;
    }
    bool rst[2] = {s[0].rst && !tr__rst_after_close(s, 0), s[1].rst && !tr__rst_after_close(s, 1)};
    if (rst[0] || rst[1]) {
        o->end = TR_OUT_RESET;
        o->end_by = !rst[0] || (rst[1] && s[1].rst_ts < s[0].rst_ts);
        for (int d = 0; d < 2; d++)
            o->close_ts[d] = rst[d] ? s[d].rst_ts : 0;
    } else if (s[0].fin || s[1].fin) {
        o->end = s[0].fin && s[1].fin ? TR_OUT_FIN : TR_OUT_HALF;
        o->end_by = !s[0].fin || (s[1].fin && s[1].fin_ts < s[0].fin_ts);
        for (int d = 0; d < 2; d++)
            o->close_ts[d] = s[d].fin ? s[d].fin_ts : 0;
    } else {
        o->end = TR_OUT_OPEN;
    }
}

static void tr__states(struct tr_outcome *o, const struct tr_conn *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->ntrans; i++) {
        const struct tr_trans *t = &c->trans[i];
        uint8_t e = t->ep & 1;
        if (t->assumed || o->nstates[e] == TR_OUT_MAX_STATES ||
            (o->nstates[e] && o->states[e][o->nstates[e] - 1] == t->state))
            continue;
        o->states[e][o->nstates[e]++] = t->state;
    }
}

/* Whether the played side waited for the peer after write k: the next
 * write needs more of the peer's bytes, or its FIN. Only then is the peer's
 * next data an answer to write k; a write followed by more writes of the
 * same trigger (a bulk upload in several writes) has no response of its
 * own. The last write has one if the peer sent more data. */
static bool tr__awaits_answer(const struct tr_plan *p, size_t k)
{
    if (k + 1 == p->nw)
        return true;
    const struct tr_trigger *t = &p->w[k].trig, *next = &p->w[k + 1].trig;
    return next->bytes > t->bytes || next->eof != t->eof;
}

/* The think time of write k as the capture shows it (tr_plan_think), or -1
 * when the wire cannot show it: the write's first byte left while bytes of
 * earlier writes were still unacknowledged, so it may have waited behind
 * them in the send queue (the sender, not the application, set its time). */
static int64_t tr__think_seen(const struct tr_convo *cv, const struct tr_plan *p, size_t k,
                              int64_t prev, int64_t side_rtt_ns)
{
    const struct tr_write *w = &p->w[k];
    const struct tr_piece *pc = tr_convo_piece_at(cv, p->played, w->off);
    if (k > 0 && pc && pc->peer_acked < w->off)
        return -1;
    return tr_plan_think(cv, p->played, w->off, w->trig, prev, side_rtt_ns);
}

/* Think and response times of each write of the plan, measured in cv. */
static int tr__exchanges(struct tr_outcome *o, const struct tr_convo *cv, const struct tr_plan *p,
                         int64_t side_rtt_ns)
{
    o->nex = p->nw;
    o->ex = calloc(p->nw ? p->nw : 1, sizeof *o->ex);
    if (!o->ex)
        return -1;
    int64_t prev = 0;
    for (size_t k = 0; k < p->nw; k++) {
        const struct tr_write *w = &p->w[k];
        o->ex[k].think_ns = tr__think_seen(cv, p, k, prev, side_rtt_ns);
        prev = tr_convo_byte_ts(cv, p->played, w->off);
        int64_t last = tr_convo_byte_ts(cv, p->played, w->off + w->len - 1);
        int64_t resp = last >= 0 && tr__awaits_answer(p, k)
                           ? tr_convo_next_data_ts(cv, 1 - p->played, w->trig.bytes, last)
                           : -1;
        o->ex[k].response_ns = resp >= 0 ? resp - last : -1;
    }
    return 0;
}

void tr_replay_outcome(struct tr_outcome *o, const struct tr_convo *cv, const struct tr_conn *c,
                       const struct tr_plan *p, int64_t side_rtt_ns)
{
    free(o->ex);
    memset(o, 0, sizeof *o);
    o->established = cv->side[0].syn_seen && cv->side[1].syn_seen && cv->hs_ack_ts != 0;
    for (int d = 0; d < 2; d++) {
        tr__dir(&o->dir[d], &cv->side[d], c, d);
        tr__opts(&o->opts[d], &cv->side[d]);
    }
    tr__end(o, cv);
    tr__states(o, c);
    tr__exchanges(o, cv, p, side_rtt_ns);
}

void tr_replay_judge(struct tr_replay *r)
{
    if (r->inconclusive) {
        r->verdict = TR_RV_INCONCLUSIVE;
        return;
    }
    tr_replay_outcome(&r->out_rec, &r->rec, r->rec_conn, &r->plan, r->side_rtt_ns);
    tr_replay_outcome(&r->out_rep, &r->rep, r->run_conn, &r->plan, 0);
    /* the recorded played stream, with filler where the capture cut it */
    r->out_rec.dir[r->played].data = r->plan.payload;
    struct tr_tolerance tol = {.abs_ns = r->profile->tol_abs_ns, .pct = r->profile->tol_pct,
                               .scale = r->opt.timing == TR_TIMING_ASAP ? 0 : r->opt.scale};
    tr_compare(&r->out_rec, &r->out_rep, r->played, &tol, r->side_rtt_ns, &r->cmp);
    r->verdict = r->cmp.verdict;
    /* A run stopped by SIGINT or SIGTERM says nothing about the peer: what
     * it did not do yet, it was not given the time to do. */
    if (r->run.end == TR_RUN_INTERRUPTED)
        r->verdict = TR_RV_INCONCLUSIVE;
}
