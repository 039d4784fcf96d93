/*
 * Running the observer over capture files, and the results the reports
 * read. A file may be analyzed by several observers, each taking one shard
 * of its connections (threads); the reports merge them in the order of the
 * connections' first frames, so the result does not depend on the sharding.
 */
#ifndef TCPREF_ANALYZER_ANALYSIS_H
#define TCPREF_ANALYZER_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

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
};

struct tr_analysis {
    struct tr_obs_config cfg;
    unsigned threads;         /* observers per file */
    unsigned nfiles;
    struct tr_file_result *files;
};

void tr_analysis_init(struct tr_analysis *a, const struct tr_obs_config *cfg, unsigned threads);
/* Analyzes one more file. Returns 0, or a negative code when the file could
 * not be opened or stopped at damage (the result still holds what was read). */
int tr_analysis_add_file(struct tr_analysis *a, const char *path);
void tr_analysis_free(struct tr_analysis *a);

/* Iterates the connections of a file in the order of their first frame,
 * across shards: start with it->pos zeroed. */
struct tr_conn_iter {
    const struct tr_file_result *f;
    uint32_t pos[TR_MAX_SHARDS], n[TR_MAX_SHARDS];
    const struct tr_conn *const *sorted[TR_MAX_SHARDS];
    uint32_t index;           /* connection id within the file */
};
void tr_conn_iter_init(struct tr_conn_iter *it, const struct tr_file_result *f);
/* Connections of a file that were released (only counted), and their
 * findings of rule r, summed over the shards. */
uint64_t tr_file_released(const struct tr_file_result *f);
uint64_t tr_file_released_rule(const struct tr_file_result *f, unsigned r);
const struct tr_conn *tr_conn_iter_next(struct tr_conn_iter *it, const struct tr_obs **obs);

/* Input counters of a file (identical in every shard). */
const struct tr_input_stats *tr_file_input(const struct tr_file_result *f);

#endif
