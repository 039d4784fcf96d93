/*
 * Outcome comparison: the recorded connection against the replayed one.
 *
 * Both are reduced to a struct tr_outcome: byte streams aligned on sequence
 * numbers relative to each side's ISN (streams, not packets), negotiated
 * options, how the connection ended, the state sequence of each endpoint,
 * segment and retransmission counts, and per exchange the think time of the
 * played side and the response time of the peer. tr_compare() sets the
 * verdict:
 *
 *   DIVERGED      the bytes delivered in either direction differ (first
 *                 difference: direction, offset, expected and observed), the
 *                 handshake did not complete, or the end differs (FIN/RST,
 *                 who first; the order of two closes the recording shows
 *                 within the absolute timing tolerance of each other is a
 *                 matter of timing: EQUIVALENT);
 *   EQUIVALENT    same bytes and end, but options, state sequences,
 *                 segmentation, retransmissions or timing differ beyond
 *                 tolerance;
 *   MATCH         same bytes, same end, the rest within tolerance;
 *   INCONCLUSIVE  decided before the run: the recording is incomplete.
 *
 * Tolerances: segment counts within max(1, tol_pct %); times within
 * tol_abs_ns + tol_pct % of the expected value (the profile's timing
 * tolerance).
 */
#ifndef TCPREF_REPLAY_COMPARE_H
#define TCPREF_REPLAY_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tr_rverdict { TR_RV_MATCH = 0, TR_RV_EQUIVALENT, TR_RV_DIVERGED, TR_RV_INCONCLUSIVE };

const char *tr_rverdict_name(enum tr_rverdict v);

/* One direction, named by its sender (0: client). */
struct tr_out_dir {
    const uint8_t *data;   /* len bytes; filler where not captured */
    uint64_t len;
    bool captured;         /* every byte's value is known */
    bool fin, rst;
    uint64_t data_segs;    /* segments carrying new data */
    uint64_t retx_segs, timeouts, fast_retx;
    uint64_t max_seg;
};

struct tr_out_opts {
    bool seen;
    bool has_mss, has_ws, sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
};

enum tr_out_end {
    TR_OUT_OPEN = 0,     /* still open when the capture (or the run) ended */
    TR_OUT_FIN,          /* FIN both ways */
    TR_OUT_HALF,         /* FIN one way */
    TR_OUT_RESET,        /* a RST after the handshake */
    TR_OUT_REFUSED,      /* the SYN was answered by RST */
    TR_OUT_NO_ANSWER,    /* the SYN was never answered */
};

const char *tr_out_end_name(enum tr_out_end e);

#define TR_OUT_MAX_STATES 16

struct tr_exchange {
    int64_t think_ns;      /* played side, -1 unknown */
    int64_t response_ns;   /* peer, -1 none */
};

struct tr_outcome {
    bool established;
    struct tr_out_dir dir[2];
    struct tr_out_opts opts[2];
    enum tr_out_end end;
    int end_by;            /* first to close (FIN or RST), or reset by; -1 */
    int64_t close_ts[2];   /* capture time of each side's FIN (end fin) or RST (end
                              reset); 0: none, or unknown */
    uint8_t states[2][TR_OUT_MAX_STATES]; /* enum tr_state entered, in order */
    uint8_t nstates[2];
    struct tr_exchange *ex;  /* one per write of the plan */
    size_t nex;
};

struct tr_cmp_bytes {
    bool equal;
    bool lengths_only;     /* the recording lacks the bytes' values (snaplen) */
    uint64_t first_diff;   /* when !equal: offset of the first difference */
    uint64_t hash_rec, hash_rep; /* FNV-1a 64 */
};

enum tr_div_kind { TR_DIV_NONE = 0, TR_DIV_HANDSHAKE, TR_DIV_BYTES, TR_DIV_END };

struct tr_divergence {
    enum tr_div_kind kind;
    int dir;               /* bytes: the sender side */
    uint64_t offset;       /* bytes: stream offset */
    char expected[160], observed[160];
};

struct tr_tolerance {
    int64_t abs_ns;
    unsigned pct;
    double scale;          /* think times: recorded x scale (0: asap) */
};

#define TR_CMP_MAX_NOTES 12

struct tr_cmp {
    enum tr_rverdict verdict;
    struct tr_cmp_bytes bytes[2];
    bool opts_equal, end_equal, states_equal[2];
    bool segs_ok[2], retx_equal[2];
    unsigned think_out, response_out; /* exchanges out of tolerance */
    struct tr_divergence div;
    unsigned nnotes;       /* why not MATCH (EQUIVALENT), one line each */
    char notes[TR_CMP_MAX_NOTES][160];
};

/* Compares the replayed outcome with the recorded one. `played` is the side
 * tcpref played (its peer's direction is checked first); side_rtt_ns is
 * added to recorded response times (the capture point's distance to the
 * played side). */
void tr_compare(const struct tr_outcome *rec, const struct tr_outcome *rep, int played,
                const struct tr_tolerance *tol, int64_t side_rtt_ns, struct tr_cmp *out);

/* Byte streams: equality, first difference, hashes. */
void tr_compare_bytes(const struct tr_out_dir *rec, const struct tr_out_dir *rep,
                      struct tr_cmp_bytes *out);

/* Whether measured is within tolerance of expected. */
bool tr_within(int64_t expected, int64_t measured, int64_t abs_ns, unsigned pct);

/* Up to n printable characters of data[off...] ("\n" etc. escaped), quoted,
 * or "end of stream (N bytes)". */
void tr_excerpt(const uint8_t *data, uint64_t len, uint64_t off, char *buf, size_t n);

#endif
