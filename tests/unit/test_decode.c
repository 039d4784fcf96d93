/* Link, IP and TCP decoding (analyzer/decode.c) from hand-written frames: one
 * behaviour per test. Every frame is copied into a heap block of exactly its
 * captured length, so AddressSanitizer sees any read past the snapshot. */
#include <stdlib.h>
#include <string.h>

#include "../support/tt.h"
#include "analyzer/decode.h"
#include "analyzer/flowtab.h"
#include "analyzer/format.h"

#include <arpa/inet.h>
#include "stack/wire.h"

/* Link types not named in analyzer/source.h. */
#define LINK_USER0 147

/* Ethernet II 02:00:00:00:00:01 -> 02:00:00:00:00:02 (the EtherType follows). */
#define ETH_ADDRS 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01
/* IPv4, IHL 5, total length 40, id 1, DF, TTL 64, TCP, 10.0.0.1 -> 10.0.0.2. */
#define IP4_40                                                                                \
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10,  \
        0, 0, 2
/* TCP 40000 -> 80, seq 1000, ack 5000, data offset 5, ACK, window 502. */
#define TCP_20                                                                                \
    0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88, 0x50, 0x10, 0x01, \
        0xf6, 0x00, 0x00, 0x00, 0x00
/* IPv6 addresses 2001:db8::1 and 2001:db8::2. */
#define IP6_ADDR1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define IP6_ADDR2 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
/* IPv6, payload length (hi, lo), next header nh, hop limit 64, ADDR1 -> ADDR2. */
#define IP6(hi, lo, nh) 0x60, 0x00, 0x00, 0x00, hi, lo, nh, 0x40, IP6_ADDR1, IP6_ADDR2

static const uint8_t tt_ip4_src[4] = {10, 0, 0, 1}, tt_ip4_dst[4] = {10, 0, 0, 2};
static const uint8_t tt_ip6_src[16] = {IP6_ADDR1}, tt_ip6_dst[16] = {IP6_ADDR2};

/* Ethernet, IPv4 (IHL 5, total length 44, id 0xbeef, DF, TTL 63, TCP,
 * 192.168.1.10 -> 192.168.1.20), TCP (40000 -> 443, seq 0x01020304,
 * ack 0xa0b0c0d0, data offset 5, PSH|ACK, window 64240, checksum 0), "abcd". */
static const uint8_t tt_eth_ip4[58] = {
    ETH_ADDRS, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x2c, 0xbe, 0xef, 0x40, 0x00, 0x3f, 0x06, 0x00, 0x00,
    0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x14,
    0x9c, 0x40, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd0,
    0x50, 0x18, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
    'a', 'b', 'c', 'd',
};
/* The TCP checksum of tt_eth_ip4, summed by hand (RFC 1071, RFC 9293 §3.1):
 * pseudo-header c0a8+010a+c0a8+0114+0006+0018 = 0x1838c, segment 0x4134f,
 * total 0x596db, folded 0x96e0, complemented 0x691f. */
#define TT_ETH_IP4_CSUM 0x691f

/* Ethernet, IPv6 (payload length 20, TCP, hop limit 57, 2001:db8::1 ->
 * 2001:db8::2), TCP (443 -> 50000, seq 0xfffffffe, ack 1, data offset 5,
 * SYN|ACK, window 29200). */
static const uint8_t tt_eth_ip6[74] = {
    ETH_ADDRS, 0x86, 0xdd,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x39, IP6_ADDR1, IP6_ADDR2,
    0x01, 0xbb, 0xc3, 0x50, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x01,
    0x50, 0x12, 0x72, 0x10, 0x00, 0x00, 0x00, 0x00,
};

/* One decode: the heap copy of the frame, and what tr_decode() made of it. */
struct tt_dec {
    uint8_t *copy;
    enum tr_dec d;
    struct tr_seg seg;
    struct tr_dec_info info;
};

/* Decodes caplen bytes of f, captured from a packet of origlen bytes. */
static struct tt_dec tt_decode_cut(uint32_t linktype, const uint8_t *f, uint32_t caplen,
                                   uint32_t origlen, bool verify)
{
    struct tt_dec r;
    memset(&r, 0, sizeof r);
    r.copy = malloc(caplen);
    assert_true(r.copy != NULL || caplen == 0);
    if (caplen)
        memcpy(r.copy, f, caplen);
    struct tr_pkt pkt = {.data = r.copy, .caplen = caplen, .origlen = origlen, .ts_ns = 4242,
                         .frame = 7, .linktype = linktype, .snaplen = 65535};
    r.d = tr_decode(&pkt, verify, &r.seg, &r.info);
    return r;
}

/* Decodes a frame captured whole. */
static struct tt_dec tt_decode(uint32_t linktype, const uint8_t *f, uint32_t len)
{
    return tt_decode_cut(linktype, f, len, len, false);
}

static void tt_done(struct tt_dec *r) { free(r->copy); }

/* The segment of IP4_40 + TCP_20 (or the same TCP over IPv6 of IP6_ADDR*). */
static void tt_assert_std_tcp(const struct tt_dec *r, int ipver)
{
    if (r->d != TR_DEC_TCP)
        fail_msg("decoded as %s: %s", tr_dec_name(r->d), r->info.reason);
    assert_int_equal(r->seg.ipver, ipver);
    assert_memory_equal(r->seg.src, ipver == 4 ? tt_ip4_src : tt_ip6_src, ipver == 4 ? 4 : 16);
    assert_memory_equal(r->seg.dst, ipver == 4 ? tt_ip4_dst : tt_ip6_dst, ipver == 4 ? 4 : 16);
    assert_int_equal(r->seg.sport, 40000);
    assert_int_equal(r->seg.dport, 80);
    assert_int_equal(r->seg.seq, 1000);
    assert_int_equal(r->seg.ack, 5000);
    assert_int_equal(r->seg.flags, TR_ACK);
    assert_int_equal(r->seg.win, 502);
}

