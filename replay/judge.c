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
    if (s[0].rst || s[1].rst) {
        o->end = TR_OUT_RESET;
        o->end_by = !s[0].rst || (s[1].rst && s[1].rst_ts < s[0].rst_ts);
    } else if (s[0].fin || s[1].fin) {
        o->end = s[0].fin && s[1].fin ? TR_OUT_FIN : TR_OUT_HALF;
        o->end_by = !s[0].fin || (s[1].fin && s[1].fin_ts < s[0].fin_ts);
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
        o->ex[k].think_ns = tr_plan_think(cv, p->played, w->off, w->trig, prev, side_rtt_ns);
        prev = tr_convo_byte_ts(cv, p->played, w->off);
        int64_t last = tr_convo_byte_ts(cv, p->played, w->off + w->len - 1);
        int64_t resp = last >= 0 ? tr_convo_next_data_ts(cv, 1 - p->played, w->trig.bytes, last)
                                 : -1;
        o->ex[k].response_ns = resp >= 0 ? resp - last : -1;
    }
    return 0;
}

static void tr__outcome(struct tr_outcome *o, const struct tr_convo *cv, const struct tr_conn *c,
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
    tr__outcome(&r->out_rec, &r->rec, r->rec_conn, &r->plan, r->side_rtt_ns);
    tr__outcome(&r->out_rep, &r->rep, r->run_conn, &r->plan, 0);
    /* the recorded played stream, with filler where the capture cut it */
    r->out_rec.dir[r->played].data = r->plan.payload;
    struct tr_tolerance tol = {.abs_ns = r->profile->tol_abs_ns, .pct = r->profile->tol_pct,
                               .scale = r->opt.timing == TR_TIMING_ASAP ? 0 : r->opt.scale};
    tr_compare(&r->out_rec, &r->out_rep, r->played, &tol, r->side_rtt_ns, &r->cmp);
    r->verdict = r->cmp.verdict;
}
