#include "replay/stream.h"

#include <stdlib.h>
#include <string.h>

#include "stack/error.h"

uint64_t tr_fnv64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull; /* the 64-bit FNV prime */
    }
    return h;
}

/* ---- range sets ---- */

void tr_ranges_free(struct tr_ranges *rs)
{
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* Index of the first range whose hi >= lo (ranges touching lo merge). */
static size_t tr__ranges_first(const struct tr_ranges *rs, uint64_t lo)
{
    size_t a = 0, b = rs->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (rs->r[m].hi < lo)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

int tr_ranges_add(struct tr_ranges *rs, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return TR_OK;
    size_t i = tr__ranges_first(rs, lo), j = i;
    while (j < rs->n && rs->r[j].lo <= hi) {
        if (rs->r[j].lo < lo)
            lo = rs->r[j].lo;
        if (rs->r[j].hi > hi)
            hi = rs->r[j].hi;
        j++;
    }
    if (j == i) { /* no overlap: insert at i */
        if (rs->n == rs->cap) {
            size_t nc = rs->cap ? rs->cap * 2 : 16;
            struct tr_range *nr = realloc(rs->r, nc * sizeof *nr);
            if (!nr)
                return TR_ENOMEM;
            rs->r = nr;
            rs->cap = nc;
        }
        memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof rs->r[0]);
        rs->n++;
    } else if (j > i + 1) { /* ranges i..j-1 collapse into i */
        memmove(&rs->r[i + 1], &rs->r[j], (rs->n - j) * sizeof rs->r[0]);
        rs->n -= j - i - 1;
    }
    rs->r[i].lo = lo;
    rs->r[i].hi = hi;
    return TR_OK;
}

uint64_t tr_ranges_covered(const struct tr_ranges *rs, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (size_t i = tr__ranges_first(rs, lo); i < rs->n && rs->r[i].lo < hi; i++) {
        uint64_t a = rs->r[i].lo > lo ? rs->r[i].lo : lo;
        uint64_t b = rs->r[i].hi < hi ? rs->r[i].hi : hi;
        if (b > a)
            n += b - a;
    }
    return n;
}

/* ---- streams ---- */

void tr_stream_init(struct tr_stream *s) { memset(s, 0, sizeof *s); }

void tr_stream_free(struct tr_stream *s)
{
    free(s->data);
    tr_ranges_free(&s->seen);
    tr_ranges_free(&s->captured);
    memset(s, 0, sizeof *s);
}

static int tr__stream_reserve(struct tr_stream *s, uint64_t need)
{
    if (need <= s->cap)
        return TR_OK;
    uint64_t nc = s->cap ? s->cap : 4096;
    while (nc < need)
        nc *= 2;
    uint8_t *nd = realloc(s->data, (size_t)nc);
    if (!nd)
        return TR_ENOMEM;
    memset(nd + s->cap, 0, (size_t)(nc - s->cap));
    s->data = nd;
    s->cap = nc;
    return TR_OK;
}

/* Compares the bytes of [lo, hi) already captured with the new copy p
 * (p[0] is offset lo), and copies in the bytes not captured before. */
static void tr__stream_merge(struct tr_stream *s, uint64_t lo, uint64_t hi, const uint8_t *p)
{
    uint64_t at = lo;
    size_t i = tr__ranges_first(&s->captured, lo);
    while (at < hi) {
        const struct tr_range *r = i < s->captured.n ? &s->captured.r[i] : NULL;
        if (r && r->lo <= at && at < r->hi) { /* already captured: compare */
            uint64_t b = r->hi < hi ? r->hi : hi;
            for (uint64_t k = at; k < b; k++)
                if (s->data[k] != p[k - lo] && s->differing++ == 0)
                    s->first_differing = k;
            at = b;
            i++;
        } else { /* new bytes: copy up to the next captured range */
            uint64_t b = r && r->lo < hi ? (r->lo > at ? r->lo : at) : hi;
            if (r && r->hi <= at) {
                i++;
                continue;
            }
            memcpy(s->data + at, p + (at - lo), (size_t)(b - at));
            at = b;
        }
    }
}

int64_t tr_stream_add(struct tr_stream *s, uint64_t off, uint32_t len, const uint8_t *payload,
                      uint32_t caplen)
{
    if (len == 0)
        return 0;
    if (off + len > TR_STREAM_MAX)
        return TR_ELIMIT;
    if (caplen > len)
        caplen = len;
    int r = tr__stream_reserve(s, off + len);
    if (r < 0)
        return r;
    uint64_t old = tr_ranges_covered(&s->seen, off, off + len);
    s->dup_bytes += old;
    if (caplen && payload) {
        tr__stream_merge(s, off, off + caplen, payload);
        if ((r = tr_ranges_add(&s->captured, off, off + caplen)) < 0)
            return r;
    }
    if ((r = tr_ranges_add(&s->seen, off, off + len)) < 0)
        return r;
    if (off + len > s->end)
        s->end = off + len;
    return (int64_t)(len - old);
}

uint64_t tr_stream_contiguous(const struct tr_stream *s)
{
    return s->seen.n && s->seen.r[0].lo == 0 ? s->seen.r[0].hi : 0;
}

bool tr_stream_seen_all(const struct tr_stream *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo || tr_ranges_covered(&s->seen, lo, hi) == hi - lo;
}

bool tr_stream_captured_all(const struct tr_stream *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo || tr_ranges_covered(&s->captured, lo, hi) == hi - lo;
}

bool tr_stream_first_hole(const struct tr_stream *s, uint64_t hi, uint64_t *lo_out,
                          uint64_t *hi_out)
{
    uint64_t at = 0;
    for (size_t i = 0; i < s->seen.n && at < hi; i++) {
        if (s->seen.r[i].lo > at) {
            *lo_out = at;
            *hi_out = s->seen.r[i].lo < hi ? s->seen.r[i].lo : hi;
            return true;
        }
        at = s->seen.r[i].hi;
    }
    if (at < hi) {
        *lo_out = at;
        *hi_out = hi;
        return true;
    }
    return false;
}

uint64_t tr_stream_uncaptured(const struct tr_stream *s, uint64_t hi)
{
    return tr_ranges_covered(&s->seen, 0, hi) - tr_ranges_covered(&s->captured, 0, hi);
}
