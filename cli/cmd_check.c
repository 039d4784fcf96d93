/*
 * tcpref check: the CI gate. Analyzes the captures under a rules file's
 * policy, holds the findings against --fail-on and an expectations file,
 * and says pass or fail in text, JSON and JUnit XML (docs/check.md).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/format.h"
#include "analyzer/gate.h"
#include "cli/cli.h"

static const char tr__check_help[] =
    "usage: tcpref check [options] FILE...\n"
    "\n"
    "The CI gate: analyzes pcap/pcapng captures and fails when a protocol\n"
    "finding reaches --fail-on, or when an expectation of --expect is not met.\n"
    "Capture findings (what the capture cannot show) never fail the gate unless\n"
    "the rules file says so; the report lists the checks they made unknown.\n"
    "\n"
    "options:\n"
    "      --rules FILE       rules file (JSON): enable or disable rules, change\n"
    "                         severities, set thresholds (retransmission share,\n"
    "                         zero-window length, timeouts, handshake RTT), the\n"
    "                         profile and its tolerances; see docs/check.md\n"
    "  -p, --profile NAME     linux (default) or rfc; wins over the rules file's\n"
    "                         and the expectations file's profile\n"
    "      --fail-on SEV      error (default), warning or info: the lowest severity\n"
    "                         of a protocol finding that fails the gate\n"
    "      --expect FILE      expectations file (JSON, docs/expectations.md):\n"
    "                         findings that must and must not appear; each entry\n"
    "                         is reported met or not, and findings it expects do\n"
    "                         not fail the gate\n"
    "      --junit FILE       also write JUnit XML: one test case per connection\n"
    "                         (failures list its findings) and per expectation\n"
    "  -f, --format FMT       text (default) or json (schema tcpref-check/1)\n"
    "  -o, --output FILE      write the result to FILE instead of standard output\n"
    "  -v, --verbose          text: list every finding, not only the failing ones\n"
    "      --verify-checksums verify TCP checksums\n"
    "      --no-vlan          ignore VLAN tags when telling connections apart\n"
    "      --threads N        analyze with N threads\n"
    "      --max-connections N\n"
    "                         connections tracked at once (default 100000; 0: no\n"
    "                         limit); past it the least recently active one is\n"
    "                         closed out (its later segments start a connection\n"
    "                         seen mid-stream, whose unknowns never fail the gate)\n"
    "  -h, --help             this help\n"
    "\n"
    "exit status: 0 the gate passes; 1 a protocol finding at or above\n"
    "--fail-on, or an expectation not met; 2 usage error, a bad rules or\n"
    "expectations file (the message names the key and the problem), or a\n"
    "capture that could not be read or is damaged.\n";

enum { TR_OPT_RULES = 400, TR_OPT_FAIL_ON, TR_OPT_EXPECT, TR_OPT_JUNIT };

struct tr__check {
    struct tr_cli_common cc;
    const char *rules, *expect, *junit;
    int fail_on;               /* -1: not given */
    struct tr_rules_file rf;
    struct tr_expect exp;
    bool have_exp;
    const char *profile_used;
};

/* ---- text ---- */

static void tr__conn_name(const struct tr_conn *c, char *buf, size_t n)
{
    char a[64], b[64];
    tr_format_addr(c->ipver, c->addr[0], a, sizeof a);
    tr_format_addr(c->ipver, c->addr[1], b, sizeof b);
    const char *fmt = c->ipver == 6 ? "[%s]:%u (%s) <-> [%s]:%u (%s)" : "%s:%u (%s) <-> %s:%u (%s)";
    snprintf(buf, n, fmt, a, c->port[0], tr_role_name(c, 0), b, c->port[1], tr_role_name(c, 1));
}

static void tr__item_text(FILE *out, const struct tr_gate_item *it)
{
    const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)it->f.rule);
    char msg[512], obs[256], exp[256];
    tr_format_template(ri->message, it->f.arg, msg, sizeof msg);
    tr_format_template(ri->observed, it->f.arg, obs, sizeof obs);
    tr_format_template(ri->expected, it->f.arg, exp, sizeof exp);
    fprintf(out, "    %-7s %s frame %llu%s%s", tr_severity_name(it->severity), ri->id,
            (unsigned long long)it->f.frame, it->dir ? " " : "", it->dir ? it->dir : "");
    if (it->count > 1)
        fprintf(out, " (x%llu)", (unsigned long long)it->count);
    if (it->c)
        fprintf(out, ": %s (observed %s; expected %s)", msg, obs, exp);
    else
        fprintf(out, ": %llu packets: %s", (unsigned long long)it->count, ri->message);
    fprintf(out, "%s\n", it->expected ? " [expected]" : "");
}

