/*
 * Internal to the active endpoint (stack/endpoint*.c). Nothing outside
 * those files includes it.
 *
 * The files, in the order a segment meets them:
 *   endpoint.c        the API: open, SEND, RECEIVE, CLOSE, ABORT, state changes
 *   endpoint_in.c     SEGMENT ARRIVES (RFC 9293 §3.10.7), step by step
 *   endpoint_ack.c    the ACK field: SND.UNA, RTT samples (RFC 6298 §3, Karn;
 *                     RFC 7323 §4), the retransmission and persist timers
 *   endpoint_cc.c     congestion control (RFC 5681, RFC 6582)
 *   endpoint_rcv.c    the segment text and FIN, the out-of-order queue, SACK
 *                     blocks, ACK scheduling and the advertised window
 *   endpoint_out.c    what to send next, and the segment that carries it
 *   endpoint_timer.c  timer expiry
 *
 * Sequence variables: e->tcb.snd_nxt is always the highest sequence number
 * sent so far (the same as snd_max, which tr_tcb_classify_ack and
 * tr_tcb_window_update compare with). Retransmission does not rewind it:
 * e->snd_ptr is the next octet to put on the wire, below SND.NXT while data
 * is being sent again after a timeout (go-back-N, as BSD rewinds snd_nxt).
 */
#ifndef TCPREF_STACK_ENDPOINT_INT_H
#define TCPREF_STACK_ENDPOINT_INT_H

#include "stack/endpoint.h"
#include "stack/ringbuf.h"

enum tr__ep_timer {
    TR__T_RTX = 0,   /* RFC 6298 §5 retransmission (and SYN) timer */
    TR__T_PERSIST,   /* RFC 9293 §3.8.6.1 zero-window probes; SWS override */
    TR__T_DELACK,    /* RFC 9293 §3.8.6.3 delayed ACK */
    TR__T_TIME_WAIT, /* 2 MSL */
    TR__T_COUNT,
};

/* What the next calls to tr_endpoint_output() owe the wire. */
enum {
    TR__OUT_ACK = 1u << 0,   /* an ACK now */
    TR__OUT_SYN = 1u << 1,   /* the SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) */
    TR__OUT_RST = 1u << 2,   /* the RST in e->rst */
    TR__OUT_HEAD = 1u << 3,  /* the segment at SND.UNA again (timeout, fast retransmit) */
    TR__OUT_PROBE = 1u << 4, /* the persist timer expired */
};

#define TR__OOO_MAX 64   /* out-of-order ranges held */
#define TR__TX_MAX 1024  /* transmissions remembered for RTT samples */

/* Out-of-order data held beyond RCV.NXT; stamp orders them by arrival. */
struct tr__range {
    uint32_t left, right, stamp;
};

/* One transmission not yet acknowledged: its range, first send time, and
 * how often it was sent (Karn: more than once, no RTT sample). */
struct tr__tx {
    uint32_t seq, end;
    int64_t t_first;
    uint8_t ntx;
};

struct tr_endpoint {
    struct tr_endpoint_config cfg; /* defaults filled in */
    const struct tr_profile *prof;
    struct tr_tcb tcb;
    struct tr_opts syn_sent;       /* options of the SYN or SYN-ACK we sent */
    uint16_t remote_port;
    uint8_t ipver;
    uint8_t err;                   /* enum tr_endpoint_error */
    unsigned out;                  /* TR__OUT_* */
    struct {
        uint32_t seq, ack;
        uint16_t dport;
        uint8_t flags;
    } rst;
    int64_t timer[TR__T_COUNT];    /* absolute ns; 0: stopped */
    uint32_t ntimeouts;            /* consecutive timeouts of the same data */
    int64_t syn_sent_at;           /* first transmission of our SYN or SYN-ACK */
    int64_t syn_last_at;           /* latest one */
    uint32_t syn_ntx;              /* transmissions of our SYN or SYN-ACK */

    /* sending */
    struct tr_ring snd;            /* from snd_base: unacknowledged, then unsent data */
    uint32_t snd_base;             /* sequence number of snd's first byte */
    uint32_t snd_ptr;              /* next octet to put on the wire */
    bool fin_queued;               /* CLOSE was called: a FIN follows the data */
    bool in_recovery;              /* RFC 6582 fast recovery */
    uint16_t last_peer_win;        /* raw window of the peer's last ACK */
    uint32_t sack_high;            /* highest right edge of a SACK block received */
    uint32_t cwnd, ssthresh, recover, dupacks;
    int64_t last_send;             /* latest transmission of data */
    int64_t persist_ns;            /* current persist interval */
    struct tr__tx *tx;
    uint32_t tx_head, tx_count;

    /* receiving */
    struct tr_ring rcv;            /* in-order bytes not read yet; out-of-order beyond */
    uint32_t rcv_user;             /* sequence number of rcv's first byte */
    uint32_t rcv_adv;              /* highest right edge advertised (SHLD-14) */
    uint32_t ooo_stamp;
    uint32_t unacked_segs;         /* data segments taken since our last ACK */
    uint32_t fin_rcv_seq;          /* where a FIN beyond a hole sits */
    bool fin_ooo;
    uint8_t nooo;
    struct tr__range ooo[TR__OOO_MAX];

