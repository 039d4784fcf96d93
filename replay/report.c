/* The replay report: JSON (schema tcpref-replay/1, keys sorted) and text. */
#include <inttypes.h>
#include <string.h>

#include "analyzer/format.h"
#include "analyzer/report.h"
#include "replay/frame.h"
#include "replay/netcheck.h"
#include "replay/replay.h"

#define TR_JSON_FLAGS (JSON_SORT_KEYS | JSON_INDENT(1) | JSON_REAL_PRECISION(10))

static const char *const tr__role[2] = {"client", "server"};
static const char *const tr__dirname[2] = {"client-to-server", "server-to-client"};

static json_t *tr__secs(int64_t ns) { return ns < 0 ? json_null() : json_real((double)ns / 1e9); }

static json_t *tr__u64(uint64_t v) { return json_integer((json_int_t)v); }

const char *tr_replay_run_end_name(enum tr_run_end e)
{
    static const char *const n[] = {"not-run", "closed", "time-wait", "recording-end-reached",
                                    "stalled", "timeout", "interrupted"};
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

const char *tr_replay_ep_error_name(enum tr_endpoint_error e)
{
    static const char *const n[] = {"none", "reset", "refused", "timeout", "aborted"};
    return (unsigned)e < 5 ? n[e] : "?";
}

static void tr__timing_text(const struct tr_replay_opts *o, char *buf, size_t n)
{
    if (o->timing == TR_TIMING_ASAP)
        snprintf(buf, n, "asap");
    else if (o->timing == TR_TIMING_SCALE)
        snprintf(buf, n, "scale:%g", o->scale);
    else
        snprintf(buf, n, "recorded");
}

static json_t *tr__endpoint_addr(int ipver, const uint8_t *ip, uint16_t port)
{
    char a[64];
    tr_net_format_ip(ipver, ip, a, sizeof a);
    json_t *j = json_object();
    json_object_set_new(j, "ip", json_string(a));
    json_object_set_new(j, "port", json_integer(port));
    return j;
}

static json_t *tr__trigger(struct tr_trigger t)
{
    json_t *j = json_object();
    json_object_set_new(j, "peer_bytes", tr__u64(t.bytes));
    json_object_set_new(j, "peer_fin", json_boolean(t.eof));
    return j;
}

static json_t *tr__plan(const struct tr_plan *p)
{
    static const char *const close[] = {"none", "fin", "rst"};
    json_t *j = json_object(), *ws = json_array();
    for (size_t k = 0; k < p->nw; k++) {
        json_t *w = json_object();
        json_object_set_new(w, "offset", tr__u64(p->w[k].off));
        json_object_set_new(w, "length", tr__u64(p->w[k].len));
        json_object_set_new(w, "after", tr__trigger(p->w[k].trig));
        json_object_set_new(w, "think", tr__secs(p->w[k].think_ns));
        json_object_set_new(w, "frame", tr__u64(p->w[k].frame));
        json_array_append_new(ws, w);
    }
    json_object_set_new(j, "writes", ws);
    json_t *c = json_object();
    json_object_set_new(c, "kind", json_string(close[p->close]));
    json_object_set_new(c, "after", p->close ? tr__trigger(p->close_trig) : json_null());
    json_object_set_new(c, "think", p->close ? tr__secs(p->close_think_ns) : json_null());
    json_object_set_new(j, "close", c);
    json_object_set_new(j, "refused", json_boolean(p->refused));
    json_object_set_new(j, "filler_bytes", tr__u64(p->filler));
    json_object_set_new(j, "split_gap", tr__secs(p->split_gap_ns));
    return j;
}

static json_t *tr__recording(const struct tr_replay *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "file", json_string(r->opt.file));
    json_object_set_new(j, "connection", json_integer(r->conn_id));
    json_object_set_new(j, "played", json_string(tr__role[r->played]));
    const struct tr_convo *c = &r->rec;
    json_object_set_new(j, "client", tr__endpoint_addr(c->ipver, c->addr[0], c->port[0]));
    json_object_set_new(j, "server", tr__endpoint_addr(c->ipver, c->addr[1], c->port[1]));
    json_object_set_new(j, "complete", json_boolean(!r->inconclusive));
    json_object_set_new(j, "incomplete", r->inconclusive ? json_string(r->why) : json_null());
    json_object_set_new(j, "capture_to_played_side_rtt", tr__secs(r->side_rtt_ns));
    json_object_set_new(j, "plan", r->inconclusive ? json_null() : tr__plan(&r->plan));
    return j;
}

static json_t *tr__states_json(const uint8_t *st, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a, json_string(tr_state_name((enum tr_state)st[i])));
    return a;
}

