/*
 * tcpref merge: the JSON reports of the N shards of a run (analyze --shard
 * K/N) joined into the report of the whole run, byte for byte what one
 * unsharded analyze writes.
 *
 * Every shard reads the whole capture and follows the connections whose
 * flow hash falls in its shard, so:
 *   - connections: all shards' connections, per file in the order of their
 *     first frame (each shard's list already is), ids renumbered from 0 per
 *     file; each connection's text is copied as it is but for its id;
 *   - input.files[]: the same in every shard but for the counts of
 *     connections (connections_summarized, _not_tracked, _evicted,
 *     _expired), which are summed; input.shard is dropped;
 *   - summary: connections and findings summed, less the file-level
 *     findings (input.files[].findings) every shard counted once;
 *   - everything else must be equal in all reports.
 * The N reports must be shards 0..N-1 of the same N, each once.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define TR_MERGE_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))

static const char tr__merge_help[] =
    "usage: tcpref merge [-o FILE] REPORT.json...\n"
    "\n"
    "Joins the JSON reports of the shards of one run ('tcpref analyze --shard K/N\n"
    "-f json', K = 0..N-1, on the same capture files with the same options) into\n"
    "the report of the whole run: the same bytes one 'tcpref analyze -f json'\n"
    "without --shard writes. The reports may come in any order.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE      write the report to FILE instead of standard output\n"
    "  -h, --help             this help\n"
    "\n"
    "exit status: 0 merged; 2 usage error, a report that cannot be read, or\n"
    "reports that are not the N shards of one run.\n";

/* ---- a JSON text, scanned without building it ---- */

struct tr__span {
    const char *p;
    size_t n;
};

static const char *tr__ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* The end of the value starting at p (p itself when there is none). */
static const char *tr__skip(const char *p, const char *e)
{
    if (p >= e)
        return p;
    if (*p == '"') {
        for (p++; p < e; p++) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                return p + 1;
        }
        return e;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < e; p++) {
            if (*p == '"') {
                p = tr__skip(p, e) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
        }
        return e;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
        p++;
    return p;
}

/* Calls fn for each member of the object at p: key (unquoted, no escapes
 * expected in keys) and value span. Returns the end of the object, or NULL
 * when it is not one. */
static const char *tr__members(const char *p, const char *e, void *ctx,
                               int (*fn)(void *ctx, struct tr__span key, struct tr__span val))
{
    p = tr__ws(p, e);
    if (p >= e || *p != '{')
        return NULL;
    p = tr__ws(p + 1, e);
    if (p < e && *p == '}')
        return p + 1;
    while (p < e) {
        if (*p != '"')
            return NULL;
        const char *ke = tr__skip(p, e);
        struct tr__span key = {p + 1, (size_t)(ke - p - 2)};
        p = tr__ws(ke, e);
        if (p >= e || *p != ':')
            return NULL;
        p = tr__ws(p + 1, e);
        const char *ve = tr__skip(p, e);
        if (ve == p)
            return NULL;
        if (fn(ctx, key, (struct tr__span){p, (size_t)(ve - p)}) < 0)
            return NULL;
        p = tr__ws(ve, e);
        if (p < e && *p == ',') {
            p = tr__ws(p + 1, e);
            continue;
        }
        return p < e && *p == '}' ? p + 1 : NULL;
    }
    return NULL;
}

static bool tr__key_is(struct tr__span k, const char *s) { return k.n == strlen(s) && !memcmp(k.p, s, k.n); }

/* ---- one shard report ---- */

#define TR_MERGE_MAX_KEYS 32

struct tr__conn_ref {
    struct tr__span text;      /* the whole object */
    struct tr__span id;        /* its top-level id value */
    uint64_t file, first_frame;
};

struct tr__report {
    const char *path;
    char *buf;
    size_t len;
    unsigned nkeys;
    struct tr__span key[TR_MERGE_MAX_KEYS], val[TR_MERGE_MAX_KEYS];
    struct tr__conn_ref *conns;
    size_t nconns, pos;
    json_t *input, *summary;
    long shard_k, shard_n;
};

