/*
 * The observer fed with sequences of decoded segments (fuzz_segs.c): the
 * state machine, every check, eviction and release under small limits,
 * the live-mode hooks, then the end of input and both reports.
 *
 * Input: two configuration bytes, then 20-byte segment records.
 *   byte 0: bit 0 profile rfc (else linux), bit 1 max_conns 2, bit 2
 *           max_records 1, bit 3 release_closed, bit 4 no linger, bit 5 VLAN
 *           not in the key, bit 6 tiny finding limits, bit 7 stop after 1 s
 *   byte 1: bit 0 two shards (this observer takes shard 1), bit 1 the
 *           wsflags hook
 * A record whose first two bytes are 0xff closes out idle connections
 * (tr_obs_expire) or retires ended ones (tr_obs_expire_ended), with the
 * idle time in ms from its sequence field, as `tcpref live` does.
 */
#include <jansson.h>
#include <string.h>

#include "analyzer/observer.h"
#include "analyzer/report.h"
#include "fuzz.h"
#include "stack/profile.h"

struct fz_hooks {
    struct tr_obs *o;
    uint64_t last_frame;
    unsigned opened, closed;
};

static void fz__flags(void *ctx, const struct tr_conn *c, uint64_t frame, uint32_t ws)
{
    struct fz_hooks *h = ctx;
    FZ_CHECK(c != NULL);
    FZ_CHECK(ws < (1u << TR_WS_COUNT));
    FZ_CHECK(frame >= h->last_frame); /* wsflags lines come in frame order */
    h->last_frame = frame;
}

static void fz__finding(void *ctx, const struct tr_conn *c, const struct tr_finding *f)
{
    (void)ctx;
    FZ_CHECK(f->rule < TR_RULE_COUNT);
    json_decref(tr_json_finding(c, f, 0));
}

static void fz__open(void *ctx, const struct tr_conn *c)
{
    (void)c;
    ((struct fz_hooks *)ctx)->opened++;
}

/* As live mode does: the connection's JSON is written when it closes. */
static void fz__close(void *ctx, const struct tr_conn *c)
{
    struct fz_hooks *h = ctx;
    h->closed++;
    json_decref(tr_json_conn(h->o, c, c->id, 0));
}

static void fz__config(struct tr_obs_config *cfg, uint8_t a, uint8_t b, struct fz_hooks *h)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = tr_profile_builtin((a & 0x01) ? "rfc" : "linux");
    cfg->max_conns = (a & 0x02) ? 2 : 0;
    cfg->max_records = (a & 0x04) ? 1 : 0;
    cfg->release_closed = (a & 0x08) != 0;
    cfg->linger_ns = (a & 0x10) ? -1 : 0;
    cfg->vlan_in_key = !(a & 0x20);
    if (a & 0x40)
        cfg->max_findings = 3, cfg->max_per_rule = 1;
    if (a & 0x80)
        cfg->stop_after_ns = 1000000000, cfg->stop_relative = true;
    if (b & 0x01)
        cfg->shard_k = 1, cfg->shard_n = 2;
    cfg->hooks = (struct tr_obs_hooks){.ctx = h, .finding = fz__finding, .conn_open = fz__open,
                                       .conn_close = fz__close};
    if (b & 0x02)
        cfg->hooks.frame_flags = fz__flags;
}

/* stop_relative is resolved by tr_obs_packet (the first frame's time);
 * segments fed directly need it absolute. */
static void fz__absolute_stop(struct tr_obs_config *cfg, int64_t first_ts)
{
    if (cfg->stop_relative) {
        cfg->stop_after_ns += first_ts;
        cfg->stop_relative = false;
    }
}

static void fz__control(struct tr_obs *o, const struct tr_seg *s)
{
    int64_t idle = (int64_t)(s->seq & 0xffff) * 1000000;
    if (s->seq & 0x80000000u)
        tr_obs_expire_ended(o, s->ts_ns, idle);
    else
        tr_obs_expire(o, s->ts_ns, idle);
}

/* Every connection the observer lists is consistent with what it counted. */
static void fz__check(struct tr_obs *o, const struct fz_hooks *h)
{
    uint32_t n;
    const struct tr_conn *const *v = tr_obs_sorted(o, &n);
    FZ_CHECK(n <= tr_obs_conn_count(o));
    FZ_CHECK(h->closed <= h->opened);
    for (uint32_t i = 0; i < n; i++) {
        const struct tr_conn *c = v[i];
        FZ_CHECK(!(c->flags & TR_CONN_RELEASED));
        FZ_CHECK(c->first_frame <= c->last_frame || c->last_frame == 0);
        FZ_CHECK(c->ntrans <= TR_MAX_TRANS);
        FZ_CHECK(i == 0 || v[i - 1]->first_frame <= c->first_frame);
        unsigned nf = 0;
        for (const struct tr_finding *f = NULL; (f = tr_obs_next_finding(o, c, f));)
            nf++;
        FZ_CHECK(nf == c->nfindings);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fz_hooks h = {0};
    struct tr_obs_config cfg;
    fz__config(&cfg, data[0], data[1], &h);
    struct fz_segs g;
    fz_segs_init(&g, data + 2, size - 2);
    fz__absolute_stop(&cfg, g.now);
    struct tr_obs *o = NULL;
    FZ_CHECK(tr_obs_new(&o, &cfg, 0) == 0);
    h.o = o;
    struct tr_seg s;
    uint8_t ctl;
    bool special;
    while (fz_segs_next(&g, &s, &ctl, &special)) {
        if (special)
            fz__control(o, &s);
        else
            tr_obs_segment(o, &s);
    }
    tr_obs_finish(o);
    fz_segs_free(&g);
    fz__check(o, &h);
    FZ_CHECK(cfg.max_conns == 0 || tr_obs_active(o) <= cfg.max_conns);
    fz_report(o, NULL, 0);
    tr_obs_free(o);
    return 0;
}
