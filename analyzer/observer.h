/*
 * The observer: the passive driver of the reference stack.
 *
 * It finds the connection of each segment in O(1), feeds the segment to the
 * sender's and the receiver's TCB, and runs the checks of the rule catalog
 * over the (sender, receiver) pair; every difference from what a conforming
 * endpoint may do is a finding. One observer analyzes one capture file (or
 * one shard of it: connections whose flow hash falls in shard K of N).
 */
#ifndef TCPREF_ANALYZER_OBSERVER_H
#define TCPREF_ANALYZER_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/conn.h"
#include "analyzer/decode.h"
#include "analyzer/rules.h"
#include "analyzer/source.h"
#include "stack/profile.h"

#define TR_DIR_NONE 0xff

#define TR_FINDING_ARGS 6

struct tr_finding {
    uint64_t frame;
    int64_t ts;
    int64_t arg[TR_FINDING_ARGS];
    uint32_t next;     /* arena index of the connection's next finding */
    uint32_t repeat;   /* later instances of the same rule folded into this one */
    uint16_t rule;     /* enum tr_rule */
    uint8_t dir;       /* sender endpoint of the segment, or TR_DIR_NONE */
    uint8_t pad;
};

/* Counts over the whole input, independent of connections. */
struct tr_input_stats {
    uint64_t packets;
    uint64_t tcp;
    uint64_t by_dec[TR_DEC_COUNT];   /* packets per decode outcome */
    uint64_t snaplen_cut;            /* packets with caplen < origlen */
    uint64_t payload_cut;            /* TCP segments whose payload was cut */
    uint64_t opts_cut;               /* TCP segments whose options were cut */
    uint64_t iplen_zero;             /* IP length 0 (TSO capture) */
    uint64_t iplen_beyond;           /* IP length beyond the frame's original length */
    uint64_t bad_checksum;
    uint64_t other_shard;            /* TCP segments left to other shards */
    uint64_t conns_dropped;          /* connections not tracked (out of memory) */
    uint64_t pkts_untracked;         /* their segments */
    uint64_t conns_evicted;          /* closed out to stay under max_conns */
    uint64_t conns_expired;          /* closed out after idle_timeout */
    uint64_t conns_released;         /* released after they ended: totals only */
    uint64_t released_by_rule[TR_RULE_COUNT]; /* findings of released connections */
    int64_t first_ts, last_ts;       /* earliest and latest timestamps */
    int64_t first_pkt_ts;            /* timestamp of frame 1: times are relative to it */
    uint32_t linktypes[8];           /* distinct link types seen */
    uint8_t nlinktypes;
    uint64_t first_dec_frame[TR_DEC_COUNT]; /* first frame of each decode outcome */
    uint64_t first_dec_offset[TR_DEC_COUNT]; /* its byte offset in the file */
    const char *first_dec_reason[TR_DEC_COUNT];
};

/* Per-frame flags in Wireshark's vocabulary (tcp.analysis.*), for
 * `analyze --format wsflags`: tcpref's own verdicts, named as Wireshark
 * names them (docs/wireshark.md). */
enum tr_wsflag {
    TR_WS_RETRANSMISSION = 1u << 0,
    TR_WS_FAST_RETRANSMISSION = 1u << 1,
    TR_WS_SPURIOUS_RETRANSMISSION = 1u << 2,
    TR_WS_OUT_OF_ORDER = 1u << 3,
    TR_WS_LOST_SEGMENT = 1u << 4,
    TR_WS_ACK_LOST_SEGMENT = 1u << 5,
    TR_WS_DUPLICATE_ACK = 1u << 6,
    TR_WS_ZERO_WINDOW = 1u << 7,
    TR_WS_ZERO_WINDOW_PROBE = 1u << 8,
    TR_WS_ZERO_WINDOW_PROBE_ACK = 1u << 9,
    TR_WS_WINDOW_FULL = 1u << 10,
    TR_WS_WINDOW_UPDATE = 1u << 11,
    TR_WS_KEEP_ALIVE = 1u << 12,
    TR_WS_KEEP_ALIVE_ACK = 1u << 13,
    TR_WS_REUSED_PORTS = 1u << 14,
    TR_WS_COUNT = 15,
};

/* "retransmission", "fast_retransmission", ... for bit i. */
const char *tr_wsflag_name(unsigned bit);

/* Streaming hooks (live mode, wsflags); all optional. */
struct tr_obs_hooks {
    void *ctx;
    void (*frame_flags)(void *ctx, const struct tr_conn *c, uint64_t frame, uint32_t wsflags);
    void (*finding)(void *ctx, const struct tr_conn *c, const struct tr_finding *f);
    void (*conn_open)(void *ctx, const struct tr_conn *c);
    void (*conn_close)(void *ctx, const struct tr_conn *c);
};

