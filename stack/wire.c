#include "stack/wire.h"

#include <string.h>

/* RFC 7413 §4.1.1: the experimental Fast Open option before kind 34 was
 * assigned used kind 254 with this ExID (RFC 6994). */
#define TR_TFO_EXID 0xF989u

static void tr__opt_unknown(struct tr_opts *o, uint8_t kind, uint8_t len)
{
    if (o->nunknown < TR_MAX_UNKNOWN_OPTS) {
        o->unknown[o->nunknown].kind = kind;
        o->unknown[o->nunknown].len = len;
        o->nunknown++;
    } else if (o->unknown_more < UINT8_MAX) {
        o->unknown_more++;
    }
}

static void tr__opt_sack(struct tr_opts *o, const uint8_t *v, uint8_t vlen)
{
    for (uint8_t i = 0; i + 8 <= vlen && o->nsack < TR_MAX_SACK_BLOCKS; i += 8) {
        o->sack[o->nsack].left = tr_get32(v + i);
        o->sack[o->nsack].right = tr_get32(v + i + 4);
        o->nsack++;
    }
}

/* Decodes one option whose kind and length byte were read; v points at its
 * value (len - 2 bytes). Returns false when the length is wrong for the kind. */
static bool tr__opt_known(struct tr_opts *o, uint8_t kind, uint8_t len, const uint8_t *v)
{
    uint8_t vlen = (uint8_t)(len - 2);
    switch (kind) {
    case TR_OPT_MSS:
        if (len != 4)
            return false;
        o->has_mss = true;
        o->mss = tr_get16(v);
        return true;
    case TR_OPT_WSCALE:
        if (len != 3)
            return false;
        o->has_wscale = true;
        o->wscale = v[0];
        return true;
    case TR_OPT_SACK_PERM:
        if (len != 2)
            return false;
        o->sack_perm = true;
        return true;
    case TR_OPT_SACK:
        if (vlen == 0 || vlen % 8 != 0)
            return false;
        tr__opt_sack(o, v, vlen);
        return true;
    case TR_OPT_TIMESTAMP:
        if (len != 10)
            return false;
        o->has_ts = true;
        o->tsval = tr_get32(v);
        o->tsecr = tr_get32(v + 4);
        return true;
    case TR_OPT_FASTOPEN:
        o->fastopen = true;
        o->fastopen_cookie_len = vlen;
        return true;
    case TR_OPT_EXP1:
    case TR_OPT_EXP2:
        if (vlen >= 2 && tr_get16(v) == TR_TFO_EXID) {
            o->fastopen = true;
            o->fastopen_cookie_len = (uint8_t)(vlen - 2);
        } else {
            tr__opt_unknown(o, kind, len);
        }
        return true;
    case TR_OPT_MPTCP:
        o->mptcp = true;
        return true;
    case TR_OPT_MD5:
        o->md5 = true;
        return true;
    case TR_OPT_AO:
        o->ao = true;
        return true;
    default:
        tr__opt_unknown(o, kind, len);
        return true;
    }
}

static void tr__opt_fail(struct tr_opts *o, enum tr_opt_error e, uint32_t off)
{
    o->error = (uint8_t)e;
    o->error_offset = (uint8_t)off;
}

void tr_wire_parse_options(const uint8_t *p, uint32_t n, uint8_t base, struct tr_opts *o)
{
    memset(o, 0, sizeof *o);
    /* The layout Linux, BSD and Windows put on nearly every segment after
     * the handshake: NOP, NOP, timestamps (RFC 7323 Appendix A). */
    if (n == 12 && tr_get32(p) == 0x0101080au) {
        o->has_ts = true;
        o->tsval = tr_get32(p + 4);
        o->tsecr = tr_get32(p + 8);
        return;
    }
    uint32_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == TR_OPT_EOL)
            return;
        if (kind == TR_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return tr__opt_fail(o, TR_OPTERR_NO_LEN, base + i);
        uint8_t len = p[i + 1];
        if (len < 2)
            return tr__opt_fail(o, TR_OPTERR_LEN_ZERO_ONE, base + i);
        if (i + len > n)
            return tr__opt_fail(o, TR_OPTERR_OVERRUN, base + i);
        if (!tr__opt_known(o, kind, len, p + i + 2))
            return tr__opt_fail(o, TR_OPTERR_BAD_LEN, base + i);
        i += len;
    }
}

enum tr_wire_status tr_wire_parse_tcp(const uint8_t *p, uint32_t caplen, uint32_t tcp_total,
                                      struct tr_seg *s)
{
    s->payload = NULL;
    s->caplen = 0;
    s->len = 0;
    if (caplen < TR_TCP_HDR_MIN) {
        memset(&s->opt, 0, sizeof s->opt);
        return TR_WIRE_SHORT;
    }
    s->sport = tr_get16(p);
    s->dport = tr_get16(p + 2);
    s->seq = tr_get32(p + 4);
    s->ack = tr_get32(p + 8);
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4u;
    s->flags = p[13];
    s->win = tr_get16(p + 14);
    s->urp = tr_get16(p + 18);
    s->tcp_hlen = (uint8_t)hlen;
    enum tr_wire_status st = hlen < TR_TCP_HDR_MIN ? TR_WIRE_BAD_DOFF
                             : hlen > tcp_total    ? TR_WIRE_DOFF_BEYOND
                             : caplen < hlen       ? TR_WIRE_SHORT
                                                   : TR_WIRE_OK;
    if (st == TR_WIRE_SHORT || st == TR_WIRE_OK)
        s->len = tcp_total - hlen;
    if (st != TR_WIRE_OK) {
        memset(&s->opt, 0, sizeof s->opt);
        return st;
    }
    tr_wire_parse_options(p + TR_TCP_HDR_MIN, hlen - TR_TCP_HDR_MIN, TR_TCP_HDR_MIN, &s->opt);
    uint32_t avail = caplen - hlen;
    s->caplen = avail < s->len ? avail : s->len;
    s->payload = s->caplen ? p + hlen : NULL;
    return TR_WIRE_OK;
}