static void tr__entry_desc(const struct tr_expect_entry *e, bool must, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "%s", e->rule);
    char tmp[160] = "";
    if (must) {
        size_t k = 0;
        if (e->has_frame)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%sframe %llu", k ? ", " : "", (unsigned long long)e->frame);
        if (e->has_dir && k < sizeof tmp)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%sdirection %s", k ? ", " : "", e->dir);
        if (e->has_conn && k < sizeof tmp)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%sconnection %u", k ? ", " : "", e->conn);
        if (e->has_file && k < sizeof tmp)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%sfile %u", k ? ", " : "", e->file);
    } else {
        size_t k = 0;
        if (e->has_class)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "class %s", tr_class_name((enum tr_class)e->cls));
        if (e->has_severity && k < sizeof tmp)
            snprintf(tmp + k, sizeof tmp - k, "%sseverity >= %s", k ? ", " : "",
                     tr_severity_name((enum tr_severity)e->severity));
    }
    if (tmp[0] && at < n)
        snprintf(buf + at, n - at, " (%s)", tmp);
}

static void tr__text_expect(FILE *out, const struct tr__check *k, const struct tr_gate *g)
{
    const struct tr_expect *e = &k->exp;
    unsigned total = e->nmust + e->nmust_not;
    fprintf(out, "\nexpectations %s: %u of %u met\n", k->expect, total - g->expect_unmet, total);
    char d[256];
    for (unsigned i = 0; i < e->nmust; i++) {
        tr__entry_desc(&e->must[i], true, d, sizeof d);
        char want[32];
        if (e->must[i].has_count)
            snprintf(want, sizeof want, "%llu", (unsigned long long)e->must[i].count);
        else
            snprintf(want, sizeof want, "at least 1");
        fprintf(out, "  %-4s must     %s: %llu found, want %s\n", g->must_met[i] ? "met" : "NOT", d,
                (unsigned long long)g->must_found[i], want);
    }
    for (unsigned i = 0; i < e->nmust_not; i++) {
        tr__entry_desc(&e->must_not[i], false, d, sizeof d);
        fprintf(out, "  %-4s must_not %s: %u found\n", g->must_not_hits[i] ? "NOT" : "met", d,
                g->must_not_hits[i]);
        for (size_t j = 0; j < g->n && g->must_not_hits[i]; j++)
            if (!g->items[j].expected && tr_gate_not_matches(&e->must_not[i], &g->items[j])) {
                fprintf(out, "    unexpected (file %u, connection %lld):\n", g->items[j].file,
                        (long long)g->items[j].conn);
                tr__item_text(out, &g->items[j]);
            }
    }
}

/* The capture rules among the gate's items, in the order they first
 * appear, each with its total count (text and JSON list the same). */
struct tr__cap_rule {
    enum tr_rule rule;
    uint64_t count;
};

static unsigned tr__capture_rules(const struct tr_gate *g, struct tr__cap_rule out[TR_RULE_COUNT])
{
    int at[TR_RULE_COUNT];
    for (unsigned r = 0; r < TR_RULE_COUNT; r++)
        at[r] = -1;
    unsigned n = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct tr_gate_item *it = &g->items[i];
        if (it->cls != TR_CLASS_CAPTURE)
            continue;
        if (at[it->f.rule] < 0) {
            at[it->f.rule] = (int)n;
            out[n++] = (struct tr__cap_rule){.rule = (enum tr_rule)it->f.rule};
        }
        out[at[it->f.rule]].count += it->count;
    }
    return n;
}

