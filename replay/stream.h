/*
 * One direction's byte stream, reassembled from captured segments in
 * sequence order.
 *
 * Offsets are stream offsets: sequence number minus (ISN + 1), so offset 0 is
 * the first data byte (RFC 9293 §3.4: the SYN occupies the ISN). A segment is
 * added with its length from the IP header and the bytes the capture kept
 * (caplen <= len): the stream tracks two sets of ranges, the bytes whose
 * existence is known ("seen") and the bytes whose values are known
 * ("captured"). A retransmission is de-duplicated by sequence number: the
 * first captured copy of a byte wins, and a later copy that carries other
 * bytes is counted (RFC 9293 §3.4: "a sequence number names one octet").
 *
 * Streams are limited to TR_STREAM_MAX bytes: a replay is a test, not a bulk
 * transfer.
 */
#ifndef TCPREF_REPLAY_STREAM_H
#define TCPREF_REPLAY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TR_STREAM_MAX (256u << 20)

/* A sorted set of disjoint half-open ranges [lo, hi). */
struct tr_ranges {
    struct tr_range {
        uint64_t lo, hi;
    } *r;
    size_t n, cap;
};

struct tr_stream {
    uint8_t *data;        /* byte i at data[i]; 0 where not captured */
    uint64_t cap;
    uint64_t end;         /* highest offset seen + 1 (0: nothing seen) */
    struct tr_ranges seen;
    struct tr_ranges captured;
    uint64_t dup_bytes;   /* bytes that arrived again (retransmitted or duplicated) */
    uint64_t differing;   /* of those, bytes whose captured value differed */
    uint64_t first_differing; /* offset of the first such byte (valid when differing) */
};

void tr_stream_init(struct tr_stream *s);
void tr_stream_free(struct tr_stream *s);

/*
 * Adds the segment [off, off + len) of which the first caplen bytes were
 * captured (payload may be NULL when caplen is 0). Returns the number of
 * bytes that were not seen before, or a negative code (TR_ENOMEM, TR_ELIMIT).
 */
int64_t tr_stream_add(struct tr_stream *s, uint64_t off, uint32_t len, const uint8_t *payload,
                      uint32_t caplen);

/* The end of the in-order prefix: every offset below it was seen. */
uint64_t tr_stream_contiguous(const struct tr_stream *s);
/* Whether every byte of [lo, hi) was seen / captured. */
bool tr_stream_seen_all(const struct tr_stream *s, uint64_t lo, uint64_t hi);
bool tr_stream_captured_all(const struct tr_stream *s, uint64_t lo, uint64_t hi);
/* The first range of [0, hi) that was never seen; false when there is none. */
bool tr_stream_first_hole(const struct tr_stream *s, uint64_t hi, uint64_t *lo_out,
                          uint64_t *hi_out);
/* Bytes of [0, hi) seen but not captured (cut by the snapshot length). */
uint64_t tr_stream_uncaptured(const struct tr_stream *s, uint64_t hi);

/* Range sets, exposed for the tests. */
void tr_ranges_free(struct tr_ranges *rs);
int tr_ranges_add(struct tr_ranges *rs, uint64_t lo, uint64_t hi);
/* Bytes of [lo, hi) covered by the set. */
uint64_t tr_ranges_covered(const struct tr_ranges *rs, uint64_t lo, uint64_t hi);

/* FNV-1a, 64 bits (Fowler, Noll, Vo; draft-eastlake-fnv): the digest the
 * replay reports for byte streams. Start with TR_FNV64_INIT. */
#define TR_FNV64_INIT 0xcbf29ce484222325ull
uint64_t tr_fnv64(uint64_t h, const uint8_t *p, size_t n);

#endif
