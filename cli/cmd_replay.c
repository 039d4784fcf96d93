#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "replay/frame.h"
#include "replay/netcheck.h"
#include "replay/replay.h"

static const char tr__replay_help[] =
    "usage: tcpref replay FILE --iface IFACE --local IP[,MAC] --peer IP[:PORT]\n"
    "                     [--conn ID] [--as client|server]\n"
    "                     [--timing recorded|asap|scale:X] [--profile NAME]\n"
    "                     [--timeout SECONDS] [--write FILE] [--report FILE]\n"
    "                     [--format text|json] [--local-port PORT|ephemeral]\n"
    "\n"
    "Plays one endpoint of a recorded TCP connection through tcpref's own stack\n"
    "against a real peer on a LAN interface, captures the run, analyzes it, and\n"
    "compares its outcome with the recording.\n"
    "\n"
    "The played side's recorded payload becomes application writes: write k is\n"
    "issued once the peer has delivered as many bytes (and its FIN) as it had\n"
    "before write k in the recording, after the recorded think time. The\n"
    "recorded close (FIN or RST) is reproduced. tcpref owns the local IP (and a\n"
    "MAC): it answers ARP (IPv4) or neighbour solicitations (IPv6) for it, for\n"
    "the peer only, and resolves the peer's MAC itself, so the host kernel never\n"
    "sees the connection.\n"
    "\n"
    "options:\n"
    "  -i, --iface IFACE      the Ethernet interface to send and capture on\n"
    "      --local IP[,MAC]   tcpref's address: an IP no host interface has, and a\n"
    "                         MAC (default: random, locally administered)\n"
    "      --peer IP[:PORT]   the real peer; IPv6 as [ADDR]:PORT. PORT defaults to\n"
    "                         the recorded server port (--as client); with --as\n"
    "                         server it restricts the client port accepted\n"
    "      --conn ID          the connection, numbered as 'tcpref analyze' numbers\n"
    "                         them (default: the first with a handshake)\n"
    "      --as ROLE          the side tcpref plays: client (default) or server\n"
    "      --timing MODE      recorded (default): keep the recorded think times;\n"
    "                         asap: none; scale:X: multiply them by X\n"
    "  -p, --profile NAME     profile of tcpref's stack and of the analysis: rfc\n"
    "                         (default) or linux\n"
    "      --timeout SECONDS  give up the run after this long (default 60)\n"
    "      --local-port P     tcpref's port: the recorded one (default), a number,\n"
    "                         or 'ephemeral' (random in 49152-65535)\n"
    "  -w, --write FILE       write everything captured during the run (pcap)\n"
    "  -o, --report FILE      write the report to FILE instead of standard output\n"
    "  -f, --format FMT       text (default on a terminal) or json (schema\n"
    "                         tcpref-replay/1)\n"
    "  -h, --help             this help\n"
    "\n"
    "Safety: frames go out only on IFACE and only to the peer (plus ARP/ND\n"
    "requests for it). tcpref refuses to start when the local IP is assigned to\n"
    "a host interface, or when the peer is not on IFACE's link: its IP must lie\n"
    "in a subnet configured on IFACE, or the kernel's most specific route to it\n"
    "must leave through IFACE without a gateway. Needs root or CAP_NET_RAW.\n"
    "\n"
    "verdicts: MATCH (same bytes, same end, segmentation and timing within the\n"
    "profile's tolerance), EQUIVALENT (same bytes and end; the rest differs),\n"
    "DIVERGED (first divergence reported), INCONCLUSIVE (the recording is\n"
    "incomplete: no handshake, or segments missing from the capture; or the run\n"
    "was interrupted by SIGINT or SIGTERM).\n"
    "Byte streams are compared from each side's ISN; digests are FNV-1a 64.\n"
    "\n"
    "exit status: 0 MATCH or EQUIVALENT; 1 DIVERGED; 3 INCONCLUSIVE; 2 usage\n"
    "error, unreadable recording, or a run that could not start (interface,\n"
    "privileges, addresses, no answer from the peer's link layer).\n";

enum {
    TR_RO_LOCAL = 300,
    TR_RO_PEER,
    TR_RO_CONN,
    TR_RO_AS,
    TR_RO_TIMING,
    TR_RO_TIMEOUT,
    TR_RO_LOCAL_PORT,
};

struct tr__replay_cli {
    struct tr_replay_opts o;
    const char *report;
    enum tr_format format;
    int local_ver, peer_ver;
};

