/* Reading the recording: the connection (numbered as `tcpref analyze`
 * numbers them), its conversation, and the plan of writes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/decode.h"
#include "analyzer/source.h"
#include "replay/replay.h"
#include "stack/error.h"
#include "stack/profile.h"

void tr_replay_init(struct tr_replay *r, const struct tr_replay_opts *o)
{
    memset(r, 0, sizeof *r);
    r->opt = *o;
    tr_convo_init(&r->rec);
    tr_convo_init(&r->rep);
}

void tr_replay_free(struct tr_replay *r)
{
    tr_analysis_free(&r->rec_an);
    tr_convo_free(&r->rec);
    tr_convo_free(&r->rep);
    tr_plan_free(&r->plan);
    if (r->run_obs)
        tr_obs_free(r->run_obs);
    free(r->out_rec.ex);
    free(r->out_rep.ex);
    memset(r, 0, sizeof *r);
}

static bool tr__has_handshake(const struct tr_conn *c)
{
    return c->roles == TR_ROLES_KNOWN && c->ep[0].syn.seen && c->ep[1].syn.seen;
}

/* The connection asked for, or the first with a handshake (else the first). */
static int tr__pick(struct tr_replay *r, char *err, size_t n)
{
    const struct tr_file_result *f = &r->rec_an.files[0];
    struct tr_conn_iter it;
    tr_conn_iter_init(&it, f);
    const struct tr_obs *o;
    const struct tr_conn *first = NULL, *hs = NULL;
    uint32_t first_id = 0, hs_id = 0;
    for (const struct tr_conn *c; (c = tr_conn_iter_next(&it, &o));) {
        uint32_t id = it.index - 1;
        if (r->opt.conn_id >= 0 && id == (uint32_t)r->opt.conn_id) {
            r->rec_conn = c, r->rec_obs = o, r->conn_id = id;
            return TR_OK;
        }
        if (!first)
            first = c, first_id = id, r->rec_obs = o;
        if (!hs && tr__has_handshake(c))
            hs = c, hs_id = id, r->rec_obs = o;
    }
    if (r->opt.conn_id >= 0) {
        snprintf(err, n, "%s has no connection %ld (it has %" PRIu32 ")", r->opt.file,
                 r->opt.conn_id, it.index);
        return TR_EINVAL;
    }
    if (!first) {
        snprintf(err, n, "%s holds no TCP connection", r->opt.file);
        return TR_EINVAL;
    }
    r->rec_conn = hs ? hs : first;
    r->conn_id = hs ? hs_id : first_id;
    return TR_OK;
}

/* Second pass over the file: the connection's segments into the convo. */
static int tr__extract(struct tr_replay *r, char *err, size_t n)
{
    const struct tr_conn *c = r->rec_conn;
    tr_convo_set_tuple(&r->rec, c->ipver, c->addr[0], c->port[0], c->addr[1], c->port[1]);
    struct tr_source *src;
    int rc = tr_source_open_file(&src, r->opt.file, err, n);
    if (rc < 0)
        return rc;
    struct tr_pkt pkt;
    while ((rc = tr_source_next(src, &pkt)) == 1) {
        if (pkt.frame < c->first_frame || pkt.frame > c->last_frame)
            continue;
        struct tr_seg s;
        struct tr_dec_info info;
        if (tr_decode(&pkt, false, &s, &info) == TR_DEC_TCP)
            tr_convo_add(&r->rec, &s);
    }
    if (rc < 0)
        snprintf(err, n, "%s", tr_source_error(src));
    tr_source_close(src);
    if (rc == 0 && r->rec.err < 0) {
        snprintf(err, n, "%s: %s (streams are limited to %u MiB)", r->opt.file,
                 tr_strerror(r->rec.err), TR_STREAM_MAX >> 20);
        rc = r->rec.err;
    }
    return rc;
}

int tr_replay_load(struct tr_replay *r, char *err, size_t n)
{
    r->profile = tr_profile_builtin(r->opt.profile ? r->opt.profile : "rfc");
    if (!r->profile) {
        snprintf(err, n, "unknown profile '%s' (built in: rfc, linux)", r->opt.profile);
        return TR_EINVAL;
    }
    struct tr_obs_config cfg = {.profile = r->profile, .vlan_in_key = true};
    tr_analysis_init(&r->rec_an, &cfg, 1);
    int rc = tr_analysis_add_file(&r->rec_an, r->opt.file);
    if (rc < 0) {
        snprintf(err, n, "%s", r->rec_an.files[0].error);
        return rc;
    }
    if ((rc = tr__pick(r, err, n)) < 0 || (rc = tr__extract(r, err, n)) < 0)
        return rc;
    r->played = r->opt.role;
    const struct tr_conn *c = r->rec_conn;
    r->side_rtt_ns = c->side_known ? c->side_rtt[r->played] : 0;
    if (tr_convo_incomplete(&r->rec, r->why, sizeof r->why)) {
        r->inconclusive = true;
        return TR_OK;
    }
    if (c->ipver != r->opt.ipver) {
        snprintf(err, n, "connection %" PRIu32 " is IPv%d but --local/--peer are IPv%d",
                 r->conn_id, c->ipver, r->opt.ipver);
        return TR_EINVAL;
    }
    return tr_plan_build(&r->plan, &r->rec, r->played, r->side_rtt_ns);
}
