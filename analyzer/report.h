/*
 * Reports: JSON (jansson, versioned schema in docs/report-schema.md, keys
 * sorted so two runs diff cleanly), text for people (summary first), and the
 * names both use.
 */
#ifndef TCPREF_ANALYZER_REPORT_H
#define TCPREF_ANALYZER_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "analyzer/analysis.h"

#define TR_REPORT_SCHEMA "tcpref-report/1"

struct tr_report_opts {
    const char *command;      /* "analyze", "check", "live" */
    const char *profile;
    bool color;
    unsigned width;           /* text: 80 by default */
    bool show_info;           /* text: list info findings too */
};

/* The file-level findings of a file (packets decoding skipped), as the
 * report lists them: up to max, in catalog order; disabled rules left out. */
struct tr_file_note {
    enum tr_rule rule;
    uint64_t frame;      /* the first such packet */
    uint64_t count;      /* packets */
    const char *reason;  /* why the first was skipped, or NULL */
};
unsigned tr_file_notes(const struct tr_input_stats *in, struct tr_file_note *out, unsigned max);

const char *tr_end_name(enum tr_end e);
/* Where the capture was taken, from the handshake: "near-client",
 * "near-server", "middle", or "unknown". */
const char *tr_vantage_name(const struct tr_conn *c);
/* The handshake's client side: the latest SYN-ACK before the ACK that
 * completed it, to that ACK, as the capture point's vantage took it; a
 * SYN-ACK sent after that ACK (a late answer to a re-sent SYN) does not
 * count. */
int64_t tr_hs_client_side(const struct tr_conn *c);
/* "client", "server" (roles known) or "A", "B". */
const char *tr_role_name(const struct tr_conn *c, unsigned ep);
/* "client-to-server", ... or NULL for TR_DIR_NONE. */
const char *tr_dir_name(const struct tr_conn *c, unsigned dir);

json_t *tr_json_finding(const struct tr_conn *c, const struct tr_finding *f, int64_t t0);
json_t *tr_json_conn(const struct tr_obs *o, const struct tr_conn *c, uint32_t id, int64_t t0);
/* The same object as tr_json_conn() dumps to, byte for byte, written straight
 * into b (analyzer/jbuf.h): the report's connections go this way. */
struct tr_jbuf;
void tr_json_conn_write(struct tr_jbuf *b, const struct tr_obs *o, const struct tr_conn *c, uint32_t id,
                        int64_t t0);

/* The whole report. Returns 0, or -1 when writing failed. */
int tr_report_json(FILE *out, const struct tr_analysis *a, const struct tr_report_opts *opt);
int tr_report_text(FILE *out, const struct tr_analysis *a, const struct tr_report_opts *opt);

/* Totals over all files, for summaries and exit codes. */
struct tr_totals {
    uint64_t files, damaged, connections, packets, tcp;
    uint64_t by_sev_class[3][2];     /* [severity][class] findings, repeats counted */
    uint64_t by_rule[TR_RULE_COUNT];
};
void tr_report_totals(const struct tr_analysis *a, struct tr_totals *t);

#endif