static void tt_assert_dec(const struct tt_dec *r, enum tr_dec want)
{
    if (r->d != want)
        fail_msg("decoded as %s (%s), expected %s", tr_dec_name(r->d),
                 r->info.reason ? r->info.reason : "", tr_dec_name(want));
    if (want != TR_DEC_TCP)
        assert_non_null(r->info.reason);
}

/* ---- link layers ---- */

static void test_ethernet_ipv4_tcp_gives_every_field(void **state)
{
    (void)state;
    const uint8_t src[4] = {192, 168, 1, 10}, dst[4] = {192, 168, 1, 20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, tt_eth_ip4, sizeof tt_eth_ip4);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.frame, 7);
    assert_int_equal(r.seg.ts_ns, 4242);
    assert_int_equal(r.seg.ipver, 4);
    assert_memory_equal(r.seg.src, src, 4);
    assert_memory_equal(r.seg.dst, dst, 4);
    assert_int_equal(r.seg.sport, 40000);
    assert_int_equal(r.seg.dport, 443);
    assert_int_equal(r.seg.seq, 0x01020304u);
    assert_int_equal(r.seg.ack, 0xa0b0c0d0u);
    assert_int_equal(r.seg.flags, TR_PSH | TR_ACK);
    assert_int_equal(r.seg.win, 64240);
    assert_int_equal(r.seg.tcp_hlen, 20);
    assert_int_equal(r.seg.ttl, 63);
    assert_int_equal(r.seg.ip_id, 0xbeef);
    assert_true(r.seg.ip_df);
    assert_int_equal(r.seg.ip_opt_len, 0);
    assert_int_equal(r.seg.vlan, 0);
    assert_int_equal(r.seg.wire_len, 44);
    assert_int_equal(r.seg.len, 4);
    assert_int_equal(r.seg.caplen, 4);
    assert_ptr_equal(r.seg.payload, r.copy + 54);
    assert_int_equal(r.seg.csum, TR_CSUM_UNVERIFIED);
    assert_false(r.info.segflags & (TR_SEGF_OPTS_CUT | TR_SEGF_IPLEN_ZERO | TR_SEGF_IPLEN_BEYOND));
    tt_done(&r);
}

static void test_ethernet_ipv6_tcp_gives_every_field(void **state)
{
    (void)state;
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, tt_eth_ip6, sizeof tt_eth_ip6);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.ipver, 6);
    assert_memory_equal(r.seg.src, tt_ip6_src, 16);
    assert_memory_equal(r.seg.dst, tt_ip6_dst, 16);
    assert_int_equal(r.seg.sport, 443);
    assert_int_equal(r.seg.dport, 50000);
    assert_int_equal(r.seg.seq, 0xfffffffeu);
    assert_int_equal(r.seg.ack, 1);
    assert_int_equal(r.seg.flags, TR_SYN | TR_ACK);
    assert_int_equal(r.seg.win, 29200);
    assert_int_equal(r.seg.ttl, 57);
    assert_int_equal(r.seg.ip_id, 0);
    assert_int_equal(r.seg.ip_opt_len, 0);
    assert_int_equal(r.seg.wire_len, 60);
    assert_int_equal(r.seg.len, 0);
    assert_int_equal(r.seg.caplen, 0);
    tt_done(&r);
}

static void test_one_8021q_tag_gives_its_vid(void **state)
{
    (void)state;
    /* Ethernet, 802.1Q tag PCP 1 VID 100 (0x2064), IPv4, TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x81, 0x00, 0x20, 0x64, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.vlan, 100);
    tt_done(&r);
}

static void test_stacked_8021ad_and_8021q_tags_keep_the_inner_vid(void **state)
{
    (void)state;
    /* Ethernet, 802.1ad S-tag VID 200, 802.1Q C-tag VID 100, IPv4, TCP. */
    const uint8_t f[] = {ETH_ADDRS,  0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00,
                         0x00, 0x64, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.vlan, 100);
    tt_done(&r);
}

/* Writes Ethernet, `tags` 802.1Q tags (VID 1, 2, ...), IPv4 and TCP into buf;
 * returns the frame length. */
static uint32_t tt_vlan_frame(uint8_t *buf, uint32_t tags)
{
    const uint8_t eth[12] = {ETH_ADDRS}, ip_tcp[] = {0x08, 0x00, IP4_40, TCP_20};
    uint32_t n = 0;
    memcpy(buf, eth, sizeof eth);
    n += sizeof eth;
    for (uint32_t i = 0; i < tags; i++, n += 4) {
        const uint8_t tag[4] = {0x81, 0x00, (uint8_t)((i + 1) >> 8), (uint8_t)(i + 1)};
        memcpy(buf + n, tag, sizeof tag);
    }
    memcpy(buf + n, ip_tcp, sizeof ip_tcp);
    return n + (uint32_t)sizeof ip_tcp;
}

static void test_eight_vlan_tags_are_decoded(void **state)
{
    (void)state;
    uint8_t f[128];
    uint32_t n = tt_vlan_frame(f, TR_MAX_VLAN_TAGS);
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, n);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.vlan, TR_MAX_VLAN_TAGS);
    tt_done(&r);
}

