/* Names shared by the reports, totals, and the JSON report's frame. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/format.h"
#include "analyzer/jbuf.h"
#include "analyzer/report.h"

#define TR_JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))

const char *tr_end_name(enum tr_end e)
{
    static const char *const n[] = {"open", "fin", "half-close", "reset", "refused", "no-answer",
                                    "superseded"};
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

const char *tr_vantage_name(const struct tr_conn *c)
{
    if (!c->side_known)
        return "unknown";
    int64_t cl = c->side_rtt[0], sv = c->side_rtt[1];
    if ((double)sv > 4.0 * (double)cl)
        return "near-client"; /* the long leg is on the server's side */
    if ((double)cl > 4.0 * (double)sv)
        return "near-server";
    return "middle";
}

int64_t tr_hs_client_side(const struct tr_conn *c)
{
    return c->side_known ? c->side_rtt[0] : c->hs_ack_ts - c->ep[1].syn_ts;
}

const char *tr_role_name(const struct tr_conn *c, unsigned ep)
{
    if (c->roles == TR_ROLES_KNOWN)
        return ep == 0 ? "client" : "server";
    return ep == 0 ? "A" : "B";
}

const char *tr_dir_name(const struct tr_conn *c, unsigned dir)
{
    if (dir > 1)
        return NULL;
    if (c->roles == TR_ROLES_KNOWN)
        return dir == 0 ? "client-to-server" : "server-to-client";
    return dir == 0 ? "A-to-B" : "B-to-A";
}

static void tr__count_conn(const struct tr_obs *o, const struct tr_conn *c, struct tr_totals *t)
{
    t->connections++;
    for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f; f = tr_obs_next_finding(o, c, f)) {
        const struct tr_rule_info *ri = tr_rule_info(f->rule);
        t->by_sev_class[ri->severity][ri->cls] += 1 + f->repeat;
        t->by_rule[f->rule] += 1 + f->repeat;
    }
}

/* Connections released after they ended (limits): only their totals. */
static void tr__count_released(const struct tr_file_result *f, struct tr_totals *t)
{
    t->connections += tr_file_released(f);
    for (unsigned r = 0; r < TR_RULE_COUNT; r++) {
        uint64_t n = tr_file_released_rule(f, r);
        const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)r);
        t->by_rule[r] += n;
        t->by_sev_class[ri->severity][ri->cls] += n;
    }
}

/* File-level findings: what decoding skipped. */
struct tr__file_note {
    enum tr_rule rule;
    enum tr_dec dec;
};
static const struct tr__file_note tr__file_notes[] = {
    {TR_RULE_CAP_IP_FRAGMENT, TR_DEC_FRAGMENT},
    {TR_RULE_CAP_MALFORMED_PACKET, TR_DEC_MALFORMED},
    {TR_RULE_CAP_TRUNCATED_PACKET, TR_DEC_TRUNCATED},
    {TR_RULE_CAP_UNSUPPORTED_LINK, TR_DEC_UNSUPPORTED},
};

unsigned tr_file_notes(const struct tr_input_stats *in, struct tr_file_note *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned k = 0; k < sizeof tr__file_notes / sizeof tr__file_notes[0] && n < max; k++) {
        enum tr_dec d = tr__file_notes[k].dec;
        if (!in->by_dec[d] || !tr_rule_enabled(tr__file_notes[k].rule))
            continue;
        out[n++] = (struct tr_file_note){.rule = tr__file_notes[k].rule, .frame = in->first_dec_frame[d],
                                         .count = in->by_dec[d], .reason = in->first_dec_reason[d]};
    }
    return n;
}

/* The totals; with_conns false leaves out the connections of the report
 * (the JSON writer counts them as it writes them). */
static void tr__totals(const struct tr_analysis *a, struct tr_totals *t, bool with_conns)
{
    memset(t, 0, sizeof *t);
    for (unsigned i = 0; i < a->nfiles; i++) {
        const struct tr_file_result *f = &a->files[i];
        t->files++;
        if (f->err < 0)
            t->damaged++;
        const struct tr_input_stats *in = tr_file_input(f);
        if (!in)
            continue;
        t->packets += in->packets;
        t->tcp += in->tcp;
        for (unsigned k = 0; k < sizeof tr__file_notes / sizeof tr__file_notes[0]; k++) {
            uint64_t n = tr_rule_enabled(tr__file_notes[k].rule) ? in->by_dec[tr__file_notes[k].dec] : 0;
            const struct tr_rule_info *ri = tr_rule_info(tr__file_notes[k].rule);
            t->by_sev_class[ri->severity][ri->cls] += n ? 1 : 0;
            t->by_rule[tr__file_notes[k].rule] += n ? 1 : 0;
        }
        struct tr_conn_iter it;
        tr_conn_iter_init(&it, f);
        const struct tr_obs *o;
        for (const struct tr_conn *c; with_conns && (c = tr_conn_iter_next(&it, &o));)
            tr__count_conn(o, c, t);
        tr__count_released(f, t);
    }
}