static int tr__top_member(void *ctx, struct tr__span key, struct tr__span val)
{
    struct tr__report *r = ctx;
    if (r->nkeys == TR_MERGE_MAX_KEYS)
        return -1;
    r->key[r->nkeys] = key;
    r->val[r->nkeys++] = val;
    return 0;
}

static uint64_t tr__uint(struct tr__span v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++)
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    return x;
}

static int tr__conn_member(void *ctx, struct tr__span key, struct tr__span val)
{
    struct tr__conn_ref *c = ctx;
    if (tr__key_is(key, "id"))
        c->id = val;
    else if (tr__key_is(key, "file"))
        c->file = tr__uint(val);
    else if (tr__key_is(key, "first_frame"))
        c->first_frame = tr__uint(val);
    return 0;
}

static int tr__scan_conns(struct tr__report *r, struct tr__span arr)
{
    const char *p = arr.p, *e = arr.p + arr.n;
    if (*p != '[')
        return -1;
    p = tr__ws(p + 1, e);
    size_t cap = 0;
    while (p < e && *p != ']') {
        if (r->nconns == cap) {
            cap = cap ? cap * 2 : 1024;
            struct tr__conn_ref *n = realloc(r->conns, cap * sizeof *n);
            if (!n)
                return -1;
            r->conns = n;
        }
        struct tr__conn_ref *c = &r->conns[r->nconns];
        memset(c, 0, sizeof *c);
        const char *ce = tr__members(p, e, c, tr__conn_member);
        if (!ce || !c->id.p)
            return -1;
        c->text = (struct tr__span){p, (size_t)(ce - p)};
        r->nconns++;
        p = tr__ws(ce, e);
        if (p < e && *p == ',')
            p = tr__ws(p + 1, e);
    }
    return 0;
}

static json_t *tr__load(struct tr__span v)
{
    json_error_t err;
    return json_loadb(v.p, v.n, JSON_DECODE_ANY, &err);
}

