/*
 * tcpref check: rules files, expectations files, and the gate's verdict.
 * Every key of both files is checked; a problem is reported as one line
 * naming the file, the key (as a path: rules."window.zero".severity) and
 * what is wrong, so that a CI log says what to fix.
 */
#include "analyzer/gate.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/report.h"
#include "stack/error.h"

#define TR_MS 1000000LL
#define TR_SEC 1000000000LL

static int tr__fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int tr__fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    char msg[TR_GATE_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Keys and values from the file may hold control characters: the
     * message stays one printable line. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    snprintf(err, errlen, "%s: %s", name, msg);
    return TR_EPARSE;
}

/* Reads a whole (small) file. */
static char *tr__slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            if (cap >= (16u << 20)) {
                snprintf(err, errlen, "%s: larger than 16 MiB: not a rules or expectations file", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static json_t *tr__parse_json(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        tr__fail(err, errlen, name, "not valid JSON at line %d, column %d: %s", je.line, je.column,
                 je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        tr__fail(err, errlen, name, "the top level must be a JSON object {...}");
        return NULL;
    }
    return root;
}

/* A number >= 0 (and at most max), or an error naming the key. */
static int tr__number(json_t *v, const char *key, double max, double *out, const char *name, char *err,
                      size_t errlen)
{
    if (!json_is_number(v))
        return tr__fail(err, errlen, name, "%s: expected a number", key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > max)
        return tr__fail(err, errlen, name, "%s: %g is out of range (0 to %g)", key, d, max);
    *out = d;
    return 0;
}

/* ---- the rules file ---- */

struct tr__rctx {
    const char *name;
    char *err;
    size_t errlen;
    struct tr_rules_file *rf;
};

static int tr__tolerance(struct tr__rctx *x, json_t *v)
{
    if (!json_is_object(v))
        return tr__fail(x->err, x->errlen, x->name, "tolerance: expected an object {\"absolute_ms\": .., \"percent\": ..}");
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        double d = 0;
        if (!strcmp(k, "absolute_ms")) {
            if (tr__number(e, "tolerance.absolute_ms", 60000, &d, x->name, x->err, x->errlen) < 0)
                return TR_EPARSE;
            x->rf->prof.tol_abs_ns = (int64_t)llround(d * TR_MS);
        } else if (!strcmp(k, "percent")) {
            if (tr__number(e, "tolerance.percent", 1000, &d, x->name, x->err, x->errlen) < 0)
                return TR_EPARSE;
            x->rf->prof.tol_pct = (uint16_t)lround(d);
        } else {
            return tr__fail(x->err, x->errlen, x->name,
                            "tolerance.%s: unknown key (known: absolute_ms, percent)", k);
        }
    }
    x->rf->has_profile = true;
    return 0;
}

/* Bounds of the profile a rules file may move, each in milliseconds. */
static int64_t *tr__bound(struct tr_profile *p, const char *k)
{
    if (!strcmp(k, "rto_min_ms"))
        return &p->rto.min_ns;
    if (!strcmp(k, "rto_max_ms"))
        return &p->rto.max_ns;
    if (!strcmp(k, "rto_initial_ms"))
        return &p->rto.initial_ns;
    if (!strcmp(k, "ack_delay_max_ms"))
        return &p->delack_max_ns;
    if (!strcmp(k, "persist_min_ms"))
        return &p->persist_min_ns;
    if (!strcmp(k, "persist_max_ms"))
        return &p->persist_max_ns;
    if (!strcmp(k, "stall_ms"))
        return &p->stall_ns;
    return NULL;
}

static int tr__bounds(struct tr__rctx *x, json_t *v)
{
    if (!json_is_object(v))
        return tr__fail(x->err, x->errlen, x->name, "bounds: expected an object");
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        int64_t *dst = tr__bound(&x->rf->prof, k);
        if (!dst)
            return tr__fail(x->err, x->errlen, x->name,
                            "bounds.%s: unknown key (known: rto_min_ms, rto_max_ms, rto_initial_ms, "
                            "ack_delay_max_ms, persist_min_ms, persist_max_ms, stall_ms)", k);
        char key[96];
        snprintf(key, sizeof key, "bounds.%s", k);
        double d = 0;
        if (tr__number(e, key, 3600e3, &d, x->name, x->err, x->errlen) < 0)
            return TR_EPARSE;
        *dst = (int64_t)llround(d * TR_MS);
    }
    const struct tr_profile *p = &x->rf->prof;
    if (p->rto.min_ns > p->rto.max_ns)
        return tr__fail(x->err, x->errlen, x->name, "bounds: rto_min_ms is above rto_max_ms");
    if (p->persist_min_ns > p->persist_max_ns)
        return tr__fail(x->err, x->errlen, x->name, "bounds: persist_min_ms is above persist_max_ms");
    x->rf->has_profile = true;
    return 0;
}

