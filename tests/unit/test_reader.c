/* The capture file readers (analyzer/pcap.c, analyzer/pcapng.c,
 * analyzer/source.c), from synthetic files built with tests/support/ttcap.h:
 * one behaviour per test. Offsets in the expectations are counted by hand:
 * a pcap file header is 24 bytes and a record header 16; a pcapng Section
 * Header Block is 28 bytes, an Interface Description Block without options
 * 20, and an Enhanced Packet Block 32 plus its data padded to 4. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/tt.h"
#include "../support/ttcap.h"
#include "analyzer/source.h"
#include "analyzer/source_int.h"
#include "stack/error.h"

#define LINK_ETH 1
#define LINK_SLL 113
#define LINK_SLL2 276

/* Eight bytes standing for a frame: the readers never look inside. */
static const uint8_t tt_data8[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
/* Five bytes: a pcapng block pads them to eight. */
static const uint8_t tt_data5[5] = {0x11, 0x22, 0x33, 0x44, 0x55};

/* 2023-11-14 22:13:20 UTC, and the same with sub-second parts. */
#define T_SEC 1700000000u
#define T_NS(frac_ns) ((int64_t)T_SEC * 1000000000 + (frac_ns))

/* Fails the test unless `s` contains `part`. */
static void tt_has(const char *s, const char *part)
{
    assert_non_null(s);
    if (!strstr(s, part))
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* The suite runs twice (tests/CMakeLists.txt), with TCPREF_READER=map and
 * with TCPREF_READER=read, so that both ways of reading a regular file are
 * tested whichever this machine's probe would choose (analyzer/source.c,
 * tr__map_pays): each file is checked to be read the way asked. */
static void tt_check_reader(const struct tr_source *src, const char *path)
{
    const char *mode = getenv("TCPREF_READER");
    struct stat st;
    if (!mode || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return;
    if (src->rb.mapped != (strcmp(mode, "map") == 0))
        fail_msg("%s: TCPREF_READER=%s, but the file is %s", path, mode,
                 src->rb.mapped ? "mapped" : "read with read(2)");
}

static struct tr_source *tt_open(const char *path)
{
    char err[512] = "";
    struct tr_source *src = NULL;
    int r = tr_source_open_file(&src, path, err, sizeof err);
    if (r != TR_OK)
        fail_msg("open %s: %d %s", path, r, err);
    assert_non_null(src);
    tt_check_reader(src, path);
    return src;
}

/* Opens a file that must be refused; returns the code, err holds the text. */
static int tt_open_fails(const char *path, char *err, size_t errlen)
{
    struct tr_source *src = (struct tr_source *)1;
    int r = tr_source_open_file(&src, path, err, errlen);
    assert_true(r < 0);
    assert_null(src);
    return r;
}

static void tt_next(struct tr_source *src, struct tr_pkt *pkt)
{
    int r = tr_source_next(src, pkt);
    if (r != 1)
        fail_msg("tr_source_next: %d %s", r, tr_source_error(src));
}

static void tt_at_end(struct tr_source *src)
{
    struct tr_pkt pkt;
    assert_int_equal(tr_source_next(src, &pkt), 0);
}

static struct tr_source_stats tt_stats(const struct tr_source *src)
{
    struct tr_source_stats st;
    tr_source_stats(src, &st);
    return st;
}

/* A pcap file of one 8-byte record at T_SEC + frac, read back. */
static struct tr_pkt tt_one_pcap_record(bool big_endian, uint32_t magic, uint32_t frac,
                                        const char *name)
{
    struct ttcap c;
    ttcap_init(&c, big_endian);
    ttcap_pcap_header(&c, magic, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, frac, tt_data8, 8, 60);
    struct tr_source *src = tt_open(ttcap_write(&c, name));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_memory_equal(pkt.data, tt_data8, 8);
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
    return pkt;
}

/* A pcapng section (SHB) with one interface without options. */
static void tt_ng_start(struct ttcap *c, bool big_endian, uint16_t linktype)
{
    ttcap_init(c, big_endian);
    ttcap_ng_shb(c);
    ttcap_ng_idb(c, &(struct ttcap_if){.linktype = linktype, .snaplen = 65535, .tsresol = -1});
}

/* A pcapng file of one interface `ifc` and one EPB at `ts`, read back. */
static struct tr_pkt tt_one_epb(const struct ttcap_if *ifc, bool big_endian, uint64_t ts,
                                const char *name)
{
    struct ttcap c;
    ttcap_init(&c, big_endian);
    ttcap_ng_shb(&c);
    ttcap_ng_idb(&c, ifc);
    ttcap_ng_epb(&c, 0, ts, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, name));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
    return pkt;
}

/* Opens `path`, which must yield `good` packets and then fail with `code`;
 * returns the source (for its error and stats) to be closed by the caller. */
static struct tr_source *tt_read_until_error(const char *path, unsigned good, int code)
{
    struct tr_source *src = tt_open(path);
    struct tr_pkt pkt;
    for (unsigned i = 0; i < good; i++)
        tt_next(src, &pkt);
    int r = tr_source_next(src, &pkt);
    if (r != code)
        fail_msg("expected %s, got %d (%s)", tr_errname(code), r, tr_source_error(src));
    return src;
}

/* ---- classic pcap ---- */

static void test_pcap_usec_little_endian_gives_timestamp_and_lengths(void **state)
{
    (void)state;
    struct tr_pkt pkt = tt_one_pcap_record(false, TTCAP_MAGIC_US, 123456, "reader_us_le.pcap");
    assert_int_equal(pkt.ts_ns, T_NS(123456000));
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(pkt.origlen, 60);
}

static void test_pcap_usec_big_endian_magic_is_byte_swapped(void **state)
{
    (void)state;
    struct tr_pkt pkt = tt_one_pcap_record(true, TTCAP_MAGIC_US, 123456, "reader_us_be.pcap");
    assert_int_equal(pkt.ts_ns, T_NS(123456000));
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(pkt.origlen, 60);
}

static void test_pcap_nsec_magic_keeps_nanoseconds_exactly(void **state)
{
    (void)state;
    struct tr_pkt pkt = tt_one_pcap_record(false, TTCAP_MAGIC_NS, 123456789, "reader_ns_le.pcap");
    assert_int_equal(pkt.ts_ns, T_NS(123456789));
}

static void test_pcap_nsec_big_endian_magic_keeps_nanoseconds(void **state)
{
    (void)state;
    struct tr_pkt pkt = tt_one_pcap_record(true, TTCAP_MAGIC_NS, 999999999, "reader_ns_be.pcap");
    assert_int_equal(pkt.ts_ns, T_NS(999999999));
}

static void test_pcap_nsec_format_is_named_in_the_stats(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_NS, 2, 65535, LINK_ETH);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ns_name.pcap"));
    assert_string_equal(tt_stats(src).format, "pcap-ns");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_frames_are_numbered_from_one_with_their_offsets(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    for (uint32_t i = 0; i < 3; i++)
        ttcap_pcap_record(&c, T_SEC + i, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_frames.pcap"));
    struct tr_pkt pkt;
    for (uint64_t i = 0; i < 3; i++) {
        tt_next(src, &pkt);
        assert_int_equal(pkt.frame, i + 1);
        assert_int_equal(pkt.offset, 24 + 24 * i); /* 16-byte header + 8 bytes each */
    }
    tt_at_end(src);
    assert_int_equal(tt_stats(src).packets, 3);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_snaplen_and_link_type_come_from_the_file_header(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, true);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 96, LINK_SLL);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_snaplen.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.snaplen, 96);
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.iface, 0);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_fcs_bits_above_the_link_type_are_ignored(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    /* FCS length 4 (bits 28-31) and the F bit (bit 26) over LINKTYPE_ETHERNET. */
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, 0x44000001u);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_fcs.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.linktype, LINK_ETH);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_modified_format_skips_its_longer_record_header(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_MOD, 2, 65535, LINK_ETH);
    ttcap_u32(&c, T_SEC);
    ttcap_u32(&c, 250000); /* usec */
    ttcap_u32(&c, 8);      /* caplen */
    ttcap_u32(&c, 8);      /* origlen */
    ttcap_u32(&c, 2);      /* ifindex */
    ttcap_u16(&c, 0x0800); /* protocol */
    ttcap_u16(&c, 0);      /* packet type, padding */
    ttcap_bytes(&c, tt_data8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_modified.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_memory_equal(pkt.data, tt_data8, 8);
    assert_int_equal(pkt.ts_ns, T_NS(250000000));
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_record_of_exactly_256_kib_is_accepted(void **state)
{
    (void)state;
    const uint32_t n = 256u * 1024u;
    uint8_t *big = calloc(n, 1);
    assert_non_null(big);
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, n, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, big, n, n);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_256k.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, n);
    tr_source_close(src);
    ttcap_free(&c);
    free(big);
}