void tr_report_totals(const struct tr_analysis *a, struct tr_totals *t) { tr__totals(a, t, true); }

static json_t *tr__file_findings(const struct tr_input_stats *in)
{
    json_t *arr = json_array();
    for (unsigned k = 0; k < sizeof tr__file_notes / sizeof tr__file_notes[0]; k++) {
        enum tr_dec d = tr__file_notes[k].dec;
        if (!in->by_dec[d] || !tr_rule_enabled(tr__file_notes[k].rule))
            continue;
        struct tr_conn none = {0};
        struct tr_finding f = {.frame = in->first_dec_frame[d], .ts = in->first_pkt_ts,
                               .rule = (uint16_t)tr__file_notes[k].rule, .dir = TR_DIR_NONE,
                               .arg = {(int64_t)in->by_dec[d], 0, 0, 0, 0, 0}};
        json_t *j = tr_json_finding(&none, &f, in->first_pkt_ts);
        json_object_set_new(j, "time", json_null());
        json_object_set_new(j, "count", json_integer((json_int_t)in->by_dec[d]));
        json_object_set_new(j, "first_offset", json_integer((json_int_t)in->first_dec_offset[d]));
        if (in->first_dec_reason[d])
            json_object_set_new(j, "first_reason", json_string(in->first_dec_reason[d]));
        json_array_append_new(arr, j);
    }
    return arr;
}

static json_t *tr__iso_time(int64_t ns)
{
    char buf[64];
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    if (!gmtime_r(&s, &tm))
        return json_null();
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%09lldZ", (long long)(ns % 1000000000));
    return json_string(buf);
}

static json_t *tr__decode_counts(const struct tr_input_stats *in)
{
    json_t *j = json_object();
    for (int d = 0; d < TR_DEC_COUNT; d++)
        json_object_set_new(j, tr_dec_name((enum tr_dec)d), json_integer((json_int_t)in->by_dec[d]));
    return j;
}

static void tr__input_counts(json_t *j, const struct tr_input_stats *in)
{
    json_object_set_new(j, "packets", json_integer((json_int_t)in->packets));
    json_object_set_new(j, "tcp_segments", json_integer((json_int_t)in->tcp));
    json_object_set_new(j, "decode", tr__decode_counts(in));
    json_object_set_new(j, "snaplen_truncated", json_integer((json_int_t)in->snaplen_cut));
    json_object_set_new(j, "payload_truncated", json_integer((json_int_t)in->payload_cut));
    json_object_set_new(j, "options_truncated", json_integer((json_int_t)in->opts_cut));
    json_object_set_new(j, "ip_length_zero", json_integer((json_int_t)in->iplen_zero));
    json_object_set_new(j, "ip_length_beyond_frame", json_integer((json_int_t)in->iplen_beyond));
    json_object_set_new(j, "bad_checksums", json_integer((json_int_t)in->bad_checksum));
    json_object_set_new(j, "connections_not_tracked", json_integer((json_int_t)in->conns_dropped));
    json_object_set_new(j, "connections_evicted", json_integer((json_int_t)in->conns_evicted));
    json_object_set_new(j, "connections_expired", json_integer((json_int_t)in->conns_expired));
    json_object_set_new(j, "start", in->packets ? tr__iso_time(in->first_pkt_ts) : json_null());
    json_object_set_new(j, "start_epoch_ns", json_integer((json_int_t)in->first_pkt_ts));
    json_object_set_new(j, "duration", json_real((double)(in->last_ts - in->first_ts) / 1e9));
    json_t *lt = json_array();
    for (uint8_t i = 0; i < in->nlinktypes; i++)
        json_array_append_new(lt, json_string(tr_linktype_name(in->linktypes[i])));
    json_object_set_new(j, "link_types", lt);
    json_object_set_new(j, "findings", tr__file_findings(in));
}