static int tr__severity_of(json_t *v, const char *key, int *out, struct tr__rctx *x)
{
    int s = json_is_string(v) ? tr_severity_parse(json_string_value(v)) : -1;
    if (s < 0)
        return tr__fail(x->err, x->errlen, x->name, "%s: expected \"info\", \"warning\" or \"error\"", key);
    *out = s;
    return 0;
}

/* The limit parameter of each threshold rule. */
static int tr__threshold(struct tr__rctx *x, enum tr_rule r, const char *k, json_t *e, const char *path)
{
    struct tr_thresholds *th = &x->rf->th;
    double d = 0;
    char key[160];
    snprintf(key, sizeof key, "%s.%s", path, k);
    switch (r) {
    case TR_RULE_THR_RETX:
        if (strcmp(k, "max_percent"))
            break;
        if (tr__number(e, key, 100, &d, x->name, x->err, x->errlen) < 0)
            return TR_EPARSE;
        th->retx_on = true, th->retx_bp = (uint32_t)llround(d * 100);
        return 1;
    case TR_RULE_THR_ZERO_WINDOW:
        if (strcmp(k, "max_seconds"))
            break;
        if (tr__number(e, key, 86400, &d, x->name, x->err, x->errlen) < 0)
            return TR_EPARSE;
        th->zero_window_on = true, th->zero_window_ns = (int64_t)llround(d * TR_SEC);
        return 1;
    case TR_RULE_THR_TIMEOUTS:
        if (strcmp(k, "max"))
            break;
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 1000000)
            return tr__fail(x->err, x->errlen, x->name, "%s: expected an integer from 0 to 1000000", key);
        th->timeouts_on = true, th->timeouts = (uint32_t)json_integer_value(e);
        return 1;
    case TR_RULE_THR_HANDSHAKE_RTT:
        if (strcmp(k, "max_ms"))
            break;
        if (tr__number(e, key, 3600e3, &d, x->name, x->err, x->errlen) < 0)
            return TR_EPARSE;
        th->handshake_rtt_on = true, th->handshake_rtt_ns = (int64_t)llround(d * TR_MS);
        return 1;
    default:
        break;
    }
    return 0;
}

static const char *tr__threshold_key(enum tr_rule r)
{
    switch (r) {
    case TR_RULE_THR_RETX: return "max_percent";
    case TR_RULE_THR_ZERO_WINDOW: return "max_seconds";
    case TR_RULE_THR_TIMEOUTS: return "max";
    case TR_RULE_THR_HANDSHAKE_RTT: return "max_ms";
    default: return NULL;
    }
}

static bool tr__threshold_set(const struct tr_thresholds *th, enum tr_rule r)
{
    switch (r) {
    case TR_RULE_THR_RETX: return th->retx_on;
    case TR_RULE_THR_ZERO_WINDOW: return th->zero_window_on;
    case TR_RULE_THR_TIMEOUTS: return th->timeouts_on;
    case TR_RULE_THR_HANDSHAKE_RTT: return th->handshake_rtt_on;
    default: return true;
    }
}

/* One entry of "rules": applies to rule r (the key may be a glob). */
static int tr__rule_entry(struct tr__rctx *x, enum tr_rule r, json_t *v, const char *path, bool glob)
{
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        char key[160];
        snprintf(key, sizeof key, "%s.%s", path, k);
        if (!strcmp(k, "enabled")) {
            if (!json_is_boolean(e))
                return tr__fail(x->err, x->errlen, x->name, "%s: expected true or false", key);
            x->rf->enable[r] = json_is_true(e) ? TR_RULESET_ENABLE : TR_RULESET_DISABLE;
        } else if (!strcmp(k, "severity")) {
            int s = 0;
            if (tr__severity_of(e, key, &s, x) < 0)
                return TR_EPARSE;
            x->rf->severity[r] = (int8_t)s;
        } else if (!strcmp(k, "note")) {
            continue;
        } else {
            int t = glob ? 0 : tr__threshold(x, r, k, e, path);
            if (t < 0)
                return TR_EPARSE;
            if (t == 0) {
                const char *tk = tr__threshold_key(r);
                return tr__fail(x->err, x->errlen, x->name, "%s: unknown key (known: enabled, severity%s%s%s)",
                                key, tk ? ", " : "", tk ? tk : "", glob && tk ? " (not in a glob)" : "");
            }
        }
    }
    return 0;
}