static int tr__bad(const char *fmt, const char *arg)
{
    fputs("tcpref replay: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return -1;
}

static int tr__port(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

static int tr__local(struct tr__replay_cli *c, const char *arg)
{
    char ip[128];
    snprintf(ip, sizeof ip, "%s", arg);
    char *comma = strchr(ip, ',');
    if (comma) {
        *comma = 0;
        if (!tr_mac_parse(comma + 1, c->o.local_mac) || (c->o.local_mac[0] & 1))
            return tr__bad("--local: '%s' is not a unicast MAC (aa:bb:cc:dd:ee:ff)", comma + 1);
        c->o.local_mac_given = true;
    }
    if (!(c->local_ver = tr_net_parse_ip(ip, c->o.local_ip)))
        return tr__bad("--local: '%s' is not an IP address", ip);
    return 1;
}

static int tr__peer(struct tr__replay_cli *c, const char *arg)
{
    char ip[128];
    snprintf(ip, sizeof ip, "%s", arg);
    char *port = NULL;
    if (ip[0] == '[') {
        char *close = strchr(ip, ']');
        if (!close || (close[1] && close[1] != ':'))
            return tr__bad("--peer: '%s' is not [IPv6]:PORT", arg);
        *close = 0;
        port = close[1] ? close + 2 : NULL;
        memmove(ip, ip + 1, strlen(ip));
    } else if (strchr(ip, ':') && strchr(ip, ':') == strrchr(ip, ':')) {
        port = strchr(ip, ':');
        *port++ = 0;
    }
    if (port && tr__port(port, &c->o.peer_port) < 0)
        return tr__bad("--peer: '%s' is not a port (1-65535)", port);
    if (!(c->peer_ver = tr_net_parse_ip(ip, c->o.peer_ip)))
        return tr__bad("--peer: '%s' is not an IP address", ip);
    return 1;
}

static int tr__timing(struct tr__replay_cli *c, const char *arg)
{
    if (!strcmp(arg, "recorded")) {
        c->o.timing = TR_TIMING_RECORDED;
        c->o.scale = 1;
    } else if (!strcmp(arg, "asap")) {
        c->o.timing = TR_TIMING_ASAP;
        c->o.scale = 0;
    } else if (!strncmp(arg, "scale:", 6)) {
        char *end;
        double x = strtod(arg + 6, &end);
        if (end == arg + 6 || *end || !isfinite(x) || x < 0 || x > 1000)
            return tr__bad("--timing scale:X takes a factor from 0 to 1000, not '%s'", arg + 6);
        c->o.timing = TR_TIMING_SCALE;
        c->o.scale = x;
    } else {
        return tr__bad("unknown --timing '%s' (recorded, asap or scale:X)", arg);
    }
    return 1;
}

static int tr__number_opt(struct tr__replay_cli *c, int opt, const char *arg)
{
    char *end;
    errno = 0;
    if (opt == TR_RO_CONN) {
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < 0)
            return tr__bad("--conn takes a connection id (0, 1, ...), not '%s'", arg);
        c->o.conn_id = v;
        return 1;
    }
    if (opt == TR_RO_TIMEOUT) {
        double v = strtod(arg, &end);
        if (end == arg || *end || !isfinite(v) || v <= 0 || v > 86400)
            return tr__bad("--timeout takes seconds (0 < s <= 86400), not '%s'", arg);
        c->o.timeout_s = v;
        return 1;
    }
    if (!strcmp(arg, "ephemeral")) {
        c->o.local_port = 0;
        return 1;
    }
    if (tr__port(arg, &c->o.local_port) < 0)
        return tr__bad("--local-port takes a port (1-65535) or 'ephemeral', not '%s'", arg);
    return 1;
}

static int tr__option(struct tr__replay_cli *c, int opt, const char *arg)
{
    switch (opt) {
    case 'i': c->o.iface = arg; return 1;
    case TR_RO_LOCAL: return tr__local(c, arg);
    case TR_RO_PEER: return tr__peer(c, arg);
    case TR_RO_AS:
        if (strcmp(arg, "client") && strcmp(arg, "server"))
            return tr__bad("--as takes client or server, not '%s'", arg);
        c->o.role = !strcmp(arg, "server");
        return 1;
    case TR_RO_TIMING: return tr__timing(c, arg);
    case TR_RO_CONN:
    case TR_RO_TIMEOUT:
    case TR_RO_LOCAL_PORT: return tr__number_opt(c, opt, arg);
    case 'p': c->o.profile = arg; return 1;
    case 'w': c->o.write_path = arg; return 1;
    case 'o': c->report = arg; return 1;
    case 'f':
        if (!strcmp(arg, "text") || !strcmp(arg, "json")) {
            c->format = !strcmp(arg, "text") ? TR_FMT_TEXT : TR_FMT_JSON;
            return 1;
        }
        return tr__bad("unknown --format '%s' (text or json)", arg);
    default: return 0;
    }
}

static int tr__parse(struct tr__replay_cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"iface", required_argument, 0, 'i'},     {"local", required_argument, 0, TR_RO_LOCAL},
        {"peer", required_argument, 0, TR_RO_PEER}, {"conn", required_argument, 0, TR_RO_CONN},
        {"as", required_argument, 0, TR_RO_AS},   {"timing", required_argument, 0, TR_RO_TIMING},
        {"profile", required_argument, 0, 'p'},   {"timeout", required_argument, 0, TR_RO_TIMEOUT},
        {"write", required_argument, 0, 'w'},     {"report", required_argument, 0, 'o'},
        {"format", required_argument, 0, 'f'},
        {"local-port", required_argument, 0, TR_RO_LOCAL_PORT},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "i:p:w:o:f:h", lo, NULL)) != -1) {
        if (opt == 'h') {
            fputs(tr__replay_help, stdout);
            return 1;
        }
        int r = tr__option(c, opt, optarg);
        if (r <= 0) {
            if (r == 0)
                fputs("try 'tcpref replay --help'\n", stderr);
            return -1;
        }
    }
    return 0;
}