/* ---- pcapng ---- */

static void test_pcapng_little_endian_epb_gives_packet_and_microseconds(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_ETH, .snaplen = 65535, .tsresol = -1};
    struct tr_pkt pkt = tt_one_epb(&ifc, false, (uint64_t)T_SEC * 1000000 + 123456,
                                   "reader_ng_le.pcapng");
    assert_int_equal(pkt.ts_ns, T_NS(123456000));
    assert_int_equal(pkt.frame, 1);
    assert_int_equal(pkt.offset, 48); /* SHB 28 + IDB 20 */
    assert_int_equal(pkt.linktype, LINK_ETH);
    assert_int_equal(pkt.snaplen, 65535);
    assert_int_equal(pkt.caplen, 8);
}

static void test_pcapng_big_endian_section_is_byte_swapped(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_SLL, .snaplen = 262144, .tsresol = -1};
    struct tr_pkt pkt = tt_one_epb(&ifc, true, (uint64_t)T_SEC * 1000000 + 654321,
                                   "reader_ng_be.pcapng");
    assert_int_equal(pkt.ts_ns, T_NS(654321000));
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.snaplen, 262144);
}

static void test_pcapng_epb_data_is_the_captured_bytes_without_padding(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_epb(&c, 0, 0, tt_data5, 5, 1514);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_pad.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 5);
    assert_int_equal(pkt.origlen, 1514);
    assert_memory_equal(pkt.data, tt_data5, 5);
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_second_section_restarts_interface_ids(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);                       /* section 1: interface 0 Ethernet */
    ttcap_ng_epb(&c, 0, 1, tt_data8, 8, 8);
    ttcap_ng_shb(&c);                                       /* section 2 at offset 88 */
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_SLL2, .tsresol = -1});
    ttcap_ng_epb(&c, 0, 2, tt_data8, 8, 8);                 /* at 88 + 28 + 20 = 136 */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_2sections.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.linktype, LINK_ETH);
    tt_next(src, &pkt);
    assert_int_equal(pkt.iface, 0);
    assert_int_equal(pkt.linktype, LINK_SLL2);
    assert_int_equal(pkt.frame, 2);
    assert_int_equal(pkt.offset, 136);
    tt_at_end(src);
    assert_int_equal(tt_stats(src).sections, 2);
    assert_int_equal(tt_stats(src).interfaces, 2);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_interface_of_an_earlier_section_is_unknown_in_the_next(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_SLL, .tsresol = -1}); /* interface 1 */
    ttcap_ng_shb(&c);                                                          /* at 68 */
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .tsresol = -1});
    ttcap_ng_epb(&c, 1, 0, tt_data8, 8, 8);                                    /* at 116 */
    struct tr_source *src = tt_read_until_error(ttcap_write(&c, "reader_ng_oldif.pcapng"), 0,
                                                TR_ENOIFACE);
    tt_has(tr_source_error(src), "frame 1 at byte offset 116");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_section_may_switch_byte_order(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_epb(&c, 0, 1000000, tt_data8, 8, 8); /* 1 s */
    c.big_endian = true;
    ttcap_ng_shb(&c);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_SLL, .snaplen = 1500, .tsresol = -1});
    ttcap_ng_epb(&c, 0, 2000000, tt_data5, 5, 5); /* 2 s */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_order.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_next(src, &pkt);
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.snaplen, 1500);
    assert_int_equal(pkt.caplen, 5);
    assert_int_equal(pkt.ts_ns, 2000000000);
    assert_memory_equal(pkt.data, tt_data5, 5);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_interfaces_may_have_different_link_types(void **state)
{
    (void)state;
    /* What dumpcap writes for "-i eth0 -i any": libpcap 1.10 refuses it. */
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_SLL, .snaplen = 262144, .tsresol = -1});
    ttcap_ng_epb(&c, 1, 0, tt_data8, 8, 8);
    ttcap_ng_epb(&c, 0, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_links.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.iface, 1);
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.snaplen, 262144);
    tt_next(src, &pkt);
    assert_int_equal(pkt.iface, 0);
    assert_int_equal(pkt.linktype, LINK_ETH);
    assert_int_equal(tt_stats(src).interfaces, 2);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_tsresol_9_is_nanoseconds(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = 9};
    struct tr_pkt pkt = tt_one_epb(&ifc, false, (uint64_t)T_NS(123456789), "reader_ng_ns.pcapng");
    assert_int_equal(pkt.ts_ns, T_NS(123456789));
}

