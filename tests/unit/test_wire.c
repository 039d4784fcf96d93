/* TCP header and option parsing (RFC 9293 §3.1, §3.2; RFC 7323; RFC 2018). */
#include <string.h>

#include "../support/tt.h"
#include "stack/wire.h"

/* A SYN from port 40000 to 80, seq 0x01020304, data offset 10 (40 bytes):
 * MSS 1460, SACK-permitted, TS 1/0, NOP, window scale 7 (Linux's layout). */
static const uint8_t tt_syn[40] = {
    0x9c, 0x40, 0x00, 0x50, /* ports 40000 -> 80 */
    0x01, 0x02, 0x03, 0x04, /* seq */
    0x00, 0x00, 0x00, 0x00, /* ack */
    0xa0, 0x02, 0xfa, 0xf0, /* doff 10, SYN, window 64240 */
    0x00, 0x00, 0x00, 0x00, /* checksum, urgent */
    0x02, 0x04, 0x05, 0xb4, /* MSS 1460 */
    0x04, 0x02,             /* SACK-permitted */
    0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* TS 1, 0 */
    0x01,                   /* NOP */
    0x03, 0x03, 0x07,       /* window scale 7 */
};

static void test_linux_syn_options_parse(void **state)
{
    (void)state;
    struct tr_seg s;
    memset(&s, 0, sizeof s);
    assert_int_equal(tr_wire_parse_tcp(tt_syn, sizeof tt_syn, sizeof tt_syn, &s), TR_WIRE_OK);
    assert_int_equal(s.sport, 40000);
    assert_int_equal(s.dport, 80);
    assert_int_equal(s.seq, 0x01020304u);
    assert_int_equal(s.flags, TR_SYN);
    assert_int_equal(s.win, 64240);
    assert_int_equal(s.tcp_hlen, 40);
    assert_true(s.opt.has_mss);
    assert_int_equal(s.opt.mss, 1460);
    assert_true(s.opt.sack_perm);
    assert_true(s.opt.has_ts);
    assert_int_equal(s.opt.tsval, 1);
    assert_true(s.opt.has_wscale);
    assert_int_equal(s.opt.wscale, 7);
    assert_int_equal(s.opt.error, TR_OPTERR_NONE);
    assert_int_equal(s.len, 0);
}

static void test_sack_blocks_parse(void **state)
{
    (void)state;
    /* NOP NOP SACK(2 blocks): [100,200) [300,400) */
    const uint8_t o[20] = {1, 1, 5, 18, 0, 0, 0, 100, 0, 0, 0, 200, 0, 0, 1, 0x2c, 0, 0, 1, 0x90};
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.nsack, 2);
    assert_int_equal(opt.sack[0].left, 100);
    assert_int_equal(opt.sack[0].right, 200);
    assert_int_equal(opt.sack[1].left, 300);
    assert_int_equal(opt.sack[1].right, 400);
}

static void test_option_length_zero_is_malformed_not_a_loop(void **state)
{
    (void)state;
    const uint8_t o[8] = {1, 1, 0x1e, 0x00, 1, 1, 1, 1}; /* kind 30 with length 0 */
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.error, TR_OPTERR_LEN_ZERO_ONE);
    assert_int_equal(opt.error_offset, 22);
}

static void test_option_length_one_is_malformed(void **state)
{
    (void)state;
    const uint8_t o[4] = {0x08, 0x01, 0, 0};
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.error, TR_OPTERR_LEN_ZERO_ONE);
}

static void test_option_running_past_the_header_is_malformed(void **state)
{
    (void)state;
    const uint8_t o[4] = {0x08, 0x0a, 0, 0}; /* TS needs 10 bytes, 4 available */
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.error, TR_OPTERR_OVERRUN);
    assert_false(opt.has_ts);
}

static void test_mss_with_wrong_length_is_malformed(void **state)
{
    (void)state;
    const uint8_t o[4] = {0x02, 0x03, 0x05, 1};
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.error, TR_OPTERR_BAD_LEN);
}

static void test_kind_without_length_byte_is_malformed(void **state)
{
    (void)state;
    const uint8_t o[4] = {1, 1, 1, 0x02};
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.error, TR_OPTERR_NO_LEN);
}