static json_t *tr__ep_stats(const struct tr_endpoint_stats *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "segments_out", tr__u64(s->segs_out));
    json_object_set_new(j, "segments_in", tr__u64(s->segs_in));
    json_object_set_new(j, "bytes_out", tr__u64(s->bytes_out));
    json_object_set_new(j, "bytes_in", tr__u64(s->bytes_in));
    json_object_set_new(j, "bytes_delivered", tr__u64(s->bytes_delivered));
    json_object_set_new(j, "retransmits", tr__u64(s->retransmits));
    json_object_set_new(j, "timeouts", tr__u64(s->timeouts));
    json_object_set_new(j, "fast_retransmits", tr__u64(s->fast_retransmits));
    json_object_set_new(j, "probes", tr__u64(s->probes));
    json_object_set_new(j, "dup_acks_in", tr__u64(s->dup_acks_in));
    json_object_set_new(j, "out_of_order_in", tr__u64(s->out_of_order_in));
    json_object_set_new(j, "cwnd", tr__u64(s->cwnd));
    json_object_set_new(j, "ssthresh", tr__u64(s->ssthresh));
    return j;
}

static json_t *tr__run(const struct tr_replay *r)
{
    const struct tr_run *run = &r->run;
    json_t *j = json_object(), *local, *peer, *ep = json_object();
    char buf[64];
    json_object_set_new(j, "interface", json_string(r->opt.iface));
    local = tr__endpoint_addr(r->opt.ipver, r->opt.local_ip, run->local_port);
    tr_mac_format(run->local_mac, buf, sizeof buf);
    json_object_set_new(local, "mac", json_string(buf));
    json_object_set_new(local, "port_from", json_string(run->local_port_ephemeral ? "ephemeral"
                                                        : r->opt.local_port > 0 ? "option"
                                                                                : "recording"));
    json_object_set_new(j, "local", local);
    peer = tr__endpoint_addr(r->opt.ipver, r->opt.peer_ip, run->peer_port);
    tr_mac_format(run->peer_mac, buf, sizeof buf);
    json_object_set_new(peer, "mac", json_string(buf));
    json_object_set_new(j, "peer", peer);
    tr__timing_text(&r->opt, buf, sizeof buf);
    json_object_set_new(j, "timing", json_string(buf));
    json_object_set_new(j, "profile", json_string(r->profile->name));
    json_object_set_new(j, "iss", tr__u64(run->iss));
    json_object_set_new(j, "end", json_string(tr_replay_run_end_name(run->end)));
    json_object_set_new(j, "duration", tr__secs(run->duration_ns));
    json_object_set_new(j, "frames_captured", tr__u64(run->frames));
    json_object_set_new(j, "frames_dropped", tr__u64(run->drops));
    json_object_set_new(j, "capture_file", run->capture_path ? json_string(run->capture_path)
                                                             : json_null());
    json_object_set_new(j, "neighbour_requests", tr__u64(run->neigh_requests));
    json_object_set_new(j, "neighbour_answers", tr__u64(run->neigh_answers));
    json_object_set_new(j, "frames_ignored", tr__u64(run->ignored_frames));
    json_object_set_new(j, "writes_done", tr__u64(run->writes_done));
    json_object_set_new(j, "close_done", json_boolean(run->close_done));
    json_object_set_new(j, "delivered_to_application", tr__u64(run->rx_len));
    json_object_set_new(j, "delivered_matches_wire", json_boolean(run->rx_matches_wire));
    json_object_set_new(ep, "error", json_string(tr_replay_ep_error_name(run->ep_error)));
    json_object_set_new(ep, "states", tr__states_json(run->ep_states, run->ep_nstates));
    json_object_set_new(ep, "stats", tr__ep_stats(&run->st));
    json_object_set_new(j, "endpoint", ep);
    return j;
}

static json_t *tr__stream_json(const struct tr_out_dir *d, uint64_t hash)
{
    json_t *j = json_object();
    char h[32];
    snprintf(h, sizeof h, "%016" PRIx64, hash);
    json_object_set_new(j, "length", tr__u64(d->len));
    json_object_set_new(j, "fnv1a64", json_string(h));
    json_object_set_new(j, "captured", json_boolean(d->captured));
    return j;
}

static json_t *tr__bytes(const struct tr_replay *r)
{
    json_t *j = json_object();
    for (int d = 0; d < 2; d++) {
        const struct tr_cmp_bytes *b = &r->cmp.bytes[d];
        json_t *x = json_object();
        json_object_set_new(x, "recorded", tr__stream_json(&r->out_rec.dir[d], b->hash_rec));
        json_object_set_new(x, "replayed", tr__stream_json(&r->out_rep.dir[d], b->hash_rep));
        json_object_set_new(x, "equal", json_boolean(b->equal));
        json_object_set_new(x, "compared", json_string(b->lengths_only ? "lengths" : "bytes"));
        json_object_set_new(x, "first_difference", b->equal ? json_null() : tr__u64(b->first_diff));
        json_object_set_new(j, tr__dirname[d], x);
    }
    return j;
}