static void test_more_vlan_tags_than_the_limit_are_malformed(void **state)
{
    (void)state;
    uint8_t f[128];
    uint32_t n = tt_vlan_frame(f, TR_MAX_VLAN_TAGS + 1);
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, n);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    assert_int_equal(r.info.offset, 14 + 4 * TR_MAX_VLAN_TAGS); /* the ninth tag's TCI */
    tt_done(&r);
}

static void test_a_thousand_vlan_tags_are_malformed_without_a_crash(void **state)
{
    (void)state;
    uint8_t *f = malloc(12 + 4 * 1000 + 42);
    assert_non_null(f);
    uint32_t n = tt_vlan_frame(f, 1000);
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, n);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
    free(f);
}

static void test_vlan_tag_cut_by_the_snaplen_is_truncated(void **state)
{
    (void)state;
    /* Ethernet, 802.1Q, then 2 of the tag's 4 bytes. */
    const uint8_t f[] = {ETH_ADDRS, 0x81, 0x00, 0x00, 0x64};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, 60, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    tt_done(&r);
}

static void test_ethernet_header_cut_by_the_snaplen_is_truncated(void **state)
{
    (void)state;
    const uint8_t f[] = {ETH_ADDRS, 0x08}; /* 13 of the 14 bytes */
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, 60, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    tt_done(&r);
}

static void test_linux_sll_gives_the_segment(void **state)
{
    (void)state;
    /* SLL: packet type 0 (to us), ARPHRD_ETHER, address length 6,
     * 02:00:00:00:00:01 and 2 bytes of padding, protocol IPv4. */
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x00,
                         0x00, 0x01, 0x00, 0x00, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_LINUX_SLL, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.wire_len, 40);
    tt_done(&r);
}

