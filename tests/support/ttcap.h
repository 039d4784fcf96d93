/* Test support: builders for synthetic capture files, in memory and in either
 * byte order, then written under TT_TMPDIR. Classic pcap follows
 * pcap-savefile(5) / draft-ietf-opsawg-pcap; pcapng follows
 * draft-ietf-opsawg-pcapng. Every builder returns the byte offset at which
 * its record or block starts, which is the offset the readers report. */
#ifndef TCPREF_TESTS_TTCAP_H
#define TCPREF_TESTS_TTCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TTCAP_MAGIC_US 0xa1b2c3d4u /* pcap, microsecond timestamps */
#define TTCAP_MAGIC_NS 0xa1b23c4du /* pcap, nanosecond timestamps */
#define TTCAP_MAGIC_MOD 0xa1b2cd34u /* pcap, Kuznetzov's 24-byte record headers */

/* pcapng block types. */
#define TTCAP_BT_SHB 0x0A0D0D0Au
#define TTCAP_BT_IDB 0x00000001u
#define TTCAP_BT_PB 0x00000002u
#define TTCAP_BT_SPB 0x00000003u
#define TTCAP_BT_EPB 0x00000006u

/* A file being built. Numbers are written big-endian when big_endian is set,
 * little-endian otherwise; a test may flip it between pcapng sections. */
struct ttcap {
    uint8_t *buf;
    size_t len, cap;
    bool big_endian;
};

void ttcap_init(struct ttcap *c, bool big_endian);
void ttcap_free(struct ttcap *c);

void ttcap_u16(struct ttcap *c, uint16_t v);
void ttcap_u32(struct ttcap *c, uint32_t v);
void ttcap_u64(struct ttcap *c, uint64_t v);
void ttcap_bytes(struct ttcap *c, const void *p, size_t n);
/* Overwrites the 32-bit number at byte offset `at` (to damage a file). */
void ttcap_set32(struct ttcap *c, size_t at, uint32_t v);

/* Classic pcap: the 24-byte file header (version major.4) and one record. */
size_t ttcap_pcap_header(struct ttcap *c, uint32_t magic, uint16_t major, uint32_t snaplen,
                         uint32_t linktype);
size_t ttcap_pcap_record(struct ttcap *c, uint32_t sec, uint32_t frac, const void *data,
                         uint32_t caplen, uint32_t origlen);

/* An interface of a pcapng section. tsresol < 0 leaves out if_tsresol (the
 * default is microseconds); has_tsoffset adds if_tsoffset. */
struct ttcap_if {
    uint16_t linktype;
    uint32_t snaplen;
    int tsresol;
    bool has_tsoffset;
    int64_t tsoffset;
};

/* pcapng blocks. A Section Header Block (version 1.0, section length -1)
 * written in c's current byte order starts a section in that order. */
size_t ttcap_ng_shb(struct ttcap *c);
size_t ttcap_ng_idb(struct ttcap *c, const struct ttcap_if *ifc);
/* Enhanced Packet Block: `ts` in units of the interface's resolution. */
size_t ttcap_ng_epb(struct ttcap *c, uint32_t iface, uint64_t ts, const void *data,
                    uint32_t caplen, uint32_t origlen);
/* Obsolete Packet Block: a 16-bit interface id and a drops count of 0. */
size_t ttcap_ng_pb(struct ttcap *c, uint16_t iface, uint64_t ts, const void *data,
                   uint32_t caplen, uint32_t origlen);
/* Simple Packet Block holding `stored` bytes of a packet of origlen bytes. */
size_t ttcap_ng_spb(struct ttcap *c, const void *data, uint32_t stored, uint32_t origlen);
/* Any block: type, length, the body padded to 4 bytes, length. */
size_t ttcap_ng_block(struct ttcap *c, uint32_t type, const void *body, uint32_t body_len);

/* Writes the whole file, or its first n bytes, to TT_TMPDIR/name and returns
 * the path (valid until the fourth next call, as tt_tmp()). */
const char *ttcap_write(const struct ttcap *c, const char *name);
const char *ttcap_write_n(const struct ttcap *c, const char *name, size_t n);

#endif
