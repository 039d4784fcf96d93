/* Running observers over capture files, one per thread (analyzer/analysis.h). */
#define _GNU_SOURCE 1 /* sched_getaffinity, CPU_COUNT */
#include "analyzer/analysis.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyzer/decode.h"
#include "analyzer/flowtab.h"
#include "stack/error.h"

#define TR_PROGRESS_EVERY (1u << 16) /* packets between progress reports */
#define TR_AUTO_THREADS_MAX 4

/* The CPUs this process may run on. */
static unsigned tr__cpu_count(void)
{
    unsigned n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = (unsigned)CPU_COUNT(&set);
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (unsigned)c : 1;
    }
    return n;
}

unsigned tr_analysis_auto_threads(void)
{
    unsigned n = tr__cpu_count();
    /* One reader feeds the workers: past three workers it is the bottleneck
     * (docs/performance.md), and more would only cost memory. */
    return n > TR_AUTO_THREADS_MAX ? TR_AUTO_THREADS_MAX : n;
}

void tr_analysis_init(struct tr_analysis *a, const struct tr_obs_config *cfg, unsigned threads)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->threads = threads ? threads : tr_analysis_auto_threads();
    if (a->threads > TR_MAX_SHARDS)
        a->threads = TR_MAX_SHARDS;
}

static void tr__keep_warnings(struct tr_file_result *f, const struct tr_source *src)
{
    f->nwarn = tr_source_warning_count(src);
    for (unsigned i = 0; i < f->nwarn && i < TR_SOURCE_MAX_WARN; i++)
        snprintf(f->warn[i], sizeof f->warn[i], "%s", tr_source_warning(src, i));
}

/* A pass over one file. */
struct tr__run {
    const struct tr_analysis *a;
    struct tr_file_result *f;
    uint32_t file_index;
    unsigned t;
    unsigned part_n;   /* > 1: this pass follows part t of part_n (a process of tr__run_procs) */
};

/* A limit's part for an observer that follows [from, to) of every 2^32 of
 * the hash space: the parts of observers that cover it end to end add up
 * to the limit exactly, whatever the shares, so that together they hold no
 * more than one observer would (each at least 1: 0 would mean no limit, so
 * a limit below the number of observers is exceeded by the difference). */
static uint32_t tr__limit_part(uint32_t limit, uint64_t from, uint64_t to)
{
    if (!limit)
        return 0;
    uint32_t n = (uint32_t)(((uint64_t)limit * to) >> 32) - (uint32_t)(((uint64_t)limit * from) >> 32);
    return n ? n : 1;
}

/* The run's limits for that observer. Where a limit is reached the
 * reports of different thread counts may differ (which connection is the
 * least recently active one depends on the split); the report says how
 * many connections were evicted or summarized. */
static void tr__part_limits(struct tr_obs_config *cfg, uint64_t from, uint64_t to)
{
    cfg->max_conns = tr__limit_part(cfg->max_conns, from, to);
    cfg->max_records = tr__limit_part(cfg->max_records, from, to);
}

static void tr__progress(const struct tr__run *r, const struct tr_source *src, uint64_t packets, bool end)
{
    const struct tr_analysis *a = r->a;
    if (!a->progress || r->t != 0)
        return;
    struct tr_source_stats st;
    tr_source_stats(src, &st);
    a->progress(a->progress_ctx, r->f->path, end && st.file_size ? st.file_size : st.bytes_read, st.file_size,
                packets, end);
}

/* The counts an observer keeps of its own connections, added to the
 * file's (those of the other observers of a split run). */
static void tr__add_tallies(struct tr_input_stats *into, const struct tr_input_stats *s)
{
    into->conns_dropped += s->conns_dropped;
    into->pkts_untracked += s->pkts_untracked;
    into->conns_evicted += s->conns_evicted;
    into->conns_expired += s->conns_expired;
    into->conns_released += s->conns_released;
    for (unsigned r = 0; r < TR_RULE_COUNT; r++)
        into->released_by_rule[r] += s->released_by_rule[r];
}

/* The part of process t of n, in 2^32ths of the run's shard: equal
 * parts (process 0 also decodes the packets no part holds, those of other
 * run shards; a smaller part for it measured slower: docs/performance.md). */
static void tr__part_range(unsigned t, unsigned n, uint64_t *lo, uint64_t *hi)
{
    *lo = ((uint64_t)t << 32) / n;
    *hi = ((uint64_t)(t + 1) << 32) / n;
}

/* The packets of a process of tr__run_procs, whose observer follows the
 * part cfg names: what tr_obs_packet does, but a plain TCP packet
 * (tr_decode_peek) of another part is not decoded at all, except by
 * process 0, which keeps the file's counters. */