static void test_linux_sll2_gives_the_segment(void **state)
{
    (void)state;
    /* SLL2: protocol IPv6, reserved, interface index 2, ARPHRD_ETHER, packet
     * type 4 (outgoing), address length 6, 02:00:00:00:00:01 and 2 bytes of padding. */
    const uint8_t f[] = {0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,
                         0x04, 0x06, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                         IP6(0x00, 0x14, 0x06), TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_LINUX_SLL2, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    assert_int_equal(r.seg.wire_len, 60);
    tt_done(&r);
}

static void test_raw_link_101_gives_ipv4(void **state)
{
    (void)state;
    const uint8_t f[] = {IP4_40, TCP_20}; /* no link header */
    struct tt_dec r = tt_decode(TR_LINK_RAW, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    tt_done(&r);
}

static void test_raw_link_101_gives_ipv6(void **state)
{
    (void)state;
    const uint8_t f[] = {IP6(0x00, 0x14, 0x06), TCP_20}; /* no link header */
    struct tt_dec r = tt_decode(TR_LINK_RAW, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    tt_done(&r);
}

static void test_link_228_is_raw_ipv4(void **state)
{
    (void)state;
    const uint8_t f[] = {IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_IPV4, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    tt_done(&r);
}

static void test_link_229_is_raw_ipv6(void **state)
{
    (void)state;
    const uint8_t f[] = {IP6(0x00, 0x14, 0x06), TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_IPV6, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    tt_done(&r);
}

static void test_raw_link_that_is_not_ip_is_not_ip(void **state)
{
    (void)state;
    const uint8_t f[] = {0x52, 0x00, 0x00, 0x00}; /* version nibble 5 */
    struct tt_dec r = tt_decode(TR_LINK_RAW, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_IP);
    tt_done(&r);
}

static void test_null_loopback_af_inet_little_endian(void **state)
{
    (void)state;
    const uint8_t f[] = {0x02, 0x00, 0x00, 0x00, IP4_40, TCP_20}; /* AF_INET, x86 order */
    struct tt_dec r = tt_decode(TR_LINK_NULL, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    tt_done(&r);
}

static void test_null_loopback_af_inet_big_endian(void **state)
{
    (void)state;
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x02, IP4_40, TCP_20}; /* AF_INET, SPARC order */
    struct tt_dec r = tt_decode(TR_LINK_NULL, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    tt_done(&r);
}

static void test_null_loopback_af_inet6_of_each_bsd_in_either_order(void **state)
{
    (void)state;
    /* AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
    const uint8_t afs[3] = {24, 28, 30};
    for (int i = 0; i < 3; i++) {
        for (int big = 0; big < 2; big++) {
            uint8_t f[64] = {IP6(0x00, 0x14, 0x06), TCP_20};
            memmove(f + 4, f, 60);
            memset(f, 0, 4);
            f[big ? 3 : 0] = afs[i];
            struct tt_dec r = tt_decode(TR_LINK_NULL, f, sizeof f);
            tt_assert_std_tcp(&r, 6);
            tt_done(&r);
        }
    }
}

static void test_null_loopback_other_family_is_not_ip(void **state)
{
    (void)state;
    const uint8_t f[] = {0x07, 0x00, 0x00, 0x00, 0x00, 0x00}; /* family 7 (AF_ISO... ) */
    struct tt_dec r = tt_decode(TR_LINK_NULL, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_IP);
    tt_done(&r);
}

static void test_openbsd_loop_af_inet_in_network_order(void **state)
{
    (void)state;
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x02, IP4_40, TCP_20}; /* AF_INET, network order */
    struct tt_dec r = tt_decode(TR_LINK_LOOP, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    tt_done(&r);
}

static void test_openbsd_loop_af_inet6_in_network_order(void **state)
{
    (void)state;
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x18, IP6(0x00, 0x14, 0x06), TCP_20}; /* AF_INET6 24 */
    struct tt_dec r = tt_decode(TR_LINK_LOOP, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    tt_done(&r);
}

static void test_openbsd_loop_is_never_host_order(void **state)
{
    (void)state;
    /* AF_INET little-endian reads as 0x02000000 in network order. */
    const uint8_t f[] = {0x02, 0x00, 0x00, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_LOOP, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_IP);
    tt_done(&r);
}

static void test_unsupported_link_type_is_reported(void **state)
{
    (void)state;
    const uint8_t f[] = {IP4_40, TCP_20};
    struct tt_dec r = tt_decode(LINK_USER0, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_UNSUPPORTED);
    assert_int_equal(r.seg.frame, 7);
    tt_done(&r);
}

static void test_zero_length_frame_is_truncated(void **state)
{
    (void)state;
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, NULL, 0, 0, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    assert_int_equal(r.info.offset, 0);
    tt_done(&r);
    r = tt_decode_cut(TR_LINK_RAW, NULL, 0, 0, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    tt_done(&r);
}

static void test_arp_is_not_ip(void **state)
{
    (void)state;
    /* Ethernet, ARP request: Ethernet/IPv4, who has 10.0.0.2, tell 10.0.0.1. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
                         0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 1,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 2};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_IP);
    assert_int_equal(r.info.offset, 14);
    tt_done(&r);
}

/* ---- IPv4 ---- */

static void test_ipv4_options_are_skipped_and_counted(void **state)
{
    (void)state;
    /* IPv4 IHL 6 (24 bytes), total length 44, options NOP NOP NOP EOL, then TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x46, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, 0x01, 0x01, 0x01, 0x00, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.ip_opt_len, 4);
    assert_int_equal(r.seg.wire_len, 44);
    assert_int_equal(r.seg.len, 0);
    tt_done(&r);
}

static void test_ipv4_ihl_below_5_is_malformed(void **state)
{
    (void)state;
    /* IPv4 IHL 4 (16 bytes): below the 20-byte minimum (RFC 791 §3.1). */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x44, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    assert_int_equal(r.info.offset, 14);
    tt_done(&r);
}

static void test_ipv4_header_beyond_the_captured_bytes_is_truncated(void **state)
{
    (void)state;
    /* IPv4 IHL 15 (60 bytes), total length 80; only 40 bytes of it captured. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x4f, 0x00, 0x00, 0x50, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
                         0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, 14 + 80, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    tt_done(&r);
}

static void test_ipv4_header_beyond_the_total_length_is_malformed(void **state)
{
    (void)state;
    /* IPv4 IHL 15 (60 bytes) but total length 40. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x4f, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

static void test_ipv4_total_length_beyond_the_frame_is_trusted_and_flagged(void **state)
{
    (void)state;
    /* IPv4 total length 256 in a frame that had 40 bytes of IP on the wire:
     * the capture lost bytes, the IP header is believed. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x45, 0x00, 0x01, 0x00, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_true(r.info.segflags & TR_SEGF_IPLEN_BEYOND);
    assert_int_equal(r.seg.wire_len, 256);
    assert_int_equal(r.seg.len, 216);
    assert_int_equal(r.seg.caplen, 0);
    tt_done(&r);
}

static void test_ipv4_total_length_zero_takes_the_length_from_the_frame(void **state)
{
    (void)state;
    /* A TSO capture: IPv4 total length 0, TCP, then 100 bytes of payload
     * (zeros): 14 + 20 + 20 + 100 = 154 bytes. */
    uint8_t f[154] = {ETH_ADDRS, 0x08, 0x00,
                      0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                      10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_true(r.info.segflags & TR_SEGF_IPLEN_ZERO);
    assert_int_equal(r.seg.wire_len, 140);
    assert_int_equal(r.seg.len, 100);
    assert_int_equal(r.seg.caplen, 100);
    tt_done(&r);
}

static void test_ipv4_first_fragment_with_more_fragments_set_is_a_fragment(void **state)
{
    (void)state;
    /* IPv4 total length 40, id 7, flags MF, offset 0, TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x45, 0x00, 0x00, 0x28, 0x00, 0x07, 0x20, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_FRAGMENT);
    assert_int_equal(r.seg.ip_id, 7);
    assert_int_equal(r.info.ip_proto, 6);
    tt_done(&r);
}

static void test_ipv4_fragment_with_an_offset_is_a_fragment(void **state)
{
    (void)state;
    /* IPv4 total length 40, flags 0, offset 185 (1480 bytes), TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x45, 0x00, 0x00, 0x28, 0x00, 0x07, 0x00, 0xb9, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_FRAGMENT);
    tt_done(&r);
}

static void test_udp_is_not_tcp_and_names_protocol_17(void **state)
{
    (void)state;
    /* IPv4 total length 28, UDP; UDP 12345 -> 53, length 8. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_TCP);
    assert_int_equal(r.info.ip_proto, 17);
    tt_done(&r);
}

static void test_ethertype_ipv4_with_version_6_is_malformed(void **state)
{
    (void)state;
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00, IP6(0x00, 0x14, 0x06), TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

/* ---- IPv6 ---- */

static void test_ipv6_hop_by_hop_and_destination_options_are_skipped(void **state)
{
    (void)state;
    /* IPv6 payload length 36, next header hop-by-hop (0);
     * hop-by-hop: next 60, length 0 (8 bytes), PadN of 4;
     * destination options: next TCP, length 0 (8 bytes), PadN of 4; TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x24, 0x00),
                         0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
                         0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    assert_int_equal(r.seg.ip_opt_len, 16);
    assert_int_equal(r.seg.wire_len, 76);
    assert_int_equal(r.seg.len, 0);
    tt_done(&r);
}

static void test_ipv6_fragment_header_with_more_fragments_is_a_fragment(void **state)
{
    (void)state;
    /* IPv6 payload length 28, next header fragment (44);
     * fragment: next TCP, offset 0, M 1, identification 42; TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x1c, 0x2c),
                         0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_FRAGMENT);
    tt_done(&r);
}

static void test_ipv6_fragment_header_with_an_offset_is_a_fragment(void **state)
{
    (void)state;
    /* As above with offset 181 (0x05a8 >> 3) and M 0: the last fragment. */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x1c, 0x2c),
                         0x06, 0x00, 0x05, 0xa8, 0x00, 0x00, 0x00, 0x2a, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_FRAGMENT);
    tt_done(&r);
}

static void test_ipv6_atomic_fragment_is_decoded_as_tcp(void **state)
{
    (void)state;
    /* RFC 8200 §4.5, RFC 6946: a fragment header with offset 0 and M 0 is a
     * whole packet. Payload length 28; fragment: next TCP, id 42; TCP. */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x1c, 0x2c),
                         0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    assert_int_equal(r.seg.ip_opt_len, 8);
    tt_done(&r);
}

static void test_ipv6_extension_header_past_the_payload_length_is_malformed(void **state)
{
    (void)state;
    /* IPv6 payload length 28, hop-by-hop of length 3 (32 bytes > 28). */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x1c, 0x00),
                         0x06, 0x03, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    assert_int_equal(r.info.offset, 54);
    tt_done(&r);
}

static void test_ipv6_payload_too_short_for_an_extension_header_is_malformed(void **state)
{
    (void)state;
    /* Raw IPv6, payload length 4, next header hop-by-hop, 4 bytes of
     * payload, all captured: no room for the 8-byte header, nothing cut. */
    const uint8_t f[] = {IP6(0x00, 0x04, 0x00), 0x06, 0x00, 0x01, 0x00};
    struct tt_dec r = tt_decode(TR_LINK_IPV6, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

/* Writes Ethernet, IPv6 and `n` 8-byte destination options headers then TCP
 * into buf; returns the frame length. */
static uint32_t tt_ip6_ext_frame(uint8_t *buf, uint32_t n)
{
    const uint8_t head[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x00, 0x3c)}, tcp[] = {TCP_20};
    uint32_t len = sizeof head;
    memcpy(buf, head, sizeof head);
    tr_put16(buf + 18, (uint16_t)(8 * n + 20)); /* payload length */
    for (uint32_t i = 0; i < n; i++, len += 8)
        memcpy(buf + len, (const uint8_t[8]){i + 1 < n ? 0x3c : 0x06, 0x00, 0x01, 0x04}, 8);
    memcpy(buf + len, tcp, sizeof tcp);
    return len + (uint32_t)sizeof tcp;
}

static void test_ipv6_with_16_extension_headers_is_decoded(void **state)
{
    (void)state;
    uint8_t f[256];
    uint32_t n = tt_ip6_ext_frame(f, TR_MAX_IP6_EXT);
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, n);
    tt_assert_std_tcp(&r, 6);
    assert_int_equal(r.seg.ip_opt_len, 8 * TR_MAX_IP6_EXT);
    tt_done(&r);
}

static void test_ipv6_with_17_extension_headers_is_malformed(void **state)
{
    (void)state;
    uint8_t f[256];
    uint32_t n = tt_ip6_ext_frame(f, TR_MAX_IP6_EXT + 1);
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, n);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

static void test_ipv6_payload_length_beyond_the_frame_is_trusted_and_flagged(void **state)
{
    (void)state;
    /* IPv6 payload length 256 in a frame that had 20 bytes of it on the wire. */
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x01, 0x00, 0x06), TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 6);
    assert_true(r.info.segflags & TR_SEGF_IPLEN_BEYOND);
    assert_int_equal(r.seg.wire_len, 296);
    assert_int_equal(r.seg.len, 236);
    assert_int_equal(r.seg.caplen, 0);
    tt_done(&r);
}

static void test_ipv6_no_next_header_is_not_tcp(void **state)
{
    (void)state;
    const uint8_t f[] = {ETH_ADDRS, 0x86, 0xdd, IP6(0x00, 0x00, 0x3b)}; /* next header 59 */
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_NOT_TCP);
    assert_int_equal(r.info.ip_proto, 59);
    tt_done(&r);
}

/* ---- TCP ---- */

static void test_tcp_header_cut_after_the_ports_is_truncated_with_ports(void **state)
{
    (void)state;
    /* IPv4 total length 40; 10 of the 20 TCP header bytes captured. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, 14 + 20 + 10, sizeof f, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    assert_true(r.info.segflags & TR_SEGF_PORTS);
    assert_int_equal(r.info.offset, 34);
    assert_int_equal(r.seg.sport, 40000);
    assert_int_equal(r.seg.dport, 80);
    assert_memory_equal(r.seg.src, tt_ip4_src, 4);
    assert_memory_equal(r.seg.dst, tt_ip4_dst, 4);
    tt_done(&r);
}

static void test_tcp_header_cut_before_the_ports_is_truncated_without_ports(void **state)
{
    (void)state;
    /* IPv4 total length 40; 3 of the 20 TCP header bytes captured. */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, 14 + 20 + 3, sizeof f, false);
    tt_assert_dec(&r, TR_DEC_TRUNCATED);
    assert_false(r.info.segflags & TR_SEGF_PORTS);
    tt_done(&r);
}

static void test_tcp_options_cut_by_the_snaplen_still_give_the_header(void **state)
{
    (void)state;
    /* IPv4 total length 60; TCP 40000 -> 80 seq 1000, data offset 10, SYN,
     * window 64240, options MSS 1460, SACK-permitted, TS 1/0, NOP, WS 7;
     * captured up to the MSS option (24 of 40 header bytes). */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00,
                         0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2,
                         0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00,
                         0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
                         0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01,
                         0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, 14 + 20 + 24, sizeof f, false);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_true(r.info.segflags & TR_SEGF_OPTS_CUT);
    assert_int_equal(r.seg.tcp_hlen, 40);
    assert_int_equal(r.seg.seq, 1000);
    assert_int_equal(r.seg.flags, TR_SYN);
    assert_int_equal(r.seg.win, 64240);
    assert_int_equal(r.seg.len, 0);
    assert_false(r.seg.opt.has_mss);
    tt_done(&r);
}

static void test_tcp_data_offset_below_5_is_malformed(void **state)
{
    (void)state;
    /* TCP data offset 4 (16 bytes). */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00, IP4_40,
                         0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88,
                         0x40, 0x10, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

static void test_tcp_data_offset_beyond_the_ip_length_is_malformed(void **state)
{
    (void)state;
    /* IPv4 total length 40 (20 bytes of TCP); TCP data offset 15 (60 bytes). */
    const uint8_t f[] = {ETH_ADDRS, 0x08, 0x00, IP4_40,
                         0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88,
                         0xf0, 0x10, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

static void test_ip_length_too_short_for_a_tcp_header_is_malformed_not_cut(void **state)
{
    (void)state;
    /* Raw IPv4, total length 30: only 10 bytes for TCP, all captured. The
     * snapshot length cut nothing: the packet itself is wrong. */
    const uint8_t f[] = {0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                         10, 0, 0, 1, 10, 0, 0, 2,
                         0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00};
    struct tt_dec r = tt_decode(TR_LINK_RAW, f, sizeof f);
    tt_assert_dec(&r, TR_DEC_MALFORMED);
    tt_done(&r);
}

static void test_payload_length_comes_from_the_ip_header_when_the_snaplen_cut_it(void **state)
{
    (void)state;
    /* IPv4 total length 1040 (1000 bytes of payload), TCP, then the first 10
     * payload bytes: 64 of the frame's 1054 bytes captured. */
    const uint8_t f[64] = {ETH_ADDRS, 0x08, 0x00,
                           0x45, 0x00, 0x04, 0x10, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                           10, 0, 0, 1, 10, 0, 0, 2, TCP_20,
                           '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, 1054, false);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.len, 1000);
    assert_int_equal(r.seg.caplen, 10);
    assert_int_equal(r.seg.wire_len, 1040);
    assert_ptr_equal(r.seg.payload, r.copy + 54);
    tt_done(&r);
}

static void test_ethernet_padding_is_not_payload(void **state)
{
    (void)state;
    /* A 40-byte IPv4 packet padded to Ethernet's 60-byte minimum. */
    const uint8_t f[60] = {ETH_ADDRS, 0x08, 0x00, IP4_40, TCP_20};
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, f, sizeof f);
    tt_assert_std_tcp(&r, 4);
    assert_int_equal(r.seg.len, 0);
    assert_int_equal(r.seg.caplen, 0);
    assert_int_equal(r.seg.wire_len, 40);
    tt_done(&r);
}

/* ---- checksums ---- */

static void test_hand_computed_checksum_matches_the_wire_code(void **state)
{
    (void)state;
    const uint8_t *ip = tt_eth_ip4 + 14;
    assert_int_equal(tr_wire_tcp_checksum(4, ip + 12, ip + 16, ip + 20, 24), TT_ETH_IP4_CSUM);
}

static void test_good_checksum_is_verified_good(void **state)
{
    (void)state;
    uint8_t f[sizeof tt_eth_ip4];
    memcpy(f, tt_eth_ip4, sizeof f);
    tr_put16(f + 14 + 20 + 16, TT_ETH_IP4_CSUM);
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, sizeof f, true);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.csum, TR_CSUM_GOOD);
    tt_done(&r);
}

static void test_bad_checksum_is_verified_bad(void **state)
{
    (void)state;
    uint8_t f[sizeof tt_eth_ip4];
    memcpy(f, tt_eth_ip4, sizeof f);
    tr_put16(f + 14 + 20 + 16, TT_ETH_IP4_CSUM ^ 0x0100);
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, sizeof f, true);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.csum, TR_CSUM_BAD);
    tt_done(&r);
}

