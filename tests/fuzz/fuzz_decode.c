/*
 * The link / IP / TCP decoder (analyzer/decode.c, stack/wire.c) on raw
 * bytes, for every link type tcpref decodes and one it does not.
 *
 * Input: byte 0 picks the link type, byte 1 the checksum verification (bit
 * 0) and how the original length relates to the captured one (bits 1-2:
 * equal, longer by bytes 2-3, shorter by bytes 2-3, or 0); the rest is the
 * packet, ending where the fuzzer's buffer ends so ASan sees any read past
 * the captured bytes.
 *
 * Checked: the decoder's outputs stay inside the packet; a decoded TCP
 * header built again by tr_wire_build_tcp (the active stack's writer)
 * parses back to the same fields; and when tr_decode_peek (the threaded
 * reader's shortcut) vouches for a packet, tr_decode takes it as TCP with
 * the same flow hash.
 */
#include <string.h>

#include "analyzer/decode.h"
#include "analyzer/flowtab.h"
#include "fuzz.h"
#include "stack/wire.h"

static const uint32_t fz_links[] = {
    TR_LINK_NULL, TR_LINK_ETHERNET, TR_LINK_RAW_OLD1, TR_LINK_RAW_OLD2, TR_LINK_RAW,
    TR_LINK_LOOP, TR_LINK_LINUX_SLL, TR_LINK_IPV4,    TR_LINK_IPV6,     TR_LINK_LINUX_SLL2,
    147 /* a user link type: unsupported */,
};
#define FZ_NLINKS (sizeof fz_links / sizeof fz_links[0])

static uint32_t fz__origlen(uint32_t caplen, uint8_t mode, uint16_t delta)
{
    switch ((mode >> 1) & 3) {
    case 0: return caplen;
    case 1: return caplen + delta;
    case 2: return caplen > delta ? caplen - delta : 0;
    default: return 0;
    }
}

static void fz__check_seg(const struct tr_pkt *p, const struct tr_seg *s)
{
    FZ_CHECK(s->ipver == 4 || s->ipver == 6);
    FZ_CHECK(s->tcp_hlen >= 20 && s->tcp_hlen <= 60 && s->tcp_hlen % 4 == 0);
    FZ_CHECK(s->caplen <= s->len);
    FZ_CHECK(s->opt.nsack <= TR_MAX_SACK_BLOCKS);
    FZ_CHECK(s->opt.nunknown <= TR_MAX_UNKNOWN_OPTS);
    FZ_CHECK(s->opt.error == TR_OPTERR_NONE || s->opt.error_offset < s->tcp_hlen);
    if (s->caplen) {
        FZ_CHECK(s->payload >= p->data);
        FZ_CHECK(s->payload + s->caplen <= p->data + p->caplen);
        volatile uint8_t sum = 0;
        for (uint32_t i = 0; i < s->caplen; i++)
            sum ^= s->payload[i];
        (void)sum;
    }
}

/* Built again, the header parses to the same fields (the options the writer
 * knows: MSS, window scale and SACK-permitted on a SYN, timestamps, SACK). */
static void fz__check_rebuild(const struct tr_seg *s)
{
    if (s->opt.error != TR_OPTERR_NONE)
        return;
    uint8_t buf[60];
    size_t n = tr_wire_build_tcp(buf, sizeof buf, s);
    if (n == 0)
        return; /* the options do not fit: the writer refuses, as it should */
    FZ_CHECK(n >= 20 && n <= sizeof buf && n % 4 == 0);
    struct tr_seg t;
    memset(&t, 0, sizeof t);
    FZ_CHECK(tr_wire_parse_tcp(buf, (uint32_t)n, (uint32_t)n, &t) == TR_WIRE_OK);
    FZ_CHECK(t.sport == s->sport && t.dport == s->dport && t.seq == s->seq && t.ack == s->ack);
    FZ_CHECK(t.flags == s->flags && t.win == s->win && t.urp == s->urp);
    FZ_CHECK(t.opt.error == TR_OPTERR_NONE);
    FZ_CHECK(t.opt.has_ts == s->opt.has_ts);
    FZ_CHECK(!t.opt.has_ts || (t.opt.tsval == s->opt.tsval && t.opt.tsecr == s->opt.tsecr));
    FZ_CHECK(t.opt.nsack == s->opt.nsack);
    for (uint8_t i = 0; i < t.opt.nsack; i++)
        FZ_CHECK(t.opt.sack[i].left == s->opt.sack[i].left &&
                 t.opt.sack[i].right == s->opt.sack[i].right);
    if (s->flags & TR_SYN) {
        FZ_CHECK(t.opt.has_mss == s->opt.has_mss && (!t.opt.has_mss || t.opt.mss == s->opt.mss));
        FZ_CHECK(t.opt.has_wscale == s->opt.has_wscale &&
                 (!t.opt.has_wscale || t.opt.wscale == s->opt.wscale));
        FZ_CHECK(t.opt.sack_perm == s->opt.sack_perm);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint16_t delta = (uint16_t)(data[2] << 8 | data[3]);
    struct tr_pkt p = {.data = data + 4, .caplen = (uint32_t)(size - 4), .frame = 1,
                       .ts_ns = 1, .linktype = fz_links[data[0] % FZ_NLINKS]};
    p.origlen = fz__origlen(p.caplen, data[1], delta);
    struct tr_seg s;
    struct tr_dec_info info;
    enum tr_dec d = tr_decode(&p, data[1] & 1, &s, &info);
    FZ_CHECK((unsigned)d < TR_DEC_COUNT);
    uint32_t h;
    if (tr_decode_peek(&p, &h))
        FZ_CHECK(d == TR_DEC_TCP && tr_flow_hash(&s) == h);
    FZ_CHECK(info.offset <= p.caplen);
    FZ_CHECK(s.frame == 1 && s.ts_ns == 1);
    if (d != TR_DEC_TCP) {
        FZ_CHECK(info.reason != NULL && info.reason[0] != '\0');
        return 0;
    }
    fz__check_seg(&p, &s);
    fz__check_rebuild(&s);
    return 0;
}