static uint64_t tr__part_loop(const struct tr__run *r, const struct tr_obs_config *cfg, struct tr_source *src,
                              struct tr_obs *o, int *rcp)
{
    const bool counts_all = r->t == 0; /* process 0 */
    struct tr_pkt pkt;
    struct tr_seg seg;
    uint32_t cut, h;
    unsigned tick;
    uint64_t n = 0;
    int rc;
    while ((rc = tr_source_next(src, &pkt)) == 1) {
        if (tr_decode_peek(&pkt, &h)) {
            tr_obs_front_header(o, &pkt);
            bool in_run = tr_cfg_in_shard(cfg, h);
            /* decoded by the process whose part holds it (which counts
             * the decode), and by process 0 when no part does (another
             * run shard's: every shard reports the file's counters whole) */
            if ((in_run && tr_cfg_in_part(cfg, h)) || (counts_all && !in_run)) {
                tr_obs_front_decode(o, &pkt, &seg, &cut); /* a TCP segment: tr_decode_peek vouched */
                if ((tick = tr_obs_front_tick(o, pkt.ts_ns)) != 0)
                    tr_obs_tick(o, pkt.ts_ns, tick);
                /* not mine: process 0 still counts it as another run
                 * shard's (tr_obs_segment_hashed) */
                tr_obs_segment_hashed(o, &seg, h);
            } else if ((tick = tr_obs_front_tick(o, pkt.ts_ns)) != 0) {
                tr_obs_tick(o, pkt.ts_ns, tick);
            }
        } else if (counts_all) {
            tr_obs_packet(o, &pkt);
        } else {
            tr_obs_packet_uncounted(o, &pkt); /* every process decodes it; process 0 counts it */
        }
        if ((++n & (TR_PROGRESS_EVERY - 1)) == 0)
            tr__progress(r, src, n, false);
    }
    *rcp = rc;
    return n;
}

/* One observer over the whole file, on the calling thread. */
static int tr__run_shard(struct tr__run *r)
{
    struct tr_file_result *f = r->f;
    struct tr_obs_config cfg = r->a->cfg;
    if (r->part_n > 1) {
        tr__part_range(r->t, r->part_n, &cfg.part_lo, &cfg.part_hi);
        tr__part_limits(&cfg, cfg.part_lo, cfg.part_hi);
    }
    char err[512];
    struct tr_source *src;
    int rc = tr_source_open_file(&src, f->path, err, sizeof err);
    if (rc < 0) {
        if (r->t == 0)
            snprintf(f->error, sizeof f->error, "%s", err);
        return rc;
    }
    struct tr_obs *o;
    if ((rc = tr_obs_new(&o, &cfg, r->file_index)) < 0) {
        tr_source_close(src);
        return rc;
    }
    f->obs[r->t] = o;
    struct tr_pkt pkt;
    uint64_t n = 0;
    if (r->part_n > 1) {
        n = tr__part_loop(r, &cfg, src, o, &rc);
    } else {
        while ((rc = tr_source_next(src, &pkt)) == 1) {
            tr_obs_packet(o, &pkt);
            if ((++n & (TR_PROGRESS_EVERY - 1)) == 0)
                tr__progress(r, src, n, false);
        }
    }
    tr_obs_finish(o);
    tr__progress(r, src, n, true);
    if (r->t == 0) {
        if (rc < 0)
            snprintf(f->error, sizeof f->error, "%s", tr_source_error(src));
        tr_source_stats(src, &f->src);
        tr__keep_warnings(f, src);
    }
    tr_source_close(src);
    return rc < 0 ? rc : 0;
}

/* ---- one reader feeding the observers of worker threads ----
 *
 * The reader decodes every packet once (tr_obs_front on an observer of its
 * own that keeps the input counters) and passes each TCP segment, with its
 * captured payload and flow hash, to the worker whose shard holds its
 * connection, through a single-producer single-consumer ring; the
 * periodic pass (tr_obs_tick) goes to every worker at the packet where the
 * single observer would run it. Positions are published in batches under a mutex. */

#define TR_RING_BYTES (1u << 20)
#define TR_BATCH 128       /* items between publications of a position */
/* Polls of the other side's position before sleeping, with a sched_yield
 * every 64: 65,536 take ~0.2 ms here, less than a sleep and the wake-up
 * cost the two threads together on a virtual machine, whose idle CPU halts
 * (docs/performance.md, "Fifth round"); 1,024 (a few microseconds) when
 * there are more threads than CPUs, where a spinning thread holds a CPU
 * another thread needs. */
#define TR_SPIN 65536
#define TR_SPIN_CROWDED 1024

enum { TR_ITEM_SEGMENT = 1, TR_ITEM_TRUNCATED, TR_ITEM_TICK, TR_ITEM_RAW, TR_ITEM_WRAP };

struct tr__item {
    uint32_t len;      /* bytes of the item, header included, multiple of 8 */
    uint8_t kind;
    uint8_t pad[3];
    uint32_t arg;      /* flow hash, the cut of a truncated header, or TR_TICK_* */
    uint32_t pad2;
    int64_t last_ts;   /* the front's in.last_ts at this packet */
    int64_t now;       /* tick: the time of the pass */
    /* then struct tr_seg and its captured payload, or (TR_ITEM_RAW) struct
     * tr_pkt and the captured bytes, which the worker decodes */
};

/* Positions only grow; index = position % TR_RING_BYTES. A side that finds
 * nothing to do polls a while, then sleeps on cv after saying so in
 * *wait; the other side wakes it after publishing (both flags and
 * positions are sequentially consistent, so no wake-up is lost). */
