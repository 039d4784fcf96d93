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
    uint16_t ip_id;    /* its IPv4 identification */
    bool has_tsval;
    bool has_id;       /* the sender numbered its packets in sequence then */
    bool ack_reported; /* an ACK over it was reported: one finding per hole */
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

/* How a segment that re-sends sequence space came about. */
enum tr_rtx {
    TR_RTX_RTO = 0,       /* the retransmission timer expired (RFC 6298 §5.4) */
    TR_RTX_RTO_RECOVERY,  /* later re-sends of the same loss episode after a timeout */
    TR_RTX_FAST,          /* fast retransmit after duplicate ACKs or SACK (RFC 5681, 6675) */
    TR_RTX_SACK_RECOVERY, /* other holes re-sent during SACK loss recovery (RFC 6675) */
    TR_RTX_TLP,           /* tail loss probe (RFC 8985 §7) */
    TR_RTX_SPURIOUS,      /* all of it had already been acknowledged */
    TR_RTX_SYN_ANSWER,    /* a SYN-ACK re-sent at once for a duplicate SYN */
    TR_RTX_WINDOW,        /* data the receiver dropped beyond its window, sent again as
                             the window reopens (RFC 9293 §3.8.6, SHLD-16) */
    TR_RTX_OTHER,
    TR_RTX_COUNT,
};

/* What identifies one IP packet of a sender, to recognise copies of it. */
struct tr_pktsig {
    int64_t ts;
    uint64_t frame_hint;  /* the frame of the original */
    uint32_t seq, ack, tsval, len, sack;
    uint16_t ip_id, win;
    uint8_t flags, valid;
};

