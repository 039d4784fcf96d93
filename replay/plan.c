#include "replay/plan.h"

#include <stdlib.h>
#include <string.h>

#include "stack/error.h"

#define TR_PLAN_MIN_GAP_NS 5000000 /* 5 ms */

struct tr_trigger tr_plan_trigger(int64_t delivered, bool fin, uint64_t fin_off)
{
    struct tr_trigger t = {0, false};
    if (delivered <= 0)
        return t;
    if (fin && (uint64_t)delivered > fin_off) {
        t.bytes = fin_off;
        t.eof = true;
    } else {
        t.bytes = (uint64_t)delivered;
    }
    return t;
}

static int tr__trig_cmp(struct tr_trigger a, struct tr_trigger b)
{
    if (a.bytes != b.bytes)
        return a.bytes < b.bytes ? -1 : 1;
    return (int)a.eof - (int)b.eof;
}

/* When the played side could first act with trigger t: the peer's bytes (and
 * FIN) reached it, or the handshake completed for it (trigger 0). */
static int64_t tr__trigger_ts(const struct tr_convo *c, int played, struct tr_trigger t)
{
    if (t.bytes == 0 && !t.eof) {
        int64_t est = played == 0 ? c->hs_synack_ts : c->hs_ack_ts;
        if (!est)
            est = c->hs_synack_ts;
        return est ? est : -1;
    }
    return tr_convo_reached(c, 1 - played, t.bytes, t.eof);
}

int64_t tr_plan_think(const struct tr_convo *c, int played, uint64_t off, struct tr_trigger t,
                      int64_t prev_ts, int64_t side_rtt_ns)
{
    int64_t tt = tr__trigger_ts(c, played, t);
    int64_t tw = tr_convo_byte_ts(c, played, off);
    if (tt < 0 || tw < 0)
        return -1;
    int64_t think = prev_ts >= tt ? tw - prev_ts : tw - tt - side_rtt_ns;
    return think > 0 ? think : 0;
}

/* Same, for a FIN or RST sent at time ts. */
static int64_t tr__close_think(const struct tr_convo *c, int played, struct tr_trigger t,
                               int64_t prev_ts, int64_t ts, int64_t side_rtt_ns)
{
    int64_t tt = tr__trigger_ts(c, played, t);
    if (tt < 0)
        return -1;
    int64_t think = prev_ts >= tt ? ts - prev_ts : ts - tt - side_rtt_ns;
    return think > 0 ? think : 0;
}