static int tr__read_report(struct tr__report *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tr_cli_error("merge", "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20;
    r->buf = malloc(cap);
    for (size_t n; r->buf && (n = fread(r->buf + r->len, 1, cap - r->len, f)) > 0;) {
        r->len += n;
        if (r->len == cap) {
            char *nb = realloc(r->buf, cap *= 2);
            if (!nb) {
                free(r->buf);
                r->buf = NULL;
            }
            r->buf = nb;
        }
    }
    bool bad = ferror(f) || !r->buf;
    fclose(f);
    if (bad) {
        tr_cli_error("merge", "cannot read %s", path);
        return -1;
    }
    const char *e = r->buf + r->len;
    if (!tr__members(r->buf, e, r, tr__top_member)) {
        tr_cli_error("merge", "%s is not a tcpref JSON report", path);
        return -1;
    }
    r->shard_k = 0;
    r->shard_n = 1;
    for (unsigned i = 0; i < r->nkeys; i++) {
        if (tr__key_is(r->key[i], "connections") && tr__scan_conns(r, r->val[i]) < 0) {
            tr_cli_error("merge", "%s: its connections do not parse", path);
            return -1;
        }
        if (tr__key_is(r->key[i], "input"))
            r->input = tr__load(r->val[i]);
        if (tr__key_is(r->key[i], "summary"))
            r->summary = tr__load(r->val[i]);
    }
    if (!json_is_object(r->input) || !json_is_object(r->summary) ||
        !json_is_array(json_object_get(r->input, "files"))) {
        tr_cli_error("merge", "%s is not a tcpref JSON report (no input or summary)", path);
        return -1;
    }
    json_t *sh = json_object_get(r->input, "shard");
    if (sh) {
        r->shard_k = (long)json_integer_value(json_object_get(sh, "index"));
        r->shard_n = (long)json_integer_value(json_object_get(sh, "count"));
    }
    return 0;
}

static void tr__free_report(struct tr__report *r)
{
    json_decref(r->input);
    json_decref(r->summary);
    free(r->conns);
    free(r->buf);
}

/* ---- merging ---- */

static bool tr__same_json(const json_t *a, const json_t *b) { return json_equal((json_t *)a, (json_t *)b); }

static const char *const tr__summed_file_keys[] = {"connections_summarized", "connections_not_tracked",
                                                   "connections_evicted", "connections_expired"};

/* input: files[] equal but for the summed counts; shard dropped. */
static json_t *tr__merge_input(struct tr__report *r, unsigned n)
{
    json_t *in = json_deep_copy(r[0].input);
    json_object_del(in, "shard");
    json_t *files = json_object_get(in, "files");
    for (unsigned k = 1; k < n; k++) {
        json_t *other = json_deep_copy(r[k].input);
        json_object_del(other, "shard");
        json_t *of = json_object_get(other, "files");
        if (json_array_size(of) != json_array_size(files)) {
            json_decref(other);
            json_decref(in);
            return NULL;
        }
        for (size_t i = 0; i < json_array_size(files); i++) {
            json_t *a = json_array_get(files, i), *b = json_array_get(of, i);
            for (unsigned s = 0; s < sizeof tr__summed_file_keys / sizeof *tr__summed_file_keys; s++) {
                const char *key = tr__summed_file_keys[s];
                json_t *va = json_object_get(a, key), *vb = json_object_get(b, key);
                if (!va || !vb)
                    continue;
                json_object_set_new(a, key, json_integer(json_integer_value(va) + json_integer_value(vb)));
                json_object_set(b, key, json_object_get(a, key));
            }
        }
        bool same = tr__same_json(in, other);
        json_decref(other);
        if (!same) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

/* Adds b into a, object by object; integers summed (times factor), other
 * values must be equal. */
static int tr__add_counts(json_t *a, const json_t *b, json_int_t factor)
{
    const char *key;
    json_t *vb;
    json_object_foreach((json_t *)b, key, vb) {
        json_t *va = json_object_get(a, key);
        if (json_is_object(vb)) {
            if (!va) {
                va = json_object();
                json_object_set_new(a, key, va);
            }
            if (!json_is_object(va) || tr__add_counts(va, vb, factor) < 0)
                return -1;
        } else if (json_is_integer(vb)) {
            json_int_t x = va ? json_integer_value(va) : 0;
            if (va && !json_is_integer(va))
                return -1;
            json_object_set_new(a, key, json_integer(x + factor * json_integer_value(vb)));
        } else if (!va || !json_equal(va, vb)) {
            return -1;
        }
    }
    return 0;
}

/* The file-level findings every shard counted once, as summary counts. */
static json_t *tr__file_level(const json_t *input)
{
    json_t *s = json_object(), *by_rule = json_object(), *fnd = json_object();
    json_object_set_new(s, "by_rule", by_rule);
    json_object_set_new(s, "findings", fnd);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(input, "files"), i, f) {
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(f, "findings"), j, x) {
            const char *rule = json_string_value(json_object_get(x, "rule"));
            const char *sev = json_string_value(json_object_get(x, "severity"));
            const char *cls = json_string_value(json_object_get(x, "class"));
            if (!rule || !sev || !cls)
                continue;
            json_t *one = json_object(), *c = json_object();
            json_object_set_new(one, rule, json_integer(1));
            json_object_set_new(c, cls, json_integer(1));
            json_t *add = json_object(), *sv = json_object();
            json_object_set_new(sv, sev, c);
            json_object_set_new(add, "by_rule", one);
            json_object_set_new(add, "findings", sv);
            tr__add_counts(s, add, 1);
            json_decref(add);
        }
    }
    return s;
}

/* Drops the rules whose count summed to 0 (the report lists only rules
 * that occurred). */
static void tr__drop_zero_rules(json_t *by_rule)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(by_rule, tmp, key, v) {
        if (json_is_integer(v) && json_integer_value(v) == 0)
            json_object_del(by_rule, key);
    }
}

