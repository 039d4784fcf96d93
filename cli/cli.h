/* Shared by the subcommands: exit codes, output handling, option parsing. */
#ifndef TCPREF_CLI_H
#define TCPREF_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "analyzer/analysis.h"
#include "analyzer/report.h"

/* Exit codes (documented in --help and the README). */
enum {
    TR_EXIT_OK = 0,
    TR_EXIT_FINDINGS = 1, /* check: a protocol finding at or above --fail-on, or an expectation not met */
    TR_EXIT_USAGE = 2,    /* usage error, or input that could not be read (or was damaged) */
    TR_EXIT_INCONCLUSIVE = 3,
};

enum tr_format { TR_FMT_AUTO = 0, TR_FMT_TEXT, TR_FMT_JSON, TR_FMT_WSFLAGS };

/* Options common to the commands that analyze captures. */
struct tr_cli_common {
    enum tr_format format;
    const char *output;   /* NULL: standard output */
    const char *profile;
    int color;            /* -1 auto, 0 never, 1 always */
    bool verbose;
    bool verify_checksums;
    bool vlan_in_key;
    unsigned threads;
    unsigned max_findings;
    unsigned max_conns;   /* --max-connections: tracked at once (0: unlimited) */
    unsigned max_records; /* --max-records: ended connections kept in detail (0: unlimited) */
};

void tr_cli_common_defaults(struct tr_cli_common *c);
/* Handles one long option of the common set; returns 1 if it did, 0 if the
 * option is not a common one, -1 on a bad value (message printed). */
int tr_cli_common_option(struct tr_cli_common *c, int opt, const char *arg, const char *cmd);

/* Opens the output (or stdout); resolves the auto format and color. */
FILE *tr_cli_open_output(struct tr_cli_common *c, const char *cmd);
void tr_cli_close_output(FILE *f, const struct tr_cli_common *c);

/* The observer configuration the common options describe. */
int tr_cli_obs_config(const struct tr_cli_common *c, struct tr_obs_config *cfg, const char *cmd);

void tr_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int tr_cmd_analyze(int argc, char **argv);
int tr_cmd_rules(int argc, char **argv);
int tr_cmd_sockets(int argc, char **argv);
int tr_cmd_live(int argc, char **argv);
int tr_cmd_replay(int argc, char **argv);
int tr_cmd_check(int argc, char **argv);

/* Long option ids of the common set (above the ASCII range). */
enum {
    TR_OPT_FORMAT = 'f',
    TR_OPT_OUTPUT = 'o',
    TR_OPT_PROFILE = 'p',
    TR_OPT_VERBOSE = 'v',
    TR_OPT_COLOR = 256,
    TR_OPT_CHECKSUMS,
    TR_OPT_NO_VLAN,
    TR_OPT_THREADS,
    TR_OPT_MAX_FINDINGS,
    TR_OPT_HELP,
    TR_OPT_MAX_CONNECTIONS = 600,
    TR_OPT_MAX_RECORDS,
};

/* The limits of the capture-reading commands (analyze, sockets, check):
 * what bounds memory on a capture with millions of connections. */
#define TR_CLI_DEFAULT_MAX_CONNS 100000u
#define TR_CLI_DEFAULT_MAX_RECORDS 500000u
#define TR_CLI_LIMIT_LONGOPTS                                                                  \
    {"max-connections", required_argument, 0, TR_OPT_MAX_CONNECTIONS},                         \
        {"max-records", required_argument, 0, TR_OPT_MAX_RECORDS}

#define TR_CLI_COMMON_LONGOPTS                                                                 \
    {"format", required_argument, 0, TR_OPT_FORMAT},                                           \
        {"output", required_argument, 0, TR_OPT_OUTPUT},                                       \
        {"profile", required_argument, 0, TR_OPT_PROFILE},                                     \
        {"verbose", no_argument, 0, TR_OPT_VERBOSE},                                           \
        {"color", required_argument, 0, TR_OPT_COLOR},                                         \
        {"verify-checksums", no_argument, 0, TR_OPT_CHECKSUMS},                                \
        {"no-vlan", no_argument, 0, TR_OPT_NO_VLAN},                                           \
        {"threads", required_argument, 0, TR_OPT_THREADS},                                     \
        {"max-findings", required_argument, 0, TR_OPT_MAX_FINDINGS},                           \
        {"help", no_argument, 0, TR_OPT_HELP}

/* Progress of a long file on stderr (tr_progress_fn; ctx a struct
 * tr_cli_progress): bytes read of the total and packets/s, redrawn at most
 * four times a second, erased at the end. Set it only when stderr is a
 * terminal. */
struct tr_cli_progress {
    const char *path;
    double start, last;
    uint64_t packets;
    bool shown;
};
void tr_cli_progress(void *ctx, const char *path, uint64_t done, uint64_t total, uint64_t packets,
                     bool end);

/* tcpref merge: the reports of the shards of a run joined (cli/cmd_merge.c). */
int tr_cmd_merge(int argc, char **argv);

#endif