/* Limits a rules file sets (tcpref check --rules; docs/check.md): each,
 * when on, is checked as its threshold.* rule. */
struct tr_thresholds {
    bool retx_on, zero_window_on, timeouts_on, handshake_rtt_on;
    uint32_t retx_bp;          /* retransmitted data segments, basis points (1/100 %) */
    int64_t zero_window_ns;    /* longest zero-window episode */
    uint32_t timeouts;         /* retransmission timeouts per endpoint */
    int64_t handshake_rtt_ns;  /* first SYN to the completing ACK */
};

struct tr_obs_config {
    const struct tr_profile *profile;
    bool verify_checksums;
    bool vlan_in_key;           /* default true */
    uint32_t shard_k, shard_n;  /* analyze shard k of n (tr_shard_of; n = 0 or 1: everything) */
    uint64_t part_lo, part_hi;  /* part_hi > 0: within that shard, follow only the connections
                                   whose position in it (tr_shard_pos) is in [part_lo,
                                   part_hi) of 2^32 (one process's part of the run:
                                   analysis.c); the others' segments are passed over
                                   without a count */
    uint32_t max_findings;      /* per connection; default 256 */
    uint32_t max_per_rule;      /* per connection and rule; default 16 */
    uint32_t max_conns;         /* connections tracked at once; past it the least recently
                                   active one is closed out (evicted); 0 = unlimited */
    uint32_t max_records;       /* ended connections kept for the report; past it they are
                                   released, their findings counted; 0 = unlimited */
    bool release_closed;        /* release every connection once closed (live mode: the
                                   conn_close hook has written it out) */
    int64_t linger_ns;          /* an ended connection (both sides CLOSED or TIME-WAIT, or
                                   reset) leaves the flow table after this long without a
                                   segment, by packet time (tr_obs_packet); a later segment
                                   of its ports starts a new connection. 0: 10 s; < 0: never */
    int64_t stop_after_ns;      /* ignore packets after this time (0: none) */
    bool stop_relative;         /* stop_after_ns counts from the first frame's time */
    struct tr_thresholds th;
    struct tr_obs_hooks hooks;
    /* Memory (analyzer/obs_store.c): past park_keep resident connections,
     * those idle for park_idle_ns of capture time are packed away until a
     * segment or the report needs them (lossless). 0: never. Connection
     * pointers the observer hands out (tr_obs_sorted, tr_obs_conn) then
     * stay valid only until the next call into it. */
    int64_t park_idle_ns;
    uint32_t park_keep;
};

/* The shard of flow hash h (tr_flow_hash) among n: floor(h * n / 2^32).
 * Shards are ranges of the hash, so shard K of N is exactly shards
 * K*W .. K*W+W-1 of N*W: a run's own shard splits among its threads. */
static inline uint32_t tr_shard_of(uint32_t h, uint32_t n) { return (uint32_t)(((uint64_t)h * n) >> 32); }
/* Where h lies within its shard of n, in 2^32ths of the shard. */
static inline uint32_t tr_shard_pos(uint32_t h, uint32_t n) { return (uint32_t)((uint64_t)h * (n > 1 ? n : 1)); }
/* Whether the connections of flow hash h are in cfg's shard (shard_k of
 * shard_n), and, within it, in its part (part_lo/part_hi). */
static inline bool tr_cfg_in_shard(const struct tr_obs_config *cfg, uint32_t h)
{
    return cfg->shard_n <= 1 || tr_shard_of(h, cfg->shard_n) == cfg->shard_k;
}
static inline bool tr_cfg_in_part(const struct tr_obs_config *cfg, uint32_t h)
{
    uint32_t pos = tr_shard_pos(h, cfg->shard_n);
    return !cfg->part_hi || (pos >= cfg->part_lo && pos < cfg->part_hi);
}

struct tr_obs;

int tr_obs_new(struct tr_obs **out, const struct tr_obs_config *cfg, uint32_t file_index);
void tr_obs_free(struct tr_obs *o);

/* Decodes and observes one captured packet. */
void tr_obs_packet(struct tr_obs *o, const struct tr_pkt *pkt);
/* The same, leaving the decode counters of the input (tr_input_stats:
 * by_dec, tcp, payload_cut, ...) to another observer that counts the
 * packet (a process of a split run other than the first). Not with
 * stop_after_ns. */
void tr_obs_packet_uncounted(struct tr_obs *o, const struct tr_pkt *pkt);
/* Observes one decoded segment (tests and fuzzing feed segments directly). */
void tr_obs_segment(struct tr_obs *o, const struct tr_seg *seg);
/* The same with its flow hash (tr_flow_hash) already computed. */
void tr_obs_segment_hashed(struct tr_obs *o, const struct tr_seg *seg, uint32_t hash);

