/*
 * The flow table: open addressing with linear probing and backward-shift
 * deletion. A slot holds a 32-bit hash tag and a connection index (8 bytes),
 * so a probe touches one cache line; the key itself is compared in the
 * connection. The load factor stays below 1/2.
 */
#ifndef TCPREF_ANALYZER_FLOWTAB_H
#define TCPREF_ANALYZER_FLOWTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/segment.h"

struct tr_flowtab {
    uint64_t *slot;   /* (hash << 32) | (index + 1); 0 = empty */
    uint32_t mask;
    uint32_t count;
};

/* A symmetric hash of the segment's addresses and ports: both directions of
 * a connection hash alike. Deterministic across runs and machines, so shards
 * agree. */
uint32_t tr_flow_hash(const struct tr_seg *s);
/* tr_flow_hash of an IPv4 segment, from its 4-byte addresses and its ports. */
uint32_t tr_flow_hash4(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport);

int tr_flowtab_init(struct tr_flowtab *t, uint32_t initial);
void tr_flowtab_free(struct tr_flowtab *t);

/* Iterates the candidates with that hash: start with *pos = 0 (set by the
 * function); returns a connection index, or UINT32_MAX when none is left. */
uint32_t tr_flowtab_next(const struct tr_flowtab *t, uint32_t hash, uint32_t *pos);
int tr_flowtab_insert(struct tr_flowtab *t, uint32_t hash, uint32_t index);
void tr_flowtab_remove(struct tr_flowtab *t, uint32_t hash, uint32_t index);

#endif