static void test_pcapng_tsresol_6_is_microseconds_like_the_default(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = 6};
    struct tr_pkt pkt =
        tt_one_epb(&ifc, true, (uint64_t)T_SEC * 1000000 + 1, "reader_ng_us.pcapng");
    assert_int_equal(pkt.ts_ns, T_NS(1000));
}

static void test_pcapng_power_of_two_tsresol_divides_by_2_to_the_n(void **state)
{
    (void)state;
    /* 0x80 | 10: units of 1/1024 s; T_SEC s and 512/1024 s. */
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = 0x80 | 10};
    struct tr_pkt pkt =
        tt_one_epb(&ifc, false, (uint64_t)T_SEC * 1024 + 512, "reader_ng_pow2.pcapng");
    assert_int_equal(pkt.ts_ns, T_NS(500000000));
}

static void test_pcapng_interfaces_keep_their_own_resolution(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_ng_shb(&c);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .tsresol = 9});
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .tsresol = -1});
    ttcap_ng_epb(&c, 0, 3000000001ull, tt_data8, 8, 8); /* 3 s + 1 ns */
    ttcap_ng_epb(&c, 1, 4000001ull, tt_data8, 8, 8);    /* 4 s + 1 us */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_resols.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.ts_ns, 3000000001);
    tt_next(src, &pkt);
    assert_int_equal(pkt.ts_ns, 4000001000);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_tsoffset_adds_seconds(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = -1, .has_tsoffset = true,
                           .tsoffset = T_SEC};
    struct tr_pkt pkt = tt_one_epb(&ifc, false, 2500000, "reader_ng_tsoff.pcapng"); /* 2.5 s */
    assert_int_equal(pkt.ts_ns, T_NS(2500000000));
}

static void test_pcapng_negative_tsoffset_in_a_big_endian_section(void **state)
{
    (void)state;
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = 9, .has_tsoffset = true,
                           .tsoffset = -10};
    struct tr_pkt pkt = tt_one_epb(&ifc, true, 25000000000ull, "reader_ng_tsoff_be.pcapng");
    assert_int_equal(pkt.ts_ns, 15000000000); /* 25 s - 10 s */
}

static void test_pcapng_huge_tsoffset_saturates_instead_of_overflowing(void **state)
{
    (void)state;
    /* 2^62 s cannot be counted in int64 ns: a hostile file, not a crash. The
     * readers keep timestamps within [0, 2^62] ns (analyzer/source_int.h
     * TR_TS_MAX), so the analysis can add and subtract them safely. */
    struct ttcap_if ifc = {.linktype = LINK_ETH, .tsresol = -1, .has_tsoffset = true,
                           .tsoffset = INT64_C(1) << 62};
    struct tr_pkt pkt = tt_one_epb(&ifc, false, 1, "reader_ng_tsoff_huge.pcapng");
    assert_int_equal(pkt.ts_ns, INT64_C(1) << 62);
}

static void test_pcapng_simple_packet_block_takes_interface_zero(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_SLL);                                       /* interface 0 */
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .tsresol = -1}); /* interface 1 */
    ttcap_ng_spb(&c, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_spb.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.iface, 0);
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(pkt.frame, 1);
    assert_memory_equal(pkt.data, tt_data8, 8);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_simple_packet_caplen_is_bounded_by_its_block(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, true, LINK_ETH);
    ttcap_ng_spb(&c, tt_data8, 8, 1500); /* 8 of 1500 bytes stored */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_spb_cut.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(pkt.origlen, 1500);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_simple_packet_caplen_is_bounded_by_the_snaplen(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_ng_shb(&c);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .snaplen = 4, .tsresol = -1});
    ttcap_ng_spb(&c, tt_data8, 8, 8); /* padding-like bytes after the snaplen */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_spb_snap.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 4);
    assert_int_equal(pkt.origlen, 8);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_simple_packet_keeps_the_previous_timestamp(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_epb(&c, 0, 7000000, tt_data8, 8, 8); /* 7 s */
    ttcap_ng_spb(&c, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_spb_ts.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_next(src, &pkt);
    assert_int_equal(pkt.ts_ns, 7000000000);
    assert_int_equal(pkt.frame, 2);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_obsolete_packet_block_is_read(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, true, LINK_ETH);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_SLL, .tsresol = -1});
    ttcap_ng_pb(&c, 1, (uint64_t)T_SEC * 1000000 + 5, tt_data5, 5, 5);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_pb.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.iface, 1);
    assert_int_equal(pkt.linktype, LINK_SLL);
    assert_int_equal(pkt.caplen, 5);
    assert_int_equal(pkt.ts_ns, T_NS(5000));
    assert_memory_equal(pkt.data, tt_data5, 5);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_unknown_block_is_skipped_without_a_frame_number(void **state)
{
    (void)state;
    /* Block type 0x00000BAD with a 6-byte body: the reader does not know it. */
    const uint8_t body[6] = {1, 2, 3, 4, 5, 6};
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_epb(&c, 0, 0, tt_data8, 8, 8); /* at 48, 40 bytes */
    ttcap_ng_block(&c, 0x00000BADu, body, sizeof body); /* at 88, 20 bytes */
    ttcap_ng_epb(&c, 0, 0, tt_data8, 8, 8); /* at 108 */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_unknown.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_next(src, &pkt);
    assert_int_equal(pkt.frame, 2);
    assert_int_equal(pkt.offset, 108);
    tt_at_end(src);
    assert_int_equal(tt_stats(src).skipped_blocks, 1);
    assert_int_equal(tt_stats(src).packets, 2);
    tr_source_close(src);
    ttcap_free(&c);
}

