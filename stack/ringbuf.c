#include "stack/ringbuf.h"

#include <stdlib.h>
#include <string.h>

#include "stack/error.h"

int tr_ring_init(struct tr_ring *r, uint32_t cap, bool grow)
{
    memset(r, 0, sizeof *r);
    r->buf = malloc(cap ? cap : 1);
    if (!r->buf)
        return TR_ENOMEM;
    r->cap = cap;
    r->grow = grow;
    return TR_OK;
}

void tr_ring_free(struct tr_ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

bool tr_ring_reserve(struct tr_ring *r, uint32_t need)
{
    if (need <= r->cap)
        return true;
    if (!r->grow || need > UINT32_MAX / 2)
        return false;
    uint32_t cap = r->cap ? r->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *b = malloc(cap);
    if (!b)
        return false;
    tr_ring_read_at(r, 0, b, r->len); /* unwrap into the new buffer */
    free(r->buf);
    r->buf = b;
    r->cap = cap;
    r->head = 0;
    return true;
}

void tr_ring_write_at(struct tr_ring *r, uint32_t off, const uint8_t *p, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t at = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(r->buf + at, p, first);
    memcpy(r->buf, p + first, n - first);
}

void tr_ring_read_at(const struct tr_ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t at = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(p, r->buf + at, first);
    memcpy(p + first, r->buf, n - first);
}

void tr_ring_append(struct tr_ring *r, const uint8_t *p, uint32_t n)
{
    if (n == 0)
        return;
    tr_ring_write_at(r, r->len, p, n);
    r->len += n;
}

void tr_ring_commit(struct tr_ring *r, uint32_t n) { r->len += n; }

void tr_ring_consume(struct tr_ring *r, uint32_t n)
{
    if (r->cap)
        r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
    r->len -= n;
}
