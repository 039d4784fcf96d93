/*
 * Safety checks before the replay transmits anything.
 *
 * The replay sends only on the interface named and only to the peer named,
 * from an address the host does not use:
 *
 *   1. the interface exists, is up, and is Ethernet (it has a MAC);
 *   2. the local IP is not assigned to any interface of the host
 *      (getifaddrs(3)): otherwise the kernel would answer the peer too, with
 *      RSTs for a connection it does not know;
 *   3. the peer is on the interface's link: its IP falls in a subnet
 *      configured on the interface (an IPv4 address and netmask, an IPv6
 *      address and prefix), or the kernel's most specific route to it
 *      (/proc/net/route, /proc/net/ipv6_route, main table) leaves through the
 *      interface without a gateway. A peer behind a router is refused: the
 *      replay resolves the peer's own MAC and would have to know the router.
 *      The peer must not be an address of this host, and neither address may
 *      be multicast, broadcast, loopback or unspecified.
 */
#ifndef TCPREF_REPLAY_NETCHECK_H
#define TCPREF_REPLAY_NETCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tr_iface_info {
    uint8_t mac[6];
    unsigned mtu;
    unsigned index;
};

/* Rule 1. Returns 0, or a negative code and one line in err. */
int tr_net_iface(const char *iface, struct tr_iface_info *info, char *err, size_t n);

/* Rules 2 and 3 (and the address sanity checks). */
int tr_net_check_addrs(const char *iface, int ipver, const uint8_t *local, const uint8_t *peer,
                       char *err, size_t n);

/* Pure parts, for the tests. */
bool tr_net_in_prefix(int ipver, const uint8_t *addr, const uint8_t *net, unsigned prefix);
/* Parses /proc/net/route text: the most specific route to peer (IPv4); sets
 * *dev (up to devlen bytes) and *gateway. False when no route matches. */
bool tr_net_route4(const char *table, const uint8_t peer[4], char *dev, size_t devlen,
                   bool *gateway);
/* Same for /proc/net/ipv6_route. */
bool tr_net_route6(const char *table, const uint8_t peer[16], char *dev, size_t devlen,
                   bool *gateway);
/* An address that must never be used as an endpoint (multicast, broadcast,
 * loopback, unspecified, link-local IPv4 is fine). */
bool tr_net_bad_unicast(int ipver, const uint8_t *addr);

/* "10.78.0.2" / "fd00::2" -> ipver and bytes; 0 when neither. */
int tr_net_parse_ip(const char *s, uint8_t addr[16]);
void tr_net_format_ip(int ipver, const uint8_t *addr, char *buf, size_t n);

#endif