/* Capture findings do not fail the gate by default: say what they hid. */
static void tr__text_capture(FILE *out, const struct tr_gate *g)
{
    if (!g->capture_items)
        return;
    fprintf(out, "\ncapture findings: %zu (%s); the checks they made unknown:\n", g->capture_items,
            g->opt.capture_fails ? "they fail the gate (capture_fails)" : "they do not fail the gate");
    struct tr__cap_rule cr[TR_RULE_COUNT];
    unsigned n = tr__capture_rules(g, cr);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "  %s (%llu): %s\n", tr_rule_info(cr[i].rule)->id, (unsigned long long)cr[i].count,
                tr_gate_unknown_checks(cr[i].rule));
}

static void tr__text(FILE *out, const struct tr__check *k, const struct tr_analysis *a, const struct tr_gate *g)
{
    fprintf(out, "tcpref check: %s (fail on %s and above, profile %s%s%s)\n", g->pass ? "PASS" : "FAIL",
            tr_severity_name(g->opt.fail_on), k->profile_used, k->rules ? ", rules file " : "",
            k->rules ? k->rules : "");
    size_t at = 0;
    for (unsigned fi = 0; fi < a->nfiles; fi++) {
        const struct tr_file_result *fr = &a->files[fi];
        fprintf(out, "\nfile %s%s\n", fr->path, fr->err < 0 ? " (DAMAGED: see below)" : "");
        if (fr->err < 0)
            fprintf(out, "  error: %s\n", fr->error);
        unsigned nconn = 0, nfail = 0;
        for (; at < g->n && g->items[at].file == fi; at++) {
            size_t end = at;
            while (end + 1 < g->n && g->items[end + 1].file == fi && g->items[end + 1].conn == g->items[at].conn)
                end++;
            size_t fails = 0;
            for (size_t j = at; j <= end; j++)
                fails += g->items[j].fails;
            const struct tr_gate_item *h = &g->items[at];
            if (fails || k->cc.verbose) {
                if (h->c) {
                    char name[200];
                    tr__conn_name(h->c, name, sizeof name);
                    fprintf(out, "  connection %lld %s: %s\n", (long long)h->conn, name, fails ? "FAIL" : "pass");
                } else {
                    fprintf(out, "  file-level findings: %s\n", fails ? "FAIL" : "pass");
                }
                for (size_t j = at; j <= end; j++)
                    if (g->items[j].fails || k->cc.verbose)
                        tr__item_text(out, &g->items[j]);
            }
            nfail += fails != 0;
            nconn += h->c != NULL;
            at = end;
        }
        struct tr_conn_iter ci;
        tr_conn_iter_init(&ci, fr);
        const struct tr_obs *o;
        unsigned total = 0;
        while (tr_conn_iter_next(&ci, &o))
            total++;
        fprintf(out, "  %u connection%s, %u with findings, %u failing\n", total, total == 1 ? "" : "s", nconn,
                nfail);
    }
    if (k->have_exp)
        tr__text_expect(out, k, g);
    tr__text_capture(out, g);
    fprintf(out, "\nresult: %s: %zu finding%s the gate%s\n", g->pass ? "PASS" : "FAIL", g->failing,
            g->failing == 1 ? " fails" : "s fail",
            k->have_exp ? (g->expect_unmet ? ", expectations not met" : ", expectations met") : "");
}

/* ---- JSON ---- */

static json_t *tr__item_json(const struct tr_analysis *a, const struct tr_gate_item *it)
{
    const struct tr_input_stats *in = tr_file_input(&a->files[it->file]);
    int64_t t0 = in ? in->first_pkt_ts : 0;
    json_t *j;
    if (it->c) {
        j = tr_json_finding(it->c, &it->f, t0);
    } else {
        struct tr_conn none = {0};
        j = tr_json_finding(&none, &it->f, t0);
        json_object_set_new(j, "time", json_null());
        json_object_set_new(j, "count", json_integer((json_int_t)it->count));
    }
    json_object_set_new(j, "file", json_integer(it->file));
    json_object_set_new(j, "connection", it->conn < 0 ? json_null() : json_integer(it->conn));
    json_object_set_new(j, "expected", json_boolean(it->expected));
    json_object_set_new(j, "fails", json_boolean(it->fails));
    return j;
}

