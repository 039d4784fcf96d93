#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "stack/profile.h"

void tr_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tcpref %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void tr_cli_common_defaults(struct tr_cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->profile = "linux";
    c->color = -1;
    c->vlan_in_key = true;
    c->threads = 0; /* one per CPU this process may run on */
    c->max_conns = TR_CLI_DEFAULT_MAX_CONNS;
    c->max_records = TR_CLI_DEFAULT_MAX_RECORDS;
}

static int tr__parse_uint(const char *arg, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v > max || arg[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int tr__format(struct tr_cli_common *c, const char *arg, const char *cmd)
{
    if (!strcmp(arg, "text"))
        c->format = TR_FMT_TEXT;
    else if (!strcmp(arg, "json"))
        c->format = TR_FMT_JSON;
    else if (!strcmp(arg, "wsflags") && !strcmp(cmd, "analyze"))
        c->format = TR_FMT_WSFLAGS;
    else {
        tr_cli_error(cmd, "unknown --format '%s' (text, json%s)", arg,
                     strcmp(cmd, "analyze") ? "" : " or wsflags");
        return -1;
    }
    return 1;
}

static int tr__color(struct tr_cli_common *c, const char *arg, const char *cmd)
{
    if (!strcmp(arg, "auto"))
        c->color = -1;
    else if (!strcmp(arg, "always"))
        c->color = 1;
    else if (!strcmp(arg, "never"))
        c->color = 0;
    else {
        tr_cli_error(cmd, "unknown --color '%s' (auto, always or never)", arg);
        return -1;
    }
    return 1;
}

int tr_cli_common_option(struct tr_cli_common *c, int opt, const char *arg, const char *cmd)
{
    switch (opt) {
    case TR_OPT_FORMAT: return tr__format(c, arg, cmd);
    case TR_OPT_OUTPUT: c->output = arg; return 1;
    case TR_OPT_PROFILE: c->profile = arg; return 1;
    case TR_OPT_VERBOSE: c->verbose = true; return 1;
    case TR_OPT_COLOR: return tr__color(c, arg, cmd);
    case TR_OPT_CHECKSUMS: c->verify_checksums = true; return 1;
    case TR_OPT_NO_VLAN: c->vlan_in_key = false; return 1;
    case TR_OPT_THREADS:
        if (tr__parse_uint(arg, TR_MAX_SHARDS, &c->threads) < 0) {
            tr_cli_error(cmd, "--threads takes a number from 0 (one per CPU) to %d, not '%s'", TR_MAX_SHARDS,
                         arg);
            return -1;
        }
        return 1;
    case TR_OPT_MAX_FINDINGS:
        if (tr__parse_uint(arg, 1000000, &c->max_findings) < 0 || c->max_findings == 0) {
            tr_cli_error(cmd, "--max-findings takes a number from 1 to 1000000, not '%s'", arg);
            return -1;
        }
        return 1;
    case TR_OPT_MAX_CONNECTIONS:
        if (tr__parse_uint(arg, 100000000, &c->max_conns) < 0) {
            tr_cli_error(cmd, "--max-connections takes a number from 0 (no limit) to 100000000, not '%s'", arg);
            return -1;
        }
        return 1;
    case TR_OPT_MAX_RECORDS:
        if (tr__parse_uint(arg, 100000000, &c->max_records) < 0) {
            tr_cli_error(cmd, "--max-records takes a number from 0 (no limit) to 100000000, not '%s'", arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

FILE *tr_cli_open_output(struct tr_cli_common *c, const char *cmd)
{
    FILE *f = stdout;
    if (c->output && strcmp(c->output, "-")) {
        f = fopen(c->output, "w");
        if (!f) {
            tr_cli_error(cmd, "cannot write %s: %s", c->output, strerror(errno));
            return NULL;
        }
    }
    bool tty = isatty(fileno(f));
    if (c->format == TR_FMT_AUTO)
        c->format = tty ? TR_FMT_TEXT : TR_FMT_JSON;
    if (c->color < 0)
        c->color = tty && getenv("NO_COLOR") == NULL;
    return f;
}

void tr_cli_close_output(FILE *f, const struct tr_cli_common *c)
{
    if (f && f != stdout)
        fclose(f);
    else
        fflush(stdout);
    (void)c;
}

int tr_cli_obs_config(const struct tr_cli_common *c, struct tr_obs_config *cfg, const char *cmd)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = tr_profile_builtin(c->profile);
    if (!cfg->profile) {
        tr_cli_error(cmd, "unknown profile '%s' (built in: rfc, linux)", c->profile);
        return -1;
    }
    cfg->verify_checksums = c->verify_checksums;
    cfg->vlan_in_key = c->vlan_in_key;
    cfg->max_findings = c->max_findings;
    cfg->max_conns = c->max_conns;
    cfg->max_records = c->max_records;
    return 0;
}

/* ---- progress on a terminal ---- */

static double tr__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tr_cli_progress(void *ctx, const char *path, uint64_t done, uint64_t total, uint64_t packets,
                     bool end)
{
    struct tr_cli_progress *p = ctx;
    double now = tr__now();
    if (!p->path || strcmp(p->path, path) || packets < p->packets) {
        p->path = path;
        p->start = p->last = now;
        p->shown = false;
    }
    p->packets = packets;
    /* the end of every input, a pipe's too (its size is unknown) */
    if (end) {
        if (p->shown)
            fputs("\r\033[K", stderr); /* leave the terminal as it was */
        p->shown = false;
        p->path = NULL;
        return;
    }
    if (now - p->last < 0.25 || now - p->start < 0.5)
        return; /* short files show nothing */
    p->last = now;
    double rate = packets / (now - p->start);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (total)
        fprintf(stderr, "\r\033[Ktcpref: %s: %.0f/%.0f MB (%.0f%%), %.2f M packets/s", base, done / 1e6,
                total / 1e6, 100.0 * (double)done / (double)total, rate / 1e6);
    else
        fprintf(stderr, "\r\033[Ktcpref: %s: %.0f MB, %.2f M packets/s", base, done / 1e6, rate / 1e6);
    fflush(stderr);
    p->shown = true;
}
