/*
 * Running the observer over capture files, and the results the reports
 * read.
 *
 * Splitting (docs/performance.md), T > 1 observers per file, each
 * following the connections of one part of the flow hash (tr_flow_hash:
 * both directions alike, the same on every machine), so that no connection
 * state is shared and no lock is taken per packet:
 *
 * - a regular file: T processes (fork(2)), each reading the whole file
 *   itself; process 0 (the caller) also keeps the file's counters. A
 *   child's observer allocates from an arena mapped before the fork
 *   (analyzer/arena.h) and hands it over when done, so the caller reads
 *   the child's connections at the addresses the child left them. No
 *   packet crosses between cores, and no unmapping interrupts another CPU.
 *   Every observer of a file, the caller's too, allocates from an arena
 *   (transparent huge pages: docs/performance.md, "Tenth round").
 * - standard input or a pipe (read once): the calling thread reads and
 *   hands each TCP packet to one of T-1 worker threads, chosen by the flow
 *   hash: plain Ethernet/IPv4/TCP packets undecoded (tr_decode_peek; the
 *   worker decodes them and keeps the decode counters), others decoded, and
 *   all decoded while the worker is behind (over half its ring to take).
 *   With one worker the reader also follows the connections of the first
 *   160/1024 of the hash space itself.
 *
 * The reports merge the observers in the order of the connections' first
 * frames; the result does not depend on T nor on the way of splitting.
 *
 * Shards across runs: cfg.shard_k/shard_n (analyze --shard K/N) make the
 * whole analysis follow only shard K of N (the workers split it further);
 * `tcpref merge` joins the N reports into the report of the whole capture.
 */
#ifndef TCPREF_ANALYZER_ANALYSIS_H
#define TCPREF_ANALYZER_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/arena.h"
#include "analyzer/observer.h"
#include "analyzer/source.h"

#define TR_MAX_SHARDS 64

struct tr_file_result {
    char *path;
    bool opened;              /* false: the file could not be read at all */
    int err;                  /* < 0 when reading stopped at damage */
    char error[512];          /* message naming the file, frame and offset */
    struct tr_source_stats src;
    unsigned nwarn;           /* non-fatal anomalies (first TR_SOURCE_MAX_WARN kept) */
    char warn[TR_SOURCE_MAX_WARN][256];
    unsigned nobs;
    struct tr_obs *obs[TR_MAX_SHARDS];
    bool merged;              /* in holds the input counters of all shards */
    struct tr_input_stats in;
    struct tr_arena *arena[TR_MAX_SHARDS]; /* where obs[k] lives (NULL: the C library's heap) */
};

/* Called by the first thread every 65,536 packets of a file, and once when
 * it is done with it (end; done == total when the size is known): bytes
 * read, file size (0 when unknown: standard input, a pipe), packets read. */
typedef void (*tr_progress_fn)(void *ctx, const char *path, uint64_t done, uint64_t total,
                               uint64_t packets, bool end);

/* How an analysis with T > 1 divides the work (docs/performance.md). */
enum tr_split {
    TR_SPLIT_AUTO = 0,     /* processes for a regular file, else the pipeline */
    TR_SPLIT_PIPELINE,     /* a reader thread feeding worker threads */
    TR_SPLIT_PROCESSES,    /* T processes that each read the file (a regular file only) */
};

struct tr_analysis {
    struct tr_obs_config cfg;
    unsigned threads;         /* observers per file */
    unsigned nfiles;
    struct tr_file_result *files;
    tr_progress_fn progress;  /* optional */
    void *progress_ctx;
    bool reader_decodes;      /* for the tests: with threads, the reader decodes every
                                 packet for the workers, as it does while they are behind */
    enum tr_split split;      /* how T > 1 splits a regular file */
};

/* threads: 0 = one per CPU this process may run on (sched_getaffinity),
 * at most 4; at most TR_MAX_SHARDS when given. */
void tr_analysis_init(struct tr_analysis *a, const struct tr_obs_config *cfg, unsigned threads);
/* The threads "0" stands for: the CPUs this process may run on, at most 4. */
unsigned tr_analysis_auto_threads(void);
/* Analyzes one more file. Returns 0, or a negative code when the file could
 * not be opened or stopped at damage (the result still holds what was read). */
int tr_analysis_add_file(struct tr_analysis *a, const char *path);
void tr_analysis_free(struct tr_analysis *a);

/* Iterates the connections of a file in the order of their first frame,
 * across shards: start with tr_conn_iter_init. The connection returned is
 * valid until the next call on the same iterator when the observers park
 * idle connections (tr_obs_config.park_idle_ns); otherwise as long as the
 * analysis. */
struct tr_conn_iter {
    const struct tr_file_result *f;
    uint32_t pos[TR_MAX_SHARDS], n[TR_MAX_SHARDS];
    const uint32_t *order[TR_MAX_SHARDS];
    uint32_t index;           /* connection id within the file */
    struct tr_conn scratch;   /* a parked connection, unpacked */
};
void tr_conn_iter_init(struct tr_conn_iter *it, const struct tr_file_result *f);
/* Connections of a file that were released (only counted), and their
 * findings of rule r, summed over the shards. */
uint64_t tr_file_released(const struct tr_file_result *f);
uint64_t tr_file_released_rule(const struct tr_file_result *f, unsigned r);
const struct tr_conn *tr_conn_iter_next(struct tr_conn_iter *it, const struct tr_obs **obs);
/* The same order without the connections: which observer (f->obs[*obs])
 * and which id (tr_obs_view) comes next; false at the end. */
bool tr_conn_iter_next_ref(struct tr_conn_iter *it, unsigned *obs, uint32_t *id);

/* Input counters of a file: the file-wide ones (the same in every shard)
 * with the per-connection ones summed over the shards. */
const struct tr_input_stats *tr_file_input(const struct tr_file_result *f);

#endif
