#include "ttcap.h"

#include <stdlib.h>
#include <string.h>

#include "tt.h"

#define TTCAP_BOM 0x1A2B3C4Du
#define TTCAP_OPT_END 0
#define TTCAP_OPT_IF_TSRESOL 9
#define TTCAP_OPT_IF_TSOFFSET 14

void ttcap_init(struct ttcap *c, bool big_endian)
{
    *c = (struct ttcap){.big_endian = big_endian};
}

void ttcap_free(struct ttcap *c)
{
    free(c->buf);
    *c = (struct ttcap){0};
}

void ttcap_bytes(struct ttcap *c, const void *p, size_t n)
{
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 256;
        while (cap < c->len + n)
            cap *= 2;
        c->buf = realloc(c->buf, cap);
        assert_non_null(c->buf);
        c->cap = cap;
    }
    if (n)
        memcpy(c->buf + c->len, p, n);
    c->len += n;
}

/* The n low bytes of v in the file's byte order. */
static void ttcap_order(const struct ttcap *c, uint64_t v, unsigned n, uint8_t *out)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned shift = 8 * (c->big_endian ? n - 1 - i : i);
        out[i] = (uint8_t)(v >> shift);
    }
}

static void ttcap_num(struct ttcap *c, uint64_t v, unsigned n)
{
    uint8_t b[8];
    ttcap_order(c, v, n, b);
    ttcap_bytes(c, b, n);
}

void ttcap_u16(struct ttcap *c, uint16_t v) { ttcap_num(c, v, 2); }
void ttcap_u32(struct ttcap *c, uint32_t v) { ttcap_num(c, v, 4); }
void ttcap_u64(struct ttcap *c, uint64_t v) { ttcap_num(c, v, 8); }

void ttcap_set32(struct ttcap *c, size_t at, uint32_t v)
{
    assert_true(at + 4 <= c->len);
    ttcap_order(c, v, 4, c->buf + at);
}

static void ttcap_pad4(struct ttcap *c, size_t n)
{
    static const uint8_t zero[3] = {0, 0, 0};
    ttcap_bytes(c, zero, (4 - n % 4) % 4);
}

size_t ttcap_pcap_header(struct ttcap *c, uint32_t magic, uint16_t major, uint32_t snaplen,
                         uint32_t linktype)
{
    size_t at = c->len;
    ttcap_u32(c, magic);
    ttcap_u16(c, major);
    ttcap_u16(c, 4); /* minor version */
    ttcap_u32(c, 0); /* thiszone */
    ttcap_u32(c, 0); /* sigfigs */
    ttcap_u32(c, snaplen);
    ttcap_u32(c, linktype);
    return at;
}

size_t ttcap_pcap_record(struct ttcap *c, uint32_t sec, uint32_t frac, const void *data,
                         uint32_t caplen, uint32_t origlen)
{
    size_t at = c->len;
    ttcap_u32(c, sec);
    ttcap_u32(c, frac);
    ttcap_u32(c, caplen);
    ttcap_u32(c, origlen);
    ttcap_bytes(c, data, caplen);
    return at;
}

/* Block Type, Block Total Length; the caller writes body_len bytes of body
 * and then calls ttcap_ng_end(). */
static size_t ttcap_ng_begin(struct ttcap *c, uint32_t type, uint32_t body_len)
{
    size_t at = c->len;
    ttcap_u32(c, type);
    ttcap_u32(c, 12 + body_len);
    return at;
}

static void ttcap_ng_end(struct ttcap *c, size_t at)
{
    ttcap_u32(c, (uint32_t)(c->len + 4 - at));
}

size_t ttcap_ng_block(struct ttcap *c, uint32_t type, const void *body, uint32_t body_len)
{
    uint32_t padded = (body_len + 3u) & ~3u;
    size_t at = ttcap_ng_begin(c, type, padded);
    ttcap_bytes(c, body, body_len);
    ttcap_pad4(c, body_len);
    ttcap_ng_end(c, at);
    return at;
}

