/*
 * The replay's comparison of two captures (replay/convo.c, plan.c,
 * compare.c, judge.c, report.c): a recording and a replayed run, each a
 * sequence of segments (fuzz_segs.c; the top bit of a record's control
 * byte says which), go through what `tcpref replay` does with them once
 * the run is over:
 *
 *   each capture into an observer, the connection picked as tr_replay_load
 *   picks it (the first with a handshake, else the first), its segments
 *   into a conversation (tr_convo_add), the recording checked for
 *   completeness, the plan of writes built, both outcomes judged and
 *   compared, and the JSON and text reports written.
 *
 * Input: one configuration byte (bit 0: tcpref played the server; bit 1:
 * --timing asap; bit 2: the rfc profile), then 20-byte segment records.
 *
 * Checked: the JSON report parses; an outcome compared with itself is a
 * MATCH; a verdict is one of the four.
 *
 * Sequence numbers stay within 1 MiB of each side's stream: the replay's
 * streams are flat buffers of up to TR_STREAM_MAX (256 MiB) zero-filled over
 * holes, so one segment far past the ISN costs a 256 MiB allocation and its
 * hashing (half a second): known, and left out so the fuzzer explores the
 * comparison instead (tests/fuzz/README.md).
 */
#include <jansson.h>
#include <string.h>

#include "analyzer/observer.h"
#include "fuzz.h"
#include "replay/replay.h"
#include "stack/profile.h"

#define FZ_SPAN (1u << 20)

/* Pass 1: each capture into its observer. */
static void fz__observe(struct tr_obs *obs[2], const uint8_t *data, size_t size)
{
    struct fz_segs g;
    fz_segs_init(&g, data, size);
    g.abs_span = FZ_SPAN;
    struct tr_seg s;
    uint8_t ctl;
    bool special;
    while (fz_segs_next(&g, &s, &ctl, &special))
        if (!special)
            tr_obs_segment(obs[ctl >> 7], &s);
    fz_segs_free(&g);
    tr_obs_finish(obs[0]);
    tr_obs_finish(obs[1]);
}

/* As tr_replay_load picks it: the first connection with a handshake, else
 * the first. */
static const struct tr_conn *fz__pick(struct tr_obs *o)
{
    uint32_t n;
    const struct tr_conn *const *v = tr_obs_sorted(o, &n);
    for (uint32_t i = 0; i < n; i++)
        if (v[i]->roles == TR_ROLES_KNOWN && v[i]->ep[0].syn.seen && v[i]->ep[1].syn.seen)
            return v[i];
    return n ? v[0] : NULL;
}

/* Pass 2: the picked connections' segments into the conversations. */
static void fz__converse(struct tr_replay *r, const uint8_t *data, size_t size)
{
    const struct tr_conn *pick[2] = {r->rec_conn, r->run_conn};
    struct tr_convo *cv[2] = {&r->rec, &r->rep};
    for (int k = 0; k < 2; k++)
        if (pick[k])
            tr_convo_set_tuple(cv[k], pick[k]->ipver, pick[k]->addr[0], pick[k]->port[0],
                               pick[k]->addr[1], pick[k]->port[1]);
    struct fz_segs g;
    fz_segs_init(&g, data, size);
    g.abs_span = FZ_SPAN;
    struct tr_seg s;
    uint8_t ctl;
    bool special;
    while (fz_segs_next(&g, &s, &ctl, &special)) {
        int k = ctl >> 7;
        if (!special && pick[k] && s.frame >= pick[k]->first_frame && s.frame <= pick[k]->last_frame)
            tr_convo_add(cv[k], &s);
    }
    fz_segs_free(&g);
}

static void fz__reports(const struct tr_replay *r)
{
    json_t *j = tr_replay_json(r);
    FZ_CHECK(j != NULL);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    FZ_CHECK(text != NULL);
    json_decref(j);
    json_error_t e;
    json_t *back = json_loads(text, 0, &e);
    FZ_CHECK(back != NULL);
    json_decref(back);
    free(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    FZ_CHECK(m != NULL);
    FZ_CHECK(tr_replay_report_text(m, r) == 0);
    fclose(m);
    free(buf);
}

/* An outcome compared with itself: nothing can differ. */
static void fz__self_compare(const struct tr_replay *r)
{
    struct tr_cmp c;
    struct tr_tolerance tol = {.abs_ns = r->profile->tol_abs_ns, .pct = r->profile->tol_pct,
                               .scale = 1};
    tr_compare(&r->out_rec, &r->out_rec, r->played, &tol, 0, &c);
    FZ_CHECK(c.verdict == TR_RV_MATCH);
}

static void fz__judge(struct tr_replay *r)
{
    r->run.end = TR_RUN_CLOSED;
    tr_replay_judge(r);
    FZ_CHECK((unsigned)r->verdict <= TR_RV_INCONCLUSIVE);
    if (!r->inconclusive)
        fz__self_compare(r);
    fz__reports(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfgb = data[0];
    data++, size--;
    struct tr_replay_opts opt = {.file = "fuzz.pcap", .iface = "fz0", .ipver = 4,
                                 .conn_id = -1, .role = cfgb & 1, .local_port = -1,
                                 .peer_port = -1, .scale = 1,
                                 .timing = (cfgb & 2) ? TR_TIMING_ASAP : TR_TIMING_RECORDED};
    struct tr_replay r;
    tr_replay_init(&r, &opt);
    r.profile = tr_profile_builtin((cfgb & 4) ? "rfc" : "linux");
    struct tr_obs_config cfg = {.profile = r.profile, .vlan_in_key = true};
    struct tr_obs *obs[2] = {NULL, NULL};
    FZ_CHECK(tr_obs_new(&obs[0], &cfg, 0) == 0 && tr_obs_new(&obs[1], &cfg, 0) == 0);
    fz__observe(obs, data, size);
    r.rec_obs = obs[0];
    r.run_obs = obs[1]; /* tr_replay_free frees it */
    r.rec_conn = fz__pick(obs[0]);
    r.run_conn = fz__pick(obs[1]);
    if (r.rec_conn) {
        fz__converse(&r, data, size);
        r.played = opt.role;
        r.side_rtt_ns = r.rec_conn->side_known ? r.rec_conn->side_rtt[r.played] : 0;
        r.inconclusive = tr_convo_incomplete(&r.rec, r.why, sizeof r.why);
        if (r.inconclusive || tr_plan_build(&r.plan, &r.rec, r.played, r.side_rtt_ns) == 0)
            fz__judge(&r);
    }
    tr_replay_free(&r);
    tr_obs_free(obs[0]);
    return 0;
}