static json_t *tr__file_json(const struct tr_file_result *f)
{
    json_t *j = json_object();
    json_object_set_new(j, "connections_summarized", json_integer((json_int_t)tr_file_released(f)));
    json_object_set_new(j, "path", json_string(f->path));
    json_object_set_new(j, "format", f->src.format ? json_string(f->src.format) : json_null());
    json_object_set_new(j, "size", json_integer((json_int_t)f->src.file_size));
    json_object_set_new(j, "complete", json_boolean(f->opened && f->err == 0));
    json_object_set_new(j, "error", f->err < 0 ? json_string(f->error) : json_null());
    json_object_set_new(j, "timestamps_backwards", json_integer((json_int_t)f->src.ts_backwards));
    json_t *w = json_array();
    for (unsigned i = 0; i < f->nwarn && i < TR_SOURCE_MAX_WARN; i++)
        json_array_append_new(w, json_string(f->warn[i]));
    json_object_set_new(j, "warnings", w);
    json_object_set_new(j, "warnings_total", json_integer(f->nwarn));
    const struct tr_input_stats *in = tr_file_input(f);
    if (in)
        tr__input_counts(j, in);
    return j;
}

/* conns: the totals of the connections written (tr__connections). */
static json_t *tr__summary(const struct tr_analysis *a, const struct tr_totals *conns)
{
    struct tr_totals t;
    tr__totals(a, &t, false);
    t.connections += conns->connections;
    for (unsigned s = 0; s < 3; s++)
        for (unsigned c = 0; c < 2; c++)
            t.by_sev_class[s][c] += conns->by_sev_class[s][c];
    for (unsigned r = 0; r < TR_RULE_COUNT; r++)
        t.by_rule[r] += conns->by_rule[r];
    json_t *j = json_object();
    json_object_set_new(j, "files", json_integer((json_int_t)t.files));
    json_object_set_new(j, "files_damaged", json_integer((json_int_t)t.damaged));
    json_object_set_new(j, "connections", json_integer((json_int_t)t.connections));
    json_object_set_new(j, "packets", json_integer((json_int_t)t.packets));
    json_object_set_new(j, "tcp_segments", json_integer((json_int_t)t.tcp));
    json_t *sev = json_object();
    for (int s = 0; s < 3; s++) {
        json_t *c = json_object();
        json_object_set_new(c, "protocol", json_integer((json_int_t)t.by_sev_class[s][TR_CLASS_PROTOCOL]));
        json_object_set_new(c, "capture", json_integer((json_int_t)t.by_sev_class[s][TR_CLASS_CAPTURE]));
        json_object_set_new(sev, tr_severity_name((enum tr_severity)s), c);
    }
    json_object_set_new(j, "findings", sev);
    json_t *rules = json_object();
    for (int r = 0; r < TR_RULE_COUNT; r++)
        if (t.by_rule[r])
            json_object_set_new(rules, tr_rule_info((enum tr_rule)r)->id, json_integer((json_int_t)t.by_rule[r]));
    json_object_set_new(j, "by_rule", rules);
    return j;
}

static int tr__dump(FILE *out, json_t *j)
{
    int r = json_dumpf(j, out, TR_JSON_FLAGS);
    json_decref(j);
    return r;
}

/* ---- the connections of one file, formatted by several threads ----
 *
 * With --threads N the report's connections are formatted by N threads, the
 * calling thread one of them: the file's connections, in report order, are
 * cut into chunks of TR_PAR_CHUNK; chunk j is formatted by thread j mod N,
 * the caller's own chunks straight into its buffer, the others' into one of
 * their TR_PAR_SLOTS buffers, and the caller writes the chunks in order.
 * The caller formats rather than only waiting and writing: as a third
 * thread on two CPUs it had to be woken onto a CPU busy formatting for
 * every chunk, and two formatters took about as long as one (flow-heavy
 * capture, 75 MB of JSON: ~23 ms of formatting in each thread, 41-47 ms in
 * all, against 40 ms with one thread; now 30-38 ms; 64 connections a chunk
 * and 4 slots did best of 16-256 and 4-16: docs/performance.md, "Eleventh
 * round"). Memory stays that of N * TR_PAR_SLOTS chunks; the bytes are
 * those of the one-thread writer. */
#define TR_PAR_CHUNK 64u
#define TR_PAR_SLOTS 4u

struct tr__ref {
    uint32_t obs, id;
};

struct tr__par;

struct tr__fmt {
    struct tr__par *p;
    unsigned t;
    struct tr_jbuf buf[TR_PAR_SLOTS];
    uint32_t chunk[TR_PAR_SLOTS];
    bool ready[TR_PAR_SLOTS];
    struct tr_totals tot;
    struct tr_conn scratch;
    pthread_t th;
};

