/*
 * A connection as the observer reconstructs it: two endpoints, each with the
 * stack's TCB and what the observer learnt about it from the segments it sent.
 *
 * Endpoint 0 is the client (the sender of the first SYN) when the capture
 * holds the handshake, else the source of the first segment seen (roles
 * unknown). Direction d means "sent by endpoint d".
 *
 * Memory: a connection is a fixed-size struct; the unacknowledged-segment ring
 * of a direction is taken from a pool only while it has data in flight, and
 * findings and state transitions go to an arena shared by all connections,
 * bounded per connection. Nothing is allocated per packet.
 */
#ifndef TCPREF_ANALYZER_CONN_H
#define TCPREF_ANALYZER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/segment.h"
#include "stack/tcb.h"

#define TR_RING_SLOTS 32
#define TR_TSRING_SLOTS 16
#define TR_MAX_GAPS 4
#define TR_NIL UINT32_MAX

/* One transmission (or a run of them merged when the ring was full). */
struct tr_txseg {
    int64_t t_first;      /* capture time of the first transmission */
    int64_t t_last;       /* capture time of the latest transmission */
    uint32_t seq, end;    /* [seq, end) in sequence space, SYN/FIN included */
    uint32_t frame_off;   /* frame of the first transmission - conn first frame */
    uint32_t hash;        /* of the captured payload, when TR_TX_HASHED */
    uint8_t ntx;          /* transmissions seen (saturating) */
    uint8_t flags;        /* TR_TX_* */
};

enum {
    TR_TX_HASHED = 1u << 0, /* hash covers the whole payload */
    TR_TX_MERGED = 1u << 1, /* several segments merged: no RTT sample, no hash */
    TR_TX_SYN = 1u << 2,
    TR_TX_FIN = 1u << 3,
};

/* A hole in an endpoint's sent sequence space: bytes the capture never held. */
struct tr_gap {
    uint32_t lo, hi;
    int64_t ts;        /* when the hole was revealed */
    uint32_t tsval;    /* TSval of the segment that revealed it */
    bool has_tsval;
};

/* The per-direction history that exists only while a direction has data in
 * flight or holes: transmissions not yet acknowledged, holes, and the first
 * capture time of recent TSvals (RFC 7323 §4 RTT measurement). */
struct tr_txring {
    uint32_t head, count;      /* oldest entry, entries used */
    uint32_t next_free;        /* pool free list link */
    uint8_t ngaps;
    uint8_t tsr_head, tsr_count;
    struct tr_txseg e[TR_RING_SLOTS];
    struct tr_gap gaps[TR_MAX_GAPS];
    struct {
        uint32_t tsval;
        int64_t ts;
    } tsr[TR_TSRING_SLOTS];
};

struct tr_dirstats {
    uint64_t pkts, bytes;       /* segments sent; payload bytes (IP-header lengths) */
    uint64_t pure_acks, dup_acks;
    uint64_t retx_segs, retx_bytes;
    uint64_t ooo_segs;
    uint64_t syn, fin, rst;
    uint64_t keepalives, window_probes;
    uint64_t not_captured_bytes; /* holes in this sender's stream */
    uint64_t truncated;          /* segments whose payload the snaplen cut */
};

/* Options one endpoint put on its SYN (or SYN-ACK). */
struct tr_synopts {
    uint16_t mss;
    uint8_t wscale;
    uint8_t has_mss : 1, has_wscale : 1, sack_perm : 1, has_ts : 1, fastopen : 1;
    uint8_t seen : 1;  /* the SYN is in the capture */
    uint8_t known : 1; /* and its options were captured */
};

enum {
    TR_EP_SENT_ANY = 1u << 0,   /* has sent a segment: send sequence base known */
    TR_EP_SYN_SEEN = 1u << 1,   /* its SYN (or SYN-ACK) is in the capture */
    TR_EP_ACK_SEEN = 1u << 2,   /* has sent a segment with ACK */
    TR_EP_SCALE_KNOWN = 1u << 3,/* the scale of the windows it advertises is known */
    TR_EP_RST_SENT = 1u << 4,   /* sent a valid RST */
    TR_EP_HS_ACK_DONE = 1u << 5,/* the handshake's third segment was checked */
    TR_EP_RIGHT_KNOWN = 1u << 6,/* adv_right holds an advertised right edge */
    TR_EP_UNSEEN_PENDING = 1u << 7, /* an ACK covered data it had not been seen to send */
    TR_EP_ISS_INFERRED = 1u << 8,
    TR_EP_FIN_PENDING = 1u << 9,   /* the peer's FIN was sent, its receipt not yet shown */
};