static void test_ipv6_checksum_computed_by_the_wire_code_is_verified_good(void **state)
{
    (void)state;
    uint8_t f[sizeof tt_eth_ip6];
    memcpy(f, tt_eth_ip6, sizeof f);
    uint8_t *tcp = f + 14 + 40;
    tr_put16(tcp + 16, tr_wire_tcp_checksum(6, f + 22, f + 38, tcp, 20));
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f, sizeof f, true);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.csum, TR_CSUM_GOOD);
    tt_done(&r);
}

static void test_checksum_is_unverified_when_the_payload_was_cut(void **state)
{
    (void)state;
    uint8_t f[sizeof tt_eth_ip4];
    memcpy(f, tt_eth_ip4, sizeof f);
    tr_put16(f + 14 + 20 + 16, TT_ETH_IP4_CSUM);
    struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, sizeof f - 1, sizeof f, true);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(r.seg.csum, TR_CSUM_UNVERIFIED);
    tt_done(&r);
}

/* ---- tr_decode_peek: the reader's shortcut must agree with tr_decode ---- */

/* peek on caplen bytes of f (heap copy); returns whether it vouched. */
static bool tt_peek(const uint8_t *f, uint32_t caplen, uint32_t linktype, uint32_t *h)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, f, caplen);
    struct tr_pkt pkt = {.data = copy, .caplen = caplen, .origlen = caplen, .frame = 1, .linktype = linktype};
    bool ok = tr_decode_peek(&pkt, h);
    free(copy);
    return ok;
}