/* What each side writes lies in a cache line of its own: the producer's
 * position is written for every item, and a consumer polling head in the
 * same line would take that line from the producer's core each time (the
 * layout of this struct once made two threads slower than one). */
#define TR_CACHELINE 64
struct tr__ring {
    uint8_t *buf;
    unsigned spin; /* TR_SPIN or TR_SPIN_CROWDED */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Alignas(TR_CACHELINE) _Atomic uint64_t head; /* written by the producer */
    _Atomic bool done, cwait, pwait;              /* rarely written */
    _Alignas(TR_CACHELINE) _Atomic uint64_t tail; /* written by the consumer */
    _Alignas(TR_CACHELINE) uint64_t wpos;         /* the producer's own position */
    unsigned pending;                             /* items not yet published */
};

struct tr__worker {
    struct tr__ring q;
    _Alignas(TR_CACHELINE) struct tr_obs *o; /* the worker's own */
    int64_t last_ts;
    pthread_t th;
};

static void tr__wake(struct tr__ring *q, _Atomic bool *flag)
{
    if (atomic_load(flag)) {
        pthread_mutex_lock(&q->mu);
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

/* Waits until *pos differs from old (or the ring is done); returns it. */
static uint64_t tr__await(struct tr__ring *q, _Atomic uint64_t *pos, uint64_t old, _Atomic bool *flag)
{
    /* done is set after the last head: once it is seen, head is final */
    for (unsigned i = 0; i < q->spin; i++) {
        uint64_t v = atomic_load(pos);
        if (v != old)
            return v;
        if (atomic_load(&q->done))
            return atomic_load(pos);
        if (i % 64 == 63)
            sched_yield(); /* the other side may be waiting for this CPU */
    }
    pthread_mutex_lock(&q->mu);
    atomic_store(flag, true);
    while (atomic_load(pos) == old && !atomic_load(&q->done))
        pthread_cond_wait(&q->cv, &q->mu);
    atomic_store(flag, false);
    pthread_mutex_unlock(&q->mu);
    return atomic_load(pos);
}

static void tr__ring_publish(struct tr__ring *q)
{
    atomic_store(&q->head, q->wpos);
    q->pending = 0;
    tr__wake(q, &q->cwait);
}

/* Room for n contiguous bytes at the producer's position; returns them. */
static uint8_t *tr__ring_reserve(struct tr__ring *q, uint32_t n)
{
    uint64_t idx = q->wpos % TR_RING_BYTES;
    uint64_t skip = idx + n > TR_RING_BYTES ? TR_RING_BYTES - idx : 0;
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (q->wpos + skip + n - tail > TR_RING_BYTES) {
        tr__ring_publish(q);
        while (q->wpos + skip + n - tail > TR_RING_BYTES)
            tail = tr__await(q, &q->tail, tail, &q->pwait);
    }
    if (skip) {
        if (skip >= sizeof(struct tr__item))
            ((struct tr__item *)(q->buf + idx))->kind = TR_ITEM_WRAP;
        q->wpos += skip;
        idx = 0;
    }
    return q->buf + idx;
}

/* Whether the consumer of q is behind: at least `at` bytes of the ring not
 * yet taken (as of its last published position). */
static bool tr__ring_behind(struct tr__ring *q, uint64_t at)
{
    return q->wpos - atomic_load_explicit(&q->tail, memory_order_relaxed) >= at;
}

static void tr__ring_commit(struct tr__ring *q, uint32_t n)
{
    q->wpos += n;
    if (++q->pending >= TR_BATCH)
        tr__ring_publish(q);
}

static void tr__push(struct tr__worker *w, uint8_t kind, uint32_t arg, int64_t last_ts, int64_t now,
                     const struct tr_seg *seg)
{
    uint32_t pay = seg && seg->payload ? seg->caplen : 0;
    uint32_t n = (uint32_t)sizeof(struct tr__item) + (seg ? (uint32_t)sizeof *seg : 0) + pay;
    n = (n + 7) & ~7u;
    uint8_t *p = tr__ring_reserve(&w->q, n);
    struct tr__item *it = (struct tr__item *)p;
    *it = (struct tr__item){.len = n, .kind = kind, .arg = arg, .last_ts = last_ts, .now = now};
    if (seg) {
        memcpy(p + sizeof *it, seg, sizeof *seg);
        if (pay)
            memcpy(p + sizeof *it + sizeof *seg, seg->payload, pay);
    }
    tr__ring_commit(&w->q, n);
}

/* A packet tr_decode_peek vouched for, undecoded: the worker decodes it. */
static void tr__push_raw(struct tr__worker *w, uint32_t hash, int64_t last_ts, const struct tr_pkt *pkt)
{
    uint32_t n = (uint32_t)(sizeof(struct tr__item) + sizeof *pkt) + pkt->caplen;
    n = (n + 7) & ~7u;
    uint8_t *p = tr__ring_reserve(&w->q, n);
    struct tr__item *it = (struct tr__item *)p;
    *it = (struct tr__item){.len = n, .kind = TR_ITEM_RAW, .arg = hash, .last_ts = last_ts};
    memcpy(p + sizeof *it, pkt, sizeof *pkt);
    memcpy(p + sizeof *it + sizeof *pkt, pkt->data, pkt->caplen);
    tr__ring_commit(&w->q, n);
}

static void tr__ring_close(struct tr__ring *q)
{
    atomic_store(&q->head, q->wpos);
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->done, true);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void tr__take(struct tr__worker *w, uint8_t *p)
{
    const struct tr__item *it = (const struct tr__item *)p;
    tr_obs_set_last_ts(w->o, it->last_ts);
    if (it->kind == TR_ITEM_TICK) {
        tr_obs_tick(w->o, it->now, it->arg);
        return;
    }
    if (it->kind == TR_ITEM_RAW) {
        struct tr_pkt *pkt = (struct tr_pkt *)(p + sizeof *it);
        pkt->data = p + sizeof *it + sizeof *pkt;
        struct tr_seg seg;
        uint32_t cut;
        enum tr_front fr = tr_obs_front_decode(w->o, pkt, &seg, &cut);
        if (fr == TR_FRONT_SEGMENT)
            tr_obs_segment_hashed(w->o, &seg, it->arg);
        else if (fr == TR_FRONT_TRUNCATED)
            tr_obs_truncated(w->o, &seg, cut); /* not reached: tr_decode_peek vouched */
        return;
    }
    /* the segment is used in place: its payload follows it */
    struct tr_seg *seg = (struct tr_seg *)(p + sizeof *it);
    if (seg->payload)
        seg->payload = p + sizeof *it + sizeof *seg;
    if (it->kind == TR_ITEM_SEGMENT)
        tr_obs_segment_hashed(w->o, seg, it->arg);
    else
        tr_obs_truncated(w->o, seg, it->arg);
}

static void *tr__worker_main(void *arg)
{
    struct tr__worker *w = arg;
    struct tr__ring *q = &w->q;
    uint64_t rpos = 0, head = 0;
    unsigned taken = 0;
    for (;;) {
        if (rpos == head) {
            atomic_store(&q->tail, rpos);
            tr__wake(q, &q->pwait);
            head = tr__await(q, &q->head, rpos, &q->cwait);
            if (head == rpos)
                break; /* done, and nothing left */
            continue;
        }
        uint64_t idx = rpos % TR_RING_BYTES;
        struct tr__item *it = (struct tr__item *)(q->buf + idx);
        if (TR_RING_BYTES - idx < sizeof *it || it->kind == TR_ITEM_WRAP) {
            rpos += TR_RING_BYTES - idx;
            continue;
        }
        tr__take(w, q->buf + idx);
        rpos += it->len;
        if (++taken % TR_BATCH == 0) {
            atomic_store_explicit(&q->tail, rpos, memory_order_release);
            tr__wake(q, &q->pwait);
        }
    }
    tr_obs_set_last_ts(w->o, w->last_ts);
    tr_obs_finish(w->o);
    return NULL;
}

/* The reader's own share, in 1/1024ths of the hash space, when it feeds one
 * worker. Small enough that reading, peeking, copying and its own share
 * leave the reader time to spare on captures of few long connections; when
 * the worker falls behind, the reader spends that time decoding packets for
 * it (tr__ring_behind), so the two sides meet without a share fitted to
 * each capture (shares of 96-256 measured on six captures:
 * docs/performance.md, "Fifth round"). */
static uint32_t tr__reader_share(void) { return 160; }

/* Where a connection of flow hash h goes: another run's shard (--shard
 * K/N: floor(h*N/2^32) is not K), the reader's own share (the position
 * frac(h*N/2^32) below it), or a worker, the rest split evenly. */
struct tr__route {
    uint32_t bn, bk;   /* the run's shard K of N (1 and 0 without --shard) */
    uint64_t share;    /* the reader's part, of 2^32 */
    uint64_t wmul;     /* worker = (pos - share) * wmul >> 32 */
    unsigned nw;
};
enum { TR_ROUTE_OTHER = -2, TR_ROUTE_OWN = -1 };

static int tr__route_of(const struct tr__route *r, uint32_t h)
{
    uint64_t x = (uint64_t)h * r->bn;
    uint32_t pos = (uint32_t)x;
    if ((uint32_t)(x >> 32) != r->bk)
        return TR_ROUTE_OTHER;
    if (pos < r->share)
        return TR_ROUTE_OWN;
    unsigned t = (unsigned)(((uint64_t)(pos - (uint32_t)r->share) * r->wmul) >> 32);
    return (int)(t < r->nw ? t : r->nw - 1);
}

/* The periodic pass, to every observer at the packet where it is due. */
static void tr__tick_all(struct tr__worker *w, unsigned nw, struct tr_obs *own, unsigned tick, int64_t last,
                         int64_t now)
{
    if (!tick)
        return;
    for (unsigned t = 0; t < nw; t++)
        tr__push(&w[t], TR_ITEM_TICK, tick, last, now, NULL);
    if (own) {
        tr_obs_set_last_ts(own, last);
        tr_obs_tick(own, now, tick);
    }
}

/* The reader: the calling thread, with nw workers (shards of the flow hash
 * within the run's own shard K of N). */
static int tr__run_pipeline(struct tr_analysis *a, struct tr_file_result *f, uint32_t idx, unsigned nw)
{
    char err[512];
    struct tr_source *src;
    /* read(2), not a mapping: see tr_source_open_file_map */
    int rc = tr_source_open_file_map(&src, f->path, false, err, sizeof err);
    if (rc < 0) {
        snprintf(f->error, sizeof f->error, "%s", err);
        return rc;
    }
    struct tr_obs *front;
    struct tr_obs_config fcfg = a->cfg;
    fcfg.park_idle_ns = 0;
    if ((rc = tr_obs_new(&front, &fcfg, idx)) < 0) {
        tr_source_close(src);
        return rc;
    }
    /* The reader's own share of the connections (tr__reader_share() / 1024
     * of the hash space, one worker only): it decodes and analyzes those
     * itself, so that both threads finish together. Limits are split in
     * proportion to each observer's part. */
    uint64_t share = nw == 1 ? (uint64_t)tr__reader_share() << 22 : 0; /* of 2^32 */
    struct tr_obs *own = NULL;
    unsigned o0 = 0;
    if (share) {
        struct tr_obs_config ocfg = a->cfg;
        ocfg.shard_k = ocfg.shard_n = 0; /* routed here */
        tr__part_limits(&ocfg, 0, share);
        if ((rc = tr_obs_new(&own, &ocfg, idx)) < 0) {
            tr_obs_free(front);
            tr_source_close(src);
            return rc;
        }
        f->obs[0] = own;
        o0 = 1;
    }
    struct tr__worker *w = aligned_alloc(TR_CACHELINE, nw * sizeof *w);
    if (w)
        memset(w, 0, nw * sizeof *w);
    uint8_t *bufs = malloc((size_t)nw * TR_RING_BYTES);
    unsigned started = 0, spin = nw + 1 <= tr__cpu_count() ? TR_SPIN : TR_SPIN_CROWDED;
    if (!w || !bufs)
        rc = TR_ENOMEM;
    for (unsigned t = 0; rc == 0 && t < nw; t++) {
        struct tr_obs_config cfg = a->cfg;
        cfg.shard_k = cfg.shard_n = 0; /* the reader routes */
        uint64_t part = ((1ull << 32) - share) / nw;
        tr__part_limits(&cfg, share + t * part, t + 1 == nw ? 1ull << 32 : share + (t + 1) * part);
        if ((rc = tr_obs_new(&w[t].o, &cfg, idx)) < 0)
            break;
        f->obs[o0 + t] = w[t].o;
        w[t].q.buf = bufs + (size_t)t * TR_RING_BYTES;
        w[t].q.spin = spin;
        pthread_mutex_init(&w[t].q.mu, NULL);
        pthread_cond_init(&w[t].q.cv, NULL);
        if (pthread_create(&w[t].th, NULL, tr__worker_main, &w[t]) != 0) {
            rc = TR_ENOMEM;
            pthread_mutex_destroy(&w[t].q.mu);
            pthread_cond_destroy(&w[t].q.cv);
            break;
        }
        started++;
    }
    f->nobs = o0 + nw;
    const struct tr__route route = {.bn = a->cfg.shard_n > 1 ? a->cfg.shard_n : 1,
                                    .bk = a->cfg.shard_n > 1 ? a->cfg.shard_k : 0, .share = share,
                                    .wmul = ((uint64_t)nw << 32) / ((1ull << 32) - share), .nw = nw};
    struct tr__run r0 = {.a = a, .f = f, .t = 0};
    /* a worker is behind with half its ring to take (a->reader_decodes:
     * always, for the tests) */
    const uint64_t behind = a->reader_decodes ? 0 : TR_RING_BYTES / 2;
    struct tr_pkt pkt;
    uint64_t n = 0;
    int rd = 0;
    while (rc == 0 && (rd = tr_source_next(src, &pkt)) == 1) {
        struct tr_seg seg;
        uint32_t cut, h;
        tr_obs_front_header(front, &pkt);
        int to;
        if (tr_decode_peek(&pkt, &h) && ((to = tr__route_of(&route, h)) < 0 || !tr__ring_behind(&w[to].q, behind))) {
            /* The common case: the worker decodes it (and counts what the
             * decode finds); the reader only routes it. When the worker is
             * behind, the reader (which then has time to spare) decodes
             * the packet for it below, as it does every packet that
             * tr_decode_peek does not vouch for: who decodes changes
             * nothing in the report, the decode counters of all the
             * observers are summed. */
            unsigned tick = tr_obs_front_tick(front, pkt.ts_ns);
            int64_t last = tr_obs_input(front)->last_ts;
            tr__tick_all(w, nw, own, tick, last, pkt.ts_ns);
            if (to == TR_ROUTE_OTHER) {
                /* decoded here for the file's counters, which every shard
                 * reports whole */
                tr_obs_front_decode(front, &pkt, &seg, &cut);
            } else if (to == TR_ROUTE_OWN) {
                tr_obs_set_last_ts(own, last);
                if (tr_obs_front_decode(own, &pkt, &seg, &cut) == TR_FRONT_SEGMENT)
                    tr_obs_segment_hashed(own, &seg, h);
            } else {
                tr__push_raw(&w[to], h, last, &pkt);
            }
            if ((++n & (TR_PROGRESS_EVERY - 1)) == 0)
                tr__progress(&r0, src, n, false);
            continue;
        }
        enum tr_front fr = tr_obs_front_decode(front, &pkt, &seg, &cut);
        unsigned tick = fr == TR_FRONT_SEGMENT ? tr_obs_front_tick(front, pkt.ts_ns) : 0;
        int64_t last = tr_obs_input(front)->last_ts;
        tr__tick_all(w, nw, own, tick, last, pkt.ts_ns);
        if (fr != TR_FRONT_NONE) {
            h = tr_flow_hash(&seg);
            to = tr__route_of(&route, h);
            if (to == TR_ROUTE_OWN) {
                tr_obs_set_last_ts(own, last);
                if (fr == TR_FRONT_SEGMENT)
                    tr_obs_segment_hashed(own, &seg, h);
                else
                    tr_obs_truncated(own, &seg, cut);
            } else if (to >= 0) {
                tr__push(&w[to], fr == TR_FRONT_SEGMENT ? TR_ITEM_SEGMENT : TR_ITEM_TRUNCATED,
                         fr == TR_FRONT_SEGMENT ? h : cut, last, 0, &seg);
            }
        }
        if ((++n & (TR_PROGRESS_EVERY - 1)) == 0)
            tr__progress(&r0, src, n, false);
    }
    for (unsigned t = 0; t < started; t++) {
        w[t].last_ts = tr_obs_input(front)->last_ts;
        tr__ring_close(&w[t].q);
    }
    if (own) {
        tr_obs_set_last_ts(own, tr_obs_input(front)->last_ts);
        tr_obs_finish(own);
    }
    for (unsigned t = 0; t < started; t++) {
        pthread_join(w[t].th, NULL);
        pthread_mutex_destroy(&w[t].q.mu);
        pthread_cond_destroy(&w[t].q.cv);
    }
    tr__progress(&r0, src, n, true);
    if (rc == 0 && rd < 0) {
        rc = rd;
        snprintf(f->error, sizeof f->error, "%s", tr_source_error(src));
    } else if (rc == TR_ENOMEM) {
        snprintf(f->error, sizeof f->error, "%s: out of memory", f->path);
    }
    tr_source_stats(src, &f->src);
    tr__keep_warnings(f, src);
    tr_source_close(src);
    /* the file-wide counters are the front's; the connections' the workers' */
    f->in = *tr_obs_input(front);
    for (unsigned k = 0; k < f->nobs; k++) {
        const struct tr_input_stats *s = f->obs[k] ? tr_obs_input(f->obs[k]) : NULL;
        if (!s)
            continue;
        tr_obs_input_merge(&f->in, s); /* what the workers decoded */
        tr__add_tallies(&f->in, s);
    }
    f->merged = true;
    tr_obs_free(front);
    free(bufs);
    free(w);
    return rc;
}

/* ---- a process per part of the hash space ----
 *
 * Each of T processes reads the whole file through its own mapping
 * and follows the connections of one part (tr_obs_config.part_lo/hi); the
 * calling process takes part 0 and the file's counters. The children's
 * observers allocate from arenas mapped before fork(2): a child's small
 * blocks in private pages (transparent huge pages) that it writes to a
 * memory file when done and the parent reads in at the same addresses,
 * its large ones shared (analyzer/arena.c); so once a child has exited
 * the parent reads its connections where the child left them. Against
 * the pipeline, no packet crosses between cores and each
 * process's dropping of the pages it has read interrupts no other CPU (a thread's
 * would: docs/performance.md, "Seventh round"). */

#define TR_ARENA_RESERVE ((size_t)1 << 36) /* 64 GiB of address space per region of an arena; pages are taken as used */

/* What a child leaves in its arena's user area. */
struct tr__child {
    int rc;
    int done;
    struct tr_obs *obs;
};

static bool tr__regular_file(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void tr__child_failed(struct tr_file_result *f, unsigned t, unsigned n, int status)
{
    char how[64];
    if (WIFSIGNALED(status))
        snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(status));
    else if (WIFEXITED(status))
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof how, "ended");
    if (!f->error[0])
        snprintf(f->error, sizeof f->error, "%s: analysis process %u of %u %s before it finished", f->path,
                 t + 1, n, how);
}

/* Undoes a start that cannot be completed: the children started are
 * stopped, the arenas unmapped, the hand-over files closed. */
static void tr__procs_abandon(struct tr_file_result *f, const pid_t *pid, unsigned started, int *mfd)
{
    for (unsigned t = 1; t < started; t++) {
        kill(pid[t], SIGKILL);
        while (waitpid(pid[t], NULL, 0) < 0 && errno == EINTR)
            ;
    }
    for (unsigned t = 0; t < TR_MAX_SHARDS; t++) {
        tr_arena_free(f->arena[t]);
        f->arena[t] = NULL;
        if (mfd[t] >= 0)
            close(mfd[t]);
        mfd[t] = -1;
    }
}

/* Runs the calling process's part with its observer in a private arena of
 * its own (huge pages as it grows: analyzer/arena.c), or in the C
 * library's heap when none can be had. */
static int tr__run_own(struct tr__run *r)
{
    if (tr_arena_new_private(&r->f->arena[r->t], TR_ARENA_RESERVE) == TR_OK)
        tr_mem_use(r->f->arena[r->t]);
    int rc = tr__run_shard(r);
    tr_mem_use(NULL);
    return rc;
}

/* A child's arena: private, with its bytes handed over through a memory
 * file when it is done (transparent huge pages for its growth; the
 * kernel gives shared memory none), or shared when no such file can be
 * had. */
static int tr__child_arena(struct tr_file_result *f, unsigned t, int *mfd)
{
    mfd[t] = memfd_create("tcpref-part", MFD_CLOEXEC);
    if (mfd[t] >= 0) {
        if (tr_arena_new_private(&f->arena[t], TR_ARENA_RESERVE) == TR_OK)
            return TR_OK;
        close(mfd[t]);
        mfd[t] = -1;
    }
    return tr_arena_new(&f->arena[t], TR_ARENA_RESERVE);
}

/* TR_EAGAIN when the processes cannot be had (no room for an arena, no
 * fork): the caller runs the pipeline instead, before anything is read. */
static int tr__run_procs(struct tr_analysis *a, struct tr_file_result *f, uint32_t idx, unsigned n)
{
    pid_t pid[TR_MAX_SHARDS] = {0};
    int mfd[TR_MAX_SHARDS];
    for (unsigned t = 0; t < TR_MAX_SHARDS; t++)
        mfd[t] = -1;
    for (unsigned t = 1; t < n; t++) {
        if (tr__child_arena(f, t, mfd) < 0) {
            tr__procs_abandon(f, pid, 1, mfd);
            return TR_EAGAIN;
        }
    }
    unsigned started = 1;
    const pid_t parent = getpid();
    fflush(NULL); /* nothing buffered is written twice */
    for (unsigned t = 1; t < n; t++) {
        struct tr__child *cr = tr_arena_user(f->arena[t]);
        memset(cr, 0, sizeof *cr);
        pid[t] = fork();
        if (pid[t] < 0) {
            tr__procs_abandon(f, pid, started, mfd);
            return TR_EAGAIN;
        }
        if (pid[t] == 0) {
            /* a child does not outlive its parent (killed, say, while
             * the children still read) */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(1);
            tr_mem_use(f->arena[t]);
            struct tr__run r = {.a = a, .f = f, .file_index = idx, .t = t, .part_n = n};
            cr->rc = tr__run_shard(&r);
            cr->obs = f->obs[t];
            atomic_thread_fence(memory_order_seq_cst);
            cr->done = 1;
            if (mfd[t] >= 0 && tr_arena_send(f->arena[t], mfd[t]) < 0)
                _exit(3);
            _exit(0);
        }
        started++;
    }
    int rc = 0;
    struct tr__run r0 = {.a = a, .f = f, .file_index = idx, .t = 0, .part_n = n};
    int rc0 = tr__run_own(&r0);
    for (unsigned t = 1; t < started; t++) {
        int st = 0;
        while (waitpid(pid[t], &st, 0) < 0 && errno == EINTR)
            ;
        const struct tr__child *cr = tr_arena_user(f->arena[t]);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && mfd[t] >= 0) {
            int r = tr_arena_receive(f->arena[t], mfd[t]);
            if (r < 0 && !f->error[0])
                snprintf(f->error, sizeof f->error,
                         "%s: the results of analysis process %u of %u could not be read back (%s)", f->path,
                         t + 1, n, tr_strerror(r));
            if (r < 0) {
                rc = rc ? rc : TR_ESYS;
                continue;
            }
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !cr->done) {
            tr__child_failed(f, t, n, st);
            rc = rc ? rc : TR_ESYS;
            continue;
        }
        f->obs[t] = cr->obs;
        /* A damaged file stops every process at the same record, with the
         * same outcome: process 0's error says where. Memory runs out in
         * one process alone. */
        if (cr->rc == TR_ENOMEM && rc == 0) {
            rc = TR_ENOMEM;
            snprintf(f->error, sizeof f->error, "%s: out of memory", f->path);
        } else if (rc == 0 && f->obs[0] &&
                   (cr->rc != rc0 || !cr->obs ||
                    tr_obs_input(cr->obs)->packets != tr_obs_input(f->obs[0])->packets)) {
            /* each process opened the file by its name: one that was
             * still being written, or replaced, reads differently */
            rc = TR_ESTATE;
            snprintf(f->error, sizeof f->error,
                     "%s: the file changed while %u processes read it (process %u read %llu packets, "
                     "process 1 %llu); analyze it again, or with --threads 1",
                     f->path, n, t + 1,
                     cr->obs ? (unsigned long long)tr_obs_input(cr->obs)->packets : 0ull,
                     (unsigned long long)tr_obs_input(f->obs[0])->packets);
        }
    }
    for (unsigned t = 0; t < TR_MAX_SHARDS; t++)
        if (mfd[t] >= 0)
            close(mfd[t]);
    f->nobs = n;
    if (rc == 0)
        rc = rc0;
    if (!f->obs[0])
        return rc;
    /* Process 0 counted every record and decoded every packet but the
     * plain TCP ones of the other parts, which their processes decoded and
     * counted; the connections' tallies are each process's own. */
    f->in = *tr_obs_input(f->obs[0]);
    for (unsigned k = 1; k < n; k++) {
        const struct tr_input_stats *s = f->obs[k] ? tr_obs_input(f->obs[k]) : NULL;
        if (!s)
            continue;
        tr_obs_input_merge(&f->in, s);
        tr__add_tallies(&f->in, s);
    }
    f->merged = true;
    return rc;
}