static json_t *tr__opts_json(const struct tr_out_opts *o)
{
    if (!o->seen)
        return json_null();
    json_t *j = json_object();
    json_object_set_new(j, "mss", o->has_mss ? json_integer(o->mss) : json_null());
    json_object_set_new(j, "wscale", o->has_ws ? json_integer(o->ws) : json_null());
    json_object_set_new(j, "sack_permitted", json_boolean(o->sack_perm));
    json_object_set_new(j, "timestamps", json_boolean(o->has_ts));
    return j;
}

static json_t *tr__end_json(const struct tr_outcome *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "how", json_string(tr_out_end_name(o->end)));
    json_object_set_new(j, "by", o->end_by >= 0 ? json_string(tr__role[o->end_by]) : json_null());
    json_object_set_new(j, "established", json_boolean(o->established));
    return j;
}

static json_t *tr__pair(json_t *rec, json_t *rep)
{
    json_t *j = json_object();
    json_object_set_new(j, "recorded", rec);
    json_object_set_new(j, "replayed", rep);
    return j;
}

static json_t *tr__retx_json(const struct tr_out_dir *d)
{
    json_t *j = json_object();
    json_object_set_new(j, "segments", tr__u64(d->retx_segs));
    json_object_set_new(j, "timeouts", tr__u64(d->timeouts));
    json_object_set_new(j, "fast", tr__u64(d->fast_retx));
    json_object_set_new(j, "data_segments", tr__u64(d->data_segs));
    json_object_set_new(j, "max_segment", tr__u64(d->max_seg));
    return j;
}

static json_t *tr__per_side(const struct tr_replay *r)
{
    json_t *j = json_object();
    for (int d = 0; d < 2; d++) {
        const struct tr_outcome *a = &r->out_rec, *b = &r->out_rep;
        json_t *x = json_object();
        json_object_set_new(x, "options", tr__pair(tr__opts_json(&a->opts[d]),
                                                   tr__opts_json(&b->opts[d])));
        json_t *st = tr__pair(tr__states_json(a->states[d], a->nstates[d]),
                              tr__states_json(b->states[d], b->nstates[d]));
        json_object_set_new(st, "equal", json_boolean(r->cmp.states_equal[d]));
        json_object_set_new(x, "states", st);
        json_t *sg = tr__pair(tr__retx_json(&a->dir[d]), tr__retx_json(&b->dir[d]));
        json_object_set_new(sg, "segmentation_within_tolerance", json_boolean(r->cmp.segs_ok[d]));
        json_object_set_new(sg, "retransmissions_equal", json_boolean(r->cmp.retx_equal[d]));
        json_object_set_new(x, "segments", sg);
        json_object_set_new(j, tr__role[d], x);
    }
    return j;
}

/* Findings by sender: {"client": [{"rule", "severity", "class", "count"}], ...}. */
static json_t *tr__findings(const struct tr_obs *o, const struct tr_conn *c)
{
    json_t *j = json_object();
    const char *who[3] = {"client", "server", "connection"};
    for (int k = 0; k < 3; k++)
        json_object_set_new(j, who[k], json_array());
    if (!o || !c)
        return j;
    unsigned counts[3][TR_RULE_COUNT];
    memset(counts, 0, sizeof counts);
    for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f;
         f = tr_obs_next_finding(o, c, f))
        counts[f->dir < 2 ? f->dir : 2][f->rule] += 1 + f->repeat;
    for (int k = 0; k < 3; k++)
        for (unsigned rule = 0; rule < TR_RULE_COUNT; rule++) {
            if (!counts[k][rule])
                continue;
            const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)rule);
            json_t *x = json_object();
            json_object_set_new(x, "rule", json_string(ri->id));
            json_object_set_new(x, "severity", json_string(tr_severity_name(ri->severity)));
            json_object_set_new(x, "class", json_string(tr_class_name(ri->cls)));
            json_object_set_new(x, "count", json_integer(counts[k][rule]));
            json_array_append_new(json_object_get(j, who[k]), x);
        }
    return j;
}

