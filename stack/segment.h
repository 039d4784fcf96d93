/*
 * One TCP segment, decoded and independent of the link it came from.
 *
 * The analyzer fills it from captured bytes; the active stack fills it from
 * what it is about to send. Payload bytes are borrowed, never owned: they are
 * valid until the capture source reads the next record (as in libpcap).
 */
#ifndef TCPREF_STACK_SEGMENT_H
#define TCPREF_STACK_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 9293 §3.1 control bits, plus the RFC 3168 ECN bits. */
enum {
    TR_FIN = 0x01,
    TR_SYN = 0x02,
    TR_RST = 0x04,
    TR_PSH = 0x08,
    TR_ACK = 0x10,
    TR_URG = 0x20,
    TR_ECE = 0x40,
    TR_CWR = 0x80,
};

/* TCP option kinds (IANA "TCP Option Kind Numbers"). */
enum {
    TR_OPT_EOL = 0,
    TR_OPT_NOP = 1,
    TR_OPT_MSS = 2,        /* RFC 9293 §3.2 */
    TR_OPT_WSCALE = 3,     /* RFC 7323 §2 */
    TR_OPT_SACK_PERM = 4,  /* RFC 2018 §2 */
    TR_OPT_SACK = 5,       /* RFC 2018 §3 */
    TR_OPT_TIMESTAMP = 8,  /* RFC 7323 §3 */
    TR_OPT_MD5 = 19,       /* RFC 2385 */
    TR_OPT_UTO = 28,       /* RFC 5482 */
    TR_OPT_AO = 29,        /* RFC 5925 */
    TR_OPT_MPTCP = 30,     /* RFC 8684 */
    TR_OPT_FASTOPEN = 34,  /* RFC 7413 */
    TR_OPT_EXP1 = 253,     /* RFC 6994 experimental */
    TR_OPT_EXP2 = 254,
};

#define TR_MAX_SACK_BLOCKS 4
#define TR_MAX_UNKNOWN_OPTS 4

/* Why option parsing stopped early (RFC 9293 §3.1 MUST-6: an illegal option
 * length must be handled without crashing). */
enum tr_opt_error {
    TR_OPTERR_NONE = 0,
    TR_OPTERR_LEN_ZERO_ONE, /* length byte 0 or 1 for a kind that has one */
    TR_OPTERR_OVERRUN,      /* length runs past the end of the header */
    TR_OPTERR_BAD_LEN,      /* length wrong for a known kind (MSS != 4, ...) */
    TR_OPTERR_NO_LEN,       /* header ends after a kind byte */
    TR_OPTERR_UNKNOWN = 0xff, /* the options were not captured (snaplen) */
};

struct tr_sack_block {
    uint32_t left;  /* first sequence number of the block */
    uint32_t right; /* sequence number just after the block */
};

struct tr_opts {
    /* presence bits */
    bool has_mss, has_wscale, sack_perm, has_ts, fastopen, mptcp, md5, ao;
    uint8_t wscale;        /* shift count as sent (may exceed 14) */
    uint16_t mss;
    uint32_t tsval, tsecr;
    uint8_t nsack;         /* SACK blocks kept (at most TR_MAX_SACK_BLOCKS) */
    uint8_t nunknown;      /* unknown kinds kept */
    uint8_t unknown_more;  /* unknown kinds beyond TR_MAX_UNKNOWN_OPTS */
    uint8_t error;         /* enum tr_opt_error */
    uint8_t error_offset;  /* offset of the bad option within the TCP header */
    uint8_t fastopen_cookie_len;
    struct tr_sack_block sack[TR_MAX_SACK_BLOCKS];
    struct {
        uint8_t kind, len;
    } unknown[TR_MAX_UNKNOWN_OPTS];
};

enum tr_csum {
    TR_CSUM_UNVERIFIED = 0, /* not checked (default) or not enough bytes */
    TR_CSUM_GOOD,
    TR_CSUM_BAD,
};

struct tr_seg {
    uint64_t frame;      /* 1-based, as Wireshark numbers frames */
    int64_t ts_ns;       /* capture time, ns since the epoch */

    uint8_t ipver;       /* 4 or 6 */
    uint8_t ttl;         /* TTL / hop limit */
    uint16_t vlan;       /* innermost 802.1Q VID, 0 when untagged */
    uint8_t src[16];     /* IPv4 addresses use the first 4 bytes */
    uint8_t dst[16];
    uint16_t sport, dport;

    uint32_t seq, ack;
    uint8_t flags;       /* TR_FIN ... TR_CWR */
    uint8_t tcp_hlen;    /* TCP header length in bytes, options included */
    uint16_t win;        /* raw window field, not scaled */
    uint16_t urp;
    uint16_t ip_id;      /* IPv4 identification (0 for IPv6) */
    uint16_t ip_opt_len; /* IPv4 options / IPv6 extension headers, bytes */
    uint8_t csum;        /* enum tr_csum */
    bool ip_df;

    uint32_t len;        /* payload length from the IP header */
    uint32_t caplen;     /* payload bytes actually captured (<= len) */
    uint32_t wire_len;   /* IP packet length (IP header + TCP + payload) */
    const uint8_t *payload; /* borrowed: caplen bytes */

    struct tr_opts opt;
};

/* Sequence space the segment occupies: payload, plus one for SYN and one for
 * FIN (RFC 9293 §3.4: SEG.LEN counts SYN and FIN). */
static inline uint32_t tr_seg_seqlen(const struct tr_seg *s)
{
    return s->len + ((s->flags & TR_SYN) ? 1u : 0u) + ((s->flags & TR_FIN) ? 1u : 0u);
}

#endif
