#include "replay/frame.h"

#include <stdio.h>
#include <string.h>

#include "stack/wire.h"

static const uint8_t tr__bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void tr__eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    tr_put16(p + 12, type);
}

uint16_t tr_frame_ethertype(const uint8_t *p, size_t n)
{
    return n < TR_ETH_HLEN ? 0 : tr_get16(p + 12);
}

/* ---- ARP (RFC 826) ---- */

#define TR_ARP_LEN 28

size_t tr_frame_arp(uint8_t *buf, size_t cap, uint16_t op, const uint8_t smac[6],
                    const uint8_t sip[4], const uint8_t tmac[6], const uint8_t tip[4])
{
    static const uint8_t zero[6];
    if (cap < TR_ETH_HLEN + TR_ARP_LEN)
        return 0;
    bool req = op == TR_ARP_REQUEST;
    tr__eth(buf, req ? tr__bcast : tmac, smac, TR_ETHERTYPE_ARP);
    uint8_t *a = buf + TR_ETH_HLEN;
    tr_put16(a, 1);                 /* ar$hrd: Ethernet */
    tr_put16(a + 2, TR_ETHERTYPE_IPV4); /* ar$pro */
    a[4] = 6;                       /* ar$hln */
    a[5] = 4;                       /* ar$pln */
    tr_put16(a + 6, op);
    memcpy(a + 8, smac, 6);
    memcpy(a + 14, sip, 4);
    memcpy(a + 18, req ? zero : tmac, 6); /* "ar$tha ... ignored" in a request */
    memcpy(a + 24, tip, 4);
    return TR_ETH_HLEN + TR_ARP_LEN;
}

bool tr_frame_parse_arp(const uint8_t *p, size_t n, struct tr_arp *a)
{
    if (n < TR_ETH_HLEN + TR_ARP_LEN || tr_frame_ethertype(p, n) != TR_ETHERTYPE_ARP)
        return false;
    const uint8_t *q = p + TR_ETH_HLEN;
    if (tr_get16(q) != 1 || tr_get16(q + 2) != TR_ETHERTYPE_IPV4 || q[4] != 6 || q[5] != 4)
        return false;
    a->op = tr_get16(q + 6);
    memcpy(a->sha, q + 8, 6);
    memcpy(a->spa, q + 14, 4);
    memcpy(a->tha, q + 18, 6);
    memcpy(a->tpa, q + 24, 4);
    return a->op == TR_ARP_REQUEST || a->op == TR_ARP_REPLY;
}

/* ---- IP ---- */

#define TR_IP4_HLEN 20
#define TR_IP6_HLEN 40

static uint32_t tr__sum(uint32_t acc, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        acc += tr_get16(p + i);
    if (i < n)
        acc += (uint32_t)p[i] << 8;
    return acc;
}

static uint16_t tr__fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* RFC 791 §3.1, DF set, no options. */
static void tr__ip4(uint8_t *p, uint16_t total, uint16_t id, uint8_t proto, const uint8_t *src,
                    const uint8_t *dst)
{
    p[0] = 0x45;
    p[1] = 0;
    tr_put16(p + 2, total);
    tr_put16(p + 4, id);
    tr_put16(p + 6, 0x4000);
    p[8] = 64;
    p[9] = proto;
    tr_put16(p + 10, 0);
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    tr_put16(p + 10, tr__fold(tr__sum(0, p, TR_IP4_HLEN)));
}

/* RFC 8200 §3. */
static void tr__ip6(uint8_t *p, uint16_t plen, uint8_t next, uint8_t hops, const uint8_t *src,
                    const uint8_t *dst)
{
    tr_put32(p, 0x60000000u);
    tr_put16(p + 4, plen);
    p[6] = next;
    p[7] = hops;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
}

size_t tr_frame_tcp(uint8_t *buf, size_t cap, const struct tr_link_addrs *a, uint16_t ip_id,
                    const struct tr_seg *s)
{
    size_t iph = a->ipver == 6 ? TR_IP6_HLEN : TR_IP4_HLEN;
    size_t off = TR_ETH_HLEN + iph;
    if (cap < off + TR_TCP_HDR_MAX + s->len)
        return 0;
    size_t th = tr_wire_build_tcp(buf + off, cap - off, s);
    if (!th)
        return 0;
    if (s->len)
        memcpy(buf + off + th, s->payload, s->len);
    uint32_t tcplen = (uint32_t)(th + s->len);
    if (iph + tcplen > 0xffff + (a->ipver == 6 ? TR_IP6_HLEN : 0u))
        return 0;
    uint16_t sum = tr_wire_tcp_checksum(a->ipver, a->local_ip, a->peer_ip, buf + off, tcplen);
    tr_put16(buf + off + 16, sum);
    tr__eth(buf, a->peer_mac, a->local_mac, a->ipver == 6 ? TR_ETHERTYPE_IPV6 : TR_ETHERTYPE_IPV4);
    if (a->ipver == 6)
        tr__ip6(buf + TR_ETH_HLEN, (uint16_t)tcplen, 6, 64, a->local_ip, a->peer_ip);
    else
        tr__ip4(buf + TR_ETH_HLEN, (uint16_t)(iph + tcplen), ip_id, 6, a->local_ip, a->peer_ip);
    return off + tcplen;
}

