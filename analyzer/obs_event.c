/* Findings and state transitions of connections, and the chunked storage
 * they and the connections live in. */
#include <stdlib.h>
#include <string.h>

#include "analyzer/arena.h"
#include "analyzer/obs_int.h"

void *tr__chunks_at(const struct tr__chunks *ch, uint32_t i)
{
    return (char *)ch->chunk[i >> TR_CHUNK_SHIFT] + (size_t)(i & (TR_CHUNK - 1)) * ch->elem;
}

uint32_t tr__chunks_push(struct tr__chunks *ch)
{
    uint32_t i = ch->count;
    if (i == UINT32_MAX - 1)
        return TR_NIL;
    if ((i >> TR_CHUNK_SHIFT) >= ch->nchunks) {
        if (ch->nchunks == ch->cap_chunks) {
            uint32_t cap = ch->cap_chunks ? ch->cap_chunks * 2 : 8;
            void **n = tr_mem_realloc(ch->chunk, cap * sizeof *n);
            if (!n)
                return TR_NIL;
            ch->chunk = n;
            ch->cap_chunks = cap;
        }
        void *c = tr_mem_malloc(TR_CHUNK * ch->elem);
        if (!c)
            return TR_NIL;
        ch->chunk[ch->nchunks++] = c;
    }
    ch->count++;
    memset(tr__chunks_at(ch, i), 0, ch->elem);
    return i;
}

void tr__chunks_free(struct tr__chunks *ch)
{
    for (uint32_t i = 0; i < ch->nchunks; i++)
        tr_mem_free(ch->chunk[i]);
    tr_mem_free(ch->chunk);
    memset(ch, 0, sizeof *ch);
}

/* The connection's last finding of rule r, to fold a repeat into. */
static struct tr_finding *tr__last_of_rule(struct tr_obs *o, struct tr_conn *c, uint16_t r,
                                           uint32_t *count)
{
    struct tr_finding *last = NULL;
    *count = 0;
    for (uint32_t i = c->f_head; i != TR_NIL;) {
        struct tr_finding *f = tr__chunks_at(&o->findings, i);
        if (f->rule == r) {
            last = f;
            (*count)++;
        }
        i = f->next;
    }
    return last;
}

static bool tr__fold(struct tr_obs *o, struct tr_conn *c, uint16_t r)
{
    uint32_t n;
    struct tr_finding *last = tr__last_of_rule(o, c, r, &n);
    bool full = c->nfindings >= o->cfg.max_findings;
    if (n < o->cfg.max_per_rule && !full)
        return false;
    if (last)
        last->repeat++;
    c->nsuppressed++;
    return true;
}

void tr__find_at(struct tr_obs *o, struct tr_conn *c, enum tr_rule r, uint8_t dir, uint64_t frame,
                 int64_t ts, const int64_t args[TR_FINDING_ARGS])
{
    if (!tr_rule_enabled(r) || tr__fold(o, c, (uint16_t)r))
        return;
    uint32_t i = o->finding_free;
    if (i != TR_NIL)
        o->finding_free = ((struct tr_finding *)tr__chunks_at(&o->findings, i))->next;
    else
        i = tr__chunks_push(&o->findings);
    if (i == TR_NIL) {
        c->nsuppressed++;
        return;
    }
    struct tr_finding *f = tr__chunks_at(&o->findings, i);
    *f = (struct tr_finding){.frame = frame, .ts = ts, .next = TR_NIL, .rule = (uint16_t)r,
                             .dir = dir};
    memcpy(f->arg, args, sizeof f->arg);
    if (c->f_tail == TR_NIL)
        c->f_head = i;
    else
        ((struct tr_finding *)tr__chunks_at(&o->findings, c->f_tail))->next = i;
    c->f_tail = i;
    c->nfindings++;
    if (o->cfg.hooks.finding)
        o->cfg.hooks.finding(o->cfg.hooks.ctx, c, f);
}

void tr__find(struct tr_x *x, enum tr_rule r, int64_t a0, int64_t a1, int64_t a2, int64_t a3)
{
    const int64_t args[TR_FINDING_ARGS] = {a0, a1, a2, a3, 0, 0};
    tr__find_at(x->o, x->c, r, x->dir, x->s->frame, x->s->ts_ns, args);
}

void tr__find6(struct tr_x *x, enum tr_rule r, const int64_t args[TR_FINDING_ARGS])
{
    tr__find_at(x->o, x->c, r, x->dir, x->s->frame, x->s->ts_ns, args);
}

static void tr__record(struct tr_conn *c, uint8_t ep, uint8_t state, uint8_t cause,
                       bool assumed, uint64_t frame, int64_t ts)
{
    if (c->ntrans == TR_MAX_TRANS) {
        c->trans_dropped++;
        return;
    }
    uint64_t off = frame ? frame - c->first_frame : UINT32_MAX;
    c->trans[c->ntrans++] = (struct tr_trans){
        .ts = ts, .frame_off = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off, .ep = ep,
        .state = state, .cause = cause, .assumed = assumed};
}

bool tr__transition(struct tr_obs *o, struct tr_conn *c, uint8_t ep, enum tr_event ev,
                    uint64_t frame, int64_t ts)
{
    (void)o;
    if (!tr_tcb_event(&c->ep[ep].tcb, ev))
        return false;
    tr__record(c, ep, c->ep[ep].tcb.state, (uint8_t)ev, false, frame, ts);
    return true;
}

void tr__initial_state(struct tr_conn *c, uint8_t ep, enum tr_state st, bool assumed,
                       uint64_t frame, int64_t ts)
{
    c->ep[ep].tcb.state = (uint8_t)st;
    if (st == TR_LISTEN)
        c->ep[ep].tcb.flags |= TR_TCB_PASSIVE;
    tr__record(c, ep, (uint8_t)st, TR_EVENT_COUNT, assumed, frame, ts);
}