static void test_eol_ends_the_options(void **state)
{
    (void)state;
    const uint8_t o[8] = {0, 0x02, 0x04, 0x05, 0xb4, 0, 0, 0}; /* EOL then an MSS that must be ignored */
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_false(opt.has_mss);
    assert_int_equal(opt.error, TR_OPTERR_NONE);
}

static void test_unknown_kinds_are_kept(void **state)
{
    (void)state;
    const uint8_t o[8] = {0x4c, 0x04, 0xaa, 0xbb, 0x1c, 0x04, 0x00, 0x10}; /* kind 76, UTO */
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_int_equal(opt.nunknown, 2);
    assert_int_equal(opt.unknown[0].kind, 76);
    assert_int_equal(opt.unknown[0].len, 4);
    assert_int_equal(opt.unknown[1].kind, TR_OPT_UTO);
}

static void test_fast_open_experimental_option_is_recognised(void **state)
{
    (void)state;
    /* kind 254, len 4, ExID 0xF989: a cookie request (RFC 7413 §4.1.1) */
    const uint8_t o[4] = {0xfe, 0x04, 0xf9, 0x89};
    struct tr_opts opt;
    tr_wire_parse_options(o, sizeof o, 20, &opt);
    assert_true(opt.fastopen);
    assert_int_equal(opt.fastopen_cookie_len, 0);
}

static void test_data_offset_below_five_is_rejected(void **state)
{
    (void)state;
    uint8_t h[20];
    memcpy(h, tt_syn, 20);
    h[12] = 0x40; /* doff 4 */
    struct tr_seg s;
    assert_int_equal(tr_wire_parse_tcp(h, 20, 20, &s), TR_WIRE_BAD_DOFF);
}

static void test_data_offset_beyond_the_ip_length_is_rejected(void **state)
{
    (void)state;
    struct tr_seg s;
    assert_int_equal(tr_wire_parse_tcp(tt_syn, 40, 32, &s), TR_WIRE_DOFF_BEYOND);
}

static void test_options_cut_by_snaplen_report_short_with_header_fields(void **state)
{
    (void)state;
    struct tr_seg s;
    assert_int_equal(tr_wire_parse_tcp(tt_syn, 30, 40, &s), TR_WIRE_SHORT);
    assert_int_equal(s.seq, 0x01020304u); /* the fixed header is still read */
}

static void test_payload_length_comes_from_the_ip_length(void **state)
{
    (void)state;
    uint8_t h[20];
    memcpy(h, tt_syn, 20);
    h[12] = 0x50;
    struct tr_seg s;
    /* 20 bytes captured, the IP header says 1480 bytes of TCP */
    assert_int_equal(tr_wire_parse_tcp(h, 20, 1480, &s), TR_WIRE_OK);
    assert_int_equal(s.len, 1460);
    assert_int_equal(s.caplen, 0);
    assert_null(s.payload);
}

static void test_built_options_parse_back_identically(void **state)
{
    (void)state;
    struct tr_seg s;
    memset(&s, 0, sizeof s);
    s.sport = 1;
    s.dport = 2;
    s.flags = TR_SYN;
    s.opt = (struct tr_opts){.has_mss = true, .mss = 1200, .has_wscale = true, .wscale = 9,
                             .sack_perm = true, .has_ts = true, .tsval = 77, .tsecr = 0};
    uint8_t buf[60];
    size_t n = tr_wire_build_tcp(buf, sizeof buf, &s);
    assert_true(n >= 20 && n % 4 == 0);
    struct tr_seg back;
    assert_int_equal(tr_wire_parse_tcp(buf, (uint32_t)n, (uint32_t)n, &back), TR_WIRE_OK);
    assert_int_equal(back.opt.mss, 1200);
    assert_int_equal(back.opt.wscale, 9);
    assert_true(back.opt.sack_perm);
    assert_int_equal(back.opt.tsval, 77);
}

/* The common NOP, NOP, TS layout takes a shortcut in the parser; it must
 * give what the general option walk gives for the same options in another
 * order (TS, NOP, NOP), field for field (RFC 7323 §3: TSval, TSecr). */