static void test_peek_takes_a_plain_ethernet_ipv4_tcp_frame_with_the_decoders_hash(void **state)
{
    (void)state;
    uint32_t h = 0;
    assert_true(tt_peek(tt_eth_ip4, sizeof tt_eth_ip4, TR_LINK_ETHERNET, &h));
    struct tt_dec r = tt_decode(TR_LINK_ETHERNET, tt_eth_ip4, sizeof tt_eth_ip4);
    tt_assert_dec(&r, TR_DEC_TCP);
    assert_int_equal(h, tr_flow_hash(&r.seg));
    tt_done(&r);
    /* the other direction of the same connection hashes alike */
    uint8_t rev[sizeof tt_eth_ip4];
    memcpy(rev, tt_eth_ip4, sizeof rev);
    memcpy(rev + 26, tt_eth_ip4 + 30, 4);
    memcpy(rev + 30, tt_eth_ip4 + 26, 4);
    memcpy(rev + 34, tt_eth_ip4 + 36, 2);
    memcpy(rev + 36, tt_eth_ip4 + 34, 2);
    uint32_t h2 = 0;
    assert_true(tt_peek(rev, sizeof rev, TR_LINK_ETHERNET, &h2));
    assert_int_equal(h2, h);
}

/* Frames the decoder does not take as TCP, or takes only by a route the
 * shortcut leaves to it (TSO length 0, VLAN, IPv6, another link type). */