static int tr__piece_cmp(const void *a, const void *b)
{
    const struct tr_piece *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int tr__payload(struct tr_plan *p, const struct tr_stream *st)
{
    p->len = st->end;
    p->payload = malloc(p->len ? (size_t)p->len : 1);
    if (!p->payload)
        return TR_ENOMEM;
    if (p->len)
        memcpy(p->payload, st->data, (size_t)p->len);
    /* the gaps between captured ranges get the filler */
    uint64_t at = 0;
    for (size_t i = 0; i <= st->captured.n; i++) {
        uint64_t lo = i < st->captured.n ? st->captured.r[i].lo : p->len;
        if (lo > p->len)
            lo = p->len;
        if (lo > at) {
            memset(p->payload + at, TR_PLAN_FILLER, (size_t)(lo - at));
            p->filler += lo - at;
        }
        if (i < st->captured.n)
            at = st->captured.r[i].hi;
    }
    return TR_OK;
}

/* Pieces of the played stream in stream order, with the trigger each stands
 * for; triggers and times made non-decreasing backwards (the application
 * wrote byte i no later than byte i+1). */
static struct tr_piece *tr__sorted(const struct tr_convo *c, int played, struct tr_trigger **trig)
{
    const struct tr_cv_side *sd = &c->side[played], *peer = &c->side[1 - played];
    size_t n = sd->npieces;
    struct tr_piece *ps = malloc((n ? n : 1) * sizeof *ps);
    struct tr_trigger *tg = malloc((n ? n : 1) * sizeof *tg);
    if (!ps || !tg) {
        free(ps);
        free(tg);
        return NULL;
    }
    if (n)
        memcpy(ps, sd->pieces, n * sizeof *ps);
    qsort(ps, n, sizeof *ps, tr__piece_cmp);
    for (size_t i = 0; i < n; i++)
        tg[i] = tr_plan_trigger(ps[i].delivered, peer->fin, peer->fin_off);
    for (size_t i = n; i-- > 1;) {
        if (tr__trig_cmp(tg[i - 1], tg[i]) > 0)
            tg[i - 1] = tg[i];
        if (ps[i - 1].ts > ps[i].ts)
            ps[i - 1].ts = ps[i].ts;
    }
    *trig = tg;
    return ps;
}

static int tr__push_write(struct tr_plan *p, const struct tr_write *w)
{
    struct tr_write *nw = realloc(p->w, (p->nw + 1) * sizeof *nw);
    if (!nw)
        return TR_ENOMEM;
    p->w = nw;
    p->w[p->nw++] = *w;
    return TR_OK;
}

static int tr__writes(struct tr_plan *p, const struct tr_convo *c)
{
    struct tr_trigger *tg = NULL;
    struct tr_piece *ps = tr__sorted(c, p->played, &tg);
    if (!ps)
        return TR_ENOMEM;
    size_t n = c->side[p->played].npieces;
    int r = TR_OK;
    struct tr_write cur = {0};
    for (size_t i = 0; i < n && r == TR_OK; i++) {
        bool paused = i > 0 && ps[i].ts - ps[i - 1].ts > p->split_gap_ns &&
                      ps[i].peer_acked >= ps[i].off && ps[i].ts - ps[i].peer_last_ts > p->split_gap_ns;
        bool split = i == 0 || tr__trig_cmp(tg[i], cur.trig) != 0 || paused;
        if (split && i > 0)
            r = tr__push_write(p, &cur);
        if (split)
            cur = (struct tr_write){.off = ps[i].off, .trig = tg[i], .ts = ps[i].ts,
                                    .frame = ps[i].frame};
        cur.len = ps[i].off + ps[i].len - cur.off;
    }
    if (n && r == TR_OK)
        r = tr__push_write(p, &cur);
    free(ps);
    free(tg);
    int64_t prev = 0;
    for (size_t k = 0; k < p->nw; k++) {
        p->w[k].think_ns = tr_plan_think(c, p->played, p->w[k].off, p->w[k].trig, prev,
                                         p->side_rtt_ns);
        prev = p->w[k].ts;
    }
    return r;
}

static void tr__close(struct tr_plan *p, const struct tr_convo *c)
{
    const struct tr_cv_side *sd = &c->side[p->played], *peer = &c->side[1 - p->played];
    int64_t delivered, ts;
    if (p->refused) /* the RST was the stack's answer, not the application's */
        return;
    if (sd->fin) {
        p->close = TR_CLOSE_FIN;
        delivered = sd->fin_delivered;
        ts = sd->fin_ts;
    } else if (sd->rst) {
        p->close = TR_CLOSE_RST;
        delivered = sd->rst_delivered;
        ts = sd->rst_ts;
    } else {
        return;
    }
    p->close_trig = tr_plan_trigger(delivered, peer->fin, peer->fin_off);
    int64_t prev = 0;
    if (p->nw) {
        const struct tr_write *last = &p->w[p->nw - 1];
        if (tr__trig_cmp(p->close_trig, last->trig) < 0)
            p->close_trig = last->trig;
        prev = tr_convo_byte_ts(c, p->played, last->off + last->len - 1);
    }
    p->close_think_ns = tr__close_think(c, p->played, p->close_trig, prev, ts, p->side_rtt_ns);
}

int tr_plan_build(struct tr_plan *p, const struct tr_convo *c, int played, int64_t side_rtt_ns)
{
    memset(p, 0, sizeof *p);
    p->played = played;
    p->refused = !c->side[1].syn_seen && c->side[1].rst;
    p->side_rtt_ns = side_rtt_ns > 0 ? side_rtt_ns : 0;
    int64_t rtt = c->hs_ack_ts && c->hs_syn_ts ? c->hs_ack_ts - c->hs_syn_ts : 0;
    p->split_gap_ns = 2 * rtt > TR_PLAN_MIN_GAP_NS ? 2 * rtt : TR_PLAN_MIN_GAP_NS;
    int r = tr__payload(p, &c->side[played].bytes);
    if (r == TR_OK)
        r = tr__writes(p, c);
    if (r < 0) {
        tr_plan_free(p);
        return r;
    }
    tr__close(p, c);
    return TR_OK;
}

void tr_plan_free(struct tr_plan *p)
{
    free(p->w);
    free(p->payload);
    memset(p, 0, sizeof *p);
}
