/*
 * The conversation of one TCP connection, as a capture shows it: each
 * endpoint's byte stream in sequence order (retransmissions de-duplicated),
 * where each byte first appeared, how much of the other side's stream the
 * endpoint had acknowledged (delivered) when it sent it, and how it closed.
 *
 * The same collector reads the recording (tr_convo_extract) and the replayed
 * run (fed segment by segment), so both are measured the same way.
 *
 * Side 0 is the client (the sender of the SYN) when the handshake is in the
 * capture, else the sender of the first segment.
 */
#ifndef TCPREF_REPLAY_CONVO_H
#define TCPREF_REPLAY_CONVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/stream.h"
#include "stack/segment.h"

/* A run of stream bytes that first appeared in one segment. */
struct tr_piece {
    uint64_t off, len;
    int64_t ts;           /* capture time of that segment */
    uint64_t frame;
    int64_t delivered;    /* the sender's ACK on it: bytes of the other stream it had
                             received, its FIN counting one more; -1 without ACK */
    uint64_t peer_acked;  /* what the other side had acknowledged of this stream then */
    int64_t peer_last_ts; /* capture time of the other side's latest segment before it */
};

struct tr_cv_side {
    bool syn_seen;        /* its SYN (or SYN-ACK) is in the capture */
    bool base_known;      /* the stream origin is known (from the SYN, else guessed) */
    uint32_t isn;
    struct tr_opts syn;   /* options of its first SYN */
    uint16_t syn_win;
    int64_t syn_ts;
    uint64_t syn_frame;
    struct tr_stream bytes;
    struct tr_piece *pieces; /* in capture order */
    size_t npieces, piececap;
    uint64_t segs, data_segs, new_data_segs, retx_segs, pure_acks;
    uint64_t max_seg;     /* largest payload */
    bool fin;             /* it sent a FIN */
    uint64_t fin_off;     /* stream offset of the FIN */
    int64_t fin_ts, fin_delivered;
    uint64_t fin_frame;
    int64_t fin_acked_ts; /* capture time of the other side's first ACK of the FIN; 0: never */
    bool rst;
    int64_t rst_ts, rst_delivered;
    uint64_t rst_frame;
    int64_t delivered;    /* highest ACK it sent, as above; -1: none */
    int64_t first_ts, last_ts;
    uint64_t bad_checksums;
};

struct tr_convo {
    uint8_t ipver;
    uint8_t addr[2][16];
    uint16_t port[2];
    bool have_tuple;
    bool roles_known;     /* side 0 sent the SYN */
    int64_t hs_syn_ts, hs_synack_ts, hs_ack_ts; /* 0 when not seen */
    uint64_t first_frame, last_frame;
    struct tr_cv_side side[2];
    int err;              /* first error (TR_ENOMEM, TR_ELIMIT), sticky */
};

void tr_convo_init(struct tr_convo *c);
void tr_convo_free(struct tr_convo *c);

/* Fixes the 4-tuple: side 0 is addr[0]:port[0]. Without it, the first
 * segment fixes it (its sender is side 0 unless it is a SYN-ACK). */
void tr_convo_set_tuple(struct tr_convo *c, uint8_t ipver, const uint8_t *a0, uint16_t p0,
                        const uint8_t *a1, uint16_t p1);

/* Feeds one segment; ignores segments of other connections. Returns the side
 * that sent it, or -1. */
int tr_convo_add(struct tr_convo *c, const struct tr_seg *s);

/* Bytes of side d's stream seen so far, its FIN not counted. */
static inline uint64_t tr_convo_len(const struct tr_convo *c, int d)
{
    return c->side[d].bytes.end;
}

/*
 * Capture time at which side d's stream first held every byte below n (and
 * its FIN when eof): the moment "n bytes were delivered" as the capture
 * shows it. Returns -1 when it never did.
 */
int64_t tr_convo_reached(const struct tr_convo *c, int d, uint64_t n, bool eof);
/* The piece of side d that first carried byte `off`; NULL if none did. */
const struct tr_piece *tr_convo_piece_at(const struct tr_convo *c, int d, uint64_t off);
/* Capture time of the first appearance of byte `off` of side d; -1 if never. */
int64_t tr_convo_byte_ts(const struct tr_convo *c, int d, uint64_t off);
/* Capture time of the first piece of side d at an offset >= off that appeared
 * after time t; -1 if none. */
int64_t tr_convo_next_data_ts(const struct tr_convo *c, int d, uint64_t off, int64_t t);

/* Why a recording cannot be judged, if it cannot (empty string otherwise). */
bool tr_convo_incomplete(const struct tr_convo *c, char *why, size_t n);

#endif
