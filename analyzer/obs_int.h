/*
 * Internal to the observer and its checks (analyzer/obs_*.c). Not included
 * by anything outside analyzer/.
 */
#ifndef TCPREF_ANALYZER_OBS_INT_H
#define TCPREF_ANALYZER_OBS_INT_H

#include "analyzer/flowtab.h"
#include "analyzer/observer.h"

#define TR_CHUNK_SHIFT 10
#define TR_CHUNK (1u << TR_CHUNK_SHIFT)

/* Stable-address storage: chunks of TR_CHUNK elements. */
struct tr__chunks {
    void **chunk;
    uint32_t nchunks, cap_chunks, count;
    size_t elem;
};

/* A connection id's record (obs_store.c): where the connection is, and
 * what must be read without unpacking a parked one. */
struct tr__slot {
    struct tr_conn *c;           /* resident, or NULL while parked */
    uint8_t *packed;             /* its packed bytes while parked */
    uint64_t first_frame;
    int64_t last_ts;             /* while parked */
    uint32_t lru_prev, lru_next; /* active connections; lru_next also links free slots */
    uint32_t packed_len;
    uint32_t hash;               /* while parked: its flow hash */
    /* While parked, its flags and end are these, not the packed ones: a
     * connection whose finishing is inert (tr__finish_inert) finishes and
     * retires parked, by changing them alone. */
    uint16_t conn_flags;         /* its TR_CONN_* */
    uint8_t end;                 /* enum tr_end */
    uint8_t finish_end;          /* when inert: its end once finished */
    bool ended;                  /* tr__ended() */
    bool inert;                  /* tr__finish_inert() */
};

struct tr_obs {
    struct tr_obs_config cfg;
    int64_t next_linger;         /* packet time of the next tr_obs_expire_ended */
    int64_t next_park;           /* packet time of the next tr__park_idle */
    struct tr_profile prof;
    uint32_t file;
    struct tr_flowtab tab;
    struct tr__chunks slots;     /* struct tr__slot, by connection id */
    struct tr__chunks conns;     /* struct tr_conn: the pool of resident connections */
    uint32_t pool_free;          /* free list of the pool, linked through tr_conn.id */
    uint32_t resident;           /* connections resident (not parked) */
    uint32_t park_cursor;        /* first connection of the LRU list not parked */
    uint64_t packed_now;         /* bytes of the connections parked now */
    uint32_t finished_parked;    /* tr_obs_finished_parked() */
    uint64_t *tmpl;              /* the first connection parked: the packing's template */
    uint32_t *order;             /* tr_obs_order() */
    uint32_t order_cap;
    struct tr_conn view;         /* tr_obs_conn() of a parked connection */
    int64_t ts_max, ts_back;     /* latest segment time, largest step back from it */
    struct tr__chunks rings;     /* struct tr_txring */
    uint32_t ring_free;          /* free list head, TR_NIL when empty */
    struct tr__chunks findings;  /* struct tr_finding */
    uint32_t finding_free;       /* free list of findings (released connections) */
    uint32_t conn_free;          /* free list of connection slots */
    uint32_t lru_head, lru_tail; /* active connections, least recently used first */
    uint32_t active, records;    /* connections in the table; ended ones kept */
    const struct tr_conn **sorted;
    uint32_t sorted_cap;
    struct tr_input_stats in;
    struct tr_input_stats uncounted; /* where tr_obs_packet_uncounted's decode counts go, unread */
};

/* What every check gets: the segment, its connection, and the endpoints
 * that sent (snd) and receive (rcv) it. Rules are written once over this
 * pair, never per direction. */
struct tr_x {
    struct tr_obs *o;
    struct tr_conn *c;
    const struct tr_seg *s;
    struct tr_ep *snd, *rcv;
    uint8_t dir;            /* index of snd */
    uint32_t seqlen;        /* tr_seg_seqlen(s) */
    bool retx;              /* the segment re-sends sequence space already seen */
    bool ooo;               /* it fills a hole: sent earlier, captured late */
    bool probe;             /* keep-alive or zero-window probe */
    bool unseen_capture;    /* tr__resolve_unseen blamed the capture for an
                               earlier ACK up to unseen_ack */
    uint32_t unseen_ack;
    bool stale;             /* its TSval shows it was sent before the latest
                               statement of its sender: captured reordered */
    bool keepalive;         /* a keep-alive (not a window probe) */
    bool new_fin;           /* the sender's first FIN */
    bool opts_known;        /* the options were captured and well-formed enough to use */
    uint32_t ws;            /* enum tr_wsflag bits of this frame */
};

