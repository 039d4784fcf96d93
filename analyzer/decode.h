/*
 * Decode: link layer -> IPv4/IPv6 -> TCP, from captured bytes into a
 * struct tr_seg. Every access is checked against the captured length; the
 * TCP payload length comes from the IP header, never from the captured
 * length, so a snaplen-truncated packet still counts its full length.
 *
 * Link types: Ethernet with any number (up to TR_MAX_VLAN_TAGS) of 802.1Q /
 * 802.1ad tags, Linux cooked SLL and SLL2, raw IPv4/IPv6, BSD loopback (NULL
 * and LOOP).
 */
#ifndef TCPREF_ANALYZER_DECODE_H
#define TCPREF_ANALYZER_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/source.h"
#include "stack/segment.h"

#define TR_MAX_VLAN_TAGS 8
#define TR_MAX_IP6_EXT 16

enum tr_dec {
    TR_DEC_TCP = 0,        /* a TCP segment (its payload may be cut by the snaplen) */
    TR_DEC_NOT_IP,         /* ARP, LLDP, ... */
    TR_DEC_NOT_TCP,        /* IP, but UDP, ICMP, ... */
    TR_DEC_FRAGMENT,       /* an IP fragment: counted, not reassembled */
    TR_DEC_TRUNCATED,      /* the snapshot length cut a header */
    TR_DEC_MALFORMED,      /* header fields that cannot be right */
    TR_DEC_UNSUPPORTED,    /* a link type tcpref does not decode */
    TR_DEC_COUNT,
};

enum {
    TR_SEGF_OPTS_CUT = 1u << 0,   /* TCP options cut by the snaplen: not parsed */
    TR_SEGF_IPLEN_ZERO = 1u << 1, /* IP length 0 (TSO capture): length from the frame */
    TR_SEGF_PORTS = 1u << 2,      /* (on TR_DEC_TRUNCATED) addresses and ports are valid */
    TR_SEGF_IPLEN_BEYOND = 1u << 3, /* IP length beyond the frame's original length: the
                                       capture lost bytes; the IP header is trusted */
};

struct tr_dec_info {
    const char *reason; /* for anything but TR_DEC_TCP: a short explanation */
    uint32_t offset;    /* offset in the frame where decoding stopped */
    uint32_t segflags;  /* TR_SEGF_* */
    uint16_t ip_proto;  /* for TR_DEC_NOT_TCP */
};

/* Decodes one captured packet. seg->frame and seg->ts_ns are always set; the
 * addresses and ports are set when TR_SEGF_PORTS or TR_DEC_TCP. */
enum tr_dec tr_decode(const struct tr_pkt *pkt, bool verify_csum, struct tr_seg *seg,
                      struct tr_dec_info *info);

const char *tr_dec_name(enum tr_dec d);

/* The common case without a full decode: an untagged Ethernet frame with an
 * unfragmented IPv4 packet carrying a TCP header that tr_decode takes
 * (TR_DEC_TCP). Returns true and the segment's flow hash (tr_flow_hash) for
 * such a packet; false for anything else, which must be decoded in full. */
bool tr_decode_peek(const struct tr_pkt *pkt, uint32_t *hash);

#endif