/* ---- the read buffer (1 MiB at first) ---- */

/* n bytes of value v, as the data of record v. */
static uint8_t *tt_filled(uint32_t n, uint8_t v)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    memset(p, v, n);
    return p;
}

/* A pcap of n records of 3001 bytes, record i's bytes all (uint8_t)i but
 * the second, i >> 8, at microsecond i % 10^6 of T_SEC. */
#define TT_REC 3001u
static void tt_pcap_records(struct ttcap *c, uint32_t n)
{
    ttcap_init(c, false);
    ttcap_pcap_header(c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    uint8_t *d = malloc(TT_REC);
    assert_non_null(d);
    for (uint32_t i = 0; i < n; i++) {
        memset(d, (uint8_t)i, TT_REC);
        d[1] = (uint8_t)(i >> 8);
        ttcap_pcap_record(c, T_SEC, i % 1000000, d, TT_REC, TT_REC);
    }
    free(d);
}

/* Record i of tt_pcap_records, read whole from where it lies. */
static void tt_next_record(struct tr_source *src, uint32_t i)
{
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.offset, 24 + (uint64_t)i * (16 + TT_REC));
    assert_int_equal(pkt.caplen, TT_REC);
    assert_int_equal(pkt.data[0], (uint8_t)i);
    assert_int_equal(pkt.data[1], (uint8_t)(i >> 8));
    assert_int_equal(pkt.data[TT_REC / 2], (uint8_t)i);
    assert_int_equal(pkt.data[TT_REC - 1], (uint8_t)i);
    assert_int_equal(pkt.ts_ns, T_NS((int64_t)(i % 1000000) * 1000));
}

static void test_pcap_records_across_the_read_buffer_end_are_intact(void **state)
{
    (void)state;
    /* 400 records of 3001 bytes (1.2 MB): some straddle the first 1 MiB read. */
    struct ttcap c;
    tt_pcap_records(&c, 400);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_straddle.pcap"));
    for (uint32_t i = 0; i < 400; i++)
        tt_next_record(src, i);
    tt_at_end(src);
    assert_int_equal(tt_stats(src).bytes_read, c.len);
    assert_int_equal(tt_stats(src).file_size, c.len);
    tr_source_close(src);
    ttcap_free(&c);
}

/* A file longer than the reader's mapped region (32 MiB, analyzer/source.c):
 * records on both sides of each region's end, and the one across it,
 * intact. 11,200 records of 3,001 bytes (~33.8 MB). */
static void test_pcap_records_across_the_mapped_regions_are_intact(void **state)
{
    (void)state;
    const uint32_t n = 11200;
    struct ttcap c;
    tt_pcap_records(&c, n);
    assert_true(c.len > (32u << 20) + 16 + TT_REC);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_regions.pcap"));
    for (uint32_t i = 0; i < n; i++)
        tt_next_record(src, i);
    tt_at_end(src);
    assert_int_equal(tt_stats(src).bytes_read, c.len);
    tr_source_close(src);
    ttcap_free(&c);
}

/* A file still being written (tcpdump -w): what was appended while the
 * reader was inside it is read too, the records that straddle the end of
 * the first mapping intact. */
static void test_pcap_file_that_grows_while_read_is_read_to_its_new_end(void **state)
{
    (void)state;
    struct ttcap c;
    tt_pcap_records(&c, 400);
    /* the first 200 records and half of the 201st on disk at first */
    const size_t first = 24 + 200 * (16 + TT_REC) + 1500;
    const char *path = ttcap_write_n(&c, "reader_growing.pcap", first);
    struct tr_source *src = tt_open(path);
    for (uint32_t i = 0; i < 100; i++)
        tt_next_record(src, i);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(c.buf + first, 1, c.len - first, f), c.len - first);
    assert_int_equal(fclose(f), 0);
    for (uint32_t i = 100; i < 400; i++)
        tt_next_record(src, i);
    tt_at_end(src);
    assert_int_equal(tt_stats(src).bytes_read, c.len);
    tr_source_close(src);
    ttcap_free(&c);
}

/* A file truncated by another process while it is read, through the middle
 * of record 201's data: read with read(2), the reader stops at that record
 * with the error naming the file and the frame; mapped, the access past
 * the new end raises SIGBUS, which the reader turns into a message naming
 * the file and exit status 2 (analyzer/source.c, tr__sigbus), instead of
 * dying of the signal. Which one runs depends on TCPREF_READER (the suite
 * runs both ways). */