    struct tr_endpoint_stats st;
};

/* ---- endpoint.c ---- */
/* Applies a state machine event and what entering the new state implies. */
void tr__ep_event(struct tr_endpoint *e, enum tr_event ev, int64_t now);
/* A RST to send: <SEQ=seq><ACK=ack><CTL=flags> to port dport. */
void tr__ep_queue_rst(struct tr_endpoint *e, uint32_t seq, uint32_t ack, uint8_t flags,
                      uint16_t dport);
/* The connection is gone through `ev` (RST, ABORT, timeout): CLOSED, or
 * LISTEN again, with `err` for the user. */
void tr__ep_drop(struct tr_endpoint *e, enum tr_event ev, enum tr_endpoint_error err, int64_t now);
/* RFC 5681 SMSS: the largest payload of a data segment (the peer's MSS less
 * the timestamp option every segment carries, RFC 9293 §3.7.1). */
uint32_t tr__ep_smss(const struct tr_endpoint *e);
/* The right edge of the send window: SEG.WND is relative to the SEG.ACK it
 * came with, kept as SND.WL2 (RFC 9293 §3.10.7.4). SND.UNA + SND.WND would
 * overshoot what the peer offered whenever an ACK advanced SND.UNA but
 * failed the SND.WL1/SND.WL2 test (a re-sent segment with an old SEQ). */
static inline uint32_t tr__ep_snd_edge(const struct tr_endpoint *e)
{
    return e->tcb.snd_wl2 + e->tcb.snd_wnd;
}
/* Sequence number just past the queued data. */
static inline uint32_t tr__ep_data_end(const struct tr_endpoint *e)
{
    return e->snd_base + e->snd.len;
}
/* RFC 7323 §3: TSval from the clock, in milliseconds, plus the offset. */
static inline uint32_t tr__ep_tsval(const struct tr_endpoint *e, int64_t now)
{
    return (uint32_t)(now / 1000000) + e->cfg.ts_offset;
}
static inline void tr__ep_timer_set(struct tr_endpoint *e, enum tr__ep_timer t, int64_t at)
{
    e->timer[t] = at ? at : 1;
}
static inline void tr__ep_timer_stop(struct tr_endpoint *e, enum tr__ep_timer t) { e->timer[t] = 0; }

/* ---- endpoint_ack.c ---- */
/* §3.10.7.4 fifth, synchronized states; false when the segment is dropped. */
bool tr__ep_ack(struct tr_endpoint *e, const struct tr_seg *s, int64_t now);
/* Our SYN (or SYN-ACK) is acknowledged: its RTT sample (Karn: sent once). */
void tr__ep_syn_acked(struct tr_endpoint *e, int64_t now);
/* A segment carrying [seq, end) goes out: the record for RTT samples and
 * the RFC 6298 §5.1 timer. */
void tr__ep_sent(struct tr_endpoint *e, uint32_t seq, uint32_t end, int64_t now);
/* RFC 9293 §3.8.6.1: start the persist timer when queued data waits for the
 * window and nothing is outstanding. */
void tr__ep_persist_arm(struct tr_endpoint *e, int64_t now);

/* ---- endpoint_cc.c ---- */
void tr__ep_cc_init(struct tr_endpoint *e);
void tr__ep_cc_ack(struct tr_endpoint *e, uint32_t acked, int64_t now);
/* A duplicate ACK; true when it triggers fast retransmit. */
bool tr__ep_cc_dupack(struct tr_endpoint *e);
void tr__ep_cc_timeout(struct tr_endpoint *e);
void tr__ep_cc_idle(struct tr_endpoint *e, int64_t now);

/* ---- endpoint_rcv.c ---- */
/* Keeps tcb.rcv_wnd equal to the window last advertised (RCV.WND). */
void tr__ep_rcv_sync(struct tr_endpoint *e);
/* §3.10.7.4 seventh and eighth: text in [seq, seq + len), payload bytes
 * from s->payload + off (already trimmed to the window), and a FIN after it. */
void tr__ep_rcv_text(struct tr_endpoint *e, const struct tr_seg *s, uint32_t off, uint32_t seq,
                     uint32_t len, bool fin, int64_t now);
/* The window field of the next non-SYN segment; `commit` records it as
 * advertised. */
uint16_t tr__ep_rcv_window(struct tr_endpoint *e, bool commit);
/* The application read: a window update is due when the window opens by
 * the RFC 9293 §3.8.6.2.2 threshold. */
void tr__ep_rcv_read(struct tr_endpoint *e);
/* Up to `max` SACK blocks, the most recently received first (RFC 2018 §4). */
uint8_t tr__ep_sack_blocks(const struct tr_endpoint *e, struct tr_sack_block *b, uint8_t max);

/* ---- endpoint_timer.c ---- */
void tr__ep_rtx_restart(struct tr_endpoint *e, int64_t now);

#endif