static json_t *tr__exchanges(const struct tr_replay *r)
{
    json_t *a = json_array();
    double scale = r->opt.timing == TR_TIMING_ASAP ? 0 : r->opt.scale;
    for (size_t k = 0; k < r->out_rec.nex && k < r->out_rep.nex; k++) {
        const struct tr_exchange *x = &r->out_rec.ex[k], *y = &r->out_rep.ex[k];
        json_t *j = json_object();
        json_object_set_new(j, "write", tr__u64(k));
        json_object_set_new(j, "offset", tr__u64(r->plan.w[k].off));
        json_object_set_new(j, "length", tr__u64(r->plan.w[k].len));
        json_object_set_new(j, "think_recorded", tr__secs(x->think_ns));
        int64_t expected = x->think_ns < 0 ? -1 : (int64_t)((double)x->think_ns * scale);
        json_object_set_new(j, "think_expected", tr__secs(expected));
        json_object_set_new(j, "think_replayed", tr__secs(y->think_ns));
        json_object_set_new(j, "response_recorded", tr__secs(x->response_ns));
        json_object_set_new(j, "response_replayed", tr__secs(y->response_ns));
        json_array_append_new(a, j);
    }
    return a;
}

static json_t *tr__divergence(const struct tr_replay *r)
{
    static const char *const kind[] = {"none", "handshake", "bytes", "end"};
    const struct tr_divergence *d = &r->cmp.div;
    if (r->verdict != TR_RV_DIVERGED)
        return json_null();
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(kind[d->kind]));
    bool bytes = d->kind == TR_DIV_BYTES;
    json_object_set_new(j, "direction", bytes ? json_string(tr__dirname[d->dir]) : json_null());
    json_object_set_new(j, "offset", bytes ? tr__u64(d->offset) : json_null());
    json_object_set_new(j, "expected", json_string(d->expected));
    json_object_set_new(j, "observed", json_string(d->observed));
    return j;
}

static json_t *tr__notes(const struct tr_replay *r)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < r->cmp.nnotes; i++)
        json_array_append_new(a, json_string(r->cmp.notes[i]));
    if (!r->inconclusive && r->plan.filler)
        json_array_append_new(a, json_string("the recording's snapshot length cut the played "
                                             "side's payload: filler bytes were sent and its "
                                             "bytes are compared by length only"));
    if (r->run.end == TR_RUN_INTERRUPTED)
        json_array_append_new(a, json_string("the run was interrupted (SIGINT or SIGTERM) before "
                                             "the conversation ended: nothing is concluded"));
    if (r->run.end == TR_RUN_TIMEOUT)
        json_array_append_new(a, json_string("the run stopped at --timeout before the "
                                             "conversation ended"));
    if (r->run.end != TR_RUN_NOT_RUN && !r->run.rx_matches_wire)
        json_array_append_new(a, json_string("the bytes tcpref's stack delivered to the "
                                             "application differ from the peer's stream on the "
                                             "wire"));
    return a;
}

static int64_t tr__t0(const struct tr_obs *o)
{
    return o ? tr_obs_input(o)->first_pkt_ts : 0;
}

json_t *tr_replay_json(const struct tr_replay *r)
{
    json_t *j = json_object();
    bool ran = r->run.end != TR_RUN_NOT_RUN;
    json_object_set_new(j, "schema", json_string(TR_REPLAY_SCHEMA));
    json_object_set_new(j, "verdict", json_string(tr_rverdict_name(r->verdict)));
    json_object_set_new(j, "hash", json_string("fnv1a64"));
    json_object_set_new(j, "recording", tr__recording(r));
    json_object_set_new(j, "notes", tr__notes(r));
    if (!ran) {
        json_object_set_new(j, "run", json_null());
        return j;
    }
    json_object_set_new(j, "run", tr__run(r));
    json_object_set_new(j, "bytes", tr__bytes(r));
    json_object_set_new(j, "end", tr__pair(tr__end_json(&r->out_rec), tr__end_json(&r->out_rep)));
    json_object_set_new(j, "sides", tr__per_side(r));
    json_object_set_new(j, "findings", tr__pair(tr__findings(r->rec_obs, r->rec_conn),
                                                tr__findings(r->run_obs, r->run_conn)));
    json_object_set_new(j, "exchanges", tr__exchanges(r));
    json_object_set_new(j, "divergence", tr__divergence(r));
    json_t *tol = json_object();
    json_object_set_new(tol, "absolute", tr__secs(r->profile->tol_abs_ns));
    json_object_set_new(tol, "percent", json_integer(r->profile->tol_pct));
    json_object_set_new(j, "tolerance", tol);
    json_t *rec = tr_json_conn(r->rec_obs, r->rec_conn, r->conn_id, tr__t0(r->rec_obs));
    json_t *rep = r->run_conn ? tr_json_conn(r->run_obs, r->run_conn, 0, tr__t0(r->run_obs))
                              : json_null();
    json_object_set_new(j, "analysis", tr__pair(rec, rep));
    return j;
}

int tr_replay_report_json(FILE *out, const struct tr_replay *r)
{
    json_t *j = tr_replay_json(r);
    int rc = json_dumpf(j, out, TR_JSON_FLAGS);
    json_decref(j);
    fputc('\n', out);
    return rc < 0 || ferror(out) ? -1 : 0;
}
