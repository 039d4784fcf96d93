/*
 * Classic pcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
 * draft-ietf-opsawg-pcap): a 24-byte file header, then records of a 16-byte
 * header and the captured bytes. Microsecond (0xa1b2c3d4) and nanosecond
 * (0xa1b23c4d) magic numbers, in either byte order, and the "modified" format
 * (0xa1b2cd34) whose record headers carry 8 more bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/source_int.h"
#include "stack/error.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_MOD 0xa1b2cd34u /* Alexey Kuznetzov's modified format */

struct tr__pcap {
    struct tr_source *src;
    bool swap;
    uint32_t tick_ns;     /* 1000 for microseconds, 1 for nanoseconds */
    uint32_t frac_limit;  /* 1e6 or 1e9 */
    uint32_t rec_hdr;     /* 16, or 24 for the modified format */
    uint32_t snaplen;
    uint32_t linktype;
    uint64_t frame;
};

static int tr__pcap_record_fail(struct tr__pcap *pc, uint64_t off, long have)
{
    struct tr_source *src = pc->src;
    if (have < 0)
        return tr__source_fail(src, (int)have, pc->frame, off, "read error");
    return tr__source_fail(src, TR_ETRUNCATED, pc->frame, off,
                           "file ends %ld bytes into a %u-byte record header", have,
                           pc->rec_hdr);
}

static void tr__pcap_check_lengths(struct tr__pcap *pc, uint32_t caplen, uint32_t origlen,
                                   uint64_t off)
{
    struct tr_source *src = pc->src;
    if (caplen > pc->snaplen && pc->snaplen) {
        src->st.caplen_over_snaplen++;
        tr__source_warn(src, pc->frame, off,
                        "record holds %u captured bytes, more than the file's snapshot length %u",
                        caplen, pc->snaplen);
    }
    if (caplen > origlen) {
        src->st.caplen_over_origlen++;
        tr__source_warn(src, pc->frame, off,
                        "record holds %u captured bytes but says only %u were on the wire",
                        caplen, origlen);
    }
}

static int64_t tr__pcap_ts(struct tr__pcap *pc, uint32_t sec, uint32_t frac, uint64_t off)
{
    if (frac >= pc->frac_limit) {
        pc->src->st.bad_ts_fraction++;
        tr__source_warn(pc->src, pc->frame, off,
                        "timestamp fraction %u is not below %u; carried into the seconds", frac,
                        pc->frac_limit);
    }
    return (int64_t)sec * 1000000000 + (int64_t)frac * pc->tick_ns;
}

static int tr__pcap_next(struct tr_source *src, struct tr_pkt *pkt)
{
    struct tr__pcap *pc = src->impl;
    struct tr__rbuf *rb = &src->rb;
    long have = tr__rbuf_need(rb, pc->rec_hdr);
    uint64_t off = tr__rbuf_offset(rb);
    if (have == 0)
        return 0;
    pc->frame++;
    if (have < (long)pc->rec_hdr)
        return tr__pcap_record_fail(pc, off, have);
    tr__rbuf_prefetch(rb);
    const uint8_t *h = tr__rbuf_at(rb);
    uint32_t sec = tr__rd32(h, pc->swap), frac = tr__rd32(h + 4, pc->swap);
    uint32_t caplen = tr__rd32(h + 8, pc->swap), origlen = tr__rd32(h + 12, pc->swap);
    if (caplen > TR_MAX_RECORD)
        return tr__source_fail(src, TR_ETOOBIG, pc->frame, off,
                               "record claims %u captured bytes, more than the %u any capture "
                               "holds; the file is damaged from here on",
                               caplen, TR_MAX_RECORD);
    have = tr__rbuf_need(rb, pc->rec_hdr + caplen);
    if (have < (long)(pc->rec_hdr + caplen))
        return tr__source_fail(src, have < 0 ? (int)have : TR_ETRUNCATED, pc->frame, off,
                               "record says %u captured bytes but the file ends after %ld",
                               caplen, have < 0 ? 0 : have - (long)pc->rec_hdr);
    tr__pcap_check_lengths(pc, caplen, origlen, off);
    h = tr__rbuf_at(rb);
    *pkt = (struct tr_pkt){.data = h + pc->rec_hdr, .caplen = caplen, .origlen = origlen,
                           .frame = pc->frame, .offset = off, .linktype = pc->linktype,
                           .snaplen = pc->snaplen};
    pkt->ts_ns = tr__pcap_ts(pc, sec, frac, off);
    rb->pos += pc->rec_hdr + caplen;
    src->st.packets++;
    tr__source_note_ts(src, pkt->ts_ns);
    return 1;
}

static const struct tr_source_ops tr__pcap_ops = {.next = tr__pcap_next, .close = NULL};

static bool tr__pcap_magic(struct tr__pcap *pc, uint32_t magic)
{
    uint32_t sw = __builtin_bswap32(magic);
    pc->swap = sw == PCAP_MAGIC_US || sw == PCAP_MAGIC_NS || sw == PCAP_MAGIC_MOD;
    uint32_t m = pc->swap ? sw : magic;
    pc->tick_ns = m == PCAP_MAGIC_NS ? 1 : 1000;
    pc->frac_limit = m == PCAP_MAGIC_NS ? 1000000000u : 1000000u;
    pc->rec_hdr = m == PCAP_MAGIC_MOD ? 24 : 16;
    pc->src->st.format = m == PCAP_MAGIC_NS ? "pcap-ns" : m == PCAP_MAGIC_MOD ? "pcap-modified" : "pcap";
    return m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || m == PCAP_MAGIC_MOD;
}

int tr__pcap_init(struct tr_source *src)
{
    struct tr__pcap *pc = calloc(1, sizeof *pc);
    if (!pc)
        return tr__source_fail(src, TR_ENOMEM, 0, 0, "out of memory");
    pc->src = src;
    src->impl = pc;
    long have = tr__rbuf_need(&src->rb, 24);
    const uint8_t *h = tr__rbuf_at(&src->rb);
    if (!tr__pcap_magic(pc, tr__rd32(h, false)))
        return tr__source_fail(src, TR_EFORMAT, 0, 0,
                               "magic number 0x%08x is neither pcap nor pcapng",
                               tr__rd32(h, false));
    if (have < 24)
        return tr__source_fail(src, TR_ETRUNCATED, 0, 0,
                               "file ends %ld bytes into the 24-byte pcap file header", have);
    uint16_t major = tr__rd16(h + 4, pc->swap), minor = tr__rd16(h + 6, pc->swap);
    if (major != 2)
        return tr__source_fail(src, TR_EVERSION, 0, 4, "pcap version %u.%u (only 2.x exists)",
                               major, minor);
    pc->snaplen = tr__rd32(h + 16, pc->swap);
    /* The link type is the low 26 bits; the top bits may hold an FCS length. */
    pc->linktype = tr__rd32(h + 20, pc->swap) & 0x03FFFFFFu;
    src->rb.pos += 24;
    src->ops = &tr__pcap_ops;
    return TR_OK;
}
