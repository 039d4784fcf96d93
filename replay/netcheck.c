#include "replay/netcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/error.h"

int tr_net_parse_ip(const char *s, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, addr) == 1)
        return 6;
    return 0;
}

void tr_net_format_ip(int ipver, const uint8_t *addr, char *buf, size_t n)
{
    if (!inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)n))
        snprintf(buf, n, "?");
}

bool tr_net_in_prefix(int ipver, const uint8_t *addr, const uint8_t *net, unsigned prefix)
{
    unsigned bits = ipver == 6 ? 128 : 32;
    if (prefix > bits)
        return false;
    for (unsigned i = 0; i < prefix / 8; i++)
        if (addr[i] != net[i])
            return false;
    unsigned rest = prefix % 8;
    if (!rest)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (addr[prefix / 8] & m) == (net[prefix / 8] & m);
}

static unsigned tr__prefix_len(const uint8_t *mask, size_t n)
{
    unsigned p = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = 7; b >= 0 && (mask[i] >> b) & 1; b--)
            p++;
    return p;
}

bool tr_net_bad_unicast(int ipver, const uint8_t *a)
{
    static const uint8_t zero[16];
    if (ipver == 4)
        return a[0] == 0 || a[0] == 127 || a[0] >= 224; /* this-net, loopback, class D/E */
    if (!memcmp(a, zero, 16) || a[0] == 0xff)           /* unspecified, multicast */
        return true;
    return !memcmp(a, zero, 15) && a[15] == 1;          /* ::1 */
}

int tr_net_iface(const char *iface, struct tr_iface_info *info, char *err, size_t n)
{
    memset(info, 0, sizeof *info);
    struct ifreq ifr;
    if (strlen(iface) >= sizeof ifr.ifr_name || !(info->index = if_nametoindex(iface))) {
        snprintf(err, n, "no interface '%s'", iface);
        return TR_EINVAL;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        snprintf(err, n, "socket: %s", strerror(errno));
        return TR_ESYS;
    }
    int r = TR_OK;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP)) {
        snprintf(err, n, "interface %s is down", iface);
        r = TR_EINVAL;
    } else if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        snprintf(err, n, "%s is not an Ethernet interface", iface);
        r = TR_EINVAL;
    } else {
        memcpy(info->mac, ifr.ifr_hwaddr.sa_data, 6);
        info->mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? (unsigned)ifr.ifr_mtu : 1500;
    }
    close(fd);
    return r;
}

/* ---- routes ---- */

bool tr_net_route4(const char *table, const uint8_t peer[4], char *dev, size_t devlen,
                   bool *gateway)
{
    int best = -1;
    unsigned long best_metric = 0;
    const char *line = strchr(table, '\n'); /* skip the header */
    while (line && *++line) {
        char name[IFNAMSIZ + 1];
        unsigned long dst, gw, flags, metric, mask;
        if (sscanf(line, "%16s %lx %lx %lx %*s %*s %lu %lx", name, &dst, &gw, &flags, &metric,
                   &mask) == 6 && (flags & 0x1)) { /* RTF_UP */
            uint32_t d = (uint32_t)dst, m = (uint32_t)mask, p;
            memcpy(&p, peer, 4); /* the table prints the raw network-order words */
            int plen = (int)tr__prefix_len((const uint8_t *)&m, 4);
            if ((p & m) == (d & m) && (plen > best || (plen == best && metric < best_metric))) {
                best = plen;
                best_metric = metric;
                snprintf(dev, devlen, "%s", name);
                *gateway = (flags & 0x2) != 0 || gw != 0; /* RTF_GATEWAY */
            }
        }
        line = strchr(line, '\n');
    }
    return best >= 0;
}

static bool tr__hex16(const char *s, uint8_t out[16])
{
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return false;
        out[i] = (uint8_t)v;
    }
    return true;
}