static void test_nop_nop_timestamps_shortcut_matches_the_general_walk(void **state)
{
    (void)state;
    const uint8_t fast[12] = {1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    const uint8_t slow[12] = {8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 1, 1};
    struct tr_opts a, b;
    memset(&a, 0xa5, sizeof a); /* stale bytes from an earlier segment */
    memset(&b, 0x5a, sizeof b);
    tr_wire_parse_options(fast, sizeof fast, 20, &a);
    tr_wire_parse_options(slow, sizeof slow, 20, &b);
    assert_true(a.has_ts);
    assert_int_equal(a.tsval, 0xdeadbeefu);
    assert_int_equal(a.tsecr, 0x01020304u);
    assert_false(a.has_mss || a.has_wscale || a.sack_perm || a.fastopen);
    assert_int_equal(a.nsack, 0);
    assert_int_equal(a.error, TR_OPTERR_NONE);
    assert_memory_equal(&a, &b, sizeof a);
    /* a TS option with a wrong length in the same position is not taken */
    const uint8_t bad[12] = {1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 2};
    tr_wire_parse_options(bad, sizeof bad, 20, &a);
    assert_false(a.has_ts);
    assert_int_equal(a.error, TR_OPTERR_BAD_LEN);
    assert_int_equal(a.error_offset, 22);
}

/* Whatever the outcome, no option of an earlier segment survives in the
 * struct the parser fills (the decoder reuses one per packet). */
static void test_options_never_leak_from_an_earlier_segment(void **state)
{
    (void)state;
    uint8_t h[20];
    memcpy(h, tt_syn, 20);
    struct tr_seg s;
    const struct {
        uint8_t doff_byte;
        uint32_t caplen, total;
        enum tr_wire_status want;
    } cases[] = {
        {0x50, 20, 20, TR_WIRE_OK},           /* no options */
        {0x40, 20, 20, TR_WIRE_BAD_DOFF},     /* offset 4 */
        {0x60, 20, 20, TR_WIRE_DOFF_BEYOND},  /* 24-byte header in 20 */
        {0x60, 20, 40, TR_WIRE_SHORT},        /* options not captured */
        {0x50, 10, 20, TR_WIRE_SHORT},        /* fixed header cut */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&s.opt, 0xff, sizeof s.opt);
        h[12] = cases[i].doff_byte;
        assert_int_equal(tr_wire_parse_tcp(h, cases[i].caplen, cases[i].total, &s), cases[i].want);
        assert_false(s.opt.has_ts || s.opt.has_mss || s.opt.sack_perm || s.opt.has_wscale);
        assert_int_equal(s.opt.nsack, 0);
        assert_int_equal(s.opt.error, TR_OPTERR_NONE);
    }
}

static void test_checksum_of_a_known_segment(void **state)
{
    (void)state;
    /* IPv4 10.0.0.1 -> 10.0.0.2, the SYN above with checksum 0: inserting
     * the computed value must make the sum verify to 0. */
    const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    uint8_t seg[40];
    memcpy(seg, tt_syn, sizeof seg);
    uint16_t c = tr_wire_tcp_checksum(4, src, dst, seg, sizeof seg);
    tr_put16(seg + 16, c);
    assert_int_equal(tr_wire_tcp_checksum(4, src, dst, seg, sizeof seg), 0);
    seg[30] ^= 1;
    assert_int_not_equal(tr_wire_tcp_checksum(4, src, dst, seg, sizeof seg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_syn_options_parse),
        cmocka_unit_test(test_sack_blocks_parse),
        cmocka_unit_test(test_option_length_zero_is_malformed_not_a_loop),
        cmocka_unit_test(test_option_length_one_is_malformed),
        cmocka_unit_test(test_option_running_past_the_header_is_malformed),
        cmocka_unit_test(test_mss_with_wrong_length_is_malformed),
        cmocka_unit_test(test_kind_without_length_byte_is_malformed),
        cmocka_unit_test(test_eol_ends_the_options),
        cmocka_unit_test(test_unknown_kinds_are_kept),
        cmocka_unit_test(test_fast_open_experimental_option_is_recognised),
        cmocka_unit_test(test_data_offset_below_five_is_rejected),
        cmocka_unit_test(test_data_offset_beyond_the_ip_length_is_rejected),
        cmocka_unit_test(test_options_cut_by_snaplen_report_short_with_header_fields),
        cmocka_unit_test(test_payload_length_comes_from_the_ip_length),
        cmocka_unit_test(test_built_options_parse_back_identically),
        cmocka_unit_test(test_checksum_of_a_known_segment),
        cmocka_unit_test(test_nop_nop_timestamps_shortcut_matches_the_general_walk),
        cmocka_unit_test(test_options_never_leak_from_an_earlier_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