/* tr_obs_packet in two halves, for a reader thread that feeds observers of
 * other threads (analyzer/analysis.c). The front half decodes the packet
 * and keeps the input counters; it says what the connection's observer must
 * do: run the periodic pass at the packet's time first when *tick is not 0
 * (tr_obs_tick with that value), then take the segment (tr_obs_segment) or
 * the TCP header the snaplen cut (tr_obs_truncated, cut = captured bytes of
 * it). That observer must see the front's in.last_ts as it was then
 * (tr_obs_set_last_ts). */
enum tr_front { TR_FRONT_NONE = 0, TR_FRONT_SEGMENT, TR_FRONT_TRUNCATED };
/* What a periodic pass does, in capture time: parks connections idle for
 * park_idle_ns, four times a second (obs_store.c), and retires the ended
 * connections that lingered, once a second. */
enum { TR_TICK_PARK = 1u << 0, TR_TICK_EXPIRE = 1u << 1 };
enum tr_front tr_obs_front(struct tr_obs *o, const struct tr_pkt *pkt, struct tr_seg *seg, uint32_t *cut,
                           unsigned *tick);
void tr_obs_tick(struct tr_obs *o, int64_t now, unsigned what);
/* tr_obs_front in its three parts, for a reader that has other threads
 * decode: the counters every record gives (packets, times, link types,
 * snaplen), on the reader's observer for every packet; the decode and its
 * counters, on the observer that decodes it (the reader's counters are then
 * summed with the others': tr_obs_input_merge); the pass due at a TCP
 * segment's time (TR_TICK_*), on the reader's observer, in packet order. */
void tr_obs_front_header(struct tr_obs *o, const struct tr_pkt *pkt);
enum tr_front tr_obs_front_decode(struct tr_obs *o, const struct tr_pkt *pkt, struct tr_seg *seg,
                                  uint32_t *cut);
unsigned tr_obs_front_tick(struct tr_obs *o, int64_t ts);
/* Adds the decode counters of `from` into `into` (first frames: the earlier). */
void tr_obs_input_merge(struct tr_input_stats *into, const struct tr_input_stats *from);
void tr_obs_truncated(struct tr_obs *o, const struct tr_seg *seg, uint32_t cut);
void tr_obs_set_last_ts(struct tr_obs *o, int64_t ts);
/* End of input: resolves what was pending and records how connections ended. */
void tr_obs_finish(struct tr_obs *o);
/* Closes out connections idle for longer than idle_ns at time now (the
 * conn_close hook runs for each); returns how many. */
uint32_t tr_obs_expire(struct tr_obs *o, int64_t now, int64_t idle_ns);
/* Retires the connections that ended (both endpoints CLOSED or TIME-WAIT,
 * or reset) and saw no segment for linger_ns: their conn_close hook runs and
 * they leave the flow table (a later segment of the same ports starts a new
 * connection). Returns how many. */
uint32_t tr_obs_expire_ended(struct tr_obs *o, int64_t now, int64_t linger_ns);
/* Connections being tracked (in the flow table). */
uint32_t tr_obs_active(const struct tr_obs *o);

/* Connection slots (released ones included: check TR_CONN_RELEASED). */
uint32_t tr_obs_conn_count(const struct tr_obs *o);
const struct tr_conn *tr_obs_conn(const struct tr_obs *o, uint32_t i);
/* The connections not released, in the order of their first frame: an
 * array of n pointers owned by the observer, valid until the next call
 * that feeds it. */
const struct tr_conn *const *tr_obs_sorted(struct tr_obs *o, uint32_t *n);
/* The ids of the connections not released, in the order of their first
 * frame: an array of n owned by the observer, valid until the next call
 * that feeds it. */
const uint32_t *tr_obs_order(struct tr_obs *o, uint32_t *n);
uint64_t tr_obs_first_frame(const struct tr_obs *o, uint32_t id);
/* Connection id as it is, or, when parked, unpacked into scratch. */
const struct tr_conn *tr_obs_view(const struct tr_obs *o, uint32_t id, struct tr_conn *scratch);
const struct tr_input_stats *tr_obs_input(const struct tr_obs *o);
const struct tr_profile *tr_obs_profile(const struct tr_obs *o);

/* The findings of a connection, in order: start with prev = NULL. */
const struct tr_finding *tr_obs_next_finding(const struct tr_obs *o, const struct tr_conn *c,
                                             const struct tr_finding *prev);

/* Memory held by the observer, in bytes. */
uint64_t tr_obs_memory(const struct tr_obs *o);
/* Connections finished while parked, without being unpacked (their
 * finishing changed only their flags and end): for tests and benchmarks. */
uint32_t tr_obs_finished_parked(const struct tr_obs *o);

#endif