/* Levenshtein distance, for "did you mean" (ids are short). */
static unsigned tr__distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    unsigned d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* The rule id closest to a misspelt one, or NULL. */
static const char *tr__closest(const char *id)
{
    const char *best = NULL;
    unsigned bd = 4;
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        unsigned dd = tr__distance(id, tr_rule_catalog((enum tr_rule)r)->id);
        if (dd < bd)
            bd = dd, best = tr_rule_catalog((enum tr_rule)r)->id;
    }
    return best;
}

static int tr__rules_object(struct tr__rctx *x, json_t *rules)
{
    if (!json_is_object(rules))
        return tr__fail(x->err, x->errlen, x->name, "rules: expected an object {\"rule.id\": {...}}");
    /* Globs first, then exact ids: the most specific setting wins. */
    for (int pass = 0; pass < 2; pass++) {
        const char *k;
        json_t *v;
        json_object_foreach(rules, k, v) {
            bool glob = strchr(k, '*') || strchr(k, '?') || strchr(k, '[');
            if (glob != (pass == 0))
                continue;
            char path[128];
            snprintf(path, sizeof path, "rules.\"%.100s\"", k);
            if (!json_is_object(v))
                return tr__fail(x->err, x->errlen, x->name,
                                "%s: expected an object such as {\"enabled\": false} or {\"severity\": \"error\"}", path);
            unsigned hit = 0;
            for (int r = 0; r < TR_RULE_COUNT; r++) {
                const char *id = tr_rule_catalog((enum tr_rule)r)->id;
                if (glob ? fnmatch(k, id, 0) != 0 : strcmp(k, id) != 0)
                    continue;
                hit++;
                if (tr__rule_entry(x, (enum tr_rule)r, v, path, glob) < 0)
                    return TR_EPARSE;
            }
            const char *near = glob ? NULL : tr__closest(k);
            if (!hit)
                return tr__fail(x->err, x->errlen, x->name, "%s: %s no rule (see 'tcpref rules')%s%s%s", path,
                                glob ? "the pattern matches" : "there is", near ? "; did you mean \"" : "",
                                near ? near : "", near ? "\"?" : "");
        }
    }
    /* A threshold enabled by name needs its limit. */
    for (int r = 0; r < TR_RULE_COUNT; r++)
        if (x->rf->enable[r] == TR_RULESET_ENABLE && !tr__threshold_set(&x->rf->th, (enum tr_rule)r))
            return tr__fail(x->err, x->errlen, x->name, "rules.\"%s\": enabled without its limit \"%s\"",
                            tr_rule_catalog((enum tr_rule)r)->id, tr__threshold_key((enum tr_rule)r));
    return 0;
}

static int tr__profile_key(struct tr__rctx *x, json_t *v)
{
    const struct tr_profile *p = json_is_string(v) ? tr_profile_builtin(json_string_value(v)) : NULL;
    if (!p)
        return tr__fail(x->err, x->errlen, x->name, "profile: expected \"linux\" or \"rfc\"");
    x->rf->prof = *p; /* read before "tolerance" and "bounds", which change it */
    x->rf->has_profile = true;
    return 0;
}