static json_t *tr__entry_json(const struct tr_expect_entry *e, bool must)
{
    json_t *j = json_object();
    json_object_set_new(j, "rule", json_string(e->rule));
    if (e->has_frame)
        json_object_set_new(j, "frame", json_integer((json_int_t)e->frame));
    if (e->has_dir)
        json_object_set_new(j, "direction", json_string(e->dir));
    if (e->has_conn)
        json_object_set_new(j, "connection", json_integer(e->conn));
    if (e->has_file)
        json_object_set_new(j, "file", json_integer(e->file));
    if (e->has_count)
        json_object_set_new(j, "count", json_integer((json_int_t)e->count));
    if (!must && e->has_class)
        json_object_set_new(j, "class", json_string(tr_class_name((enum tr_class)e->cls)));
    if (!must && e->has_severity)
        json_object_set_new(j, "severity", json_string(tr_severity_name((enum tr_severity)e->severity)));
    if (e->note[0])
        json_object_set_new(j, "note", json_string(e->note));
    return j;
}

static json_t *tr__json(const struct tr__check *k, const struct tr_analysis *a, const struct tr_gate *g)
{
    json_t *j = json_object();
    json_object_set_new(j, "schema", json_string("tcpref-check/1"));
    json_object_set_new(j, "result", json_string(g->pass ? "pass" : "fail"));
    json_object_set_new(j, "fail_on", json_string(tr_severity_name(g->opt.fail_on)));
    json_object_set_new(j, "capture_fails", json_boolean(g->opt.capture_fails));
    json_object_set_new(j, "profile", json_string(k->profile_used));
    json_object_set_new(j, "rules_file", k->rules ? json_string(k->rules) : json_null());
    json_object_set_new(j, "failing", json_integer((json_int_t)g->failing));
    json_t *files = json_array();
    for (unsigned fi = 0; fi < a->nfiles; fi++) {
        const struct tr_file_result *fr = &a->files[fi];
        json_t *f = json_object();
        json_object_set_new(f, "path", json_string(fr->path));
        json_object_set_new(f, "error", fr->err < 0 ? json_string(fr->error) : json_null());
        json_array_append_new(files, f);
    }
    json_object_set_new(j, "files", files);
    json_t *fs = json_array(), *cap = json_array();
    for (size_t i = 0; i < g->n; i++) {
        const struct tr_gate_item *it = &g->items[i];
        if (it->fails || it->expected || it->severity >= g->opt.fail_on || k->cc.verbose)
            json_array_append_new(fs, tr__item_json(a, it));
    }
    json_object_set_new(j, "findings", fs);
    struct tr__cap_rule cr[TR_RULE_COUNT];
    unsigned ncr = tr__capture_rules(g, cr);
    for (unsigned i = 0; i < ncr; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "rule", json_string(tr_rule_info(cr[i].rule)->id));
        json_object_set_new(c, "count", json_integer((json_int_t)cr[i].count));
        json_object_set_new(c, "unknown", json_string(tr_gate_unknown_checks(cr[i].rule)));
        json_array_append_new(cap, c);
    }
    json_object_set_new(j, "capture", cap);
    if (k->have_exp) {
        json_t *ex = json_object(), *m = json_array(), *mn = json_array();
        for (unsigned i = 0; i < k->exp.nmust; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "entry", tr__entry_json(&k->exp.must[i], true));
            json_object_set_new(e, "met", json_boolean(g->must_met[i]));
            json_object_set_new(e, "found", json_integer((json_int_t)g->must_found[i]));
            json_array_append_new(m, e);
        }
        for (unsigned i = 0; i < k->exp.nmust_not; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "entry", tr__entry_json(&k->exp.must_not[i], false));
            json_object_set_new(e, "met", json_boolean(g->must_not_hits[i] == 0));
            json_object_set_new(e, "found", json_integer(g->must_not_hits[i]));
            json_array_append_new(mn, e);
        }
        json_object_set_new(ex, "file", json_string(k->expect));
        json_object_set_new(ex, "must", m);
        json_object_set_new(ex, "must_not", mn);
        json_object_set_new(ex, "unmet", json_integer(g->expect_unmet));
        json_object_set_new(j, "expectations", ex);
    } else {
        json_object_set_new(j, "expectations", json_null());
    }
    json_t *tool = json_object();
    json_object_set_new(tool, "name", json_string("tcpref"));
    json_object_set_new(tool, "version", json_string(TCPREF_VERSION));
    json_object_set_new(j, "tool", tool);
    return j;
}

/* ---- JUnit XML ---- */

