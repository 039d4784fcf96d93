#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char tr__analyze_help[] =
    "usage: tcpref analyze [options] FILE...\n"
    "\n"
    "Reconstructs every TCP connection in pcap or pcapng captures: both\n"
    "endpoints' states (RFC 9293), the handshake and negotiated options, per\n"
    "direction counters, RTT and RFC 6298 RTO, and findings of the rule catalog\n"
    "(see 'tcpref rules'). FILE may be '-' for standard input.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT       text (default when the output is a terminal), json\n"
    "                         (default otherwise; schema in docs/report-schema.md),\n"
    "                         or wsflags (one line per frame and Wireshark flag)\n"
    "  -o, --output FILE      write the report to FILE instead of standard output\n"
    "  -p, --profile NAME     bounds for timing checks: linux (default) or rfc\n"
    "  -v, --verbose          text: also list info findings\n"
    "      --color WHEN       auto (default), always, never\n"
    "      --verify-checksums verify TCP checksums (bad ones are capture findings:\n"
    "                         usually checksum offload on the capturing host)\n"
    "      --no-vlan          ignore VLAN tags when telling connections apart\n"
    "      --max-findings N   findings kept per connection (default 256; repeats\n"
    "                         of a rule beyond 16 are counted, not listed)\n"
    "      --threads N        split the analysis N ways by the flow hash: a file\n"
    "                         among N processes that each read it and follow\n"
    "                         their part's connections; standard input or a pipe\n"
    "                         among N threads, one reading for the others. N\n"
    "                         threads write the JSON report (default 0: one per\n"
    "                         CPU this process may run on, at most 4); the report\n"
    "                         is the same for every N\n"
    "      --shard K/N        analyze only the connections in shard K of N (K from\n"
    "                         0 to N-1) of the flow hash; 'tcpref merge' joins the\n"
    "                         N reports into the report of the whole capture\n"
    "      --max-connections N\n"
    "                         connections tracked at once (default 100000; 0: no\n"
    "                         limit); past it the least recently active one is\n"
    "                         closed out and reported as evicted\n"
    "      --max-records N    ended connections reported in detail (default\n"
    "                         500000; 0: no limit); past it the ones that end\n"
    "                         count in the totals only (connections_summarized)\n"
    "  -h, --help             this help\n"
    "\n"
    "Sequence numbers in findings are relative to the sender's ISN (or to its\n"
    "first segment seen when the handshake was not captured); times are seconds\n"
    "since the first frame of the file; frames are numbered from 1 as Wireshark\n"
    "numbers them.\n"
    "\n"
    "A progress line (bytes read, packets/s) is drawn on standard error while a\n"
    "long file is read, when standard error is a terminal.\n"
    "\n"
    "A regular file is read through its mapping (mmap) or with read(2), whichever\n"
    "a probe of its first pages finds cheaper on this machine; TCPREF_READER=map\n"
    "or TCPREF_READER=read in the environment decides instead. Only the speed\n"
    "depends on it, never the report.\n"
    "\n"
    "exit status: 0 the analysis ran; 2 usage error, or a file that could not be\n"
    "read or is damaged (the report still covers everything before the damage,\n"
    "and the error names the file, frame and byte offset).\n";

/* --format wsflags: one line per (frame, flag), in Wireshark's names,
 * written as the observer goes (frames come in order). */
static void tr__wsflags_line(void *ctx, const struct tr_conn *c, uint64_t frame, uint32_t ws)
{
    (void)c;
    for (unsigned b = 0; b < TR_WS_COUNT; b++)
        if (ws & (1u << b))
            fprintf((FILE *)ctx, "%llu\t%s\n", (unsigned long long)frame, tr_wsflag_name(b));
}

static int tr__analyze_files(struct tr_analysis *a, int n, char **files, FILE *wsout)
{
    int rc = TR_EXIT_OK;
    for (int i = 0; i < n; i++) {
        if (wsout && n > 1)
            fprintf(wsout, "# %s\n", files[i]);
        if (tr_analysis_add_file(a, files[i]) < 0) {
            fprintf(stderr, "tcpref analyze: %s\n", a->files[a->nfiles - 1].error);
            rc = TR_EXIT_USAGE;
        }
        const struct tr_file_result *f = &a->files[a->nfiles - 1];
        for (unsigned w = 0; w < f->nwarn && w < TR_SOURCE_MAX_WARN; w++)
            fprintf(stderr, "tcpref analyze: warning: %s\n", f->warn[w]);
    }
    return rc;
}

