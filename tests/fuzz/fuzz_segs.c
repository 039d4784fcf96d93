/* Fuzz bytes to TCP segments (fuzz.h). */
#include <string.h>

#include "fuzz.h"
#include "stack/seq.h"

uint8_t fz_u8(struct fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint16_t fz_u16(struct fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fz_in *in)
{
    uint32_t hi = fz_u16(in);
    return hi << 16 | fz_u16(in);
}

void fz_segs_init(struct fz_segs *g, const uint8_t *data, size_t size)
{
    memset(g, 0, sizeof *g);
    g->in = (struct fz_in){.p = data, .n = size};
    for (unsigned c = 0; c < 4; c++) {
        g->nxt[c][0] = 1000u + c * 0x11111111u;  /* client ISN */
        g->nxt[c][1] = 0x80000000u - c * 777u;   /* server ISN: wraps soon */
        g->tsval[c][0] = 100;
        g->tsval[c][1] = 0xfffffff0u;            /* TSval wraps too */
    }
    g->now = (int64_t)1700000000 * 1000000000;
}

void fz_segs_free(struct fz_segs *g) { free(g->buf); }

/* Connections 0 and 3 share their addresses and ports and differ by VLAN
 * (3 is tagged 7); 1 is another port pair of the same hosts; 2 is IPv6. */
static void fz__tuple(struct tr_seg *s, unsigned c, unsigned d)
{
    static const uint8_t v4[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
    static const uint8_t v6[2][16] = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1},
                                      {0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
    uint16_t port[2] = {(uint16_t)(40000 + (c == 1)), 80};
    s->ipver = c == 2 ? 6 : 4;
    memcpy(s->src, c == 2 ? v6[d] : v4[d], c == 2 ? 16 : 4);
    memcpy(s->dst, c == 2 ? v6[!d] : v4[!d], c == 2 ? 16 : 4);
    s->sport = port[d];
    s->dport = port[!d];
    s->vlan = c == 3 ? 7 : 0;
}

static uint32_t fz__field(const struct fz_segs *g, uint32_t raw, bool absolute, uint32_t base)
{
    if (!absolute)
        return base + (uint32_t)(int32_t)(int16_t)(raw & 0xffff);
    if (!g->abs_span)
        return raw;
    return base + raw % g->abs_span - g->abs_span / 2;
}

/* Capture time: 1 us, 100 us or 10 ms steps forward, or 1 us steps back;
 * 0xffff jumps 2^60 ns (36 years) ahead. Times stay in [0, 2^62], the range
 * the capture readers hand out (analyzer/source_int.h TR_TS_MAX). */
static void fz__time(struct fz_segs *g, uint16_t v)
{
    static const int64_t unit[4] = {1000, 100000, 10000000, -1000};
    if (v == 0xffff)
        g->now += (int64_t)1 << 60;
    else
        g->now += (int64_t)(v & 0x3fff) * unit[v >> 14];
    if (g->now < 0)
        g->now = 0;
    if (g->now > ((int64_t)1 << 62))
        g->now = (int64_t)1 << 62;
}

static void fz__sack(struct tr_opts *o, uint32_t ack, uint8_t p1, uint8_t p2)
{
    o->nsack = (uint8_t)(1 + (p1 & 3));
    uint32_t at = ack + (uint32_t)p2 * 100u;
    if (p1 & 4) /* a D-SACK block below the ACK first (RFC 2883) */
        at = ack - 1000u;
    for (uint8_t k = 0; k < o->nsack; k++) {
        o->sack[k].left = at;
        o->sack[k].right = at + 100u * (k + 1u) + ((p1 & 8) ? 0u : 1u);
        at = o->sack[k].right + 1000u;
    }
}

static void fz__options(struct fz_segs *g, struct tr_seg *s, unsigned c, unsigned d, uint8_t mask,
                        uint8_t p1, uint8_t p2)
{
    struct tr_opts *o = &s->opt;
    if (mask & 0x01)
        o->has_mss = true, o->mss = (uint16_t)(p1 * 8u);
    if (mask & 0x02)
        o->has_wscale = true, o->wscale = p2 & 0x0f;
    o->sack_perm = (mask & 0x04) != 0;
    if (mask & 0x08) {
        o->has_ts = true;
        if (!(p2 & 0x80))
            g->tsval[c][d] += 1u + p1;
        o->tsval = g->tsval[c][d];
        o->tsecr = (p2 & 0x40) ? 0 : g->tsval[c][!d];
    }
    if (mask & 0x10)
        fz__sack(o, s->ack, p1, p2);
    if (mask & 0x20)
        o->error = (p1 & 0x80) ? TR_OPTERR_UNKNOWN : (uint8_t)(1 + p1 % 4);
    if (mask & 0x40)
        o->fastopen = true, o->fastopen_cookie_len = p2 & 0x0f;
    if (mask & 0x80) {
        o->nunknown = 1;
        o->unknown[0].kind = p1;
        o->unknown[0].len = p2;
    }
}

/* Payload bytes are a function of the sequence number, so the same range
 * re-sent carries the same bytes, unless `differ`. Each payload is a heap
 * block of exactly its size, freed when the next segment is made: a read
 * past it, or a pointer kept past the next segment (the bytes are borrowed,
 * analyzer/source.h), is a crash under ASan. */
static void fz__payload(struct fz_segs *g, struct tr_seg *s, bool cut, bool differ)
{
    uint32_t cap = cut ? s->len / 2 : s->len;
    if (cap > FZ_PAYLOAD_MAX)
        cap = FZ_PAYLOAD_MAX; /* as a snapshot length would */
    s->caplen = cap;
    free(g->buf);
    g->buf = NULL;
    if (!cap) {
        s->payload = NULL;
        return;
    }
    uint8_t *p = g->buf = malloc(cap);
    if (!p) {
        s->caplen = 0;
        return;
    }
    uint32_t at = s->seq + ((s->flags & TR_SYN) ? 1u : 0u);
    for (uint32_t i = 0; i < cap; i++)
        p[i] = (uint8_t)((at + i) * 31u >> 3) ^ (differ ? 0x5a : 0);
    s->payload = p;
}

bool fz_segs_next(struct fz_segs *g, struct tr_seg *s, uint8_t *ctl, bool *special)
{
    if (g->in.n < FZ_SEG_RECORD)
        return false;
    memset(s, 0, sizeof *s);
    uint8_t flags = fz_u8(&g->in);
    *ctl = fz_u8(&g->in);
    *special = flags == 0xff && *ctl == 0xff;
    unsigned c = *ctl & 3, d = (*ctl >> 2) & 1;
    uint32_t seq = fz_u32(&g->in), ack = fz_u32(&g->in);
    uint16_t len = fz_u16(&g->in), win = fz_u16(&g->in), dt = fz_u16(&g->in);
    uint8_t mask = fz_u8(&g->in), p1 = fz_u8(&g->in), p2 = fz_u8(&g->in);
    uint8_t misc = fz_u8(&g->in);
    fz__time(g, dt);
    s->frame = ++g->frame;
    s->ts_ns = g->now;
    if (*special) {
        s->seq = seq; /* the control record's argument */
        return true;
    }
    fz__tuple(s, c, d);
    if (*ctl & 0x40)
        s->vlan = s->vlan ? 0 : 7;
    s->flags = flags;
    s->seq = fz__field(g, seq, *ctl & 0x08, g->nxt[c][d]);
    s->ack = fz__field(g, ack, *ctl & 0x10, g->nxt[c][!d]);
    s->win = win;
    s->len = len;
    s->urp = (flags & TR_URG) ? p2 : 0;
    s->tcp_hlen = 20;
    s->ttl = misc & 0x3f;
    if (!(misc & 0x80))
        g->ip_id[c][d]++;
    s->ip_id = s->ipver == 4 ? g->ip_id[c][d] : 0;
    s->wire_len = (s->ipver == 4 ? 20u : 40u) + 20u + len;
    fz__options(g, s, c, d, mask, p1, p2);
    fz__payload(g, s, *ctl & 0x20, misc & 0x40);
    uint32_t end = s->seq + tr_seg_seqlen(s);
    if (tr_seq_gt(end, g->nxt[c][d]))
        g->nxt[c][d] = end;
    return true;
}
