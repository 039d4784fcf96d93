/*
 * The replay plan: the played side's recorded payload as application writes,
 * each in the recorded order relative to the peer's data, and its close.
 *
 * Write k is issued once the peer has delivered as many bytes (and its FIN,
 * when it had) as the played side had received before write k in the
 * recording, plus the recorded think time, scaled. "Received before write
 * k" is the ACK field of the segment that carried write k's first byte:
 * RCV.NXT at that moment, wherever the capture was taken.
 *
 * Pieces of the played stream become one write while the trigger stays the
 * same and the sender did not pause: a new write starts when the trigger
 * grows, or when the sender had nothing unacknowledged, stayed silent for
 * longer than the split gap (max(5 ms, 2 x handshake RTT)), and did not
 * just react to a segment of the peer (an ACK or a window update within the
 * gap): the application, not the window or the ACK clock, held it back.
 */
#ifndef TCPREF_REPLAY_PLAN_H
#define TCPREF_REPLAY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/convo.h"

struct tr_trigger {
    uint64_t bytes;   /* peer bytes delivered */
    bool eof;         /* and the peer's FIN */
};

struct tr_write {
    uint64_t off, len;      /* range of the played stream */
    struct tr_trigger trig;
    int64_t think_ns;       /* recorded: from the trigger (or the previous write) to the write */
    int64_t ts;             /* capture time of its first byte */
    uint64_t frame;
};

enum tr_close_kind { TR_CLOSE_NONE = 0, TR_CLOSE_FIN, TR_CLOSE_RST };

struct tr_plan {
    int played;             /* side of the convo played by tcpref (0: client) */
    struct tr_write *w;
    size_t nw;
    uint8_t *payload;       /* the played stream, filler where not captured */
    uint64_t len;
    uint64_t filler;        /* bytes not captured, replaced by TR_PLAN_FILLER */
    enum tr_close_kind close;
    struct tr_trigger close_trig;
    int64_t close_think_ns;
    bool refused;           /* the server answered the SYN with RST (no listener) */
    int64_t split_gap_ns;
    int64_t side_rtt_ns;    /* subtracted from think times (capture point to played side) */
};

#define TR_PLAN_FILLER 'X'

/*
 * Builds the plan of side `played` from a complete recording. side_rtt_ns is
 * the round trip between the capture point and the played side (0 when the
 * capture was taken there, or unknown). Returns 0 or a negative code.
 */
int tr_plan_build(struct tr_plan *p, const struct tr_convo *c, int played, int64_t side_rtt_ns);
void tr_plan_free(struct tr_plan *p);

/* The trigger a delivered count (ACK field, FIN counting one) stands for,
 * given the peer's FIN offset (fin false: no FIN). */
struct tr_trigger tr_plan_trigger(int64_t delivered, bool fin, uint64_t fin_off);

/* Think time of a write at [off, ...) with trigger t in convo c, where the
 * previous write's first byte appeared at prev_ts (0: none): the time from
 * the later of the trigger and the previous write to the write's first byte,
 * minus side_rtt_ns, never negative. -1 when the capture cannot tell. */
int64_t tr_plan_think(const struct tr_convo *c, int played, uint64_t off, struct tr_trigger t,
                      int64_t prev_ts, int64_t side_rtt_ns);

#endif