int tr_rules_parse(const char *text, size_t len, const char *name, const char *base,
                   struct tr_rules_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->fail_on = -1;
    out->capture_fails = -1;
    memset(out->severity, -1, sizeof out->severity);
    const struct tr_profile *bp = tr_profile_builtin(base ? base : "linux");
    if (!bp)
        return tr__fail(err, errlen, name, "unknown profile '%s' (built in: rfc, linux)", base);
    out->prof = *bp;
    json_t *root = tr__parse_json(text, len, name, err, errlen);
    if (!root)
        return TR_EPARSE;
    struct tr__rctx x = {.name = name, .err = err, .errlen = errlen, .rf = out};
    int rc = 0;
    /* "profile" first: tolerance and bounds modify it. */
    json_t *p = json_object_get(root, "profile");
    if (p)
        rc = tr__profile_key(&x, p);
    if (base) { /* the command line wins */
        out->prof = *bp;
        out->has_profile = true;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (rc < 0)
            break;
        if (!strcmp(k, "profile") || !strcmp(k, "note"))
            continue;
        if (!strcmp(k, "tolerance"))
            rc = tr__tolerance(&x, v);
        else if (!strcmp(k, "bounds"))
            rc = tr__bounds(&x, v);
        else if (!strcmp(k, "rules"))
            rc = tr__rules_object(&x, v);
        else if (!strcmp(k, "fail_on")) {
            int s = 0;
            rc = tr__severity_of(v, "fail_on", &s, &x);
            out->fail_on = s;
        } else if (!strcmp(k, "capture_fails")) {
            if (!json_is_boolean(v))
                rc = tr__fail(err, errlen, name, "capture_fails: expected true or false");
            out->capture_fails = json_is_true(v);
        } else {
            rc = tr__fail(err, errlen, name,
                          "%s: unknown key (known: profile, tolerance, bounds, fail_on, capture_fails, rules, note)",
                          k);
        }
    }
    json_decref(root);
    return rc < 0 ? TR_EPARSE : 0;
}

int tr_rules_load(const char *path, const char *base, struct tr_rules_file *out, char *err,
                  size_t errlen)
{
    size_t len;
    char *text = tr__slurp(path, &len, err, errlen);
    if (!text)
        return TR_EIO;
    int rc = tr_rules_parse(text, len, path, base, out, err, errlen);
    free(text);
    return rc;
}

void tr_rules_apply(const struct tr_rules_file *rf)
{
    tr_rule_policy_reset();
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        if (rf->severity[r] >= 0)
            tr_rule_set_severity((enum tr_rule)r, (enum tr_severity)rf->severity[r]);
        if (rf->enable[r] == TR_RULESET_DISABLE)
            tr_rule_set_enabled((enum tr_rule)r, false);
    }
}

/* ---- the expectations file ---- */

static const char *const tr__dirs[] = {"client-to-server", "server-to-client", "A-to-B", "B-to-A"};

static int tr__string_into(json_t *v, char *dst, size_t n, const char *key, const char *name, char *err,
                           size_t errlen)
{
    if (!json_is_string(v))
        return tr__fail(err, errlen, name, "%s: expected a string", key);
    if (strlen(json_string_value(v)) >= n)
        return tr__fail(err, errlen, name, "%s: longer than %zu characters", key, n - 1);
    strcpy(dst, json_string_value(v));
    return 0;
}