static int tr__run_file(struct tr_analysis *a, struct tr_file_result *f, uint32_t idx)
{
    /* stop_after_ns (live mode, tests) counts from the first frame: one
     * observer then, which sees it. */
    if (a->threads > 1 && !a->cfg.stop_after_ns && !a->cfg.stop_relative) {
        if (a->split != TR_SPLIT_PIPELINE && (a->split == TR_SPLIT_PROCESSES || tr__regular_file(f->path))) {
            int rc = tr__run_procs(a, f, idx, a->threads);
            if (rc != TR_EAGAIN)
                return rc;
        }
        return tr__run_pipeline(a, f, idx, a->threads - 1);
    }
    struct tr__run r = {.a = a, .f = f, .file_index = idx, .t = 0};
    f->nobs = 1;
    return tr__run_own(&r);
}

int tr_analysis_add_file(struct tr_analysis *a, const char *path)
{
    struct tr_file_result *nf = realloc(a->files, (a->nfiles + 1) * sizeof *nf);
    if (!nf)
        return TR_ENOMEM;
    a->files = nf;
    struct tr_file_result *f = &a->files[a->nfiles];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (!f->path)
        return TR_ENOMEM;
    uint32_t idx = a->nfiles++;
    f->err = tr__run_file(a, f, idx);
    f->opened = f->obs[0] != NULL;
    return f->err;
}

