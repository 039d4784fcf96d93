/*
 * Raw link I/O on one Ethernet interface through libpcap.
 *
 * Two handles: a capture handle (promiscuous, immediate mode, non-blocking,
 * nanosecond timestamps where offered) that sees every frame on the
 * interface, the replay's own included, and an inject handle that only sends
 * (pcap_inject(3PCAP)) and captures nothing (a filter no frame matches). Two,
 * because a Linux packet socket does not see the frames it sends itself.
 *
 * The caller waits with poll() on tr_link_fd() and then drains what is
 * waiting with tr_link_read(); nothing here blocks.
 */
#ifndef TCPREF_REPLAY_LINK_H
#define TCPREF_REPLAY_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/source.h"

struct tr_link;

/*
 * Opens both handles on iface. On failure returns a negative code and one
 * line in err: TR_EINVAL (no such interface, or not Ethernet), TR_ESYS (not
 * permitted: needs CAP_NET_RAW), TR_EIO (other libpcap errors).
 */
int tr_link_open(struct tr_link **out, const char *iface, char *err, size_t errlen);
void tr_link_close(struct tr_link *l);

/* Also writes every frame captured from now on to a pcap file. */
int tr_link_dump(struct tr_link *l, const char *path, char *err, size_t errlen);

/* The descriptor to poll() for POLLIN. */
int tr_link_fd(const struct tr_link *l);

/* Hands every frame waiting now to cb (frames numbered from 1); returns how
 * many, or a negative code with the message in tr_link_error(). */
typedef void (*tr_link_cb)(void *ctx, const struct tr_pkt *pkt);
int tr_link_read(struct tr_link *l, tr_link_cb cb, void *ctx);

/* Sends one frame; 0 or a negative code. */
int tr_link_send(struct tr_link *l, const uint8_t *frame, size_t n);

const char *tr_link_error(const struct tr_link *l);
/* Frames captured, and dropped by the kernel (pcap_stats). */
void tr_link_counts(struct tr_link *l, uint64_t *captured, uint64_t *dropped);

#endif