static int tr__uint(json_t *v, uint64_t min, uint64_t max, uint64_t *out, const char *key, const char *name,
                    char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
        (uint64_t)json_integer_value(v) > max)
        return tr__fail(err, errlen, name, "%s: expected an integer from %llu to %llu", key,
                        (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int tr__entry(json_t *v, bool must, struct tr_expect_entry *e, const char *path, const char *name,
                     char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    if (!json_is_object(v))
        return tr__fail(err, errlen, name, "%s: expected an object {\"rule\": ...}", path);
    const char *k;
    json_t *x;
    bool has_rule = false;
    json_object_foreach(v, k, x) {
        char key[160];
        snprintf(key, sizeof key, "%s.%s", path, k);
        uint64_t u = 0;
        if (!strcmp(k, "rule")) {
            if (tr__string_into(x, e->rule, sizeof e->rule, key, name, err, errlen) < 0)
                return TR_EPARSE;
            has_rule = true;
        } else if (!strcmp(k, "note")) {
            if (!json_is_string(x))
                return tr__fail(err, errlen, name, "%s: expected a string", key);
            snprintf(e->note, sizeof e->note, "%s", json_string_value(x));
        } else if (must && !strcmp(k, "frame")) {
            if (tr__uint(x, 1, UINT64_MAX >> 1, &e->frame, key, name, err, errlen) < 0)
                return TR_EPARSE;
            e->has_frame = true;
        } else if (must && !strcmp(k, "direction")) {
            if (tr__string_into(x, e->dir, sizeof e->dir, key, name, err, errlen) < 0)
                return TR_EPARSE;
            bool ok = false;
            for (unsigned i = 0; i < 4; i++)
                ok |= !strcmp(e->dir, tr__dirs[i]);
            if (!ok)
                return tr__fail(err, errlen, name,
                                "%s: \"%s\" is not a direction (client-to-server, server-to-client, A-to-B, B-to-A)",
                                key, e->dir);
            e->has_dir = true;
        } else if (must && !strcmp(k, "connection")) {
            if (tr__uint(x, 0, UINT32_MAX, &u, key, name, err, errlen) < 0)
                return TR_EPARSE;
            e->conn = (uint32_t)u, e->has_conn = true;
        } else if (must && !strcmp(k, "file")) {
            if (tr__uint(x, 0, UINT32_MAX, &u, key, name, err, errlen) < 0)
                return TR_EPARSE;
            e->file = (uint32_t)u, e->has_file = true;
        } else if (must && !strcmp(k, "count")) {
            if (tr__uint(x, 0, UINT32_MAX, &e->count, key, name, err, errlen) < 0)
                return TR_EPARSE;
            e->has_count = true;
        } else if (!must && !strcmp(k, "class")) {
            if (!json_is_string(x) || (strcmp(json_string_value(x), "protocol") && strcmp(json_string_value(x), "capture")))
                return tr__fail(err, errlen, name, "%s: expected \"protocol\" or \"capture\"", key);
            e->cls = strcmp(json_string_value(x), "capture") ? TR_CLASS_PROTOCOL : TR_CLASS_CAPTURE;
            e->has_class = true;
        } else if (!must && !strcmp(k, "severity")) {
            int s = json_is_string(x) ? tr_severity_parse(json_string_value(x)) : -1;
            if (s < 0)
                return tr__fail(err, errlen, name, "%s: expected \"info\", \"warning\" or \"error\"", key);
            e->severity = (uint8_t)s, e->has_severity = true;
        } else {
            return tr__fail(err, errlen, name, "%s: unknown key (known in %s: %s)", key,
                            must ? "must" : "must_not",
                            must ? "rule, frame, direction, connection, file, count, note"
                                 : "rule, class, severity, note");
        }
    }
    bool glob = strchr(e->rule, '*') || strchr(e->rule, '?') || strchr(e->rule, '[');
    if (must && !has_rule)
        return tr__fail(err, errlen, name, "%s: \"rule\" is required", path);
    if (must && glob)
        return tr__fail(err, errlen, name, "%s.rule: a must entry names one rule, not a pattern", path);
    if (has_rule && !glob && tr_rule_find(e->rule) < 0) {
        const char *near = tr__closest(e->rule);
        return tr__fail(err, errlen, name, "%s.rule: there is no rule \"%s\" (see 'tcpref rules')%s%s%s", path,
                        e->rule, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
    }
    if (!must && !has_rule && !e->has_class && !e->has_severity)
        return tr__fail(err, errlen, name, "%s: a pattern needs rule, class or severity", path);
    if (!has_rule)
        strcpy(e->rule, "*");
    return 0;
}

static int tr__entries(json_t *v, bool must, struct tr_expect_entry **out, unsigned *n, const char *name,
                       char *err, size_t errlen)
{
    const char *what = must ? "must" : "must_not";
    if (!json_is_array(v))
        return tr__fail(err, errlen, name, "%s: expected an array of entries", what);
    size_t k = json_array_size(v);
    if (k > 100000)
        return tr__fail(err, errlen, name, "%s: more than 100000 entries", what);
    *out = calloc(k ? k : 1, sizeof **out);
    if (!*out)
        return TR_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        char path[48];
        snprintf(path, sizeof path, "%s[%zu]", what, i);
        if (tr__entry(json_array_get(v, i), must, &(*out)[i], path, name, err, errlen) < 0)
            return TR_EPARSE;
        (*n)++;
    }
    return 0;
}

int tr_expect_parse(const char *text, size_t len, const char *name, struct tr_expect *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root = tr__parse_json(text, len, name, err, errlen);
    if (!root)
        return TR_EPARSE;
    int rc = 0;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (rc < 0)
            break;
        if (!strcmp(k, "profile")) {
            if (!json_is_string(v) || !tr_profile_builtin(json_string_value(v)))
                rc = tr__fail(err, errlen, name, "profile: expected \"linux\" or \"rfc\"");
            else
                snprintf(out->profile, sizeof out->profile, "%s", json_string_value(v));
        } else if (!strcmp(k, "must")) {
            rc = tr__entries(v, true, &out->must, &out->nmust, name, err, errlen);
        } else if (!strcmp(k, "must_not")) {
            rc = tr__entries(v, false, &out->must_not, &out->nmust_not, name, err, errlen);
        } else if (strcmp(k, "note")) {
            rc = tr__fail(err, errlen, name, "%s: unknown key (known: profile, must, must_not, note)", k);
        }
    }
    json_decref(root);
    if (rc < 0) {
        tr_expect_free(out);
        if (rc == TR_ENOMEM)
            snprintf(err, errlen, "%s: out of memory", name);
        return rc;
    }
    return 0;
}

int tr_expect_load(const char *path, struct tr_expect *out, char *err, size_t errlen)
{
    size_t len;
    memset(out, 0, sizeof *out);
    char *text = tr__slurp(path, &len, err, errlen);
    if (!text)
        return TR_EIO;
    int rc = tr_expect_parse(text, len, path, out, err, errlen);
    free(text);
    return rc;
}

void tr_expect_free(struct tr_expect *e)
{
    free(e->must);
    free(e->must_not);
    e->must = e->must_not = NULL;
    e->nmust = e->nmust_not = 0;
}

/* ---- the verdict ---- */

bool tr_gate_must_matches(const struct tr_expect_entry *e, const struct tr_gate_item *it)
{
    if (strcmp(tr_rule_info((enum tr_rule)it->f.rule)->id, e->rule))
        return false;
    if (e->has_frame && it->f.frame != e->frame)
        return false;
    if (e->has_dir && (!it->dir || strcmp(it->dir, e->dir)))
        return false;
    if (e->has_conn && it->conn != (int64_t)e->conn)
        return false;
    return !e->has_file || it->file == e->file;
}

bool tr_gate_not_matches(const struct tr_expect_entry *p, const struct tr_gate_item *it)
{
    if (fnmatch(p->rule, tr_rule_info((enum tr_rule)it->f.rule)->id, 0) != 0)
        return false;
    if (p->has_class && it->cls != p->cls)
        return false;
    return !p->has_severity || it->severity >= p->severity;
}

static struct tr_gate_item *tr__push(struct tr_gate *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        struct tr_gate_item *ni = realloc(g->items, cap * sizeof *ni);
        if (!ni)
            return NULL;
        g->items = ni, g->cap = cap;
    }
    struct tr_gate_item *it = &g->items[g->n++];
    memset(it, 0, sizeof *it);
    return it;
}