struct tr_dirstats {
    uint64_t bytes;             /* payload bytes (IP-header lengths) */
    uint64_t retx_bytes;
    uint32_t pkts;              /* segments sent */
    uint32_t pure_acks, dup_acks;
    uint32_t retx_segs;
    uint32_t seq_segs;          /* segments carrying sequence space (data, SYN, FIN), copies excluded */
    uint32_t ooo_segs;
    uint32_t syn, fin, rst;
    uint32_t keepalives, window_probes;
    uint32_t not_captured_bytes; /* holes in this sender's stream */
    uint32_t truncated;          /* segments whose payload the snaplen cut */
    uint32_t rtx[TR_RTX_COUNT];  /* re-sends by kind */
    uint32_t dsack;              /* D-SACK blocks received: data it sent twice (RFC 2883) */
    uint32_t duplicates;         /* copies of its packets made by the network or the capture */
    /* windows it advertised */
    uint32_t zero_windows, window_updates, window_full;
    uint32_t max_window;         /* largest advertised window, bytes (0: unknown) */
    int64_t zero_window_ns;      /* time spent at zero window */
    /* ACKs it sent that acknowledged new data (RFC 9293 §3.8.6.3) */
    uint32_t acks_new, acks_piggybacked, stretch_acks;
    uint32_t ack_delay_hist[7];  /* <1ms <10 <40 <100 <200 <500 >=500 ms */
    int64_t ack_delay_max;
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
    TR_EP_SACK_HIGH = 1u << 10,    /* sack_high is valid */
    TR_EP_FALLBACK_DONE = 1u << 11,/* RFC 6298 §5.7 applied */
    TR_EP_SMALL_PENDING = 1u << 12,/* small_frame holds a small segment */
    TR_EP_KEEPALIVE_LAST = 1u << 13, /* its last segment was a keep-alive */
    TR_EP_PROBE_LAST = 1u << 14,   /* its last segment was a zero-window probe */
    TR_EP_BASE_FROM_ACK = 1u << 15,/* its send base came from the peer's ACK, not its own segment */
    TR_EP_BEYOND = 1u << 16,       /* beyond_high is valid */
    TR_EP_HOLE_SIGNALLED = 1u << 17, /* it repeated its ACK (or SACKed) since it last acked new data */
    TR_EP_SYN_TS_FIRST = 1u << 18, /* its first SYN / SYN-ACK of this attempt carried TSopt: syn_tsval_first */
    TR_EP_SYN_TS_LAST = 1u << 19,  /* its latest SYN / SYN-ACK carried TSopt: syn_tsval, syn_tsecr */
    TR_EP_FULL_VARIED = 1u << 20,  /* its full segment changed with its options (SACK blocks) */
    TR_EP_LAST_FULL = 1u << 21,    /* its latest new data filled a full segment */
    TR_EP_TSVAL_KNOWN = 1u << 22,  /* tsval_last is valid */
    TR_EP_STALE_LAST = 1u << 23,   /* its latest data segment re-sent data the capture had seen
                                      acknowledged: it acted on ACKs it had not processed (or had
                                      not received), at least stale_lag_us after the capture saw
                                      them */
    TR_EP_DATA_RTT = 1u << 24,     /* it has an RTT sample from data, not only the handshake's */
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
    uint32_t tsval_last;      /* the highest TSval it sent (TR_EP_TSVAL_KNOWN) */
    uint32_t unseen_ack;      /* peer's ACK beyond this endpoint's SND.MAX (pending) */
    uint32_t unseen_from;     /* this endpoint's SND.MAX when that ACK was seen */
    uint32_t stale_lag_us;    /* see TR_EP_STALE_LAST */
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
    int64_t syn_answer_ts;    /* its first SYN-ACK after the peer's latest SYN (the answer to it) */
    uint32_t syn_tsval_first; /* TSval of its first SYN / SYN-ACK (TR_EP_SYN_TS_FIRST) */
    uint32_t syn_tsval;       /* TSval and TSecr of its latest SYN / SYN-ACK (TR_EP_SYN_TS_LAST) */
    uint32_t syn_tsecr;
    uint64_t last_frame;
    int64_t last_ts;
    uint32_t ring;            /* pool index of its tx ring, or TR_NIL */
    uint8_t last_flags;
    /* RTT measurements (capture-point sample + the capture's round trip to
     * this endpoint, when the handshake gave it) */
    uint64_t rtt_n;
    int64_t rtt_min, rtt_max, rtt_sum;
    /* RFC 6298 §5 retransmission timer, as this endpoint runs it */
    int64_t timer_start;      /* capture time it was last (re)started; 0: not running */
    int64_t timer_late;       /* the latest repeat of the ACK that restarted it: if the first
                                 was lost after the capture, the sender restarted it then */
    int64_t last_tx_ts;       /* its latest transmission of data */
    int64_t last_timeout;     /* observed timeout of its latest RTO retransmission */
    int64_t last_rtx_ts;      /* its latest re-send */
    int64_t dupack_ts;        /* its latest duplicate ACK */
    int64_t sack_ts;          /* the latest SACK information about its data */
    int64_t rack_xmit_ts;     /* RFC 8985 §6.2 RACK.xmit_ts: its latest transmission the peer
                                 is known to have received (0: none yet) */
    int64_t rack_seen_ts;     /* capture time of the ACK that showed it */
    int64_t resent_acked_ts;  /* the latest ACK that acknowledged data it had re-sent, */
    uint32_t resent_acked_una;/* and the SND.UNA it left */
    uint32_t resent_high;     /* the highest end of data it re-sent (st.retx_segs > 0) */
    uint32_t last_rtx_end;    /* the end of its latest re-send (st.retx_segs > 0) */
    uint32_t recovery_point;  /* SND.MAX when loss recovery began */
    uint32_t sack_high;       /* highest octet the peer SACKed above SND.UNA */
    uint32_t beyond_low, beyond_high; /* data it sent beyond the peer's window */
    uint32_t tlp_end;         /* SND.MAX when its tail loss probe went out */
    uint32_t doubt_end;       /* see ack_doubt */
    uint32_t hole_until;      /* as a receiver: the peer's SND.MAX when it last repeated its
                                 ACK; ACKs up to it may cover data held out of order */
    uint8_t recovery;         /* 0 none, 1 fast/SACK, 2 after a timeout */
    uint8_t ntimeouts;        /* consecutive timeouts of the same data */
    uint8_t tlp_out;          /* a tail loss probe is outstanding */
    uint8_t stall;            /* a stall was reported for this timer run */
    uint8_t ack_doubt;        /* it re-sent data the capture saw acknowledged, away from the
                                 capture point: that ACK may have been lost after it, so the
                                 timer's start is unknown until a new ACK passes doubt_end */
    uint8_t timer_on;         /* the timer runs: timer_start is valid */
    uint8_t zw_on;            /* a zero-window episode is open: zw_start is valid */
    /* zero-window episode it advertised, and the peer's probes into it */
    int64_t zw_start;         /* 0: window open */
    uint64_t zw_frame;
    int64_t probe_last, probe_gap;
    uint32_t probe_n;
    /* the latest small new-data segment (sender silly window syndrome) */
    uint64_t small_frame;
    uint32_t small_end, small_len;
    /* data segments received since it last acknowledged new data */
    uint32_t full_since_ack;
    struct tr_pktsig sig[2];  /* its two latest distinct packets */
    uint16_t id_last;         /* IPv4 identification of its latest packet */
    uint8_t id_run;           /* how many packets in a row numbered it + 1..+64 */
    uint16_t full_lo;         /* the smallest full segment its headers allowed (0: none yet) */
    uint16_t small_full;      /* the full segment small_len fell short of */
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
    TR_CONN_CLOSE_SENT = 1u << 8,  /* the conn_close hook ran */
    TR_CONN_RELEASED = 1u << 9,    /* its slot is free; only its totals remain */
    TR_CONN_EVICTED = 1u << 10,    /* closed out by the connection limit */
    TR_CONN_RTO_UNKNOWN = 1u << 11,/* capture.rto-unknown was reported */
    TR_CONN_EXPIRED = 1u << 12,    /* closed out after the idle timeout */
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
    /* round trip between the capture point and each endpoint, from the
     * handshake (SYN-ACK to ACK for the client, SYN to SYN-ACK for the
     * server): where the capture was taken */
    int64_t side_rtt[2];
    bool side_known;
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