static void tr__xml(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (ch < 0x20 && ch != '\n' && ch != '\t')
                fprintf(f, "&#x%x;", ch < 0x20 ? 0xfffd : ch); /* XML 1.0 forbids other controls */
            else
                fputc(ch, f);
        }
    }
}

static void tr__junit_item(FILE *f, const struct tr_gate_item *it)
{
    const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)it->f.rule);
    char msg[512], line[768];
    tr_format_template(ri->message, it->f.arg, msg, sizeof msg);
    snprintf(line, sizeof line, "%s %s frame %llu%s%s: %s\n", tr_severity_name(it->severity), ri->id,
             (unsigned long long)it->f.frame, it->dir ? " " : "", it->dir ? it->dir : "", msg);
    tr__xml(f, line);
}

static int tr__junit(const struct tr__check *k, const struct tr_analysis *a, const struct tr_gate *g)
{
    FILE *f = fopen(k->junit, "w");
    if (!f) {
        tr_cli_error("check", "--junit %s: cannot create: %s", k->junit, strerror(errno));
        return -1;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fputs("<testsuites name=\"tcpref check\">\n", f);
    size_t at = 0;
    for (unsigned fi = 0; fi < a->nfiles; fi++) {
        const struct tr_file_result *fr = &a->files[fi];
        unsigned ntests = fr->err < 0, nfail = 0;
        {
            struct tr_conn_iter ci;
            tr_conn_iter_init(&ci, fr);
            const struct tr_obs *o;
            while (tr_conn_iter_next(&ci, &o))
                ntests++;
            int64_t last = -2;
            bool file_fail = false;
            for (size_t j = 0; j < g->n; j++) {
                const struct tr_gate_item *it = &g->items[j];
                if (it->file != fi || !it->fails)
                    continue;
                if (it->conn < 0)
                    file_fail = true;
                else if (it->conn != last)
                    nfail++, last = it->conn;
            }
            ntests += file_fail, nfail += file_fail;
        }
        fputs("  <testsuite name=\"", f);
        tr__xml(f, fr->path);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%d\">\n", ntests, nfail, fr->err < 0);
        if (fr->err < 0) {
            fputs("    <testcase classname=\"tcpref.check\" name=\"reading the capture\"><error message=\"", f);
            tr__xml(f, fr->error);
            fputs("\"/></testcase>\n", f);
        }
        struct tr_conn_iter ci;
        tr_conn_iter_init(&ci, fr);
        const struct tr_obs *o;
        for (const struct tr_conn *c; (c = tr_conn_iter_next(&ci, &o));) {
            int64_t id = ci.index - 1;
            char name[256];
            tr__conn_name(c, name, sizeof name);
            fprintf(f, "    <testcase classname=\"tcpref.check\" name=\"connection %lld ", (long long)id);
            tr__xml(f, name);
            fputs("\">", f);
            while (at < g->n && g->items[at].file == fi && g->items[at].conn < id)
                at++;
            size_t end = at, fails = 0;
            for (; end < g->n && g->items[end].file == fi && g->items[end].conn == id; end++)
                fails += g->items[end].fails;
            if (fails) {
                fprintf(f, "<failure type=\"tcpref\" message=\"%zu finding%s at or above %s\">", fails,
                        fails == 1 ? "" : "s", tr_severity_name(g->opt.fail_on));
                for (size_t j = at; j < end; j++)
                    if (g->items[j].fails)
                        tr__junit_item(f, &g->items[j]);
                fputs("</failure>", f);
            }
            fputs("</testcase>\n", f);
        }
        /* file-level findings that fail (capture_fails) */
        size_t ffails = 0;
        for (size_t j = 0; j < g->n; j++)
            ffails += g->items[j].file == fi && g->items[j].conn < 0 && g->items[j].fails;
        if (ffails) {
            fputs("    <testcase classname=\"tcpref.check\" name=\"file-level findings\"><failure type=\"tcpref\" message=\"skipped packets\">", f);
            for (size_t j = 0; j < g->n; j++)
                if (g->items[j].file == fi && g->items[j].conn < 0 && g->items[j].fails)
                    tr__junit_item(f, &g->items[j]);
            fputs("</failure></testcase>\n", f);
        }
        fputs("  </testsuite>\n", f);
    }
    if (k->have_exp) {
        fputs("  <testsuite name=\"expectations ", f);
        tr__xml(f, k->expect);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n", k->exp.nmust + k->exp.nmust_not,
                g->expect_unmet);
        char d[256];
        for (unsigned i = 0; i < k->exp.nmust + k->exp.nmust_not; i++) {
            bool must = i < k->exp.nmust;
            unsigned m = must ? i : i - k->exp.nmust;
            const struct tr_expect_entry *e = must ? &k->exp.must[m] : &k->exp.must_not[m];
            tr__entry_desc(e, must, d, sizeof d);
            fprintf(f, "    <testcase classname=\"tcpref.expect\" name=\"%s ", must ? "must" : "must_not");
            tr__xml(f, d);
            fputs("\">", f);
            bool met = must ? g->must_met[m] : g->must_not_hits[m] == 0;
            if (!met) {
                char msg[128];
                if (must)
                    snprintf(msg, sizeof msg, "%llu found, want %s%llu", (unsigned long long)g->must_found[m],
                             e->has_count ? "" : "at least ", e->has_count ? (unsigned long long)e->count : 1ULL);
                else
                    snprintf(msg, sizeof msg, "%u unexpected finding%s", g->must_not_hits[m],
                             g->must_not_hits[m] == 1 ? "" : "s");
                fprintf(f, "<failure type=\"expectation\" message=\"%s\">", msg);
                for (size_t j = 0; !must && j < g->n; j++)
                    if (!g->items[j].expected && tr_gate_not_matches(e, &g->items[j]))
                        tr__junit_item(f, &g->items[j]);
                fputs("</failure>", f);
            }
            fputs("</testcase>\n", f);
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    if (fclose(f) != 0) {
        tr_cli_error("check", "--junit %s: write error", k->junit);
        return -1;
    }
    return 0;
}

/* ---- the command ---- */

static int tr__options(struct tr__check *k, int argc, char **argv)
{
    static const struct option lo[] = {TR_CLI_COMMON_LONGOPTS,
                                       {"max-connections", required_argument, 0, TR_OPT_MAX_CONNECTIONS},
                                       {"rules", required_argument, 0, TR_OPT_RULES},
                                       {"fail-on", required_argument, 0, TR_OPT_FAIL_ON},
                                       {"expect", required_argument, 0, TR_OPT_EXPECT},
                                       {"junit", required_argument, 0, TR_OPT_JUNIT},
                                       {0, 0, 0, 0}};
    int opt;
    bool profile_given = false;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:o:p:vh", lo, NULL)) != -1) {
        switch (opt) {
        case 'h':
        case TR_OPT_HELP: fputs(tr__check_help, stdout); return 1;
        case TR_OPT_RULES: k->rules = optarg; continue;
        case TR_OPT_EXPECT: k->expect = optarg; continue;
        case TR_OPT_JUNIT: k->junit = optarg; continue;
        case TR_OPT_FAIL_ON:
            if ((k->fail_on = tr_severity_parse(optarg)) < 0) {
                tr_cli_error("check", "--fail-on: '%s' is not a severity (error, warning, info)", optarg);
                return -1;
            }
            continue;
        case 'p':
            profile_given = true;
            break;
        default: break;
        }
        int r = tr_cli_common_option(&k->cc, opt, optarg, "check");
        if (r < 0)
            return -1;
        if (r == 0) {
            fputs("try 'tcpref check --help'\n", stderr);
            return -1;
        }
    }
    if (k->cc.format == TR_FMT_WSFLAGS) {
        tr_cli_error("check", "--format: text or json");
        return -1;
    }
    if (optind >= argc) {
        tr_cli_error("check", "no capture file given (try 'tcpref check --help')");
        return -1;
    }
    if (!profile_given)
        k->cc.profile = NULL;
    return 0;
}

