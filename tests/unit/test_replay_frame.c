/* replay/frame (Ethernet, ARP, neighbour discovery, TCP/IP frames) and the
 * pure parts of replay/netcheck (prefixes, routing tables). */
#include <string.h>

#include "../support/tt.h"
#include "analyzer/decode.h"
#include "replay/frame.h"
#include "replay/netcheck.h"

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t ip_a[4] = {10, 78, 0, 3}, ip_b[4] = {10, 78, 0, 2};

static void test_arp_request_is_broadcast_and_parses_back(void **state)
{
    (void)state;
    uint8_t f[64];
    size_t n = tr_frame_arp(f, sizeof f, TR_ARP_REQUEST, mac_a, ip_a, NULL, ip_b);
    assert_int_equal(n, 42);
    /* Ethernet: ff:ff:ff:ff:ff:ff <- 02:00:00:00:00:0a, type 0x0806 */
    static const uint8_t eth[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0a,
                                    0x08, 0x06};
    assert_memory_equal(f, eth, 14);
    /* htype 1, ptype 0x0800, hlen 6, plen 4, op 1 */
    static const uint8_t hdr[8] = {0, 1, 0x08, 0x00, 6, 4, 0, 1};
    assert_memory_equal(f + 14, hdr, 8);
    struct tr_arp a;
    assert_true(tr_frame_parse_arp(f, n, &a));
    assert_int_equal(a.op, TR_ARP_REQUEST);
    assert_memory_equal(a.sha, mac_a, 6);
    assert_memory_equal(a.spa, ip_a, 4);
    assert_memory_equal(a.tpa, ip_b, 4);
}

static void test_arp_reply_is_unicast_to_the_asker(void **state)
{
    (void)state;
    uint8_t f[64];
    size_t n = tr_frame_arp(f, sizeof f, TR_ARP_REPLY, mac_a, ip_a, mac_b, ip_b);
    assert_memory_equal(f, mac_b, 6);
    struct tr_arp a;
    assert_true(tr_frame_parse_arp(f, n, &a));
    assert_int_equal(a.op, TR_ARP_REPLY);
    assert_memory_equal(a.tha, mac_b, 6);
}

static void test_truncated_arp_is_rejected(void **state)
{
    (void)state;
    uint8_t f[64];
    size_t n = tr_frame_arp(f, sizeof f, TR_ARP_REQUEST, mac_a, ip_a, NULL, ip_b);
    struct tr_arp a;
    assert_false(tr_frame_parse_arp(f, n - 1, &a));
    f[14 + 4] = 8; /* hardware length 8: not Ethernet */
    assert_false(tr_frame_parse_arp(f, n, &a));
}

static void test_tcp_frame_has_valid_ip_and_tcp_checksums(void **state)
{
    (void)state;
    struct tr_link_addrs la = {.ipver = 4};
    memcpy(la.local_mac, mac_a, 6);
    memcpy(la.peer_mac, mac_b, 6);
    memcpy(la.local_ip, ip_a, 4);
    memcpy(la.peer_ip, ip_b, 4);
    struct tr_seg s = {.sport = 40000, .dport = 8080, .seq = 1000, .ack = 2000,
                       .flags = TR_ACK | TR_PSH, .win = 512, .len = 5,
                       .payload = (const uint8_t *)"hello"};
    s.opt.has_ts = true;
    s.opt.tsval = 7;
    s.opt.tsecr = 9;
    uint8_t f[256];
    size_t n = tr_frame_tcp(f, sizeof f, &la, 0x1234, &s);
    assert_int_equal(n, 14 + 20 + 32 + 5);
    struct tr_pkt pkt = {.data = f, .caplen = (uint32_t)n, .origlen = (uint32_t)n,
                         .linktype = 1, .frame = 1};
    struct tr_seg d;
    struct tr_dec_info info;
    assert_int_equal(tr_decode(&pkt, true, &d, &info), TR_DEC_TCP);
    assert_int_equal(d.csum, TR_CSUM_GOOD);
    assert_int_equal(d.seq, 1000);
    assert_int_equal(d.ack, 2000);
    assert_int_equal(d.len, 5);
    assert_true(d.opt.has_ts);
    assert_int_equal(d.opt.tsval, 7);
    assert_true(d.ip_df);
    assert_int_equal(d.ip_id, 0x1234);
    assert_memory_equal(d.payload, "hello", 5);
}

static void test_tcp_frame_over_ipv6_decodes(void **state)
{
    (void)state;
    struct tr_link_addrs la = {.ipver = 6};
    memcpy(la.local_mac, mac_a, 6);
    memcpy(la.peer_mac, mac_b, 6);
    tr_net_parse_ip("fd00:78::3", la.local_ip);
    tr_net_parse_ip("fd00:78::2", la.peer_ip);
    struct tr_seg s = {.sport = 1, .dport = 2, .seq = 1, .flags = TR_SYN, .win = 65535};
    s.opt.has_mss = true;
    s.opt.mss = 1440;
    uint8_t f[256];
    size_t n = tr_frame_tcp(f, sizeof f, &la, 0, &s);
    struct tr_pkt pkt = {.data = f, .caplen = (uint32_t)n, .origlen = (uint32_t)n,
                         .linktype = 1, .frame = 1};
    struct tr_seg d;
    struct tr_dec_info info;
    assert_int_equal(tr_decode(&pkt, true, &d, &info), TR_DEC_TCP);
    assert_int_equal(d.ipver, 6);
    assert_int_equal(d.csum, TR_CSUM_GOOD);
    assert_int_equal(d.opt.mss, 1440);
}