static int tr__write(const struct tr_analysis *a, struct tr_cli_common *cc, const char *cmd)
{
    FILE *out = tr_cli_open_output(cc, cmd);
    if (!out)
        return -1;
    struct tr_report_opts ro = {.command = cmd, .profile = cc->profile, .color = cc->color > 0,
                                .width = 80, .show_info = cc->verbose};
    int r = cc->format == TR_FMT_JSON ? tr_report_json(out, a, &ro) : tr_report_text(out, a, &ro);
    tr_cli_close_output(out, cc);
    if (r < 0)
        tr_cli_error(cmd, "writing the report failed");
    return r;
}

/* --shard K/N: K from 0 to N-1. */
static int tr__shard(const char *arg, uint32_t *k, uint32_t *n)
{
    char *end;
    errno = 0;
    unsigned long kk = strtoul(arg, &end, 10);
    if (errno || end == arg || *end != '/' || arg[0] == '-')
        return -1;
    const char *ns = end + 1;
    unsigned long nn = strtoul(ns, &end, 10);
    if (errno || end == ns || *end || ns[0] == '-' || nn == 0 || nn > 1000000 || kk >= nn)
        return -1;
    *k = (uint32_t)kk;
    *n = (uint32_t)nn;
    return 0;
}

enum { TR_OPT_SHARD = 1000 };

int tr_cmd_analyze(int argc, char **argv)
{
    struct tr_cli_common cc;
    tr_cli_common_defaults(&cc);
    static const struct option lo[] = {TR_CLI_COMMON_LONGOPTS, TR_CLI_LIMIT_LONGOPTS,
                                       {"shard", required_argument, 0, TR_OPT_SHARD},
                                       {0, 0, 0, 0}};
    int opt;
    uint32_t shard_k = 0, shard_n = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:o:p:vh", lo, NULL)) != -1) {
        if (opt == 'h' || opt == TR_OPT_HELP) {
            fputs(tr__analyze_help, stdout);
            return TR_EXIT_OK;
        }
        if (opt == TR_OPT_SHARD) {
            if (tr__shard(optarg, &shard_k, &shard_n) < 0) {
                tr_cli_error("analyze", "--shard takes K/N with 0 <= K < N <= 1000000, not '%s'", optarg);
                return TR_EXIT_USAGE;
            }
            continue;
        }
        int r = tr_cli_common_option(&cc, opt, optarg, "analyze");
        if (r < 0)
            return TR_EXIT_USAGE;
        if (r == 0) {
            fputs("try 'tcpref analyze --help'\n", stderr);
            return TR_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        tr_cli_error("analyze", "no capture file given (try 'tcpref analyze --help')");
        return TR_EXIT_USAGE;
    }
    struct tr_obs_config cfg;
    if (tr_cli_obs_config(&cc, &cfg, "analyze") < 0)
        return TR_EXIT_USAGE;
    cfg.shard_k = shard_k;
    cfg.shard_n = shard_n;
    /* The report reads every connection once, in order: connections idle
     * for a quarter of a second of capture time may be packed away meanwhile
     * (analyzer/obs_store.c; docs/performance.md). */
    cfg.park_idle_ns = 250000000;
    cfg.park_keep = 256;
    FILE *wsout = NULL;
    if (cc.format == TR_FMT_WSFLAGS) {
        if (!(wsout = tr_cli_open_output(&cc, "analyze")))
            return TR_EXIT_USAGE;
        cfg.hooks = (struct tr_obs_hooks){.ctx = wsout, .frame_flags = tr__wsflags_line};
        cc.threads = 1; /* frame order */
    }
    struct tr_analysis a;
    tr_analysis_init(&a, &cfg, cc.threads);
    struct tr_cli_progress prog = {0};
    if (isatty(STDERR_FILENO)) {
        a.progress = tr_cli_progress;
        a.progress_ctx = &prog;
    }
    int rc = tr__analyze_files(&a, argc - optind, argv + optind, wsout);
    if (wsout)
        tr_cli_close_output(wsout, &cc);
    else if (tr__write(&a, &cc, "analyze") < 0)
        rc = TR_EXIT_USAGE;
    tr_analysis_free(&a);
    return rc;
}