static void tr__classify_item(struct tr_gate_item *it)
{
    const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)it->f.rule);
    it->severity = ri->severity;
    it->cls = ri->cls;
}

static int tr__collect(struct tr_gate *g, const struct tr_analysis *a)
{
    for (unsigned fi = 0; fi < a->nfiles; fi++) {
        const struct tr_file_result *fr = &a->files[fi];
        const struct tr_input_stats *in = tr_file_input(fr);
        if (in) {
            struct tr_file_note notes[16];
            unsigned k = tr_file_notes(in, notes, 16);
            for (unsigned i = 0; i < k; i++) {
                struct tr_gate_item *it = tr__push(g);
                if (!it)
                    return TR_ENOMEM;
                it->file = fi, it->conn = -1;
                it->f = (struct tr_finding){.frame = notes[i].frame, .rule = (uint16_t)notes[i].rule,
                                            .dir = TR_DIR_NONE};
                it->count = notes[i].count;
                tr__classify_item(it);
            }
        }
        struct tr_conn_iter ci;
        tr_conn_iter_init(&ci, fr);
        const struct tr_obs *o;
        for (const struct tr_conn *c; (c = tr_conn_iter_next(&ci, &o));) {
            for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f;
                 f = tr_obs_next_finding(o, c, f)) {
                struct tr_gate_item *it = tr__push(g);
                if (!it)
                    return TR_ENOMEM;
                it->file = fi, it->conn = ci.index - 1, it->obs = o, it->c = c, it->f = *f;
                it->dir = f->dir == TR_DIR_NONE ? NULL : tr_dir_name(c, f->dir);
                it->count = 1 + (uint64_t)f->repeat;
                tr__classify_item(it);
            }
        }
    }
    return 0;
}