static void test_peek_declines_what_it_must_leave_to_the_decoder(void **state)
{
    (void)state;
    uint8_t f[sizeof tt_eth_ip4];
    uint32_t h;
    const struct {
        unsigned at;
        uint8_t val;
        const char *what;
    } cases[] = {
        {12, 0x81, "VLAN tag"},          {14, 0x65, "IP version 6 in an IPv4 EtherType"},
        {14, 0x44, "IHL 4"},             {16, 0x00, "total length 0 (TSO)"},
        {17, 0x27, "total length 39"},   {20, 0x20, "more fragments"},
        {21, 0x01, "fragment offset"},   {23, 0x11, "UDP"},
        {46, 0x40, "data offset 4"},     {46, 0x70, "data offset past the IP length"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(f, tt_eth_ip4, sizeof f);
        if (cases[i].at == 16)
            f[17] = 0;
        f[cases[i].at] = cases[i].val;
        if (tt_peek(f, sizeof f, TR_LINK_ETHERNET, &h))
            fail_msg("peek took a frame with %s", cases[i].what);
    }
    assert_false(tt_peek(tt_eth_ip4, 14 + 20 + 19, TR_LINK_ETHERNET, &h)); /* TCP header cut */
    assert_false(tt_peek(tt_eth_ip4, sizeof tt_eth_ip4, TR_LINK_LINUX_SLL, &h));
    assert_false(tt_peek(tt_eth_ip6, sizeof tt_eth_ip6, TR_LINK_ETHERNET, &h));
    /* options cut by the snaplen: still TCP for the decoder, and for peek */
    memcpy(f, tt_eth_ip4, sizeof f);
    f[46] = 0x60; /* data offset 6: 4 bytes of options, "abcd" taken as them */
    assert_true(tt_peek(f, 14 + 20 + 22, TR_LINK_ETHERNET, &h));
}

/* Whatever the bytes: when peek vouches, tr_decode says TCP with the same
 * hash. 200,000 mutations of a plain frame (seeded, reproducible), over the
 * bytes both look at and at every captured length. */
static void test_peek_never_vouches_for_what_the_decoder_rejects(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned vouched = 0, agreed = 0;
    for (unsigned i = 0; i < 200000; i++) {
        uint8_t f[sizeof tt_eth_ip4];
        memcpy(f, tt_eth_ip4, sizeof f);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        for (unsigned m = 0; m < 1 + (x & 3); m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f[12 + (x >> 8) % 40] = (uint8_t)(x >> 48);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t caplen = (x & 1) ? sizeof f : (uint32_t)((x >> 16) % (sizeof f + 1));
        uint32_t h;
        if (!tt_peek(f, caplen, TR_LINK_ETHERNET, &h))
            continue;
        vouched++;
        struct tt_dec r = tt_decode_cut(TR_LINK_ETHERNET, f, caplen, caplen, false);
        if (r.d != TR_DEC_TCP || tr_flow_hash(&r.seg) != h)
            fail_msg("mutation %u: peek vouched, decoder said %s (%s)", i, tr_dec_name(r.d),
                     r.info.reason ? r.info.reason : "");
        agreed++;
        tt_done(&r);
    }
    assert_int_equal(agreed, vouched);
    assert_true(vouched > 1000); /* the sweep did exercise the vouching path */
}

/* The report's addresses: IPv4 written by hand must be inet_ntop's text
 * (the oracle) for every value of every byte; IPv6 is inet_ntop's. */
static void test_address_text_is_inet_ntops(void **state)
{
    (void)state;
    char ours[64], theirs[64];
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            const uint8_t addr[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)(a ^ b), (uint8_t)(255 - b)};
            tr_format_addr(4, addr, ours, sizeof ours);
            assert_non_null(inet_ntop(AF_INET, addr, theirs, sizeof theirs));
            assert_string_equal(ours, theirs);
        }
    }
    const uint8_t max[4] = {255, 255, 255, 255}, v6[16] = {IP6_ADDR1};
    char small[16];
    tr_format_addr(4, max, small, sizeof small); /* the longest, in the least room */
    assert_string_equal(small, "255.255.255.255");
    tr_format_addr(6, v6, ours, sizeof ours);
    assert_string_equal(ours, "2001:db8::1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_text_is_inet_ntops),
        cmocka_unit_test(test_ethernet_ipv4_tcp_gives_every_field),
        cmocka_unit_test(test_ethernet_ipv6_tcp_gives_every_field),
        cmocka_unit_test(test_one_8021q_tag_gives_its_vid),
        cmocka_unit_test(test_stacked_8021ad_and_8021q_tags_keep_the_inner_vid),
        cmocka_unit_test(test_eight_vlan_tags_are_decoded),
        cmocka_unit_test(test_more_vlan_tags_than_the_limit_are_malformed),
        cmocka_unit_test(test_a_thousand_vlan_tags_are_malformed_without_a_crash),
        cmocka_unit_test(test_vlan_tag_cut_by_the_snaplen_is_truncated),
        cmocka_unit_test(test_ethernet_header_cut_by_the_snaplen_is_truncated),
        cmocka_unit_test(test_linux_sll_gives_the_segment),
        cmocka_unit_test(test_linux_sll2_gives_the_segment),
        cmocka_unit_test(test_raw_link_101_gives_ipv4),
        cmocka_unit_test(test_raw_link_101_gives_ipv6),
        cmocka_unit_test(test_link_228_is_raw_ipv4),
        cmocka_unit_test(test_link_229_is_raw_ipv6),
        cmocka_unit_test(test_raw_link_that_is_not_ip_is_not_ip),
        cmocka_unit_test(test_null_loopback_af_inet_little_endian),
        cmocka_unit_test(test_null_loopback_af_inet_big_endian),
        cmocka_unit_test(test_null_loopback_af_inet6_of_each_bsd_in_either_order),
        cmocka_unit_test(test_null_loopback_other_family_is_not_ip),
        cmocka_unit_test(test_openbsd_loop_af_inet_in_network_order),
        cmocka_unit_test(test_openbsd_loop_af_inet6_in_network_order),
        cmocka_unit_test(test_openbsd_loop_is_never_host_order),
        cmocka_unit_test(test_unsupported_link_type_is_reported),
        cmocka_unit_test(test_zero_length_frame_is_truncated),
        cmocka_unit_test(test_arp_is_not_ip),
        cmocka_unit_test(test_ipv4_options_are_skipped_and_counted),
        cmocka_unit_test(test_ipv4_ihl_below_5_is_malformed),
        cmocka_unit_test(test_ipv4_header_beyond_the_captured_bytes_is_truncated),
        cmocka_unit_test(test_ipv4_header_beyond_the_total_length_is_malformed),
        cmocka_unit_test(test_ipv4_total_length_beyond_the_frame_is_trusted_and_flagged),
        cmocka_unit_test(test_ipv4_total_length_zero_takes_the_length_from_the_frame),
        cmocka_unit_test(test_ipv4_first_fragment_with_more_fragments_set_is_a_fragment),
        cmocka_unit_test(test_ipv4_fragment_with_an_offset_is_a_fragment),
        cmocka_unit_test(test_udp_is_not_tcp_and_names_protocol_17),
        cmocka_unit_test(test_ethertype_ipv4_with_version_6_is_malformed),
        cmocka_unit_test(test_ipv6_hop_by_hop_and_destination_options_are_skipped),
        cmocka_unit_test(test_ipv6_fragment_header_with_more_fragments_is_a_fragment),
        cmocka_unit_test(test_ipv6_fragment_header_with_an_offset_is_a_fragment),
        cmocka_unit_test(test_ipv6_atomic_fragment_is_decoded_as_tcp),
        cmocka_unit_test(test_ipv6_extension_header_past_the_payload_length_is_malformed),
        cmocka_unit_test(test_ipv6_payload_too_short_for_an_extension_header_is_malformed),
        cmocka_unit_test(test_ipv6_with_16_extension_headers_is_decoded),
        cmocka_unit_test(test_ipv6_with_17_extension_headers_is_malformed),
        cmocka_unit_test(test_ipv6_payload_length_beyond_the_frame_is_trusted_and_flagged),
        cmocka_unit_test(test_ipv6_no_next_header_is_not_tcp),
        cmocka_unit_test(test_tcp_header_cut_after_the_ports_is_truncated_with_ports),
        cmocka_unit_test(test_tcp_header_cut_before_the_ports_is_truncated_without_ports),
        cmocka_unit_test(test_tcp_options_cut_by_the_snaplen_still_give_the_header),
        cmocka_unit_test(test_tcp_data_offset_below_5_is_malformed),
        cmocka_unit_test(test_tcp_data_offset_beyond_the_ip_length_is_malformed),
        cmocka_unit_test(test_ip_length_too_short_for_a_tcp_header_is_malformed_not_cut),
        cmocka_unit_test(test_payload_length_comes_from_the_ip_header_when_the_snaplen_cut_it),
        cmocka_unit_test(test_ethernet_padding_is_not_payload),
        cmocka_unit_test(test_hand_computed_checksum_matches_the_wire_code),
        cmocka_unit_test(test_good_checksum_is_verified_good),
        cmocka_unit_test(test_bad_checksum_is_verified_bad),
        cmocka_unit_test(test_ipv6_checksum_computed_by_the_wire_code_is_verified_good),
        cmocka_unit_test(test_checksum_is_unverified_when_the_payload_was_cut),
        cmocka_unit_test(test_peek_takes_a_plain_ethernet_ipv4_tcp_frame_with_the_decoders_hash),
        cmocka_unit_test(test_peek_declines_what_it_must_leave_to_the_decoder),
        cmocka_unit_test(test_peek_never_vouches_for_what_the_decoder_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