void *tr__chunks_at(const struct tr__chunks *ch, uint32_t i);
/* Appends a zeroed element; returns its index or TR_NIL when out of memory. */
uint32_t tr__chunks_push(struct tr__chunks *ch);
void tr__chunks_free(struct tr__chunks *ch);

/* a - b, saturated (capture times come from the file: any 64-bit value) */
static inline int64_t tr__since(int64_t a, int64_t b)
{
    int64_t d;
    if (!__builtin_sub_overflow(a, b, &d))
        return d;
    return b < 0 ? INT64_MAX : INT64_MIN;
}

/* ---- connection storage (obs_store.c) ---- */
struct tr__slot *tr__cslot(const struct tr_obs *o, uint32_t id);
/* A new connection id with a zeroed resident struct; TR_NIL when out of memory. */
uint32_t tr__store_new(struct tr_obs *o);
/* The connection, resident (unparked if it was parked). */
struct tr_conn *tr__conn_at(struct tr_obs *o, uint32_t id);
/* The connection, or a copy unpacked into scratch when it is parked. */
const struct tr_conn *tr__conn_view(const struct tr_obs *o, uint32_t id, struct tr_conn *scratch);
int64_t tr__conn_last_ts(const struct tr_obs *o, uint32_t id);
/* The packed form of a connection against a template connection t (the
 * first one the observer parked): tr__conn_pack writes at most
 * tr__conn_pack_max() bytes and returns the length; tr__conn_unpack gives
 * back the struct bit for bit. */
size_t tr__conn_pack(const struct tr_conn *c, const uint64_t *t, uint8_t *out);
void tr__conn_unpack(const uint8_t *in, const uint64_t *t, struct tr_conn *c);
size_t tr__conn_pack_max(void);
/* Packs a resident connection away (not a released one). */
void tr__store_park(struct tr_obs *o, uint32_t id, bool ended);
/* Parks the least recently used connections idle since before now -
 * park_idle_ns while more than park_keep are resident. */
void tr__park_idle(struct tr_obs *o, int64_t now, bool (*ended)(const struct tr_conn *));
void tr__store_free(struct tr_obs *o);
void tr__lru_unlink(struct tr_obs *o, uint32_t id);
void tr__lru_append(struct tr_obs *o, uint32_t id);
void tr__lru_touch(struct tr_obs *o, uint32_t id);

/* ---- findings and transitions (obs_event.c) ---- */
/* Emits a finding at the current segment; args are rule-specific. */
void tr__find(struct tr_x *x, enum tr_rule r, int64_t a0, int64_t a1, int64_t a2, int64_t a3);
void tr__find6(struct tr_x *x, enum tr_rule r, const int64_t args[TR_FINDING_ARGS]);
/* Emits a finding at an explicit frame (for decisions taken later). */
void tr__find_at(struct tr_obs *o, struct tr_conn *c, enum tr_rule r, uint8_t dir, uint64_t frame,
                 int64_t ts, const int64_t args[TR_FINDING_ARGS]);
/* Feeds `ev` to the endpoint's TCB; records the transition when it changes
 * the state. `frame`/`ts` name the segment that caused it. */
bool tr__transition(struct tr_obs *o, struct tr_conn *c, uint8_t ep, enum tr_event ev,
                    uint64_t frame, int64_t ts);
/* Sets an endpoint's starting state (before the capture, or assumed). */
void tr__initial_state(struct tr_conn *c, uint8_t ep, enum tr_state st, bool assumed,
                       uint64_t frame, int64_t ts);

/* ---- the tx ring pool (txring.c) ---- */
struct tr_txring *tr__ring(struct tr_obs *o, struct tr_ep *e);          /* NULL if none */
struct tr_txring *tr__ring_get(struct tr_obs *o, struct tr_ep *e);      /* allocates */
void tr__ring_release_if_idle(struct tr_obs *o, struct tr_ep *e);
void tr__ring_push(struct tr_txring *r, const struct tr_txseg *t);
void tr__ring_ack(struct tr_txring *r, uint32_t ack);                   /* drops acked */
void tr__ring_add_gap(struct tr_txring *r, uint32_t lo, uint32_t hi, int64_t ts,
                      const struct tr_seg *s, bool id_sequential);