void tr_analysis_free(struct tr_analysis *a)
{
    for (unsigned i = 0; i < a->nfiles; i++) {
        for (unsigned k = 0; k < a->files[i].nobs; k++)
            tr_obs_free(a->files[i].obs[k]);
        for (unsigned k = 0; k < TR_MAX_SHARDS; k++)
            tr_arena_free(a->files[i].arena[k]);
        free(a->files[i].path);
    }
    free(a->files);
    memset(a, 0, sizeof *a);
}

void tr_conn_iter_init(struct tr_conn_iter *it, const struct tr_file_result *f)
{
    it->f = f;
    it->index = 0;
    for (unsigned k = 0; k < f->nobs; k++) {
        it->pos[k] = 0;
        it->n[k] = 0;
        it->order[k] = f->obs[k] ? tr_obs_order(f->obs[k], &it->n[k]) : NULL;
    }
}

uint64_t tr_file_released(const struct tr_file_result *f)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < f->nobs; k++)
        if (f->obs[k])
            n += tr_obs_input(f->obs[k])->conns_released;
    return n;
}

uint64_t tr_file_released_rule(const struct tr_file_result *f, unsigned r)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < f->nobs; k++)
        if (f->obs[k])
            n += tr_obs_input(f->obs[k])->released_by_rule[r];
    return n;
}