struct tr__par {
    const struct tr_file_result *f;
    const struct tr__ref *refs;
    uint32_t n, nchunks;
    int64_t t0;
    bool lead;           /* the file's first connection is the report's first */
    unsigned nfmt;
    struct tr__fmt *fmt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;           /* the writer failed: formatters leave */
};

static void tr__par_chunk(struct tr__fmt *w, struct tr_jbuf *b, uint32_t j)
{
    const struct tr__par *p = w->p;
    uint32_t end = (j + 1) * TR_PAR_CHUNK < p->n ? (j + 1) * TR_PAR_CHUNK : p->n;
    for (uint32_t i = j * TR_PAR_CHUNK; i < end; i++) {
        const struct tr_obs *o = p->f->obs[p->refs[i].obs];
        const struct tr_conn *c = tr_obs_view(o, p->refs[i].id, &w->scratch);
        if (i == 0 && p->lead)
            TR_JB(b, "\n");
        else
            TR_JB(b, ",\n");
        tr__count_conn(o, c, &w->tot);
        tr_json_conn_write(b, o, c, i, p->t0);
    }
}

/* A helper thread (t >= 1): its chunks, into its slots in turn. */
static void *tr__par_main(void *arg)
{
    struct tr__fmt *w = arg;
    struct tr__par *p = w->p;
    for (uint32_t j = w->t, round = 0; j < p->nchunks; j += p->nfmt, round++) {
        unsigned s = round % TR_PAR_SLOTS;
        pthread_mutex_lock(&p->mu);
        while (w->ready[s] && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        w->buf[s].len = 0;
        tr__par_chunk(w, &w->buf[s], j);
        pthread_mutex_lock(&p->mu);
        w->chunk[s] = j;
        w->ready[s] = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* The calling thread: formats its own chunks (j mod nfmt == 0) and writes
 * every chunk in order; -1 on a write error. */
static int tr__par_write(FILE *out, struct tr__par *p)
{
    struct tr__fmt *me = &p->fmt[0];
    for (uint32_t j = 0; j < p->nchunks; j++) {
        if (j % p->nfmt == 0) {
            me->buf[0].len = 0;
            tr__par_chunk(me, &me->buf[0], j);
            if (tr_jbuf_flush(&me->buf[0], out) < 0)
                return -1;
            continue;
        }
        struct tr__fmt *w = &p->fmt[j % p->nfmt];
        unsigned s = (j / p->nfmt) % TR_PAR_SLOTS;
        pthread_mutex_lock(&p->mu);
        while (!(w->ready[s] && w->chunk[s] == j))
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        int r = tr_jbuf_flush(&w->buf[s], out);
        pthread_mutex_lock(&p->mu);
        w->ready[s] = false;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* Writes the connections of f with nfmt threads (the caller and nfmt - 1
 * helpers); returns -1 on a write error, 1 when the helpers could not be
 * had (nothing written: the caller writes them itself). */
static int tr__par_connections(FILE *out, const struct tr_file_result *f, const struct tr_input_stats *in,
                               unsigned nfmt, bool lead, struct tr_totals *t)
{
    struct tr_conn_iter it;
    tr_conn_iter_init(&it, f);
    uint32_t cap = 0;
    for (unsigned k = 0; k < f->nobs; k++)
        cap += it.n[k];
    struct tr__ref *refs = malloc((cap ? cap : 1) * sizeof *refs);
    struct tr__fmt *fmt = calloc(nfmt, sizeof *fmt);
    if (!refs || !fmt) {
        free(refs);
        free(fmt);
        return 1;
    }
    uint32_t n = 0;
    unsigned ko;
    uint32_t id;
    while (n < cap && tr_conn_iter_next_ref(&it, &ko, &id))
        refs[n++] = (struct tr__ref){ko, id};
    struct tr__par p = {.f = f, .refs = refs, .n = n, .nchunks = (n + TR_PAR_CHUNK - 1) / TR_PAR_CHUNK,
                        .t0 = in->first_pkt_ts, .lead = lead, .nfmt = nfmt, .fmt = fmt};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    fmt[0].p = &p;
    unsigned started = 1;
    for (; started < nfmt; started++) {
        fmt[started].p = &p;
        fmt[started].t = started;
        if (pthread_create(&fmt[started].th, NULL, tr__par_main, &fmt[started]) != 0)
            break;
    }
    /* fewer helpers than chunks need: the caller writes it all */
    int r = started < nfmt ? 1 : tr__par_write(out, &p);
    pthread_mutex_lock(&p.mu);
    p.stop = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (unsigned k = 1; k < started; k++)
        pthread_join(fmt[k].th, NULL);
    for (unsigned k = 0; k < nfmt; k++) {
        if (r == 0) {
            t->connections += fmt[k].tot.connections;
            for (unsigned a = 0; a < 3; a++)
                for (unsigned b = 0; b < 2; b++)
                    t->by_sev_class[a][b] += fmt[k].tot.by_sev_class[a][b];
            for (unsigned q = 0; q < TR_RULE_COUNT; q++)
                t->by_rule[q] += fmt[k].tot.by_rule[q];
        }
        for (unsigned s = 0; s < TR_PAR_SLOTS; s++)
            tr_jbuf_free(&fmt[k].buf[s]);
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    free(refs);
    free(fmt);
    return r;
}

/* The connections, written by the streaming writer (tr_json_conn_write), or
 * with TCPREF_JSON_TREE=1 in the environment by dumping tr_json_conn()'s
 * jansson tree, the reference the streaming writer is tested against. */
static int tr__connections(FILE *out, const struct tr_analysis *a, struct tr_totals *t)
{
    const char *tree_env = getenv("TCPREF_JSON_TREE");
    bool tree = tree_env && !strcmp(tree_env, "1");
    struct tr_jbuf b = {0};
    int r = 0;
    bool first = true;
    for (unsigned i = 0; i < a->nfiles && r == 0; i++) {
        const struct tr_file_result *f = &a->files[i];
        const struct tr_input_stats *in = tr_file_input(f);
        struct tr_conn_iter it;
        tr_conn_iter_init(&it, f);
        uint32_t nconns = 0;
        for (unsigned k = 0; k < f->nobs; k++)
            nconns += it.n[k];
        unsigned nfmt = a->threads < nconns / TR_PAR_CHUNK ? a->threads : nconns / TR_PAR_CHUNK;
        if (!tree && nfmt > 1 && in) {
            if ((r = tr_jbuf_flush(&b, out)) < 0)
                break;
            int pr = tr__par_connections(out, f, in, nfmt, first, t);
            if (pr <= 0) {
                r = pr;
                first = false;
                continue;
            }
        }
        const struct tr_obs *o;
        for (const struct tr_conn *c; r == 0 && (c = tr_conn_iter_next(&it, &o));) {
            if (first)
                TR_JB(&b, "\n");
            else
                TR_JB(&b, ",\n");
            first = false;
            if (tree) {
                r = tr_jbuf_flush(&b, out);
                tr__count_conn(o, c, t);
                if (tr__dump(out, tr_json_conn(o, c, it.index - 1, in->first_pkt_ts)) < 0)
                    r = -1;
                continue;
            }
            tr__count_conn(o, c, t);
            tr_json_conn_write(&b, o, c, it.index - 1, in->first_pkt_ts);
            if (b.len >= (1u << 16))
                r = tr_jbuf_flush(&b, out);
        }
    }
    if (tr_jbuf_flush(&b, out) < 0)
        r = -1;
    tr_jbuf_free(&b);
    return r;
}

int tr_report_json(FILE *out, const struct tr_analysis *a, const struct tr_report_opts *opt)
{
    /* Top-level keys in sorted order, connections streamed one by one. */
    fputs("{\"command\":", out);
    tr__dump(out, json_string(opt->command));
    fputs(",\"connections\":[", out);
    struct tr_totals conns = {0};
    if (tr__connections(out, a, &conns) < 0)
        return -1;
    fputs("\n],\"input\":", out);
    json_t *in = json_object();
    json_t *files = json_array();
    for (unsigned i = 0; i < a->nfiles; i++)
        json_array_append_new(files, tr__file_json(&a->files[i]));
    json_object_set_new(in, "files", files);
    json_object_set_new(in, "profile", json_string(opt->profile));
    if (a->cfg.shard_n > 1) { /* analyze --shard K/N: tcpref merge joins the N reports */
        json_t *sh = json_object();
        json_object_set_new(sh, "index", json_integer(a->cfg.shard_k));
        json_object_set_new(sh, "count", json_integer(a->cfg.shard_n));
        json_object_set_new(in, "shard", sh);
    }
    tr__dump(out, in);
    fputs(",\"schema\":", out);
    tr__dump(out, json_string(TR_REPORT_SCHEMA));
    fputs(",\"summary\":", out);
    tr__dump(out, tr__summary(a, &conns));
    fputs(",\"tool\":", out);
    json_t *tool = json_object();
    json_object_set_new(tool, "name", json_string("tcpref"));
    json_object_set_new(tool, "version", json_string(TCPREF_VERSION));
    tr__dump(out, tool);
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}
