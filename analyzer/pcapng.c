/*
 * pcapng files (draft-ietf-opsawg-pcapng): blocks of
 *   Block Type (4) | Block Total Length (4) | Body | Block Total Length (4)
 * in sections that each start with a Section Header Block carrying the byte
 * order. Packets come in Enhanced (6), Simple (3) and obsolete Packet (2)
 * blocks; each refers to an Interface Description Block (1) of its section,
 * which gives the link type, the snapshot length and the timestamp
 * resolution (if_tsresol) and offset (if_tsoffset). Unlike libpcap 1.10,
 * interfaces of one file may have different link types.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/source_int.h"
#include "stack/error.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BOM 0x1A2B3C4Du
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define TR_MAX_IFACES 65536u

struct tr__iface {
    uint32_t linktype;
    uint32_t snaplen;
    uint8_t tsresol;   /* as in if_tsresol: 6 = microseconds */
    int64_t tsoffset;  /* seconds */
};

struct tr__pcapng {
    struct tr_source *src;
    bool swap;
    uint32_t nif, capif;
    struct tr__iface *ifs;
    uint64_t frame;    /* frames returned so far */
};

/* A block being decoded: its bytes, length and file offset. */
struct tr__blk {
    const uint8_t *p;
    uint32_t type, len;
    uint64_t off;
};

#define tr__ng_fail(ng, code, off, ...)                                               \
    tr__source_fail((ng)->src, (code), (ng)->frame + 1, (off), __VA_ARGS__)

static uint64_t tr__pow10(unsigned e)
{
    uint64_t v = 1;
    while (e--)
        v *= 10;
    return v;
}

/* ns + sec seconds, saturated: if_tsoffset is a 64-bit signed count of
 * seconds (draft-ietf-opsawg-pcapng §4.2), so a damaged or hostile file can
 * hold one whose nanoseconds overflow int64 (undefined in C11 §6.5p5). */
static int64_t tr__ns_plus_sec(int64_t ns, int64_t sec)
{
    int64_t off, r;
    if (__builtin_mul_overflow(sec, 1000000000, &off) || __builtin_add_overflow(ns, off, &r))
        return sec < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* Converts a timestamp in units of the interface's resolution to ns. */
static int64_t tr__ng_ts(const struct tr__iface *ifc, uint64_t t)
{
    unsigned __int128 ns;
    uint8_t v = ifc->tsresol & 0x7f;
    if (ifc->tsresol & 0x80)
        ns = v >= 64 ? 0 : ((unsigned __int128)t * 1000000000u) >> v;
    else if (v <= 9)
        ns = (unsigned __int128)t * tr__pow10(9u - v);
    else
        ns = v - 9 > 19 ? 0 : t / tr__pow10(v - 9u);
    if (ns > (unsigned __int128)INT64_MAX)
        ns = INT64_MAX;
    return tr__ns_plus_sec((int64_t)ns, ifc->tsoffset);
}

static void tr__ng_idb_option(struct tr__pcapng *ng, struct tr__iface *ifc, uint16_t code,
                              const uint8_t *v, uint16_t vlen)
{
    if (code == OPT_IF_TSRESOL && vlen >= 1)
        ifc->tsresol = v[0];
    if (code == OPT_IF_TSOFFSET && vlen >= 8) {
        uint64_t lo = tr__rd32(v, ng->swap), hi = tr__rd32(v + 4, ng->swap);
        ifc->tsoffset = (int64_t)(ng->swap ? (lo << 32 | hi) : (hi << 32 | lo));
    }
}

/* Walks the options of a block from `start` to the trailing length field. */
static void tr__ng_idb_options(struct tr__pcapng *ng, const struct tr__blk *b, uint32_t start,
                               struct tr__iface *ifc)
{
    uint32_t i = start, end = b->len - 4;
    while (i + 4 <= end) {
        uint16_t code = tr__rd16(b->p + i, ng->swap), vlen = tr__rd16(b->p + i + 2, ng->swap);
        if (code == 0 || i + 4 + vlen > end)
            return;
        tr__ng_idb_option(ng, ifc, code, b->p + i + 4, vlen);
        i += 4 + ((vlen + 3u) & ~3u);
    }
}

static int tr__ng_idb(struct tr__pcapng *ng, const struct tr__blk *b)
{
    if (b->len < 20)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off,
                           "interface description block of %u bytes, shorter than %u", b->len, 20);
    if (ng->nif >= TR_MAX_IFACES)
        return tr__ng_fail(ng, TR_ELIMIT, b->off, "more than %u interfaces in one section",
                           TR_MAX_IFACES);
    if (ng->nif == ng->capif) {
        uint32_t cap = ng->capif ? ng->capif * 2 : 4;
        struct tr__iface *n = realloc(ng->ifs, cap * sizeof *n);
        if (!n)
            return tr__ng_fail(ng, TR_ENOMEM, b->off, "out of memory");
        ng->ifs = n;
        ng->capif = cap;
    }
    struct tr__iface *ifc = &ng->ifs[ng->nif++];
    *ifc = (struct tr__iface){.linktype = tr__rd16(b->p + 8, ng->swap),
                              .snaplen = tr__rd32(b->p + 12, ng->swap), .tsresol = 6};
    tr__ng_idb_options(ng, b, 16, ifc);
    ng->src->st.interfaces++;
    return 0;
}