static json_t *tr__merge_summary(struct tr__report *r, unsigned n, const json_t *input)
{
    json_t *s = json_deep_copy(r[0].summary);
    json_t *summed = json_object();
    json_object_set(summed, "by_rule", json_object_get(s, "by_rule"));
    json_object_set(summed, "findings", json_object_get(s, "findings"));
    json_object_set(summed, "connections", json_object_get(s, "connections"));
    for (unsigned k = 1; k < n; k++) {
        json_t *o = r[k].summary;
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
            if (!strcmp(key, "by_rule") || !strcmp(key, "findings") || !strcmp(key, "connections"))
                continue;
            if (!json_equal(json_object_get(s, key), v))
                goto bad;
        }
        json_t *add = json_object();
        json_object_set(add, "by_rule", json_object_get(o, "by_rule"));
        json_object_set(add, "findings", json_object_get(o, "findings"));
        json_object_set(add, "connections", json_object_get(o, "connections"));
        int rc = tr__add_counts(summed, add, 1);
        json_decref(add);
        if (rc < 0)
            goto bad;
    }
    if (n > 1) {
        json_t *fl = tr__file_level(input);
        int rc = tr__add_counts(summed, fl, -(json_int_t)(n - 1));
        json_decref(fl);
        if (rc < 0)
            goto bad;
    }
    tr__drop_zero_rules(json_object_get(summed, "by_rule"));
    json_object_update(s, summed);
    json_decref(summed);
    return s;
bad:
    json_decref(summed);
    json_decref(s);
    return NULL;
}

static int tr__check_shards(struct tr__report *r, unsigned n)
{
    long count = r[0].shard_n;
    if (count != (long)n) {
        tr_cli_error("merge", "%s is shard %ld of %ld, but %u report%s given: merge needs all %ld shards, each once",
                     r[0].path, r[0].shard_k, count, n, n == 1 ? " was" : "s were", count);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        if (r[i].shard_n != count || r[i].shard_k < 0 || r[i].shard_k >= count) {
            tr_cli_error("merge", "%s is shard %ld of %ld, not one of %ld", r[i].path, r[i].shard_k, r[i].shard_n,
                         count);
            return -1;
        }
        for (unsigned j = 0; j < i; j++) {
            if (r[j].shard_k == r[i].shard_k) {
                tr_cli_error("merge", "%s and %s are both shard %ld", r[j].path, r[i].path, r[i].shard_k);
                return -1;
            }
        }
    }
    return 0;
}

/* Top-level members other than connections, input and summary: equal. */
static int tr__check_rest(struct tr__report *r, unsigned n)
{
    for (unsigned k = 1; k < n; k++) {
        if (r[k].nkeys != r[0].nkeys)
            return -1;
        for (unsigned i = 0; i < r[0].nkeys; i++) {
            struct tr__span a = r[0].key[i], b = r[k].key[i];
            if (a.n != b.n || memcmp(a.p, b.p, a.n))
                return -1;
            if (tr__key_is(a, "connections") || tr__key_is(a, "input") || tr__key_is(a, "summary"))
                continue;
            struct tr__span va = r[0].val[i], vb = r[k].val[i];
            if (va.n != vb.n || memcmp(va.p, vb.p, va.n))
                return -1;
        }
    }
    return 0;
}