static void tr__expectations(struct tr_gate *g)
{
    const struct tr_expect *e = g->opt.expect;
    for (unsigned i = 0; i < e->nmust; i++) {
        for (size_t k = 0; k < g->n; k++) {
            if (!tr_gate_must_matches(&e->must[i], &g->items[k]))
                continue;
            g->must_found[i] += g->items[k].count;
            g->items[k].expected = true;
        }
        g->must_met[i] = e->must[i].has_count ? g->must_found[i] == e->must[i].count : g->must_found[i] >= 1;
        g->expect_unmet += !g->must_met[i];
    }
    for (unsigned i = 0; i < e->nmust_not; i++) {
        for (size_t k = 0; k < g->n; k++)
            if (!g->items[k].expected && tr_gate_not_matches(&e->must_not[i], &g->items[k]))
                g->must_not_hits[i]++;
        g->expect_unmet += g->must_not_hits[i] != 0;
    }
}

int tr_gate_eval(struct tr_gate *g, const struct tr_analysis *a, const struct tr_gate_opts *opt)
{
    memset(g, 0, sizeof *g);
    g->opt = *opt;
    if (tr__collect(g, a) < 0)
        return TR_ENOMEM;
    if (opt->expect) {
        unsigned nm = opt->expect->nmust, nn = opt->expect->nmust_not;
        g->must_found = calloc(nm ? nm : 1, sizeof *g->must_found);
        g->must_met = calloc(nm ? nm : 1, sizeof *g->must_met);
        g->must_not_hits = calloc(nn ? nn : 1, sizeof *g->must_not_hits);
        if (!g->must_found || !g->must_met || !g->must_not_hits)
            return TR_ENOMEM;
        tr__expectations(g);
    }
    for (size_t k = 0; k < g->n; k++) {
        struct tr_gate_item *it = &g->items[k];
        if (it->cls == TR_CLASS_CAPTURE)
            g->capture_items++;
        it->fails = !it->expected && it->severity >= opt->fail_on &&
                    (it->cls == TR_CLASS_PROTOCOL || opt->capture_fails);
        g->failing += it->fails;
    }
    g->pass = g->failing == 0 && g->expect_unmet == 0;
    return 0;
}

void tr_gate_free(struct tr_gate *g)
{
    free(g->items);
    free(g->must_found);
    free(g->must_met);
    free(g->must_not_hits);
    memset(g, 0, sizeof *g);
}

const char *tr_gate_unknown_checks(enum tr_rule r)
{
    switch (r) {
    case TR_RULE_ACK_UNSEEN_CAPTURE:
    case TR_RULE_CAP_NOT_CAPTURED:
        return "the checks of the missing sequence range (retransmissions, ACKs, RTT samples)";
    case TR_RULE_CAP_NO_HANDSHAKE:
        return "the handshake and option negotiation; window scaling is assumed; RTO verdicts are unknown";
    case TR_RULE_CAP_RTO_UNKNOWN:
        return "the RTO verdicts of the connection (the capture point's distance is unknown)";
    case TR_RULE_CAP_RTX_NOT_CAPTURED:
        return "the timing of the retransmission the capture missed";
    case TR_RULE_CAP_TSO_GRO:
        return "segment sizes and per-segment ACK checks of the super-segments (TSO/GRO)";
    case TR_RULE_CAP_TRUNCATED_HEADER:
    case TR_RULE_CAP_TRUNCATED_PACKET:
    case TR_RULE_CAP_MALFORMED_PACKET:
    case TR_RULE_CAP_UNSUPPORTED_LINK:
    case TR_RULE_CAP_IP_FRAGMENT:
        return "every check of the skipped packets";
    case TR_RULE_CAP_OPTIONS_CUT:
        return "the option checks of the cut segments";
    case TR_RULE_CAP_BAD_CHECKSUM:
        return "nothing: the segment was analyzed; a bad checksum usually means checksum offload";
    case TR_RULE_CAP_DUPLICATE:
        return "nothing: the copy was ignored";
    case TR_RULE_CAP_REORDERED:
        return "the window and ACK statements of the reordered segment";
    case TR_RULE_HS_OUT_OF_ORDER:
    case TR_RULE_HS_SYNACK_WITHOUT_SYN:
        return "the parts of the handshake the capture does not show in order";
    case TR_RULE_CAP_KERNEL_DROPS:
        return "the checks of the time the kernel dropped packets";
    default:
        return "the checks of the segments involved";
    }
}