static void test_pcap_file_truncated_while_read_ends_in_an_error_naming_it(void **state)
{
    (void)state;
    struct ttcap c;
    tt_pcap_records(&c, 400);
    const char *path = ttcap_write(&c, "reader_shrinking.pcap");
    const off_t rec200 = 24 + 200 * (16 + TT_REC), cut = rec200 + 16 + 1500;
    struct tr_source *src = tt_open(path);
    if (!src->rb.mapped) {
        for (uint32_t i = 0; i < 100; i++)
            tt_next_record(src, i);
        assert_int_equal(truncate(path, cut), 0);
        for (uint32_t i = 100; i < 200; i++)
            tt_next_record(src, i);
        struct tr_pkt pkt;
        assert_int_equal(tr_source_next(src, &pkt), TR_ETRUNCATED);
        tt_has(tr_source_error(src), path);
        tt_has(tr_source_error(src), "frame 201 at byte offset 603424");
        tr_source_close(src);
        ttcap_free(&c);
        return;
    }
    char errpath[600];
    snprintf(errpath, sizeof errpath, "%s.stderr", path);
    int errfd = open(errpath, O_CREAT | O_TRUNC | O_RDWR, 0600);
    assert_true(errfd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child reads on past the cut; its checks are plain exits, not
         * cmocka's (which would unwind into the parent's test runner) */
        dup2(errfd, STDERR_FILENO);
        struct tr_pkt pkt;
        for (uint32_t i = 0; i < 100; i++)
            if (tr_source_next(src, &pkt) != 1 || pkt.data[TT_REC - 1] != (uint8_t)i)
                _exit(3);
        if (truncate(path, cut) != 0)
            _exit(4);
        for (uint32_t i = 100; i < 400; i++) {
            int r = tr_source_next(src, &pkt);
            if (r != 1)
                _exit(5); /* an error would do too, but the mapping has no way to see it */
            volatile uint8_t last = pkt.data[pkt.caplen ? pkt.caplen - 1 : 0];
            (void)last;
        }
        _exit(6); /* read all 400 records of a file cut at 200 */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("the reader died of signal %d instead of saying why", WTERMSIG(status));
    if (WEXITSTATUS(status) != 2)
        fail_msg("the reader exited %d, not 2 (3: a record before the cut misread, 4: truncate "
                 "failed, 5: an error, 6: every record read)", WEXITSTATUS(status));
    char text[600] = "";
    assert_true(pread(errfd, text, sizeof text - 1, 0) > 0);
    tt_has(text, path);
    tt_has(text, "the file shrank while it was being read");
    close(errfd);
    unlink(errpath);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_blocks_across_the_read_buffer_end_are_intact(void **state)
{
    (void)state;
    /* 400 EPBs of 3001 bytes (3036-byte blocks), in a big-endian section. */
    struct ttcap c;
    tt_ng_start(&c, true, LINK_ETH);
    for (uint32_t i = 0; i < 400; i++) {
        uint8_t *d = tt_filled(3001, (uint8_t)i);
        ttcap_ng_epb(&c, 0, i, d, 3001, 3001);
        free(d);
    }
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_straddle.pcapng"));
    struct tr_pkt pkt;
    for (uint32_t i = 0; i < 400; i++) {
        tt_next(src, &pkt);
        assert_int_equal(pkt.offset, 48 + (uint64_t)i * 3036);
        assert_int_equal(pkt.data[0], (uint8_t)i);
        assert_int_equal(pkt.data[3000], (uint8_t)i);
    }
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_block_larger_than_the_read_buffer_is_skipped_whole(void **state)
{
    (void)state;
    /* A 3 MiB block of an unknown type (0x0BAD), then one EPB. */
    const uint32_t n = 3u << 20;
    uint8_t *body = tt_filled(n, 0x5a);
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_block(&c, 0x00000BADu, body, n);
    size_t at = ttcap_ng_epb(&c, 0, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_bigblock.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.offset, at);
    assert_memory_equal(pkt.data, tt_data8, 8);
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
    free(body);
}

static void test_dash_reads_standard_input(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_NS, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 5, tt_data8, 8, 8);
    FILE *f = fopen(ttcap_write(&c, "reader_stdin.pcap"), "rb");
    assert_non_null(f);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(f), STDIN_FILENO), STDIN_FILENO);
    struct tr_source *src = tt_open("-");
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.ts_ns, T_NS(5));
    tt_at_end(src);
    tr_source_close(src);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    fclose(f);
    ttcap_free(&c);
}

/* ---- mapping or read(2): the probe (analyzer/source.c, tr__map_pays) ---- */

/* The probe times the first touch of a file's first 64 pages, mapped and
 * populated: it needs that many, gives a time for a file that has them,
 * and tells what cannot be mapped from what is too short. */
static void test_map_probe_needs_64_pages_and_times_a_file_that_has_them(void **state)
{
    (void)state;
    const long page = sysconf(_SC_PAGESIZE);
    struct ttcap c;
    tt_pcap_records(&c, (uint32_t)(64 * page / (16 + TT_REC)) + 2);
    assert_true(c.len >= (size_t)(64 * page));
    const char *path = ttcap_write(&c, "reader_probe.pcap");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_true(tr__map_probe_ns(fd, 64 * (uint64_t)page - 1) < 0);
    double ns = tr__map_probe_ns(fd, c.len);
    assert_true(ns >= 0);
    /* a page's first touch takes at most a millisecond, even here */
    assert_true(ns < 1e6);
    close(fd);
    /* what cannot be mapped (a pipe here) says so: such a file is read */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_true(tr__map_probe_ns(p[0], c.len) <= -2.0);
    close(p[0]);
    close(p[1]);
    ttcap_free(&c);
}

/* The verdict: mapping pays when a page's first touch costs no more than
 * the copy it saves (600 ns: 0.1-0.2 us on the machines where mapping was
 * faster, 1.3-1.9 us where the hypervisor fills its page tables on first
 * touch), never when the probe could not time it. */
static void test_map_verdict_is_the_600_ns_threshold(void **state)
{
    (void)state;
    assert_false(tr__map_verdict(-1.0));
    assert_true(tr__map_verdict(0.0));
    assert_true(tr__map_verdict(150.0));
    assert_true(tr__map_verdict(600.0));
    assert_false(tr__map_verdict(601.0));
    assert_false(tr__map_verdict(1500.0));
}

/* TCPREF_READER decides without the probe, and TCPREF_NO_MMAP still
 * forces read(2); either way the same records are read. */
static void test_reader_environment_forces_mapping_or_read(void **state)
{
    (void)state;
    struct ttcap c;
    tt_pcap_records(&c, 120);
    const char *path = ttcap_write(&c, "reader_forced.pcap");
    const char *saved = getenv("TCPREF_READER");
    char *keep = saved ? strdup(saved) : NULL;
    static const struct {
        const char *reader, *no_mmap;
        bool mapped;
    } cases[] = {{"map", NULL, true}, {"read", NULL, false}, {NULL, "1", false}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (cases[k].reader)
            setenv("TCPREF_READER", cases[k].reader, 1);
        else
            unsetenv("TCPREF_READER");
        if (cases[k].no_mmap)
            setenv("TCPREF_NO_MMAP", cases[k].no_mmap, 1);
        struct tr_source *src = tt_open(path);
        assert_int_equal(src->rb.mapped, cases[k].mapped);
        for (uint32_t i = 0; i < 120; i++)
            tt_next_record(src, i);
        tt_at_end(src);
        tr_source_close(src);
        unsetenv("TCPREF_NO_MMAP");
    }
    if (keep)
        setenv("TCPREF_READER", keep, 1);
    else
        unsetenv("TCPREF_READER");
    free(keep);
    ttcap_free(&c);
}