/* ---- ICMPv6 neighbour discovery (RFC 4861) ---- */

#define TR_ND_LEN 32 /* type..target (24) + one link-layer address option (8) */

static uint16_t tr__icmp6_sum(const uint8_t *src, const uint8_t *dst, const uint8_t *icmp,
                              uint32_t len)
{
    uint32_t acc = tr__sum(0, src, 16);
    acc = tr__sum(acc, dst, 16);
    acc += len;
    acc += 58; /* next header: ICMPv6 */
    return tr__fold(tr__sum(acc, icmp, len));
}

static size_t tr__nd(uint8_t *buf, size_t cap, uint8_t type, uint32_t flags,
                     const uint8_t smac[6], const uint8_t dmac[6], const uint8_t sip[16],
                     const uint8_t dip[16], const uint8_t target[16])
{
    if (cap < TR_ETH_HLEN + TR_IP6_HLEN + TR_ND_LEN)
        return 0;
    tr__eth(buf, dmac, smac, TR_ETHERTYPE_IPV6);
    tr__ip6(buf + TR_ETH_HLEN, TR_ND_LEN, 58, 255, sip, dip); /* §7.1: hop limit 255 */
    uint8_t *m = buf + TR_ETH_HLEN + TR_IP6_HLEN;
    memset(m, 0, TR_ND_LEN);
    m[0] = type;
    tr_put32(m + 4, flags);
    memcpy(m + 8, target, 16);
    m[24] = type == TR_ND_SOLICIT ? 1 : 2; /* source / target link-layer address */
    m[25] = 1;                             /* in units of 8 bytes */
    memcpy(m + 26, smac, 6);
    tr_put16(m + 2, tr__icmp6_sum(sip, dip, m, TR_ND_LEN));
    return TR_ETH_HLEN + TR_IP6_HLEN + TR_ND_LEN;
}

size_t tr_frame_nd_solicit(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t sip[16],
                           const uint8_t target[16])
{
    /* RFC 4291 §2.7.1: FF02:0:0:0:0:1:FFXX:XXXX; RFC 2464 §7: 33:33 + low 32 bits */
    uint8_t dip[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
    memcpy(dip + 13, target + 13, 3);
    uint8_t dmac[6] = {0x33, 0x33};
    memcpy(dmac + 2, dip + 12, 4);
    return tr__nd(buf, cap, TR_ND_SOLICIT, 0, smac, dmac, sip, dip, target);
}

size_t tr_frame_nd_advert(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t sip[16],
                          const uint8_t dmac[6], const uint8_t dip[16])
{
    /* §4.4: S (solicited) and O (override) flags */
    return tr__nd(buf, cap, TR_ND_ADVERT, 0x60000000u, smac, dmac, sip, dip, sip);
}

static void tr__nd_options(const uint8_t *o, size_t n, struct tr_nd *nd)
{
    while (n >= 8) {
        size_t len = (size_t)o[1] * 8;
        if (len == 0 || len > n) /* §4.6: "Nodes MUST silently discard an ND packet that
                                    contains an option with length zero" */
            return;
        if ((o[0] == 1 && nd->type == TR_ND_SOLICIT) || (o[0] == 2 && nd->type == TR_ND_ADVERT)) {
            nd->has_lladdr = true;
            memcpy(nd->lladdr, o + 2, 6);
        }
        o += len;
        n -= len;
    }
}

bool tr_frame_parse_nd(const uint8_t *p, size_t n, struct tr_nd *nd)
{
    if (n < TR_ETH_HLEN + TR_IP6_HLEN + 24 || tr_frame_ethertype(p, n) != TR_ETHERTYPE_IPV6)
        return false;
    const uint8_t *ip = p + TR_ETH_HLEN;
    uint32_t plen = tr_get16(ip + 4);
    if ((ip[0] >> 4) != 6 || ip[6] != 58 || ip[7] != 255 || plen < 24 ||
        TR_ETH_HLEN + TR_IP6_HLEN + plen > n)
        return false;
    const uint8_t *m = ip + TR_IP6_HLEN;
    if ((m[0] != TR_ND_SOLICIT && m[0] != TR_ND_ADVERT) || m[1] != 0 ||
        tr__icmp6_sum(ip + 8, ip + 24, m, plen) != 0)
        return false;
    memset(nd, 0, sizeof *nd);
    nd->type = m[0];
    memcpy(nd->src_ip, ip + 8, 16);
    memcpy(nd->dst_ip, ip + 24, 16);
    memcpy(nd->target, m + 8, 16);
    nd->solicited = (m[4] & 0x40) != 0;
    tr__nd_options(m + 24, plen - 24, nd);
    return true;
}

/* ---- MAC addresses ---- */

bool tr_mac_parse(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6 || strlen(s) != 17)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

void tr_mac_format(const uint8_t mac[6], char *buf, size_t n)
{
    snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

void tr_mac_random_local(uint8_t mac[6], uint64_t seed)
{
    for (int i = 0; i < 6; i++) { /* splitmix64 steps */
        seed += 0x9e3779b97f4a7c15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        mac[i] = (uint8_t)(z ^ (z >> 31));
    }
    mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}