static int tr__ng_shb(struct tr__pcapng *ng, const struct tr__blk *b)
{
    if (b->len < 28)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off,
                           "section header block of %u bytes, shorter than %u", b->len, 28);
    uint16_t major = tr__rd16(b->p + 12, ng->swap), minor = tr__rd16(b->p + 14, ng->swap);
    if (major != 1)
        return tr__ng_fail(ng, TR_EVERSION, b->off, "pcapng version %u.%u (only 1.x exists)",
                           major, minor);
    ng->nif = 0; /* interface ids are per section */
    ng->src->st.sections++;
    return 0;
}

static const struct tr__iface *tr__ng_iface(struct tr__pcapng *ng, const struct tr__blk *b,
                                            uint32_t id, int *err)
{
    if (id < ng->nif)
        return &ng->ifs[id];
    *err = tr__ng_fail(ng, TR_ENOIFACE, b->off,
                       "packet block refers to interface %u, but the section declares %u", id,
                       ng->nif);
    return NULL;
}

static void tr__ng_lengths(struct tr__pcapng *ng, const struct tr_pkt *pkt)
{
    struct tr_source *src = ng->src;
    if (pkt->snaplen && pkt->caplen > pkt->snaplen) {
        src->st.caplen_over_snaplen++;
        tr__source_warn(src, pkt->frame, pkt->offset,
                        "record holds %u captured bytes, more than the interface's snapshot "
                        "length %u", pkt->caplen, pkt->snaplen);
    }
    if (pkt->caplen > pkt->origlen) {
        src->st.caplen_over_origlen++;
        tr__source_warn(src, pkt->frame, pkt->offset,
                        "record holds %u captured bytes but says only %u were on the wire",
                        pkt->caplen, pkt->origlen);
    }
}

/* A timestamp outside [0, TR_TS_MAX] (a damaged or hostile if_tsoffset or
 * timestamp field) is clamped, and said so. */
static int64_t tr__ng_ts_checked(struct tr__pcapng *ng, const struct tr_pkt *pkt, int64_t ts)
{
    if (ts >= 0 && ts <= TR_TS_MAX)
        return ts;
    ng->src->st.ts_out_of_range++;
    tr__source_warn(ng->src, pkt->frame, pkt->offset,
                    "timestamp %lld ns is before 1970 or after 2116; clamped", (long long)ts);
    return ts < 0 ? 0 : TR_TS_MAX;
}

/* Enhanced (6) and obsolete Packet (2) blocks share their layout but for the
 * width of the interface id. */
static int tr__ng_epb(struct tr__pcapng *ng, const struct tr__blk *b, struct tr_pkt *pkt)
{
    if (b->len < 32)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off, "packet block of %u bytes, shorter than %u",
                           b->len, 32);
    uint32_t id = b->type == BT_EPB ? tr__rd32(b->p + 8, ng->swap) : tr__rd16(b->p + 8, ng->swap);
    int err = 0;
    const struct tr__iface *ifc = tr__ng_iface(ng, b, id, &err);
    if (!ifc)
        return err;
    uint32_t caplen = tr__rd32(b->p + 20, ng->swap);
    if (caplen > b->len - 32)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off,
                           "captured length %u runs past the end of its %u-byte block", caplen,
                           b->len);
    uint64_t t = (uint64_t)tr__rd32(b->p + 12, ng->swap) << 32 | tr__rd32(b->p + 16, ng->swap);
    *pkt = (struct tr_pkt){.data = b->p + 28, .caplen = caplen,
                           .origlen = tr__rd32(b->p + 24, ng->swap), .ts_ns = tr__ng_ts(ifc, t),
                           .frame = ++ng->frame, .offset = b->off, .linktype = ifc->linktype,
                           .iface = id, .snaplen = ifc->snaplen};
    pkt->ts_ns = tr__ng_ts_checked(ng, pkt, pkt->ts_ns);
    tr__ng_lengths(ng, pkt);
    return 1;
}

static int tr__ng_spb(struct tr__pcapng *ng, const struct tr__blk *b, struct tr_pkt *pkt)
{
    if (b->len < 16)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off,
                           "simple packet block of %u bytes, shorter than %u", b->len, 16);
    int err = 0;
    const struct tr__iface *ifc = tr__ng_iface(ng, b, 0, &err);
    if (!ifc)
        return err;
    uint32_t origlen = tr__rd32(b->p + 8, ng->swap);
    uint32_t caplen = origlen < b->len - 16 ? origlen : b->len - 16;
    if (ifc->snaplen && caplen > ifc->snaplen)
        caplen = ifc->snaplen;
    /* A simple packet block has no timestamp: the previous one is kept. */
    *pkt = (struct tr_pkt){.data = b->p + 12, .caplen = caplen, .origlen = origlen,
                           .ts_ns = ng->src->last_ts, .frame = ++ng->frame, .offset = b->off,
                           .linktype = ifc->linktype, .snaplen = ifc->snaplen};
    return 1;
}