static int tr__validate(struct tr__replay_cli *c, int argc, char **argv)
{
    const char *missing = optind >= argc ? "a recording (FILE)" : !c->o.iface ? "--iface"
                          : !c->local_ver ? "--local" : !c->peer_ver ? "--peer" : NULL;
    if (missing) {
        tr_cli_error("replay", "%s is required (try 'tcpref replay --help')", missing);
        return -1;
    }
    if (optind + 1 < argc) {
        tr_cli_error("replay", "one recording at a time ('%s' is extra)", argv[optind + 1]);
        return -1;
    }
    if (c->local_ver != c->peer_ver) {
        tr_cli_error("replay", "--local and --peer must both be IPv4 or both IPv6");
        return -1;
    }
    c->o.file = argv[optind];
    c->o.ipver = c->local_ver;
    return 0;
}

static FILE *tr__open_report(struct tr__replay_cli *c)
{
    FILE *f = stdout;
    if (c->report && strcmp(c->report, "-") && !(f = fopen(c->report, "w"))) {
        tr_cli_error("replay", "cannot write %s: %s", c->report, strerror(errno));
        return NULL;
    }
    if (c->format == TR_FMT_AUTO)
        c->format = isatty(fileno(f)) ? TR_FMT_TEXT : TR_FMT_JSON;
    return f;
}

static int tr__exit_code(enum tr_rverdict v)
{
    switch (v) {
    case TR_RV_MATCH:
    case TR_RV_EQUIVALENT: return TR_EXIT_OK;
    case TR_RV_DIVERGED: return TR_EXIT_FINDINGS;
    default: return TR_EXIT_INCONCLUSIVE;
    }
}

static int tr__report(struct tr__replay_cli *c, const struct tr_replay *r)
{
    FILE *f = tr__open_report(c);
    if (!f)
        return TR_EXIT_USAGE;
    int rc = c->format == TR_FMT_JSON ? tr_replay_report_json(f, r) : tr_replay_report_text(f, r);
    if (f != stdout && fclose(f) != 0)
        rc = -1;
    if (rc < 0) {
        tr_cli_error("replay", "writing the report failed");
        return TR_EXIT_USAGE;
    }
    return tr__exit_code(r->verdict);
}

int tr_cmd_replay(int argc, char **argv)
{
    struct tr__replay_cli c = {.o = {.peer_port = -1, .local_port = -1, .conn_id = -1,
                                     .scale = 1, .profile = "rfc", .timeout_s = 60}};
    int p = tr__parse(&c, argc, argv);
    if (p != 0)
        return p > 0 ? TR_EXIT_OK : TR_EXIT_USAGE;
    if (tr__validate(&c, argc, argv) < 0)
        return TR_EXIT_USAGE;
    struct tr_replay r;
    tr_replay_init(&r, &c.o);
    char err[512] = "";
    int rc = tr_replay_load(&r, err, sizeof err);
    if (rc == 0 && !r.inconclusive)
        rc = tr_replay_run(&r, err, sizeof err);
    if (rc < 0) {
        tr_cli_error("replay", "%s", err);
        tr_replay_free(&r);
        return TR_EXIT_USAGE;
    }
    tr_replay_judge(&r);
    int code = tr__report(&c, &r);
    tr_replay_free(&r);
    return code;
}