size_t ttcap_ng_shb(struct ttcap *c)
{
    size_t at = ttcap_ng_begin(c, TTCAP_BT_SHB, 16);
    ttcap_u32(c, TTCAP_BOM);
    ttcap_u16(c, 1); /* major */
    ttcap_u16(c, 0); /* minor */
    ttcap_u64(c, UINT64_MAX); /* section length: not given */
    ttcap_ng_end(c, at);
    return at;
}

static uint32_t ttcap_idb_options_len(const struct ttcap_if *ifc)
{
    uint32_t n = 0;
    if (ifc->tsresol >= 0)
        n += 8; /* code, length, 1 byte, 3 bytes of padding */
    if (ifc->has_tsoffset)
        n += 12;
    return n ? n + 4 : 0; /* opt_endofopt */
}

size_t ttcap_ng_idb(struct ttcap *c, const struct ttcap_if *ifc)
{
    static const uint8_t pad[3] = {0, 0, 0};
    uint32_t olen = ttcap_idb_options_len(ifc);
    size_t at = ttcap_ng_begin(c, TTCAP_BT_IDB, 8 + olen);
    ttcap_u16(c, ifc->linktype);
    ttcap_u16(c, 0); /* reserved */
    ttcap_u32(c, ifc->snaplen);
    if (ifc->tsresol >= 0) {
        uint8_t v = (uint8_t)ifc->tsresol;
        ttcap_u16(c, TTCAP_OPT_IF_TSRESOL);
        ttcap_u16(c, 1);
        ttcap_bytes(c, &v, 1);
        ttcap_bytes(c, pad, 3);
    }
    if (ifc->has_tsoffset) {
        ttcap_u16(c, TTCAP_OPT_IF_TSOFFSET);
        ttcap_u16(c, 8);
        ttcap_u64(c, (uint64_t)ifc->tsoffset);
    }
    if (olen) {
        ttcap_u16(c, TTCAP_OPT_END);
        ttcap_u16(c, 0);
    }
    ttcap_ng_end(c, at);
    return at;
}

static void ttcap_ng_packet_tail(struct ttcap *c, uint64_t ts, const void *data, uint32_t caplen,
                                 uint32_t origlen)
{
    ttcap_u32(c, (uint32_t)(ts >> 32));
    ttcap_u32(c, (uint32_t)ts);
    ttcap_u32(c, caplen);
    ttcap_u32(c, origlen);
    ttcap_bytes(c, data, caplen);
    ttcap_pad4(c, caplen);
}

size_t ttcap_ng_epb(struct ttcap *c, uint32_t iface, uint64_t ts, const void *data,
                    uint32_t caplen, uint32_t origlen)
{
    size_t at = ttcap_ng_begin(c, TTCAP_BT_EPB, 20 + ((caplen + 3u) & ~3u));
    ttcap_u32(c, iface);
    ttcap_ng_packet_tail(c, ts, data, caplen, origlen);
    ttcap_ng_end(c, at);
    return at;
}

size_t ttcap_ng_pb(struct ttcap *c, uint16_t iface, uint64_t ts, const void *data,
                   uint32_t caplen, uint32_t origlen)
{
    size_t at = ttcap_ng_begin(c, TTCAP_BT_PB, 20 + ((caplen + 3u) & ~3u));
    ttcap_u16(c, iface);
    ttcap_u16(c, 0); /* drops count */
    ttcap_ng_packet_tail(c, ts, data, caplen, origlen);
    ttcap_ng_end(c, at);
    return at;
}

size_t ttcap_ng_spb(struct ttcap *c, const void *data, uint32_t stored, uint32_t origlen)
{
    size_t at = ttcap_ng_begin(c, TTCAP_BT_SPB, 4 + ((stored + 3u) & ~3u));
    ttcap_u32(c, origlen);
    ttcap_bytes(c, data, stored);
    ttcap_pad4(c, stored);
    ttcap_ng_end(c, at);
    return at;
}

const char *ttcap_write_n(const struct ttcap *c, const char *name, size_t n)
{
    assert_true(n <= c->len);
    const char *path = tt_tmp(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(c->buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

const char *ttcap_write(const struct ttcap *c, const char *name)
{
    return ttcap_write_n(c, name, c->len);
}
