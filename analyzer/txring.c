/* The per-direction history of transmissions not yet acknowledged, holes in
 * the captured stream and recent TSvals: pooled, held only while needed. */
#include <string.h>

#include "analyzer/obs_int.h"
#include "stack/seq.h"

struct tr_txring *tr__ring(struct tr_obs *o, struct tr_ep *e)
{
    return e->ring == TR_NIL ? NULL : tr__chunks_at(&o->rings, e->ring);
}

struct tr_txring *tr__ring_get(struct tr_obs *o, struct tr_ep *e)
{
    if (e->ring != TR_NIL)
        return tr__chunks_at(&o->rings, e->ring);
    uint32_t i = o->ring_free;
    if (i != TR_NIL) {
        o->ring_free = ((struct tr_txring *)tr__chunks_at(&o->rings, i))->next_free;
    } else {
        i = tr__chunks_push(&o->rings);
        if (i == TR_NIL)
            return NULL;
    }
    struct tr_txring *r = tr__chunks_at(&o->rings, i);
    /* Only the counts: entries are read below them alone (a 1.7 KB memset
     * per reuse cost 3 % of a capture of short connections). */
    r->head = r->count = 0;
    r->ngaps = r->tsr_head = r->tsr_count = 0;
    r->next_free = TR_NIL;
    e->ring = i;
    return r;
}

void tr__ring_release_if_idle(struct tr_obs *o, struct tr_ep *e)
{
    struct tr_txring *r = tr__ring(o, e);
    /* TSvals matter only while data is in flight: an ACK that acknowledges
     * nothing new gives no RTT sample (RFC 7323 §4.1). */
    if (!r || r->count || r->ngaps)
        return;
    r->next_free = o->ring_free;
    o->ring_free = e->ring;
    e->ring = TR_NIL;
}

static struct tr_txseg *tr__slot(struct tr_txring *r, uint32_t k)
{
    return &r->e[(r->head + k) % TR_RING_SLOTS];
}

/* Merges the two oldest entries to make room: their range and first send
 * time survive, their RTT sample and payload hash do not. */
static void tr__merge_oldest(struct tr_txring *r)
{
    struct tr_txseg *a = tr__slot(r, 0), *b = tr__slot(r, 1);
    b->seq = a->seq;
    b->t_first = a->t_first < b->t_first ? a->t_first : b->t_first;
    b->t_last = a->t_last > b->t_last ? a->t_last : b->t_last;
    b->frame_off = a->frame_off;
    b->ntx = a->ntx > b->ntx ? a->ntx : b->ntx;
    b->flags = (uint8_t)((a->flags | b->flags | TR_TX_MERGED) & ~TR_TX_HASHED);
    r->head = (r->head + 1) % TR_RING_SLOTS;
    r->count--;
}

void tr__ring_push(struct tr_txring *r, const struct tr_txseg *t)
{
    if (r->count == TR_RING_SLOTS)
        tr__merge_oldest(r);
    *tr__slot(r, r->count) = *t;
    r->count++;
}

void tr__ring_ack(struct tr_txring *r, uint32_t ack)
{
    while (r->count && tr_seq_le(tr__slot(r, 0)->end, ack)) {
        r->head = (r->head + 1) % TR_RING_SLOTS;
        r->count--;
    }
    /* Holes the peer acknowledged will never be re-sent: they were capture
     * losses, already reported. */
    uint8_t k = 0;
    for (uint8_t i = 0; i < r->ngaps; i++)
        if (tr_seq_gt(r->gaps[i].hi, ack))
            r->gaps[k++] = r->gaps[i];
    r->ngaps = k;
}

void tr__ring_add_gap(struct tr_txring *r, uint32_t lo, uint32_t hi, int64_t ts,
                      const struct tr_seg *s, bool id_sequential)
{
    if (r->ngaps == TR_MAX_GAPS) {
        memmove(&r->gaps[0], &r->gaps[1], (TR_MAX_GAPS - 1) * sizeof r->gaps[0]);
        r->ngaps--;
    }
    r->gaps[r->ngaps++] = (struct tr_gap){.lo = lo, .hi = hi, .ts = ts, .tsval = s->opt.tsval,
                                          .has_tsval = s->opt.has_ts, .ip_id = s->ip_id,
                                          .has_id = id_sequential};
}

void tr__ring_ts_note(struct tr_txring *r, uint32_t tsval, int64_t ts)
{
    if (r->tsr_count) {
        uint32_t last = (r->tsr_head + r->tsr_count - 1) % TR_TSRING_SLOTS;
        if (r->tsr[last].tsval == tsval)
            return;
    }
    uint32_t i = (r->tsr_head + r->tsr_count) % TR_TSRING_SLOTS;
    if (r->tsr_count == TR_TSRING_SLOTS)
        r->tsr_head = (uint8_t)((r->tsr_head + 1) % TR_TSRING_SLOTS);
    else
        r->tsr_count++;
    r->tsr[i].tsval = tsval;
    r->tsr[i].ts = ts;
}

bool tr__ring_ts_lookup(const struct tr_txring *r, uint32_t tsval, int64_t *ts)
{
    for (uint32_t k = 0; k < r->tsr_count; k++) {
        uint32_t i = (r->tsr_head + k) % TR_TSRING_SLOTS;
        if (r->tsr[i].tsval == tsval) {
            *ts = r->tsr[i].ts;
            return true;
        }
    }
    return false;
}
