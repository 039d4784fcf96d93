/*
 * TCP wire format (RFC 9293 §3.1 header, §3.2 options; RFC 7323; RFC 2018):
 * parse captured bytes into a struct tr_seg, and build a header from one.
 *
 * Every read of packet bytes is bounds-checked against the bytes available;
 * nothing here reads past `caplen`.
 */
#ifndef TCPREF_STACK_WIRE_H
#define TCPREF_STACK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "stack/segment.h"

#define TR_TCP_HDR_MIN 20u
#define TR_TCP_HDR_MAX 60u

enum tr_wire_status {
    TR_WIRE_OK = 0,
    TR_WIRE_SHORT,       /* fewer than 20 bytes, or the options, were captured */
    TR_WIRE_BAD_DOFF,    /* data offset below 5 (RFC 9293 §3.1) */
    TR_WIRE_DOFF_BEYOND, /* data offset past the TCP length the IP header gives */
};

/*
 * Parses the TCP header at p. `caplen` is how many bytes were captured from p
 * on; `tcp_total` is the TCP length (header + payload) from the IP header.
 * Fills the TCP fields, options, len, caplen and payload of s. On
 * TR_WIRE_SHORT, the fixed header fields are filled when at least 20 bytes
 * were captured, and s->len is still computed from the IP header.
 */
enum tr_wire_status tr_wire_parse_tcp(const uint8_t *p, uint32_t caplen, uint32_t tcp_total,
                                      struct tr_seg *s);

/* Parses `n` bytes of TCP options. Never fails: a malformed option stops the
 * parse and is recorded in o->error / o->error_offset (offset from `base`). */
void tr_wire_parse_options(const uint8_t *p, uint32_t n, uint8_t base, struct tr_opts *o);

/* The options of `o` encoded as they would be sent, padded to 4 bytes.
 * Returns the byte count (at most 40), or 0 when they do not fit. */
size_t tr_wire_build_options(uint8_t *buf, size_t cap, const struct tr_opts *o, uint8_t flags);

/* Writes a TCP header for s (with s->opt) into buf; the checksum is left 0.
 * Returns the header length, or 0 when cap is too small. */
size_t tr_wire_build_tcp(uint8_t *buf, size_t cap, const struct tr_seg *s);

/* The Internet checksum (RFC 1071) of a TCP segment over IPv4 or IPv6,
 * including the pseudo-header. `tcp` points at len bytes of header+payload
 * with its checksum field as sent. Returns 0 for a correct segment when the
 * field is included, or the value to store when the field is 0. */
uint16_t tr_wire_tcp_checksum(int ipver, const uint8_t *src, const uint8_t *dst,
                              const uint8_t *tcp, uint32_t len);

/* Big-endian accessors. Callers check bounds before calling. */
static inline uint16_t tr_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t tr_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void tr_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void tr_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