/* ---- files that cannot be opened ---- */

static void test_nonexistent_path_fails_cleanly(void **state)
{
    (void)state;
    const char *path = tt_tmp("reader_no_such_file.pcap");
    unlink(path);
    char err[512] = "";
    assert_int_equal(tt_open_fails(path, err, sizeof err), TR_EIO);
    tt_has(err, path);
}

static void test_directory_fails_cleanly(void **state)
{
    (void)state;
    const char *path = tt_tmp(".");
    char err[512] = "";
    assert_int_equal(tt_open_fails(path, err, sizeof err), TR_EIO);
    tt_has(err, "is a directory");
}

static void test_file_shorter_than_4_bytes_is_not_a_capture(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_u32(&c, TTCAP_MAGIC_US);
    for (size_t n = 0; n < 4; n++) {
        const char *path = ttcap_write_n(&c, "reader_short.pcap", n);
        char err[512] = "";
        assert_int_equal(tt_open_fails(path, err, sizeof err), TR_EFORMAT);
        tt_has(err, path);
        tt_has(err, "at byte offset 0");
    }
    ttcap_free(&c);
}

static void test_bad_magic_is_not_a_capture(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, 0xdeadbeefu, 2, 65535, LINK_ETH);
    const char *path = ttcap_write(&c, "reader_magic.pcap");
    char err[512] = "";
    assert_int_equal(tt_open_fails(path, err, sizeof err), TR_EFORMAT);
    tt_has(err, path);
    tt_has(err, "0xdeadbeef");
    ttcap_free(&c);
}

/* ---- damaged pcap ---- */

static void test_pcap_file_header_truncated_at_every_length_fails(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    for (size_t n = 4; n < 24; n++) {
        const char *path = ttcap_write_n(&c, "reader_hdr_cut.pcap", n);
        char err[512] = "";
        assert_int_equal(tt_open_fails(path, err, sizeof err), TR_ETRUNCATED);
        tt_has(err, path);
        tt_has(err, "at byte offset 0");
    }
    ttcap_free(&c);
}

static void test_pcap_major_version_1_is_refused(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 1, 65535, LINK_ETH);
    const char *path = ttcap_write(&c, "reader_v1.pcap");
    char err[512] = "";
    assert_int_equal(tt_open_fails(path, err, sizeof err), TR_EVERSION);
    tt_has(err, "at byte offset 4");
    ttcap_free(&c);
}

