#include "analyzer/analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/error.h"

void tr_analysis_init(struct tr_analysis *a, const struct tr_obs_config *cfg, unsigned threads)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->threads = threads ? threads : 1;
    if (a->threads > TR_MAX_SHARDS)
        a->threads = TR_MAX_SHARDS;
}

static void tr__keep_warnings(struct tr_file_result *f, const struct tr_source *src)
{
    f->nwarn = tr_source_warning_count(src);
    for (unsigned i = 0; i < f->nwarn && i < TR_SOURCE_MAX_WARN; i++)
        snprintf(f->warn[i], sizeof f->warn[i], "%s", tr_source_warning(src, i));
}

/* One pass over the file with one observer (shard k of n). */
static int tr__run_shard(struct tr_file_result *f, const struct tr_obs_config *base,
                         uint32_t file_index, unsigned k, unsigned n, bool keep_source_info)
{
    struct tr_obs_config cfg = *base;
    cfg.shard_k = k;
    cfg.shard_n = n;
    char err[512];
    struct tr_source *src;
    int r = tr_source_open_file(&src, f->path, err, sizeof err);
    if (r < 0) {
        snprintf(f->error, sizeof f->error, "%s", err);
        return r;
    }
    if ((r = tr_obs_new(&f->obs[k], &cfg, file_index)) < 0) {
        tr_source_close(src);
        return r;
    }
    struct tr_pkt pkt;
    while ((r = tr_source_next(src, &pkt)) == 1)
        tr_obs_packet(f->obs[k], &pkt);
    tr_obs_finish(f->obs[k]);
    if (keep_source_info) {
        if (r < 0)
            snprintf(f->error, sizeof f->error, "%s", tr_source_error(src));
        tr_source_stats(src, &f->src);
        tr__keep_warnings(f, src);
    }
    tr_source_close(src);
    return r < 0 ? r : 0;
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
    f->nobs = 1;
    f->err = tr__run_shard(f, &a->cfg, idx, 0, 1, true);
    f->opened = f->obs[0] != NULL;
    return f->err;
}

void tr_analysis_free(struct tr_analysis *a)
{
    for (unsigned i = 0; i < a->nfiles; i++) {
        for (unsigned k = 0; k < a->files[i].nobs; k++)
            tr_obs_free(a->files[i].obs[k]);
        free(a->files[i].path);
    }
    free(a->files);
    memset(a, 0, sizeof *a);
}

void tr_conn_iter_init(struct tr_conn_iter *it, const struct tr_file_result *f)
{
    memset(it, 0, sizeof *it);
    it->f = f;
    for (unsigned k = 0; k < f->nobs; k++)
        if (f->obs[k])
            it->sorted[k] = tr_obs_sorted(f->obs[k], &it->n[k]);
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

const struct tr_conn *tr_conn_iter_next(struct tr_conn_iter *it, const struct tr_obs **obs)
{
    const struct tr_conn *best = NULL;
    unsigned bk = 0;
    for (unsigned k = 0; k < it->f->nobs; k++) {
        const struct tr_conn *c = it->pos[k] < it->n[k] ? it->sorted[k][it->pos[k]] : NULL;
        if (c && (!best || c->first_frame < best->first_frame)) {
            best = c;
            bk = k;
        }
    }
    if (!best)
        return NULL;
    it->pos[bk]++;
    it->index++;
    if (obs)
        *obs = it->f->obs[bk];
    return best;
}

const struct tr_input_stats *tr_file_input(const struct tr_file_result *f)
{
    return f->obs[0] ? tr_obs_input(f->obs[0]) : NULL;
}