void tr__ring_ts_note(struct tr_txring *r, uint32_t tsval, int64_t ts);
bool tr__ring_ts_lookup(const struct tr_txring *r, uint32_t tsval, int64_t *ts);

/* ---- the checks, in the order the observer runs them ---- */
void tr__check_flags_options(struct tr_x *x);   /* obs_options.c */
void tr__syn(struct tr_x *x);                   /* obs_handshake.c: SYN, SYN-ACK */
void tr__third_ack(struct tr_x *x);             /* obs_handshake.c */
void tr__rst(struct tr_x *x);                   /* obs_rst.c */
void tr__check_after_rst(struct tr_x *x);       /* obs_rst.c */
void tr__send(struct tr_x *x);                  /* obs_send.c */
void tr__receive_ack(struct tr_x *x);           /* obs_ack.c */
void tr__receive_fin(struct tr_x *x);           /* obs_ack.c */
void tr__resolve_fin(struct tr_x *x);           /* obs_ack.c */
void tr__finish_fin(struct tr_obs *o, struct tr_conn *c);
void tr__sender_statement(struct tr_x *x);      /* obs_ack.c */
void tr__resolve_pending(struct tr_x *x);       /* obs_handshake.c */
void tr__finish_conn(struct tr_obs *o, struct tr_conn *c);
bool tr__finish_inert(const struct tr_obs *o, const struct tr_conn *c, uint8_t *end); /* obs_end.c */

/* ---- retransmissions and the RTO (obs_rto.c) ---- */
bool tr__loss_evidence(const struct tr_x *x);
enum tr_rtx tr__resend(struct tr_x *x);
void tr__timer_on_send(struct tr_x *x, uint32_t old_max);
void tr__timer_on_ack(struct tr_x *x, struct tr_ep *data_sender);
void tr__sack_info(struct tr_x *x);
void tr__vantage(struct tr_obs *o, struct tr_conn *c);
void tr__note_id(struct tr_x *x);
bool tr__id_earlier(const struct tr_x *x);
bool tr__id_just_below(const struct tr_x *x);
int64_t tr__rack_date(const struct tr_x *x, const struct tr_ep *D, const struct tr_txseg *e);
void tr__rack_advance(struct tr_x *x, struct tr_ep *D, int64_t xmit);
void tr__handshake_samples(struct tr_obs *o, struct tr_conn *c, const struct tr_seg *ack);
void tr__rtt_sample(struct tr_obs *o, struct tr_conn *c, unsigned ep, int64_t capture_rtt);
void tr__stall_check(struct tr_obs *o, struct tr_conn *c, int64_t now);
/* Whether tr__stall_check may find a stall of e at some later time. */
bool tr__stall_may_come(const struct tr_ep *e);
void tr__stall_finish(struct tr_obs *o, struct tr_conn *c, int64_t capture_end);

/* ---- windows (obs_window.c) ---- */
void tr__window_advert(struct tr_x *x, uint32_t wnd, uint32_t right);
void tr__window_raw(struct tr_x *x);
void tr__window_probe(struct tr_x *x);
void tr__window_full(struct tr_x *x);
void tr__sws_sender(struct tr_x *x, bool new_data);
void tr__window_finish(struct tr_obs *o, struct tr_conn *c, int64_t capture_end);

/* ---- helpers ---- */
/* RFC 9293 §3.7.1: "Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize -
 * IPoptionsize". SendMSS is the MSS the peer announced (tcb.snd_mss); MMS_S,
 * the largest message the sender's own side lets it send, shows in the
 * capture only through the MSS the sender announced itself ("the effective
 * MTU minus the fixed IP and TCP headers", same section; a Linux socket with
 * TCP_MAXSEG announces and sends that size). The smaller of the two, before
 * options; 0 when neither is known. */
static inline uint32_t tr__send_mss(const struct tr_ep *S)
{
    uint32_t mss = S->tcb.snd_mss;
    if (S->syn.has_mss && S->syn.mss && (!mss || S->syn.mss < mss))
        mss = S->syn.mss;
    return mss;
}
/* The window an endpoint advertises in s, in bytes; false when its scale is
 * unknown (mid-stream pickup, a SYN missing). */
bool tr__adv_window(const struct tr_ep *e, const struct tr_seg *s, uint32_t *bytes);
/* A sequence number relative to the endpoint's ISN (raw when unknown). */
int64_t tr__rel(const struct tr_ep *e, uint32_t seq);

#endif