static int tr__ng_block(struct tr__pcapng *ng, const struct tr__blk *b, struct tr_pkt *pkt)
{
    switch (b->type) {
    case BT_SHB: return tr__ng_shb(ng, b);
    case BT_IDB: return tr__ng_idb(ng, b);
    case BT_EPB:
    case BT_PB: return tr__ng_epb(ng, b, pkt);
    case BT_SPB: return tr__ng_spb(ng, b, pkt);
    default: ng->src->st.skipped_blocks++; return 0;
    }
}

/* Reads the type and length of the block at the current position; for a
 * section header, first learns the byte order from it. */
static int tr__ng_header(struct tr__pcapng *ng, struct tr__blk *b)
{
    struct tr__rbuf *rb = &ng->src->rb;
    long have = tr__rbuf_need(rb, 12);
    b->off = tr__rbuf_offset(rb);
    if (have == 0)
        return 0;
    if (have < 0)
        return tr__ng_fail(ng, (int)have, b->off, "read error");
    if (have < 8)
        return tr__ng_fail(ng, TR_ETRUNCATED, b->off,
                           "file ends %u bytes into a block header of %u", (uint32_t)have, 8);
    const uint8_t *p = tr__rbuf_at(rb);
    b->type = tr__rd32(p, ng->swap);
    if (b->type == BT_SHB) {
        if (have < 12)
            return tr__ng_fail(ng, TR_ETRUNCATED, b->off,
                               "file ends %u bytes into a section header of at least %u",
                               (uint32_t)have, 28);
        uint32_t bom = tr__rd32(p + 8, false);
        if (bom != BOM && bom != __builtin_bswap32(BOM))
            return tr__ng_fail(ng, TR_EFORMAT, b->off + 8,
                               "section header byte-order magic 0x%08x is not 0x%08x", bom, BOM);
        ng->swap = bom != BOM;
    }
    b->len = tr__rd32(p + 4, ng->swap);
    return 1;
}

static int tr__ng_check_len(struct tr__pcapng *ng, const struct tr__blk *b)
{
    if (b->len < 12)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off,
                           "block length %u is shorter than the 12-byte minimum", b->len);
    if (b->len % 4)
        return tr__ng_fail(ng, TR_EBADRECORD, b->off, "block length %u is not a multiple of 4",
                           b->len);
    if (b->len > TR_MAX_BLOCK)
        return tr__ng_fail(ng, TR_ETOOBIG, b->off,
                           "block length %u is larger than the %u this reader accepts", b->len,
                           TR_MAX_BLOCK);
    return 1;
}

static int tr__pcapng_next(struct tr_source *src, struct tr_pkt *pkt)
{
    struct tr__pcapng *ng = src->impl;
    struct tr__rbuf *rb = &src->rb;
    for (;;) {
        struct tr__blk b = {0};
        int r = tr__ng_header(ng, &b);
        if (r <= 0)
            return r;
        if ((r = tr__ng_check_len(ng, &b)) < 0)
            return r;
        long have = tr__rbuf_need(rb, b.len);
        if (have < (long)b.len)
            return tr__ng_fail(ng, have < 0 ? (int)have : TR_ETRUNCATED, b.off,
                               "block says %u bytes but the file ends after %u", b.len,
                               have < 0 ? 0u : (uint32_t)have);
        tr__rbuf_prefetch(rb);
        b.p = tr__rbuf_at(rb);
        if (tr__rd32(b.p + b.len - 4, ng->swap) != b.len)
            return tr__ng_fail(ng, TR_EBADRECORD, b.off,
                               "block length fields disagree: %u at the start, %u at the end",
                               b.len, tr__rd32(b.p + b.len - 4, ng->swap));
        r = tr__ng_block(ng, &b, pkt);
        rb->pos += b.len;
        if (r < 0)
            return r;
        if (r == 1) {
            src->st.packets++;
            tr__source_note_ts(src, pkt->ts_ns);
            return 1;
        }
    }
}

static void tr__pcapng_close(struct tr_source *src)
{
    struct tr__pcapng *ng = src->impl;
    if (ng)
        free(ng->ifs);
}

static const struct tr_source_ops tr__pcapng_ops = {.next = tr__pcapng_next,
                                                    .close = tr__pcapng_close};

int tr__pcapng_init(struct tr_source *src)
{
    struct tr__pcapng *ng = calloc(1, sizeof *ng);
    if (!ng)
        return tr__source_fail(src, TR_ENOMEM, 0, 0, "out of memory");
    ng->src = src;
    src->impl = ng;
    src->ops = &tr__pcapng_ops;
    src->st.format = "pcapng";
    return TR_OK;
}
