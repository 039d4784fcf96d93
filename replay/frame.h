/*
 * Link frames the replay puts on the wire and the ones it answers: Ethernet
 * II (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), IPv6 (RFC 8200), ICMPv6
 * neighbour discovery (RFC 4861 §4.3, §4.4) and a TCP segment inside IP.
 *
 * Pure functions over byte buffers: builders return the frame length (0 when
 * the buffer is too small), parsers check every length before reading.
 */
#ifndef TCPREF_REPLAY_FRAME_H
#define TCPREF_REPLAY_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/segment.h"

#define TR_ETH_HLEN 14
#define TR_ETHERTYPE_IPV4 0x0800
#define TR_ETHERTYPE_ARP 0x0806
#define TR_ETHERTYPE_IPV6 0x86dd
#define TR_ARP_REQUEST 1
#define TR_ARP_REPLY 2
#define TR_ND_SOLICIT 135
#define TR_ND_ADVERT 136

/* Who talks to whom on the link. */
struct tr_link_addrs {
    uint8_t ipver;          /* 4 or 6 */
    uint8_t local_mac[6], peer_mac[6];
    uint8_t local_ip[16], peer_ip[16]; /* IPv4: the first 4 bytes */
};

/* ARP over Ethernet for IPv4 (RFC 826). */
struct tr_arp {
    uint16_t op;
    uint8_t sha[6], spa[4], tha[6], tpa[4];
};

/* Neighbour solicitation / advertisement (RFC 4861). */
struct tr_nd {
    uint8_t type;           /* TR_ND_SOLICIT or TR_ND_ADVERT */
    uint8_t src_ip[16], dst_ip[16];
    uint8_t target[16];
    bool has_lladdr;        /* source (NS) or target (NA) link-layer address option */
    uint8_t lladdr[6];
    bool solicited;         /* NA: S flag */
};

/* An ARP request for tip from (smac, sip), broadcast; or a reply to
 * (tmac, tip), unicast. */
size_t tr_frame_arp(uint8_t *buf, size_t cap, uint16_t op, const uint8_t smac[6],
                    const uint8_t sip[4], const uint8_t tmac[6], const uint8_t tip[4]);
/* Parses an Ethernet frame holding an ARP packet for IPv4 over Ethernet. */
bool tr_frame_parse_arp(const uint8_t *p, size_t n, struct tr_arp *a);

/* A neighbour solicitation for `target` from (smac, sip), to the target's
 * solicited-node multicast address (RFC 4291 §2.7.1). */
size_t tr_frame_nd_solicit(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t sip[16],
                           const uint8_t target[16]);
/* A solicited advertisement of (smac, sip) to (dmac, dip). */
size_t tr_frame_nd_advert(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t sip[16],
                          const uint8_t dmac[6], const uint8_t dip[16]);
/* Parses an Ethernet frame holding an NS or NA (hop limit 255, checksum
 * verified: RFC 4861 §7.1.1, §7.1.2). */
bool tr_frame_parse_nd(const uint8_t *p, size_t n, struct tr_nd *nd);

/* Ethernet + IP + TCP header (with s->opt) + payload, checksums computed.
 * The segment's ports, seq, ack, flags, window and options are taken from
 * s; addresses from a. ip_id: IPv4 identification. */
size_t tr_frame_tcp(uint8_t *buf, size_t cap, const struct tr_link_addrs *a, uint16_t ip_id,
                    const struct tr_seg *s);

/* The Ethernet type of a frame (0 when shorter than a header), skipping no
 * VLAN tags: the replay talks untagged. */
uint16_t tr_frame_ethertype(const uint8_t *p, size_t n);

/* "02:00:5e:10:00:01" -> mac; false when malformed. */
bool tr_mac_parse(const char *s, uint8_t mac[6]);
void tr_mac_format(const uint8_t mac[6], char *buf, size_t n);
/* A random unicast, locally administered MAC (IEEE 802: I/G bit 0, U/L bit 1). */
void tr_mac_random_local(uint8_t mac[6], uint64_t seed);

#endif