/* Rules and expectations files, and the profile: the command line, then
 * the rules file, then the expectations file, then linux. */
static int tr__load(struct tr__check *k)
{
    char err[TR_GATE_ERRLEN];
    if (k->expect) {
        if (tr_expect_load(k->expect, &k->exp, err, sizeof err) < 0) {
            tr_cli_error("check", "expectations file %s", err);
            return -1;
        }
        k->have_exp = true;
    }
    const char *base = k->cc.profile;
    if (k->rules) {
        if (tr_rules_load(k->rules, base, &k->rf, err, sizeof err) < 0) {
            tr_cli_error("check", "rules file %s", err);
            return -1;
        }
        if (!base && !k->rf.has_profile && k->have_exp && k->exp.profile[0]) {
            /* the expectations' profile, with the rules file's settings */
            if (tr_rules_load(k->rules, k->exp.profile, &k->rf, err, sizeof err) < 0) {
                tr_cli_error("check", "rules file %s", err);
                return -1;
            }
        }
    } else {
        const char *name = base ? base : k->have_exp && k->exp.profile[0] ? k->exp.profile : "linux";
        struct tr_rules_file *rf = &k->rf;
        memset(rf, 0, sizeof *rf);
        rf->fail_on = rf->capture_fails = -1;
        memset(rf->severity, -1, sizeof rf->severity);
        const struct tr_profile *p = tr_profile_builtin(name);
        if (!p) {
            tr_cli_error("check", "unknown profile '%s' (built in: rfc, linux)", name);
            return -1;
        }
        rf->prof = *p;
    }
    k->profile_used = k->rf.prof.name;
    return 0;
}