struct tr_ep {
    struct tr_tcb tcb;
    struct tr_dirstats st;
    struct tr_synopts syn;
    uint32_t flags;           /* TR_EP_* */
    uint32_t isn_first;       /* ISN of its first SYN */
    uint32_t highest_ack;     /* the highest ACK it sent: its statement of RCV.NXT */
    uint32_t last_ack;        /* ACK field of its last segment */
    uint32_t adv_right;       /* highest right edge it advertised (ack + window) */
    uint32_t last_win;        /* raw window of its last segment */
    uint32_t dupack_run;
    uint32_t tsval_last;      /* TSval of its latest segment */
    uint32_t unseen_ack;      /* peer's ACK beyond this endpoint's SND.MAX (pending) */
    uint32_t unseen_from;     /* this endpoint's SND.MAX when that ACK was seen */
    uint64_t unseen_frame;
    int64_t unseen_ts;
    uint64_t rst_frame;       /* frame of its valid RST */
    uint64_t fin_rcv_frame;   /* frame of the peer's FIN it has yet to be seen to receive */
    int64_t fin_rcv_ts;
    uint64_t syn_frame;       /* frame of its latest SYN / SYN-ACK */
    int64_t syn_ts;
    uint32_t syn_len;         /* payload bytes on its SYN */
    uint64_t first_syn_frame;
    int64_t first_syn_ts;
    uint64_t last_frame;
    int64_t last_ts;
    uint32_t ring;            /* pool index of its tx ring, or TR_NIL */
    uint8_t last_flags;
    /* RTT measurements taken at the capture point */
    uint64_t rtt_n;
    int64_t rtt_min, rtt_max, rtt_sum;
};

enum tr_roles { TR_ROLES_UNKNOWN = 0, TR_ROLES_KNOWN };

enum tr_end {
    TR_END_OPEN = 0,      /* still open at the end of the capture */
    TR_END_FIN,           /* FIN both ways */
    TR_END_HALF,          /* FIN one way only */
    TR_END_RST,           /* reset by one side */
    TR_END_REFUSED,       /* the SYN was answered with RST */
    TR_END_NO_ANSWER,     /* the SYN was never answered */
    TR_END_SUPERSEDED,    /* a new connection reused the ports */
};

enum {
    TR_CONN_MIDSTREAM = 1u << 0,   /* the capture starts after the handshake */
    TR_CONN_SIMOPEN = 1u << 1,     /* simultaneous open */
    TR_CONN_REUSED = 1u << 2,      /* this connection reused the ports of an earlier one */
    TR_CONN_SYNACK_NOSYN = 1u << 3,/* the SYN-ACK came without a SYN in the capture */
    TR_CONN_SYN_PENDING = 1u << 4, /* synack-without-syn not yet decided */
    TR_CONN_RETIRED = 1u << 5,     /* no longer in the flow table */
    TR_CONN_HS_DONE = 1u << 6,     /* handshake completed */
    TR_CONN_TFO = 1u << 7,         /* Fast Open in use */
};

#define TR_MAX_TRANS 14

/* One state transition of one endpoint. */
struct tr_trans {
    int64_t ts;          /* capture time of the frame that caused it */
    uint32_t frame_off;  /* that frame - conn first frame; UINT32_MAX: before the capture */
    uint8_t ep;
    uint8_t state;       /* enum tr_state entered */
    uint8_t cause;       /* enum tr_event */
    uint8_t assumed;     /* inferred, not seen (mid-stream pickup, initial LISTEN) */
};

struct tr_conn {
    uint32_t id;              /* 0-based, in order of first segment, per file */
    uint32_t file;            /* index of the input file */
    uint64_t first_frame, last_frame;
    int64_t first_ts, last_ts;
    uint8_t addr[2][16];
    uint16_t port[2];
    uint16_t vlan;
    uint8_t ipver;
    uint8_t roles;            /* enum tr_roles */
    uint8_t end;              /* enum tr_end */
    uint8_t end_by;           /* endpoint that reset / was refused */
    uint8_t end_state;        /* its state before the RST */
    uint16_t flags;           /* TR_CONN_* */
    uint64_t end_frame;
    uint64_t hs_ack_frame;    /* segment completing the handshake */
    int64_t hs_ack_ts;
    struct tr_ep ep[2];
    /* findings in the observer's arena, singly linked */
    uint32_t f_head, f_tail;
    uint32_t nfindings, nsuppressed;
    uint16_t ntrans, trans_dropped;
    struct tr_trans trans[TR_MAX_TRANS];
    uint32_t hash;            /* flow hash (shard selection, table) */
};

/* The frame number of a frame offset stored in the connection. */
static inline uint64_t tr_conn_frame(const struct tr_conn *c, uint32_t off)
{
    return c->first_frame + off;
}

static inline bool tr_ep_has(const struct tr_ep *e, uint32_t f) { return (e->flags & f) != 0; }

#endif