/* The connections of all shards, file by file in first-frame order. */
static void tr__write_conns(FILE *out, struct tr__report *r, unsigned n)
{
    fputc('[', out);
    bool first = true;
    uint64_t file = UINT64_MAX, id = 0;
    for (;;) {
        struct tr__report *best = NULL;
        for (unsigned k = 0; k < n; k++) {
            if (r[k].pos >= r[k].nconns)
                continue;
            const struct tr__conn_ref *c = &r[k].conns[r[k].pos];
            const struct tr__conn_ref *b = best ? &best->conns[best->pos] : NULL;
            if (!b || c->file < b->file || (c->file == b->file && c->first_frame < b->first_frame))
                best = &r[k];
        }
        if (!best)
            break;
        const struct tr__conn_ref *c = &best->conns[best->pos++];
        if (c->file != file)
            file = c->file, id = 0;
        fputs(first ? "\n" : ",\n", out);
        first = false;
        fwrite(c->text.p, 1, (size_t)(c->id.p - c->text.p), out);
        fprintf(out, "%llu", (unsigned long long)id++);
        const char *after = c->id.p + c->id.n;
        fwrite(after, 1, (size_t)(c->text.p + c->text.n - after), out);
    }
    fputs("\n]", out);
}

static int tr__write(FILE *out, struct tr__report *r, unsigned n, json_t *input, json_t *summary)
{
    fputc('{', out);
    for (unsigned i = 0; i < r[0].nkeys; i++) {
        struct tr__span k = r[0].key[i];
        fprintf(out, "%s\"%.*s\":", i ? "," : "", (int)k.n, k.p);
        if (tr__key_is(k, "connections"))
            tr__write_conns(out, r, n);
        else if (tr__key_is(k, "input"))
            json_dumpf(input, out, TR_MERGE_FLAGS);
        else if (tr__key_is(k, "summary"))
            json_dumpf(summary, out, TR_MERGE_FLAGS);
        else
            fwrite(r[0].val[i].p, 1, r[0].val[i].n, out);
    }
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}

static int tr__merge(unsigned n, char **paths, const char *output)
{
    struct tr__report *r = calloc(n, sizeof *r);
    if (!r)
        return TR_EXIT_USAGE;
    int rc = TR_EXIT_USAGE;
    json_t *input = NULL, *summary = NULL;
    for (unsigned i = 0; i < n; i++)
        if (tr__read_report(&r[i], paths[i]) < 0)
            goto out;
    if (tr__check_shards(r, n) < 0)
        goto out;
    if (tr__check_rest(r, n) < 0) {
        tr_cli_error("merge", "the reports differ in command, schema or tool: not the shards of one run");
        goto out;
    }
    if (!(input = tr__merge_input(r, n))) {
        tr_cli_error("merge", "the reports' inputs differ (files, profile): not the shards of one run");
        goto out;
    }
    if (!(summary = tr__merge_summary(r, n, input))) {
        tr_cli_error("merge", "the reports' summaries do not add up: not the shards of one run");
        goto out;
    }
    FILE *out = stdout;
    if (output && strcmp(output, "-") && !(out = fopen(output, "w"))) {
        tr_cli_error("merge", "cannot write %s: %s", output, strerror(errno));
        goto out;
    }
    rc = tr__write(out, r, n, input, summary) < 0 ? TR_EXIT_USAGE : TR_EXIT_OK;
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
        rc = TR_EXIT_USAGE;
    if (rc != TR_EXIT_OK)
        tr_cli_error("merge", "writing the report failed");
out:
    json_decref(input);
    json_decref(summary);
    for (unsigned i = 0; i < n; i++)
        tr__free_report(&r[i]);
    free(r);
    return rc;
}

int tr_cmd_merge(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *output = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        if (opt == 'h') {
            fputs(tr__merge_help, stdout);
            return TR_EXIT_OK;
        }
        if (opt == 'o') {
            output = optarg;
            continue;
        }
        fputs("try 'tcpref merge --help'\n", stderr);
        return TR_EXIT_USAGE;
    }
    if (optind >= argc) {
        tr_cli_error("merge", "no report given (try 'tcpref merge --help')");
        return TR_EXIT_USAGE;
    }
    return tr__merge((unsigned)(argc - optind), argv + optind, output);
}
