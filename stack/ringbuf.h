/*
 * A byte ring for the active endpoint's send and receive buffers.
 *
 * `len` bytes from `head` are the committed content (the send queue, or the
 * in-order bytes the application has not read). Bytes may also be written
 * beyond `len` at an offset (out-of-order data held in the receive window)
 * and committed later. Allocation happens at creation, and for a growable
 * ring (an unlimited send buffer) when a write needs more room: never per
 * segment.
 */
#ifndef TCPREF_STACK_RINGBUF_H
#define TCPREF_STACK_RINGBUF_H

#include <stdbool.h>
#include <stdint.h>

struct tr_ring {
    uint8_t *buf;
    uint32_t cap;  /* bytes allocated */
    uint32_t head; /* index of the first committed byte */
    uint32_t len;  /* committed bytes */
    bool grow;     /* reserve() may enlarge the ring */
};

/* Returns 0 or TR_ENOMEM. */
int tr_ring_init(struct tr_ring *r, uint32_t cap, bool grow);
void tr_ring_free(struct tr_ring *r);

/* Makes room for `need` committed bytes in all; false when it cannot (a
 * fixed ring, or out of memory). */
bool tr_ring_reserve(struct tr_ring *r, uint32_t need);

/* Copies n bytes at offset `off` from head, in or beyond the committed
 * content; the caller keeps off + n <= cap. */
void tr_ring_write_at(struct tr_ring *r, uint32_t off, const uint8_t *p, uint32_t n);
void tr_ring_read_at(const struct tr_ring *r, uint32_t off, uint8_t *p, uint32_t n);

/* Appends n bytes to the committed content (n <= cap - len). */
void tr_ring_append(struct tr_ring *r, const uint8_t *p, uint32_t n);
/* Bytes already written beyond the content become part of it. */
void tr_ring_commit(struct tr_ring *r, uint32_t n);
/* Drops n bytes from the front. */
void tr_ring_consume(struct tr_ring *r, uint32_t n);

static inline uint32_t tr_ring_space(const struct tr_ring *r) { return r->cap - r->len; }

#endif
