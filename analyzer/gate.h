/*
 * tcpref check: the rules file (policy of a run), the expectations file
 * (findings that must and must not appear), and the gate's verdict over an
 * analysis. File formats: docs/check.md and docs/expectations.md.
 */
#ifndef TCPREF_ANALYZER_GATE_H
#define TCPREF_ANALYZER_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/analysis.h"
#include "analyzer/rules.h"
#include "stack/profile.h"

#define TR_GATE_ERRLEN 512

/* ---- the rules file ---- */

enum { TR_RULESET_KEEP = 0, TR_RULESET_ENABLE, TR_RULESET_DISABLE };

struct tr_rules_file {
    bool has_profile;          /* "profile" or a bound was given: prof holds it */
    struct tr_profile prof;    /* the profile with the file's tolerances and bounds */
    int fail_on;               /* enum tr_severity, or -1: not set */
    int capture_fails;         /* 1: capture findings fail the gate too; -1: not set */
    struct tr_thresholds th;
    uint8_t enable[TR_RULE_COUNT];  /* TR_RULESET_* */
    int8_t severity[TR_RULE_COUNT]; /* enum tr_severity, or -1: the catalog's */
};

/* Parses a rules file held in memory; name is used in messages. base, when
 * not NULL, is the profile to start from (the command line's --profile,
 * which wins over the file's "profile"; the file's tolerance and bounds
 * still apply). Returns 0, or TR_EPARSE with one line in err naming the key
 * and the problem. */
int tr_rules_parse(const char *text, size_t len, const char *name, const char *base,
                   struct tr_rules_file *out, char *err, size_t errlen);
/* Reads and parses a rules file: 0, or TR_EIO / TR_EPARSE with err set. */
int tr_rules_load(const char *path, const char *base, struct tr_rules_file *out, char *err,
                  size_t errlen);
/* Makes the file's rule settings the run's policy (tr_rule_set_*). */
void tr_rules_apply(const struct tr_rules_file *rf);

/* ---- the expectations file ---- */

struct tr_expect_entry {
    char rule[64];             /* must: an exact rule id; must_not: an id or a glob with '*' */
    bool has_frame, has_dir, has_conn, has_file, has_count, has_class, has_severity;
    uint64_t frame;
    char dir[24];              /* client-to-server, server-to-client, A-to-B, B-to-A */
    uint32_t conn, file;
    uint64_t count;
    uint8_t cls;               /* enum tr_class */
    uint8_t severity;          /* enum tr_severity: this one and above */
    char note[160];
};

struct tr_expect {
    char profile[32];          /* "" when not set */
    unsigned nmust, nmust_not;
    struct tr_expect_entry *must, *must_not;
};

int tr_expect_parse(const char *text, size_t len, const char *name, struct tr_expect *out, char *err,
                    size_t errlen);
int tr_expect_load(const char *path, struct tr_expect *out, char *err, size_t errlen);
void tr_expect_free(struct tr_expect *e);

/* ---- the verdict ---- */

/* One finding of the analysis, flattened. */
struct tr_gate_item {
    uint32_t file;
    int64_t conn;              /* connection id in its file; -1: a file-level finding */
    const struct tr_obs *obs;
    const struct tr_conn *c;   /* NULL for file-level findings */
    struct tr_finding f;       /* a copy (file-level ones are built) */
    const char *dir;           /* direction name, or NULL */
    uint64_t count;            /* 1 + repeats folded into it */
    uint8_t severity, cls;
    bool expected;             /* matched by a must entry */
    bool fails;                /* fails the gate */
};

struct tr_gate_opts {
    enum tr_severity fail_on;
    bool capture_fails;
    const struct tr_expect *expect; /* NULL: none */
};

struct tr_gate {
    struct tr_gate_opts opt;
    struct tr_gate_item *items;
    size_t n, cap;
    uint64_t *must_found;      /* per must entry: matching findings, repeats counted */
    bool *must_met;
    uint32_t *must_not_hits;   /* per must_not entry: findings it caught */
    size_t failing;            /* items that fail the gate */
    size_t capture_items;      /* capture findings (which do not fail by default) */
    unsigned expect_unmet;     /* entries not met */
    bool pass;
};

/* Evaluates the analysis. Returns 0, or TR_ENOMEM. */
int tr_gate_eval(struct tr_gate *g, const struct tr_analysis *a, const struct tr_gate_opts *opt);
void tr_gate_free(struct tr_gate *g);
/* Does finding it match the must_not pattern / the must entry? */
bool tr_gate_must_matches(const struct tr_expect_entry *e, const struct tr_gate_item *it);
bool tr_gate_not_matches(const struct tr_expect_entry *p, const struct tr_gate_item *it);
/* What a capture finding makes unknown, for the report (never NULL). */
const char *tr_gate_unknown_checks(enum tr_rule r);

#endif