bool tr_conn_iter_next_ref(struct tr_conn_iter *it, unsigned *obs, uint32_t *id)
{
    const struct tr_file_result *f = it->f;
    unsigned bk = TR_MAX_SHARDS;
    uint64_t best = 0;
    for (unsigned k = 0; k < f->nobs; k++) {
        if (it->pos[k] >= it->n[k])
            continue;
        uint64_t ff = tr_obs_first_frame(f->obs[k], it->order[k][it->pos[k]]);
        if (bk == TR_MAX_SHARDS || ff < best) {
            best = ff;
            bk = k;
        }
    }
    if (bk == TR_MAX_SHARDS)
        return false;
    *obs = bk;
    *id = it->order[bk][it->pos[bk]++];
    it->index++;
    return true;
}

const struct tr_conn *tr_conn_iter_next(struct tr_conn_iter *it, const struct tr_obs **obs)
{
    unsigned k;
    uint32_t id;
    if (!tr_conn_iter_next_ref(it, &k, &id))
        return NULL;
    if (obs)
        *obs = it->f->obs[k];
    return tr_obs_view(it->f->obs[k], id, &it->scratch);
}

const struct tr_input_stats *tr_file_input(const struct tr_file_result *f)
{
    if (f->merged)
        return &f->in;
    return f->obs[0] ? tr_obs_input(f->obs[0]) : NULL;
}