static int tr__emit(struct tr__check *k, const struct tr_analysis *a, const struct tr_gate *g)
{
    if (k->cc.format == TR_FMT_AUTO)
        k->cc.format = TR_FMT_TEXT;
    FILE *out = tr_cli_open_output(&k->cc, "check");
    if (!out)
        return -1;
    int r = 0;
    if (k->cc.format == TR_FMT_JSON) {
        json_t *j = tr__json(k, a, g);
        r = json_dumpf(j, out, JSON_SORT_KEYS | JSON_COMPACT) < 0 ? -1 : 0;
        fputc('\n', out);
        json_decref(j);
    } else {
        tr__text(out, k, a, g);
    }
    if (ferror(out))
        r = -1;
    tr_cli_close_output(out, &k->cc);
    if (r < 0)
        tr_cli_error("check", "writing the result failed");
    if (k->junit && tr__junit(k, a, g) < 0)
        r = -1;
    return r;
}

int tr_cmd_check(int argc, char **argv)
{
    struct tr__check k = {.fail_on = -1};
    tr_cli_common_defaults(&k.cc);
    int o = tr__options(&k, argc, argv);
    if (o != 0)
        return o > 0 ? TR_EXIT_OK : TR_EXIT_USAGE;
    if (tr__load(&k) < 0) {
        tr_expect_free(&k.exp);
        return TR_EXIT_USAGE;
    }
    k.cc.profile = k.profile_used;
    struct tr_obs_config cfg;
    if (tr_cli_obs_config(&k.cc, &cfg, "check") < 0) {
        tr_expect_free(&k.exp);
        return TR_EXIT_USAGE;
    }
    cfg.profile = &k.rf.prof;
    cfg.th = k.rf.th;
    cfg.max_findings = 1u << 20; /* a gate must not miss a finding to a display limit */
    cfg.max_records = 0;         /* nor a connection to the report's summarizing */
    tr_rules_apply(&k.rf);
    struct tr_analysis a;
    tr_analysis_init(&a, &cfg, k.cc.threads);
    int rc = TR_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (tr_analysis_add_file(&a, argv[i]) < 0) {
            fprintf(stderr, "tcpref check: %s\n", a.files[a.nfiles - 1].error);
            rc = TR_EXIT_USAGE;
        }
    struct tr_gate_opts go = {
        .fail_on = (enum tr_severity)(k.fail_on >= 0 ? k.fail_on : k.rf.fail_on >= 0 ? k.rf.fail_on : TR_SEV_ERROR),
        .capture_fails = k.rf.capture_fails == 1,
        .expect = k.have_exp ? &k.exp : NULL};
    struct tr_gate g;
    if (tr_gate_eval(&g, &a, &go) < 0) {
        tr_cli_error("check", "out of memory");
        rc = TR_EXIT_USAGE;
    } else {
        if (tr__emit(&k, &a, &g) < 0)
            rc = TR_EXIT_USAGE;
        if (rc == TR_EXIT_OK && !g.pass)
            rc = TR_EXIT_FINDINGS;
    }
    tr_gate_free(&g);
    tr_analysis_free(&a);
    tr_expect_free(&k.exp);
    tr_rule_policy_reset();
    return rc;
}