/* Appends one option (kind, len, value) when it fits. */
static bool tr__put_opt(uint8_t *buf, size_t cap, size_t *n, uint8_t kind, uint8_t len,
                        const uint8_t *val)
{
    if (*n + len > cap)
        return false;
    buf[*n] = kind;
    buf[*n + 1] = len;
    if (len > 2)
        memcpy(buf + *n + 2, val, (size_t)len - 2);
    *n += len;
    return true;
}

static bool tr__build_syn_opts(uint8_t *b, size_t cap, size_t *n, const struct tr_opts *o)
{
    uint8_t v[2];
    if (o->has_mss) {
        tr_put16(v, o->mss);
        if (!tr__put_opt(b, cap, n, TR_OPT_MSS, 4, v))
            return false;
    }
    if (o->sack_perm && !tr__put_opt(b, cap, n, TR_OPT_SACK_PERM, 2, NULL))
        return false;
    if (o->has_wscale) {
        if (*n + 1 > cap)
            return false;
        b[(*n)++] = TR_OPT_NOP;
        v[0] = o->wscale;
        if (!tr__put_opt(b, cap, n, TR_OPT_WSCALE, 3, v))
            return false;
    }
    return true;
}

size_t tr_wire_build_options(uint8_t *buf, size_t cap, const struct tr_opts *o, uint8_t flags)
{
    uint8_t tmp[40];
    size_t n = 0;
    if (cap > sizeof tmp)
        cap = sizeof tmp;
    if ((flags & TR_SYN) && !tr__build_syn_opts(tmp, cap, &n, o))
        return 0;
    if (o->has_ts) {
        uint8_t v[8];
        tr_put32(v, o->tsval);
        tr_put32(v + 4, o->tsecr);
        if (n + 2 > cap)
            return 0;
        tmp[n++] = TR_OPT_NOP;
        tmp[n++] = TR_OPT_NOP;
        if (!tr__put_opt(tmp, cap, &n, TR_OPT_TIMESTAMP, 10, v))
            return 0;
    }
    if (o->nsack) {
        uint8_t v[8 * TR_MAX_SACK_BLOCKS];
        for (uint8_t i = 0; i < o->nsack; i++) {
            tr_put32(v + 8 * i, o->sack[i].left);
            tr_put32(v + 8 * i + 4, o->sack[i].right);
        }
        if (n + 2 > cap)
            return 0;
        tmp[n++] = TR_OPT_NOP;
        tmp[n++] = TR_OPT_NOP;
        if (!tr__put_opt(tmp, cap, &n, TR_OPT_SACK, (uint8_t)(2 + 8 * o->nsack), v))
            return 0;
    }
    while (n % 4) {
        if (n + 1 > cap)
            return 0;
        tmp[n++] = TR_OPT_EOL;
    }
    memcpy(buf, tmp, n);
    return n;
}

size_t tr_wire_build_tcp(uint8_t *buf, size_t cap, const struct tr_seg *s)
{
    if (cap < TR_TCP_HDR_MIN)
        return 0;
    size_t olen = tr_wire_build_options(buf + TR_TCP_HDR_MIN, cap - TR_TCP_HDR_MIN, &s->opt,
                                        s->flags);
    if (olen == 0 && (s->opt.has_mss || s->opt.has_ts || s->opt.nsack || s->opt.sack_perm ||
                      s->opt.has_wscale))
        return 0;
    size_t hlen = TR_TCP_HDR_MIN + olen;
    tr_put16(buf, s->sport);
    tr_put16(buf + 2, s->dport);
    tr_put32(buf + 4, s->seq);
    tr_put32(buf + 8, s->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = s->flags;
    tr_put16(buf + 14, s->win);
    tr_put16(buf + 16, 0);
    tr_put16(buf + 18, s->urp);
    return hlen;
}

static uint32_t tr__sum(uint32_t acc, const uint8_t *p, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 1 < n; i += 2)
        acc += tr_get16(p + i);
    if (i < n)
        acc += (uint32_t)p[i] << 8;
    return acc;
}

uint16_t tr_wire_tcp_checksum(int ipver, const uint8_t *src, const uint8_t *dst,
                              const uint8_t *tcp, uint32_t len)
{
    uint32_t alen = ipver == 6 ? 16 : 4;
    uint32_t acc = tr__sum(0, src, alen);
    acc = tr__sum(acc, dst, alen);
    acc += 6; /* protocol */
    acc += len & 0xffff;
    acc += len >> 16;
    acc = tr__sum(acc, tcp, len);
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}