static void test_neighbour_solicitation_goes_to_the_solicited_node_group(void **state)
{
    (void)state;
    uint8_t sip[16], target[16], f[128];
    tr_net_parse_ip("fd00:78::3", sip);
    tr_net_parse_ip("fd00:78::12:3456", target);
    size_t n = tr_frame_nd_solicit(f, sizeof f, mac_a, sip, target);
    /* 33:33:ff:12:34:56 for ff02::1:ff12:3456 (RFC 2464 §7) */
    static const uint8_t dmac[6] = {0x33, 0x33, 0xff, 0x12, 0x34, 0x56};
    assert_memory_equal(f, dmac, 6);
    struct tr_nd nd;
    assert_true(tr_frame_parse_nd(f, n, &nd));
    assert_int_equal(nd.type, TR_ND_SOLICIT);
    assert_memory_equal(nd.target, target, 16);
    assert_true(nd.has_lladdr);
    assert_memory_equal(nd.lladdr, mac_a, 6);
}

static void test_neighbour_advertisement_round_trips_and_checks_its_sum(void **state)
{
    (void)state;
    uint8_t sip[16], dip[16], f[128];
    tr_net_parse_ip("fd00:78::3", sip);
    tr_net_parse_ip("fd00:78::2", dip);
    size_t n = tr_frame_nd_advert(f, sizeof f, mac_a, sip, mac_b, dip);
    struct tr_nd nd;
    assert_true(tr_frame_parse_nd(f, n, &nd));
    assert_int_equal(nd.type, TR_ND_ADVERT);
    assert_true(nd.solicited);
    assert_memory_equal(nd.target, sip, 16);
    f[n - 1] ^= 1; /* a damaged link-layer address: the checksum no longer holds */
    assert_false(tr_frame_parse_nd(f, n, &nd));
}

static void test_mac_parse_and_random_local_address(void **state)
{
    (void)state;
    uint8_t m[6];
    assert_true(tr_mac_parse("02:00:5e:10:00:01", m));
    assert_int_equal(m[2], 0x5e);
    assert_false(tr_mac_parse("02:00:5e:10:00", m));
    assert_false(tr_mac_parse("02:00:5e:10:00:01:ff", m));
    for (uint64_t seed = 0; seed < 64; seed++) {
        tr_mac_random_local(m, seed);
        assert_int_equal(m[0] & 0x03, 0x02); /* unicast, locally administered */
    }
}

static void test_prefix_match_counts_bits(void **state)
{
    (void)state;
    uint8_t a[16], n[16];
    tr_net_parse_ip("10.78.0.2", a);
    tr_net_parse_ip("10.78.0.0", n);
    assert_true(tr_net_in_prefix(4, a, n, 24));
    assert_true(tr_net_in_prefix(4, a, n, 30));
    assert_false(tr_net_in_prefix(4, a, n, 31));
    assert_true(tr_net_in_prefix(4, a, n, 0));
}

static const char route4[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"   /* default via 192.168.0.1 */
    "veth1\t00004E0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"  /* 10.78.0.0/24 on-link */
    "eth0\t00C84E0A\t0100A8C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"; /* 10.78.200.0/24 via gw */

static void test_route4_picks_the_most_specific_route(void **state)
{
    (void)state;
    char dev[32];
    bool gw;
    uint8_t p[4] = {10, 78, 0, 2};
    assert_true(tr_net_route4(route4, p, dev, sizeof dev, &gw));
    assert_string_equal(dev, "veth1");
    assert_false(gw);
    uint8_t q[4] = {10, 78, 200, 9};
    assert_true(tr_net_route4(route4, q, dev, sizeof dev, &gw));
    assert_string_equal(dev, "eth0");
    assert_true(gw);
    uint8_t r[4] = {8, 8, 8, 8};
    assert_true(tr_net_route4(route4, r, dev, sizeof dev, &gw));
    assert_true(gw); /* only the default route: behind a router */
}

static const char route6[] =
    "fd000078000000000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000001 00000000 00000001 veth1\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n";

static void test_route6_tells_on_link_from_via_gateway(void **state)
{
    (void)state;
    char dev[32];
    bool gw;
    uint8_t p[16];
    tr_net_parse_ip("fd00:78::2", p);
    assert_true(tr_net_route6(route6, p, dev, sizeof dev, &gw));
    assert_string_equal(dev, "veth1");
    assert_false(gw);
    tr_net_parse_ip("2001:db8::1", p);
    assert_true(tr_net_route6(route6, p, dev, sizeof dev, &gw));
    assert_true(gw);
}

static void test_special_addresses_are_not_endpoints(void **state)
{
    (void)state;
    uint8_t a[16];
    const char *bad[] = {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "::", "::1",
                         "ff02::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int v = tr_net_parse_ip(bad[i], a);
        assert_true(tr_net_bad_unicast(v, a));
    }
    assert_false(tr_net_bad_unicast(tr_net_parse_ip("10.78.0.3", a), a));
    assert_int_equal(tr_net_parse_ip("10.78.0", a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp_request_is_broadcast_and_parses_back),
        cmocka_unit_test(test_arp_reply_is_unicast_to_the_asker),
        cmocka_unit_test(test_truncated_arp_is_rejected),
        cmocka_unit_test(test_tcp_frame_has_valid_ip_and_tcp_checksums),
        cmocka_unit_test(test_tcp_frame_over_ipv6_decodes),
        cmocka_unit_test(test_neighbour_solicitation_goes_to_the_solicited_node_group),
        cmocka_unit_test(test_neighbour_advertisement_round_trips_and_checks_its_sum),
        cmocka_unit_test(test_mac_parse_and_random_local_address),
        cmocka_unit_test(test_prefix_match_counts_bits),
        cmocka_unit_test(test_route4_picks_the_most_specific_route),
        cmocka_unit_test(test_route6_tells_on_link_from_via_gateway),
        cmocka_unit_test(test_special_addresses_are_not_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
