/*
 * Sequence number arithmetic, modulo 2^32.
 *
 * RFC 9293 §3.4: "It is essential to remember that the actual sequence number
 * space is finite, though large. This space ranges from 0 to 2**32 - 1. Since
 * the space is finite, all arithmetic dealing with sequence numbers must be
 * performed modulo 2**32."
 *
 * The comparisons are valid while the two numbers are less than 2^31 apart,
 * which is what RFC 7323 §2.3 guarantees by limiting the window to 2^30.
 */
#ifndef TCPREF_STACK_SEQ_H
#define TCPREF_STACK_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from b to a: positive when a is after b. */
static inline int32_t tr_seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static inline bool tr_seq_lt(uint32_t a, uint32_t b) { return tr_seq_diff(a, b) < 0; }
static inline bool tr_seq_le(uint32_t a, uint32_t b) { return tr_seq_diff(a, b) <= 0; }
static inline bool tr_seq_gt(uint32_t a, uint32_t b) { return tr_seq_diff(a, b) > 0; }
static inline bool tr_seq_ge(uint32_t a, uint32_t b) { return tr_seq_diff(a, b) >= 0; }

/* lo <= s < hi, modulo 2^32; an empty range (lo == hi) contains nothing. */
static inline bool tr_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
    return (uint32_t)(s - lo) < (uint32_t)(hi - lo);
}

/* lo <= s <= hi, modulo 2^32. */
static inline bool tr_seq_in_closed(uint32_t s, uint32_t lo, uint32_t hi)
{
    return (uint32_t)(s - lo) <= (uint32_t)(hi - lo);
}

static inline uint32_t tr_seq_max(uint32_t a, uint32_t b) { return tr_seq_gt(a, b) ? a : b; }
static inline uint32_t tr_seq_min(uint32_t a, uint32_t b) { return tr_seq_lt(a, b) ? a : b; }

#endif