static void test_pcap_record_header_cut_at_eof_fails_after_earlier_packets(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8); /* at 48; 10 of its 16 header bytes kept */
    const char *path = ttcap_write_n(&c, "reader_rec_hdr_cut.pcap", 48 + 10);
    struct tr_source *src = tt_read_until_error(path, 1, TR_ETRUNCATED);
    tt_has(tr_source_error(src), path);
    tt_has(tr_source_error(src), "frame 2 at byte offset 48");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_record_data_cut_at_eof_fails_after_earlier_packets(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, true);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8); /* at 72; 3 of its 8 data bytes cut */
    const char *path = ttcap_write_n(&c, "reader_rec_data_cut.pcap", c.len - 3);
    struct tr_source *src = tt_read_until_error(path, 2, TR_ETRUNCATED);
    tt_has(tr_source_error(src), path);
    tt_has(tr_source_error(src), "frame 3 at byte offset 72");
    assert_int_equal(tt_stats(src).packets, 2);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_caplen_over_256_kib_is_too_big(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 0, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    size_t at = ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    ttcap_set32(&c, at + 8, 256u * 1024u + 1u); /* caplen */
    const char *path = ttcap_write(&c, "reader_toobig.pcap");
    struct tr_source *src = tt_read_until_error(path, 1, TR_ETOOBIG);
    tt_has(tr_source_error(src), "frame 2 at byte offset 48");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_caplen_over_snaplen_is_a_warning_not_an_error(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 4, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_over_snap.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(tr_source_warning_count(src), 1);
    tt_has(tr_source_warning(src, 0), "frame 1 at byte offset 24");
    assert_int_equal(tt_stats(src).caplen_over_snaplen, 1);
    tt_at_end(src);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_caplen_over_origlen_is_a_warning_not_an_error(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 8);
    ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 4); /* at 48 */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_over_orig.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(pkt.origlen, 4);
    assert_int_equal(tr_source_warning_count(src), 1);
    tt_has(tr_source_warning(src, 0), "frame 2 at byte offset 48");
    assert_int_equal(tt_stats(src).caplen_over_origlen, 1);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_warnings_past_the_eighth_are_counted_not_kept(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    for (int i = 0; i < 10; i++)
        ttcap_pcap_record(&c, T_SEC, 0, tt_data8, 8, 4);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_many_warn.pcap"));
    struct tr_pkt pkt;
    for (int i = 0; i < 10; i++)
        tt_next(src, &pkt);
    assert_int_equal(tr_source_warning_count(src), 10);
    tt_has(tr_source_warning(src, TR_SOURCE_MAX_WARN - 1), "frame 8 ");
    assert_null(tr_source_warning(src, TR_SOURCE_MAX_WARN));
    assert_int_equal(tt_stats(src).caplen_over_origlen, 10);
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_usec_fraction_of_a_second_or_more_is_a_warning(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC, 1000000, tt_data8, 8, 8); /* 1e6 us: one whole second */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_bad_frac.pcap"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.ts_ns, (int64_t)(T_SEC + 1) * 1000000000);
    assert_int_equal(tt_stats(src).bad_ts_fraction, 1);
    assert_int_equal(tr_source_warning_count(src), 1);
    tt_has(tr_source_warning(src, 0), "frame 1 at byte offset 24");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcap_nsec_fraction_above_a_million_is_not_a_warning(void **state)
{
    (void)state;
    struct tr_pkt pkt = tt_one_pcap_record(false, TTCAP_MAGIC_NS, 1000000, "reader_ns_frac.pcap");
    assert_int_equal(pkt.ts_ns, T_NS(1000000)); /* 1 ms */
}

static void test_pcap_timestamps_going_backwards_are_counted(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_pcap_header(&c, TTCAP_MAGIC_US, 2, 65535, LINK_ETH);
    ttcap_pcap_record(&c, T_SEC + 10, 0, tt_data8, 8, 8);
    ttcap_pcap_record(&c, T_SEC + 5, 0, tt_data8, 8, 8); /* back 5 s */
    ttcap_pcap_record(&c, T_SEC + 7, 0, tt_data8, 8, 8); /* forward again */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_backwards.pcap"));
    struct tr_pkt pkt;
    for (int i = 0; i < 3; i++)
        tt_next(src, &pkt);
    assert_int_equal(tt_stats(src).ts_backwards, 1);
    tr_source_close(src);
    ttcap_free(&c);
}

/* ---- damaged pcapng ---- */

/* SHB, IDB (Ethernet), an EPB at 48 and an 8-byte EPB at 88: a file to damage. */
static size_t tt_ng_two_packets(struct ttcap *c, bool big_endian)
{
    tt_ng_start(c, big_endian, LINK_ETH);
    ttcap_ng_epb(c, 0, 0, tt_data8, 8, 8);
    return ttcap_ng_epb(c, 0, 0, tt_data8, 8, 8);
}

static void tt_ng_damaged(struct ttcap *c, const char *name, int code)
{
    struct tr_source *src = tt_read_until_error(ttcap_write(c, name), 1, code);
    tt_has(tr_source_error(src), tt_tmp(name));
    tt_has(tr_source_error(src), "frame 2 at byte offset 88");
    tr_source_close(src);
    ttcap_free(c);
}

static void test_pcapng_block_length_not_a_multiple_of_4_fails(void **state)
{
    (void)state;
    struct ttcap c;
    size_t at = tt_ng_two_packets(&c, false);
    ttcap_set32(&c, at + 4, 42);
    tt_ng_damaged(&c, "reader_ng_len42.pcapng", TR_EBADRECORD);
}

static void test_pcapng_block_length_below_12_fails(void **state)
{
    (void)state;
    struct ttcap c;
    size_t at = tt_ng_two_packets(&c, true);
    ttcap_set32(&c, at + 4, 8);
    tt_ng_damaged(&c, "reader_ng_len8.pcapng", TR_EBADRECORD);
}

static void test_pcapng_block_lengths_that_disagree_fail(void **state)
{
    (void)state;
    struct ttcap c;
    size_t at = tt_ng_two_packets(&c, false);
    ttcap_set32(&c, at + 36, 44); /* the trailing copy of the 40-byte length */
    tt_ng_damaged(&c, "reader_ng_lendiff.pcapng", TR_EBADRECORD);
}

static void test_pcapng_block_running_past_eof_fails(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_two_packets(&c, false);
    c.len -= 4; /* the trailing length of the last block is missing */
    tt_ng_damaged(&c, "reader_ng_eof.pcapng", TR_ETRUNCATED);
}

static void test_pcapng_epb_on_an_undeclared_interface_fails(void **state)
{
    (void)state;
    struct ttcap c;
    size_t at = tt_ng_two_packets(&c, true);
    ttcap_set32(&c, at + 8, 1); /* interface id 1; only 0 was declared */
    tt_ng_damaged(&c, "reader_ng_noif.pcapng", TR_ENOIFACE);
}

static void test_pcapng_epb_captured_length_past_its_block_fails(void **state)
{
    (void)state;
    struct ttcap c;
    size_t at = tt_ng_two_packets(&c, false);
    ttcap_set32(&c, at + 20, 9); /* caplen 9 in a block with room for 8 */
    tt_ng_damaged(&c, "reader_ng_caplen.pcapng", TR_EBADRECORD);
}

static void test_pcapng_block_header_cut_at_eof_fails(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_two_packets(&c, false);
    c.len = 88 + 6; /* 6 bytes of the second EPB's 8-byte type and length */
    tt_ng_damaged(&c, "reader_ng_hdr_cut.pcapng", TR_ETRUNCATED);
}

static void test_pcapng_bad_byte_order_magic_fails(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_set32(&c, 8, 0x11223344u);
    struct tr_source *src =
        tt_read_until_error(ttcap_write(&c, "reader_ng_bom.pcapng"), 0, TR_EFORMAT);
    tt_has(tr_source_error(src), "byte offset 8");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_major_version_2_is_refused(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, true, LINK_ETH);
    c.buf[12] = 0, c.buf[13] = 2; /* major version 2, big-endian */
    struct tr_source *src =
        tt_read_until_error(ttcap_write(&c, "reader_ng_v2.pcapng"), 0, TR_EVERSION);
    tt_has(tr_source_error(src), "byte offset 0");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_caplen_over_snaplen_is_a_warning(void **state)
{
    (void)state;
    struct ttcap c;
    ttcap_init(&c, false);
    ttcap_ng_shb(&c);
    ttcap_ng_idb(&c, &(struct ttcap_if){.linktype = LINK_ETH, .snaplen = 4, .tsresol = -1});
    ttcap_ng_epb(&c, 0, 0, tt_data8, 8, 8);
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_over_snap.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    assert_int_equal(pkt.caplen, 8);
    assert_int_equal(tt_stats(src).caplen_over_snaplen, 1);
    tt_has(tr_source_warning(src, 0), "frame 1 at byte offset 48");
    tr_source_close(src);
    ttcap_free(&c);
}

static void test_pcapng_timestamps_going_backwards_are_counted(void **state)
{
    (void)state;
    struct ttcap c;
    tt_ng_start(&c, false, LINK_ETH);
    ttcap_ng_epb(&c, 0, 2000000, tt_data8, 8, 8);
    ttcap_ng_epb(&c, 0, 1000000, tt_data8, 8, 8); /* back 1 s */
    struct tr_source *src = tt_open(ttcap_write(&c, "reader_ng_backwards.pcapng"));
    struct tr_pkt pkt;
    tt_next(src, &pkt);
    tt_next(src, &pkt);
    assert_int_equal(tt_stats(src).ts_backwards, 1);
    tr_source_close(src);
    ttcap_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_usec_little_endian_gives_timestamp_and_lengths),
        cmocka_unit_test(test_pcap_usec_big_endian_magic_is_byte_swapped),
        cmocka_unit_test(test_pcap_nsec_magic_keeps_nanoseconds_exactly),
        cmocka_unit_test(test_pcap_nsec_big_endian_magic_keeps_nanoseconds),
        cmocka_unit_test(test_pcap_nsec_format_is_named_in_the_stats),
        cmocka_unit_test(test_pcap_frames_are_numbered_from_one_with_their_offsets),
        cmocka_unit_test(test_pcap_snaplen_and_link_type_come_from_the_file_header),
        cmocka_unit_test(test_pcap_fcs_bits_above_the_link_type_are_ignored),
        cmocka_unit_test(test_pcap_modified_format_skips_its_longer_record_header),
        cmocka_unit_test(test_pcap_record_of_exactly_256_kib_is_accepted),
        cmocka_unit_test(test_pcapng_little_endian_epb_gives_packet_and_microseconds),
        cmocka_unit_test(test_pcapng_big_endian_section_is_byte_swapped),
        cmocka_unit_test(test_pcapng_epb_data_is_the_captured_bytes_without_padding),
        cmocka_unit_test(test_pcapng_second_section_restarts_interface_ids),
        cmocka_unit_test(test_pcapng_interface_of_an_earlier_section_is_unknown_in_the_next),
        cmocka_unit_test(test_pcapng_section_may_switch_byte_order),
        cmocka_unit_test(test_pcapng_interfaces_may_have_different_link_types),
        cmocka_unit_test(test_pcapng_tsresol_9_is_nanoseconds),
        cmocka_unit_test(test_pcapng_tsresol_6_is_microseconds_like_the_default),
        cmocka_unit_test(test_pcapng_power_of_two_tsresol_divides_by_2_to_the_n),
        cmocka_unit_test(test_pcapng_interfaces_keep_their_own_resolution),
        cmocka_unit_test(test_pcapng_tsoffset_adds_seconds),
        cmocka_unit_test(test_pcapng_negative_tsoffset_in_a_big_endian_section),
        cmocka_unit_test(test_pcapng_huge_tsoffset_saturates_instead_of_overflowing),
        cmocka_unit_test(test_pcapng_simple_packet_block_takes_interface_zero),
        cmocka_unit_test(test_pcapng_simple_packet_caplen_is_bounded_by_its_block),
        cmocka_unit_test(test_pcapng_simple_packet_caplen_is_bounded_by_the_snaplen),
        cmocka_unit_test(test_pcapng_simple_packet_keeps_the_previous_timestamp),
        cmocka_unit_test(test_pcapng_obsolete_packet_block_is_read),
        cmocka_unit_test(test_pcapng_unknown_block_is_skipped_without_a_frame_number),
        cmocka_unit_test(test_pcap_records_across_the_read_buffer_end_are_intact),
        cmocka_unit_test(test_pcap_file_that_grows_while_read_is_read_to_its_new_end),
        cmocka_unit_test(test_pcap_records_across_the_mapped_regions_are_intact),
        cmocka_unit_test(test_pcap_file_truncated_while_read_ends_in_an_error_naming_it),
        cmocka_unit_test(test_pcapng_blocks_across_the_read_buffer_end_are_intact),
        cmocka_unit_test(test_pcapng_block_larger_than_the_read_buffer_is_skipped_whole),
        cmocka_unit_test(test_dash_reads_standard_input),
        cmocka_unit_test(test_map_probe_needs_64_pages_and_times_a_file_that_has_them),
        cmocka_unit_test(test_map_verdict_is_the_600_ns_threshold),
        cmocka_unit_test(test_reader_environment_forces_mapping_or_read),
        cmocka_unit_test(test_nonexistent_path_fails_cleanly),
        cmocka_unit_test(test_directory_fails_cleanly),
        cmocka_unit_test(test_file_shorter_than_4_bytes_is_not_a_capture),
        cmocka_unit_test(test_bad_magic_is_not_a_capture),
        cmocka_unit_test(test_pcap_file_header_truncated_at_every_length_fails),
        cmocka_unit_test(test_pcap_major_version_1_is_refused),
        cmocka_unit_test(test_pcap_record_header_cut_at_eof_fails_after_earlier_packets),
        cmocka_unit_test(test_pcap_record_data_cut_at_eof_fails_after_earlier_packets),
        cmocka_unit_test(test_pcap_caplen_over_256_kib_is_too_big),
        cmocka_unit_test(test_pcap_caplen_over_snaplen_is_a_warning_not_an_error),
        cmocka_unit_test(test_pcap_caplen_over_origlen_is_a_warning_not_an_error),
        cmocka_unit_test(test_warnings_past_the_eighth_are_counted_not_kept),
        cmocka_unit_test(test_pcap_usec_fraction_of_a_second_or_more_is_a_warning),
        cmocka_unit_test(test_pcap_nsec_fraction_above_a_million_is_not_a_warning),
        cmocka_unit_test(test_pcap_timestamps_going_backwards_are_counted),
        cmocka_unit_test(test_pcapng_block_length_not_a_multiple_of_4_fails),
        cmocka_unit_test(test_pcapng_block_length_below_12_fails),
        cmocka_unit_test(test_pcapng_block_lengths_that_disagree_fail),
        cmocka_unit_test(test_pcapng_block_running_past_eof_fails),
        cmocka_unit_test(test_pcapng_epb_on_an_undeclared_interface_fails),
        cmocka_unit_test(test_pcapng_epb_captured_length_past_its_block_fails),
        cmocka_unit_test(test_pcapng_block_header_cut_at_eof_fails),
        cmocka_unit_test(test_pcapng_bad_byte_order_magic_fails),
        cmocka_unit_test(test_pcapng_major_version_2_is_refused),
        cmocka_unit_test(test_pcapng_caplen_over_snaplen_is_a_warning),
        cmocka_unit_test(test_pcapng_timestamps_going_backwards_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