bool tr_net_route6(const char *table, const uint8_t peer[16], char *dev, size_t devlen,
                   bool *gateway)
{
    static const uint8_t zero[16];
    int best = -1;
    unsigned long best_metric = 0;
    for (const char *line = table; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char d[33], nh[33], name[IFNAMSIZ + 1];
        unsigned plen;
        unsigned long metric, flags;
        uint8_t dst[16], hop[16];
        if (sscanf(line, "%32s %x %*s %*s %32s %lx %*s %*s %lx %16s", d, &plen, nh, &metric,
                   &flags, name) != 6 || !tr__hex16(d, dst) || !tr__hex16(nh, hop))
            continue;
        if (!(flags & 0x1) || !strcmp(name, "lo") || !tr_net_in_prefix(6, peer, dst, plen))
            continue;
        if ((int)plen > best || ((int)plen == best && metric < best_metric)) {
            best = (int)plen;
            best_metric = metric;
            snprintf(dev, devlen, "%s", name);
            *gateway = (flags & 0x2) != 0 || memcmp(hop, zero, 16) != 0;
        }
    }
    return best >= 0;
}

static char *tr__slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

/* ---- the checks ---- */

static const uint8_t *tr__sa_addr(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    return (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
}

struct tr__scan {
    const char *host_if_local; /* interface holding the local IP */
    const char *host_if_peer;  /* interface holding the peer IP */
    bool peer_in_subnet;
};

static void tr__scan_ifaddrs(const struct ifaddrs *ifs, const char *iface, int ipver,
                             const uint8_t *local, const uint8_t *peer, struct tr__scan *sc)
{
    int fam = ipver == 6 ? AF_INET6 : AF_INET;
    size_t alen = ipver == 6 ? 16 : 4;
    for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
            continue;
        const uint8_t *a = tr__sa_addr(i->ifa_addr);
        if (!memcmp(a, local, alen))
            sc->host_if_local = i->ifa_name;
        if (!memcmp(a, peer, alen))
            sc->host_if_peer = i->ifa_name;
        if (strcmp(i->ifa_name, iface) || !i->ifa_netmask)
            continue;
        unsigned plen = tr__prefix_len(tr__sa_addr(i->ifa_netmask), alen);
        if (plen > 0 && tr_net_in_prefix(ipver, peer, a, plen))
            sc->peer_in_subnet = true;
    }
}

static bool tr__route_on_link(const char *iface, int ipver, const uint8_t *peer)
{
    char *t = tr__slurp(ipver == 6 ? "/proc/net/ipv6_route" : "/proc/net/route");
    if (!t)
        return false;
    char dev[IFNAMSIZ + 1] = "";
    bool gw = true;
    bool found = ipver == 6 ? tr_net_route6(t, peer, dev, sizeof dev, &gw)
                            : tr_net_route4(t, peer, dev, sizeof dev, &gw);
    free(t);
    return found && !gw && !strcmp(dev, iface);
}

int tr_net_check_addrs(const char *iface, int ipver, const uint8_t *local, const uint8_t *peer,
                       char *err, size_t n)
{
    char ls[INET6_ADDRSTRLEN], ps[INET6_ADDRSTRLEN];
    inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, local, ls, sizeof ls);
    inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, peer, ps, sizeof ps);
    if (tr_net_bad_unicast(ipver, local) || tr_net_bad_unicast(ipver, peer)) {
        snprintf(err, n, "%s is not a usable unicast address",
                 tr_net_bad_unicast(ipver, local) ? ls : ps);
        return TR_EINVAL;
    }
    if (!memcmp(local, peer, ipver == 6 ? 16 : 4)) {
        snprintf(err, n, "--local and --peer are the same address %s", ls);
        return TR_EINVAL;
    }
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) < 0) {
        snprintf(err, n, "getifaddrs: %s", strerror(errno));
        return TR_ESYS;
    }
    struct tr__scan sc = {0};
    tr__scan_ifaddrs(ifs, iface, ipver, local, peer, &sc);
    int r = TR_OK;
    if (sc.host_if_local) {
        snprintf(err, n, "refusing to start: the local IP %s is assigned to host interface %s "
                 "(the kernel would reset the replayed connection); pick an unused address", ls,
                 sc.host_if_local);
        r = TR_EINVAL;
    } else if (sc.host_if_peer) {
        snprintf(err, n, "refusing to start: the peer %s is an address of this host (%s)", ps,
                 sc.host_if_peer);
        r = TR_EINVAL;
    } else if (!sc.peer_in_subnet && !tr__route_on_link(iface, ipver, peer)) {
        snprintf(err, n, "refusing to start: the peer %s is not on %s's link (no subnet of %s "
                 "holds it and no direct route to it leaves through %s)", ps, iface, iface, iface);
        r = TR_EINVAL;
    }
    freeifaddrs(ifs);
    return r;
}
