/*
 * tcpref live: the analysis of `tcpref analyze` on a live interface.
 *
 * One loop: poll() the capture's descriptor, feed what arrived to the
 * observer, and on the ticks of the wall clock refresh libpcap's counters
 * (kernel drops), close out idle connections and print the status line. The
 * observer's hooks stream NDJSON events (docs/live.md). When a connection
 * closes, its JSON (tr_json_conn) goes to the events and to a spool file, and
 * the observer releases it (release_closed): memory holds only the
 * connections still tracked, at most --max-connections of them.
 *
 * The final report is `analyze`'s JSON report (analyzer/report.c) with
 * command "live": its connections array is replaced by the spooled
 * connections and those still tracked, merged in the order of their first
 * frame, so it lists the connections exactly as `tcpref analyze` of the
 * packets captured (-w) lists them.
 *
 * Time: the analysis runs on the packets' timestamps (the kernel's); the
 * status line, idle expiry and --duration on the wall clock.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/format.h"
#include "cli/cli.h"
#include "stack/error.h"

#define TR_JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))
#define TR_NS 1000000000LL
#define TR_BATCH 4096          /* packets per round between looks at the clock */
#define TR_TICK_NS TR_NS       /* drop checks, idle expiry, dump flush */
#define TR_LINGER_NS (10 * TR_NS) /* an ended connection is closed that long after its last segment */

static const char tr__live_help[] =
    "usage: tcpref live -i IFACE [options]\n"
    "\n"
    "The analysis of 'tcpref analyze' on live traffic: every TCP connection on\n"
    "IFACE is followed as it happens. Findings, and connections opening and\n"
    "closing, stream out as NDJSON events (one JSON object per line; schema in\n"
    "docs/live.md); a status line goes to standard error every --interval\n"
    "seconds; the final report (the JSON report of 'analyze', command \"live\")\n"
    "is written on SIGINT, SIGTERM, --duration or -c. A second SIGINT exits at\n"
    "once, without the report.\n"
    "\n"
    "capture:\n"
    "  -i, --interface IFACE  the interface to capture on (required)\n"
    "  -f, --filter EXPR      BPF filter (pcap-filter(7)), e.g. 'tcp port 443'\n"
    "  -s, --snaplen N        bytes kept per packet (default 262144)\n"
    "  -B, --buffer-size MB   kernel capture buffer in MiB (default: libpcap's)\n"
    "      --no-promiscuous   do not put the interface in promiscuous mode\n"
    "  -w, --write FILE       also write every captured packet to FILE (pcap), to\n"
    "                         analyze the session again with 'tcpref analyze'\n"
    "  -Z, --user USER        drop root privileges to USER once the capture is\n"
    "                         open (files are created after that, as USER)\n"
    "  -c, --count N          stop after N packets\n"
    "      --duration SECONDS stop after SECONDS\n"
    "output:\n"
    "      --events FILE      NDJSON events to FILE; '-' is standard output, the\n"
    "                         default unless the report goes there\n"
    "      --report FILE      the final JSON report to FILE ('-': standard output)\n"
    "      --interval SECONDS a status line every SECONDS (default 10; 0: none)\n"
    "limits:\n"
    "      --idle-timeout SECONDS\n"
    "                         close out connections idle that long (default 300);\n"
    "                         connections that ended (FIN both ways, or RST) are\n"
    "                         closed 10 s after their last segment\n"
    "      --max-connections N\n"
    "                         connections tracked at once (default 100000); past\n"
    "                         it the least recently active one is closed out\n"
    "analysis:\n"
    "  -p, --profile NAME     bounds for timing checks: linux (default) or rfc\n"
    "      --verify-checksums verify TCP checksums\n"
    "      --no-vlan          ignore VLAN tags when telling connections apart\n"
    "      --max-findings N   findings kept per connection (default 256)\n"
    "  -h, --help             this help\n"
    "\n"
    "Times in events and in the report are seconds since the first captured\n"
    "packet; frames are numbered from 1 in capture order, as in the -w file.\n"
    "Closed connections are kept in a temporary file (in $TMPDIR, else /tmp)\n"
    "until the report is written.\n"
    "\n"
    "exit status: 0 the capture ran and the report was written; 2 usage error,\n"
    "an interface that does not exist, a filter that does not compile, capture\n"
    "not permitted, privileges that could not be dropped, or a capture or\n"
    "output error (the report still covers everything seen before it).\n";

struct tr__live_args {
    struct tr_cli_common cc;   /* profile, checksums, VLAN, findings per connection */
    struct tr_live_opts cap;
    const char *events;        /* NULL: none; "-": standard output */
    const char *report;        /* NULL: none; "-": standard output */
    const char *dump;          /* -w */
    const char *user;          /* -Z */
    int64_t interval_ns, duration_ns, idle_ns;
    uint64_t count;            /* 0: no limit */
    uint32_t max_conns;
};

/* What tcpref keeps beside the observer for each of its connection slots. */
struct tr__slot {
    uint32_t id;               /* the connection's id: order of its first frame */
    uint32_t drops;            /* drop intervals it was tracked in */
    uint64_t drop_pkts;        /* packets the kernel dropped in them */
    uint64_t drop_frame;       /* its latest frame when the first drop was seen */
    int64_t drop_ts;
};

/* One spooled connection: where its JSON is in the spool file. */
struct tr__spool_rec {
    uint64_t first_frame, off, len;
};

struct tr__live {
    const struct tr__live_args *args;
    struct tr_source *src;
    struct tr_obs *obs;
    FILE *events, *report;
    FILE *spool, *index;       /* connection JSON; struct tr__spool_rec */
    uint64_t spooled, spool_off;
    struct tr__slot *slot, oom_slot;
    uint32_t nslot, next_id;
    bool finishing;            /* tr_obs_finish(): the report writes what is left */
    bool events_dirty;
    int64_t pkt_ts;            /* capture time of the packet being observed; 0: none */
    uint64_t by_sev[3];        /* findings emitted, per severity */
    uint64_t drop_findings;    /* kernel-drops findings (repeats counted) in the report */
    uint64_t drop_intervals;   /* checks that saw new kernel drops */
    struct tr_source_stats seen; /* libpcap's counters at the last check */
    int64_t last_check;        /* wall clock of the last check */
    int64_t next_tick, next_status, end_mono, status_mono;
    uint64_t status_pkts;
    const char *stopped_by;
    char error[512];           /* a capture or output error that ended the run */
};

/* ---- signals: the only state shared with a handler ---- */

static volatile sig_atomic_t tr__signal;

static void tr__on_signal(int sig)
{
    if (sig == SIGINT && tr__signal)
        _exit(130); /* the second SIGINT: at once */
    if (!tr__signal)
        tr__signal = sig;
}

static void tr__install_signals(void)
{
    struct sigaction sa = {.sa_handler = tr__on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int64_t tr__clock(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (int64_t)t.tv_sec * TR_NS + t.tv_nsec;
}

/* ---- arguments ---- */

enum {
    TR_OPT_EVENTS = 300,
    TR_OPT_REPORT,
    TR_OPT_INTERVAL,
    TR_OPT_DURATION,
    TR_OPT_IDLE,
    TR_OPT_MAX_CONNS,
    TR_OPT_NO_PROMISC,
};

static int tr__seconds_arg(const char *arg, const char *name, bool zero_ok, int64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v) || v < 0 || v > 1e9 || (!zero_ok && v == 0)) {
        tr_cli_error("live", "%s takes a number of seconds%s, not '%s'", name,
                     zero_ok ? "" : " above 0", arg);
        return -1;
    }
    *ns = (int64_t)llround(v * 1e9);
    return 0;
}

static int tr__uint_arg(const char *arg, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi) {
        tr_cli_error("live", "%s takes a number from %llu to %llu, not '%s'", name,
                     (unsigned long long)lo, (unsigned long long)hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* The options of the capture itself. Returns 1 if it handled opt. */
static int tr__capture_option(struct tr__live_args *la, int opt, const char *arg)
{
    uint64_t v;
    switch (opt) {
    case 'i': la->cap.iface = arg; return 1;
    case 'f': la->cap.filter = arg; return 1;
    case 's':
        if (tr__uint_arg(arg, "-s/--snaplen", 1, 262144, &v) < 0)
            return -1;
        la->cap.snaplen = (int)v;
        return 1;
    case 'B':
        if (tr__uint_arg(arg, "-B/--buffer-size", 1, 4096, &v) < 0)
            return -1;
        la->cap.buffer_mb = (int)v;
        return 1;
    case TR_OPT_NO_PROMISC: la->cap.no_promisc = true; return 1;
    case 'w': la->dump = arg; return 1;
    case 'Z': la->user = arg; return 1;
    case 'c': return tr__uint_arg(arg, "-c/--count", 1, UINT64_MAX, &la->count) < 0 ? -1 : 1;
    default: return 0;
    }
}

/* The options of the session: outputs, times, limits. */
static int tr__session_option(struct tr__live_args *la, int opt, const char *arg, bool *events_set)
{
    uint64_t v;
    switch (opt) {
    case TR_OPT_EVENTS: la->events = arg; *events_set = true; return 1;
    case TR_OPT_REPORT: la->report = arg; return 1;
    case TR_OPT_INTERVAL: return tr__seconds_arg(arg, "--interval", true, &la->interval_ns) < 0 ? -1 : 1;
    case TR_OPT_DURATION: return tr__seconds_arg(arg, "--duration", false, &la->duration_ns) < 0 ? -1 : 1;
    case TR_OPT_IDLE: return tr__seconds_arg(arg, "--idle-timeout", false, &la->idle_ns) < 0 ? -1 : 1;
    case TR_OPT_MAX_CONNS:
        if (tr__uint_arg(arg, "--max-connections", 1, 100000000, &v) < 0)
            return -1;
        la->max_conns = (uint32_t)v;
        return 1;
    default: return 0;
    }
}

static int tr__check_args(struct tr__live_args *la, bool events_set)
{
    if (!la->cap.iface) {
        tr_cli_error("live", "no interface given: -i IFACE (try 'tcpref live --help')");
        return -1;
    }
    bool report_stdout = la->report && !strcmp(la->report, "-");
    bool dump_stdout = la->dump && !strcmp(la->dump, "-");
    if (!events_set)
        la->events = report_stdout || dump_stdout ? NULL : "-";
    bool events_stdout = la->events && !strcmp(la->events, "-");
    if (events_stdout + report_stdout + dump_stdout > 1) {
        tr_cli_error("live", "only one of --events, --report and -w can go to standard output");
        return -1;
    }
    return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (message printed). */
static int tr__live_args_parse(int argc, char **argv, struct tr__live_args *la)
{
    static const struct option lo[] = {
        {"interface", required_argument, 0, 'i'}, {"filter", required_argument, 0, 'f'},
        {"snaplen", required_argument, 0, 's'}, {"buffer-size", required_argument, 0, 'B'},
        {"write", required_argument, 0, 'w'}, {"user", required_argument, 0, 'Z'},
        {"count", required_argument, 0, 'c'}, {"no-promiscuous", no_argument, 0, TR_OPT_NO_PROMISC},
        {"events", required_argument, 0, TR_OPT_EVENTS}, {"report", required_argument, 0, TR_OPT_REPORT},
        {"interval", required_argument, 0, TR_OPT_INTERVAL},
        {"duration", required_argument, 0, TR_OPT_DURATION},
        {"idle-timeout", required_argument, 0, TR_OPT_IDLE},
        {"max-connections", required_argument, 0, TR_OPT_MAX_CONNS},
        {"profile", required_argument, 0, TR_OPT_PROFILE},
        {"verify-checksums", no_argument, 0, TR_OPT_CHECKSUMS},
        {"no-vlan", no_argument, 0, TR_OPT_NO_VLAN},
        {"max-findings", required_argument, 0, TR_OPT_MAX_FINDINGS},
        {"help", no_argument, 0, TR_OPT_HELP}, {0, 0, 0, 0}};
    bool events_set = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "i:f:s:B:w:Z:c:p:h", lo, NULL)) != -1) {
        if (opt == 'h' || opt == TR_OPT_HELP) {
            fputs(tr__live_help, stdout);
            return 1;
        }
        int r = tr__capture_option(la, opt, optarg);
        if (r == 0)
            r = tr__session_option(la, opt, optarg, &events_set);
        if (r == 0)
            r = tr_cli_common_option(&la->cc, opt, optarg, "live");
        if (r == 0)
            fputs("try 'tcpref live --help'\n", stderr);
        if (r <= 0)
            return -1;
    }
    if (optind < argc) {
        tr_cli_error("live", "unexpected argument '%s' (a filter goes after -f)", argv[optind]);
        return -1;
    }
    return tr__check_args(la, events_set);
}

/* ---- privileges ---- */

/* -Z: as tcpdump does it, supplementary groups, then group, then user; and
 * the drop must hold (root cannot be regained). */
static int tr__drop_privileges(const char *user)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        tr_cli_error("live", "-Z: no user '%s'%s%s", user, errno ? ": " : "",
                     errno ? strerror(errno) : "");
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
        tr_cli_error("live", "-Z: cannot drop privileges to '%s': %s", user, strerror(errno));
        return -1;
    }
    if (getuid() != uid || geteuid() != uid || getgid() != gid ||
        (uid != 0 && setuid(0) == 0)) {
        tr_cli_error("live", "-Z: privileges of root still held after switching to '%s'", user);
        return -1;
    }
    return 0;
}

/* ---- events ---- */

static int64_t tr__t0(const struct tr__live *lv) { return tr_obs_input(lv->obs)->first_pkt_ts; }

static struct tr__slot *tr__slot_of(struct tr__live *lv, const struct tr_conn *c)
{
    return c->id < lv->nslot ? &lv->slot[c->id] : &lv->oom_slot;
}

/* Writes one event line: the object plus its type and clocks. */
static void tr__emit(struct tr__live *lv, const char *type, json_t *ev)
{
    if (!lv->events || lv->error[0]) {
        json_decref(ev);
        return;
    }
    json_object_set_new(ev, "event", json_string(type));
    json_object_set_new(ev, "emitted_ns", json_integer(tr__clock(CLOCK_REALTIME)));
    json_object_set_new(ev, "packet_ns", lv->pkt_ts ? json_integer(lv->pkt_ts) : json_null());
    if (json_dumpf(ev, lv->events, TR_JSON_FLAGS) < 0 || fputc('\n', lv->events) == EOF)
        snprintf(lv->error, sizeof lv->error, "writing the events failed: %s", strerror(errno));
    json_decref(ev);
    lv->events_dirty = true;
}

/* Which connection an event is about: id, addresses and ports. */
static json_t *tr__conn_ref(struct tr__live *lv, const struct tr_conn *c)
{
    json_t *j = json_object(), *eps = json_array();
    json_object_set_new(j, "id", json_integer(tr__slot_of(lv, c)->id));
    json_object_set_new(j, "ip_version", json_integer(c->ipver));
    json_object_set_new(j, "vlan", c->vlan ? json_integer(c->vlan) : json_null());
    json_object_set_new(j, "roles", json_string(c->roles == TR_ROLES_KNOWN ? "known" : "unknown"));
    for (unsigned d = 0; d < 2; d++) {
        char addr[64];
        tr_format_addr(c->ipver, c->addr[d], addr, sizeof addr);
        json_t *e = json_object();
        json_object_set_new(e, "role", json_string(tr_role_name(c, d)));
        json_object_set_new(e, "address", json_string(addr));
        json_object_set_new(e, "port", json_integer(c->port[d]));
        json_array_append_new(eps, e);
    }
    json_object_set_new(j, "endpoints", eps);
    return j;
}

/* The capture.kernel-drops finding (rules.h), in the keys of tr_json_finding(). */
static json_t *tr__drop_finding(const struct tr__live *lv, uint64_t frame, int64_t ts, uint64_t count,
                                const char *observed)
{
    const struct tr_rule_info *ri = tr_rule_info(TR_RULE_CAP_KERNEL_DROPS);
    json_t *j = json_object();
    json_object_set_new(j, "rule", json_string(ri->id));
    json_object_set_new(j, "severity", json_string(tr_severity_name((enum tr_severity)ri->severity)));
    json_object_set_new(j, "class", json_string(tr_class_name((enum tr_class)ri->cls)));
    json_object_set_new(j, "frame", json_integer((json_int_t)frame));
    json_object_set_new(j, "time", json_real((double)(ts - tr__t0(lv)) / 1e9));
    json_object_set_new(j, "direction", json_null());
    json_object_set_new(j, "expected", json_string(ri->expected));
    json_object_set_new(j, "observed", json_string(observed));
    json_object_set_new(j, "message", json_string(ri->message));
    json_object_set_new(j, "rfc", json_string(ri->rfc));
    json_object_set_new(j, "count", json_integer((json_int_t)count));
    return j;
}

/* A connection as the report has it, with its kernel-drops finding. */
static json_t *tr__conn_json(struct tr__live *lv, const struct tr_conn *c)
{
    const struct tr__slot *s = tr__slot_of(lv, c);
    json_t *j = tr_json_conn(lv->obs, c, s->id, tr__t0(lv));
    if (s->drops) {
        char obs[160];
        snprintf(obs, sizeof obs,
                 "the kernel dropped %llu packets (of any connection) in %u intervals while "
                 "this connection was tracked", (unsigned long long)s->drop_pkts, s->drops);
        json_array_append_new(json_object_get(j, "findings"),
                              tr__drop_finding(lv, s->drop_frame, s->drop_ts, s->drops, obs));
        lv->drop_findings += s->drops;
    }
    return j;
}

/* ---- the observer's hooks ---- */

static int tr__slot_reserve(struct tr__live *lv, uint32_t id)
{
    if (id < lv->nslot)
        return 0;
    uint32_t n = lv->nslot ? lv->nslot : 1024;
    while (n <= id)
        n *= 2;
    struct tr__slot *s = realloc(lv->slot, n * sizeof *s);
    if (!s)
        return -1;
    memset(s + lv->nslot, 0, (n - lv->nslot) * sizeof *s);
    lv->slot = s;
    lv->nslot = n;
    return 0;
}

static void tr__on_open(void *ctx, const struct tr_conn *c)
{
    struct tr__live *lv = ctx;
    if (tr__slot_reserve(lv, c->id) < 0)
        snprintf(lv->error, sizeof lv->error, "out of memory");
    *tr__slot_of(lv, c) = (struct tr__slot){.id = lv->next_id++};
    json_t *ev = json_object();
    json_object_set_new(ev, "connection", tr__conn_ref(lv, c));
    json_object_set_new(ev, "frame", json_integer((json_int_t)c->first_frame));
    json_object_set_new(ev, "time", json_real((double)(c->first_ts - tr__t0(lv)) / 1e9));
    tr__emit(lv, "open", ev);
}

static void tr__on_finding(void *ctx, const struct tr_conn *c, const struct tr_finding *f)
{
    struct tr__live *lv = ctx;
    lv->by_sev[tr_rule_info(f->rule)->severity]++;
    if (!lv->events)
        return;
    json_t *ev = tr_json_finding(c, f, tr__t0(lv));
    json_object_set_new(ev, "connection", tr__conn_ref(lv, c));
    tr__emit(lv, "finding", ev);
}

/* Appends the connection's JSON to the spool and its place to the index. */
static void tr__spool(struct tr__live *lv, const struct tr_conn *c, json_t *j)
{
    char *text = json_dumps(j, TR_JSON_FLAGS);
    size_t len = text ? strlen(text) : 0;
    struct tr__spool_rec rec = {.first_frame = c->first_frame, .off = lv->spool_off, .len = len};
    if (!text || fwrite(text, 1, len, lv->spool) != len || fwrite(&rec, sizeof rec, 1, lv->index) != 1)
        snprintf(lv->error, sizeof lv->error, "spooling a closed connection failed: %s",
                 text ? strerror(errno) : "out of memory");
    else
        lv->spooled++, lv->spool_off += len;
    free(text);
}

static void tr__on_close(void *ctx, const struct tr_conn *c)
{
    struct tr__live *lv = ctx;
    if (lv->finishing)
        return;
    json_t *j = tr__conn_json(lv, c);
    tr__spool(lv, c, j);
    json_t *ev = json_object();
    json_object_set_new(ev, "connection", j);
    tr__emit(lv, "close", ev);
}

/* ---- kernel drops ---- */

/* A drop interval: every connection tracked in it gets the finding. */
static void tr__mark_drop(struct tr__live *lv, const struct tr_conn *c, uint64_t drop, int64_t wall)
{
    struct tr__slot *s = tr__slot_of(lv, c);
    if (!s->drops++) {
        s->drop_frame = c->last_frame;
        s->drop_ts = c->last_ts;
    }
    s->drop_pkts += drop;
    lv->by_sev[TR_SEV_WARNING]++;
    char obs[160];
    snprintf(obs, sizeof obs,
             "the kernel dropped %llu packets (of any connection) in the %.1f s before this check",
             (unsigned long long)drop, (double)(wall - lv->last_check) / 1e9);
    if (!lv->events)
        return;
    json_t *ev = tr__drop_finding(lv, c->last_frame, c->last_ts, 1, obs);
    json_object_set_new(ev, "connection", tr__conn_ref(lv, c));
    tr__emit(lv, "finding", ev);
}

static void tr__check_drops(struct tr__live *lv, int64_t wall)
{
    if (tr_source_live_update_stats(lv->src) < 0)
        return;
    struct tr_source_stats st;
    tr_source_stats(lv->src, &st);
    uint64_t drop = st.live_drop - lv->seen.live_drop;
    lv->seen = st;
    if (drop) {
        lv->drop_intervals++;
        for (uint32_t i = 0; i < tr_obs_conn_count(lv->obs); i++) {
            const struct tr_conn *c = tr_obs_conn(lv->obs, i);
            if (!(c->flags & (TR_CONN_RETIRED | TR_CONN_RELEASED)))
                tr__mark_drop(lv, c, drop, wall);
        }
    }
    lv->last_check = wall;
}

/* ---- status ---- */

static uint64_t tr__memory(const struct tr__live *lv)
{
    return tr_obs_memory(lv->obs) + (uint64_t)lv->nslot * sizeof *lv->slot;
}

static json_t *tr__status_json(const struct tr__live *lv, const struct tr_source_stats *st, double pps)
{
    const struct tr_input_stats *in = tr_obs_input(lv->obs);
    json_t *j = json_object(), *f = json_object();
    json_object_set_new(j, "packets", json_integer((json_int_t)st->packets));
    json_object_set_new(j, "packets_per_second", json_real(round(pps * 10) / 10));
    json_object_set_new(j, "active", json_integer(tr_obs_active(lv->obs)));
    json_object_set_new(j, "closed", json_integer((json_int_t)lv->spooled));
    json_object_set_new(j, "evicted", json_integer((json_int_t)in->conns_evicted));
    json_object_set_new(j, "expired", json_integer((json_int_t)in->conns_expired));
    for (int s = 0; s < 3; s++)
        json_object_set_new(f, tr_severity_name((enum tr_severity)s), json_integer((json_int_t)lv->by_sev[s]));
    json_object_set_new(j, "findings", f);
    json_object_set_new(j, "received", json_integer((json_int_t)st->live_recv));
    json_object_set_new(j, "dropped", json_integer((json_int_t)st->live_drop));
    json_object_set_new(j, "interface_dropped", json_integer((json_int_t)st->live_ifdrop));
    json_object_set_new(j, "memory", json_integer((json_int_t)tr__memory(lv)));
    return j;
}

static void tr__status(struct tr__live *lv, int64_t mono)
{
    struct tr_source_stats st;
    tr_source_stats(lv->src, &st);
    double dt = (double)(mono - lv->status_mono) / 1e9;
    double pps = dt > 0 ? (double)(st.packets - lv->status_pkts) / dt : 0;
    lv->status_mono = mono;
    lv->status_pkts = st.packets;
    char mem[32];
    uint64_t bytes = tr__memory(lv);
    if (bytes < 1024 * 1024)
        snprintf(mem, sizeof mem, "%.0f KiB", (double)bytes / 1024.0);
    else
        snprintf(mem, sizeof mem, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
    time_t now = time(NULL);
    struct tm tm;
    char clock[16] = "";
    if (localtime_r(&now, &tm))
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    const struct tr_input_stats *in = tr_obs_input(lv->obs);
    fprintf(stderr,
            "tcpref live: %s %s: %.0f pkt/s, %u active, %llu closed (%llu evicted, %llu idle); "
            "findings %llu error, %llu warning, %llu info; received %llu, dropped %llu, "
            "if-dropped %llu; memory %s\n",
            clock, tr_source_name(lv->src), pps, tr_obs_active(lv->obs),
            (unsigned long long)lv->spooled, (unsigned long long)in->conns_evicted,
            (unsigned long long)in->conns_expired, (unsigned long long)lv->by_sev[TR_SEV_ERROR],
            (unsigned long long)lv->by_sev[TR_SEV_WARNING], (unsigned long long)lv->by_sev[TR_SEV_INFO],
            (unsigned long long)st.live_recv, (unsigned long long)st.live_drop,
            (unsigned long long)st.live_ifdrop, mem);
    tr__emit(lv, "status", tr__status_json(lv, &st, pps));
}

/* ---- the loop ---- */

/* Observes up to max waiting packets; returns how many, or < 0 when the
 * capture failed or ended (lv->stopped_by says which). */
static long tr__drain(struct tr__live *lv, long max)
{
    long n = 0;
    struct tr_pkt pkt;
    while (n < max && !lv->error[0]) {
        if (lv->args->count && tr_obs_input(lv->obs)->packets >= lv->args->count) {
            lv->stopped_by = "count";
            break;
        }
        int r = tr_source_next(lv->src, &pkt);
        if (r == TR_EAGAIN)
            break;
        if (r == 0) {
            lv->stopped_by = "capture-ended";
            return -1;
        }
        if (r < 0) {
            lv->stopped_by = "capture-error";
            snprintf(lv->error, sizeof lv->error, "%s", tr_source_error(lv->src));
            return -1;
        }
        lv->pkt_ts = pkt.ts_ns;
        tr_obs_packet(lv->obs, &pkt);
        lv->pkt_ts = 0;
        n++;
    }
    return n;
}

static void tr__flush_events(struct tr__live *lv)
{
    if (!lv->events_dirty)
        return;
    lv->events_dirty = false;
    if (fflush(lv->events) == EOF && !lv->error[0])
        snprintf(lv->error, sizeof lv->error, "writing the events failed: %s", strerror(errno));
}

/* Once a second: drops, idle expiry, the dump file; the status line and
 * --duration when they are due. */
static void tr__housekeeping(struct tr__live *lv, int64_t mono)
{
    if (mono >= lv->next_tick) {
        int64_t wall = tr__clock(CLOCK_REALTIME);
        tr__check_drops(lv, wall);
        tr_obs_expire(lv->obs, wall, lv->args->idle_ns);
        /* Ended connections: closed once their TIME-WAIT ACKs have had time
         * to pass, so their close event and report entry come promptly. */
        tr_obs_expire_ended(lv->obs, wall, lv->args->idle_ns < TR_LINGER_NS ? lv->args->idle_ns : TR_LINGER_NS);
        if (tr_source_live_flush(lv->src) < 0 && !lv->error[0])
            snprintf(lv->error, sizeof lv->error, "writing %s failed", lv->args->dump);
        lv->next_tick = mono + TR_TICK_NS;
    }
    if (lv->args->interval_ns && mono >= lv->next_status) {
        tr__status(lv, mono);
        lv->next_status = mono + lv->args->interval_ns;
    }
    if (lv->end_mono && mono >= lv->end_mono)
        lv->stopped_by = "duration";
    if (tr__signal)
        lv->stopped_by = tr__signal == SIGINT ? "SIGINT" : "SIGTERM";
    if (lv->error[0] && !lv->stopped_by)
        lv->stopped_by = "output-error";
    tr__flush_events(lv);
}

static int tr__poll_timeout(const struct tr__live *lv, int64_t mono)
{
    int64_t next = lv->next_tick;
    if (lv->args->interval_ns && lv->next_status < next)
        next = lv->next_status;
    if (lv->end_mono && lv->end_mono < next)
        next = lv->end_mono;
    int64_t ms = (next - mono + 999999) / 1000000;
    return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

static void tr__run(struct tr__live *lv)
{
    struct pollfd pfd = {.fd = tr_source_live_fd(lv->src), .events = POLLIN};
    int64_t mono = tr__clock(CLOCK_MONOTONIC);
    lv->status_mono = mono;
    lv->next_tick = mono + TR_TICK_NS;
    lv->next_status = mono + lv->args->interval_ns;
    lv->end_mono = lv->args->duration_ns ? mono + lv->args->duration_ns : 0;
    lv->last_check = tr__clock(CLOCK_REALTIME);
    while (!lv->stopped_by) {
        long n = tr__drain(lv, TR_BATCH);
        mono = tr__clock(CLOCK_MONOTONIC);
        tr__housekeeping(lv, mono);
        if (n == 0 && !lv->stopped_by && poll(&pfd, 1, tr__poll_timeout(lv, mono)) < 0 &&
            errno != EINTR) {
            snprintf(lv->error, sizeof lv->error, "poll: %s", strerror(errno));
            lv->stopped_by = "capture-error";
        }
    }
}

/* Nothing already seen is lost: on a signal or --duration, what libpcap
 * has already captured is observed too, up to the packets that arrived
 * after the stop. */
static void tr__drain_rest(struct tr__live *lv)
{
    if (strcmp(lv->stopped_by, "SIGINT") && strcmp(lv->stopped_by, "SIGTERM") &&
        strcmp(lv->stopped_by, "duration"))
        return;
    int64_t stop = tr__clock(CLOCK_REALTIME);
    struct tr_pkt pkt;
    while (!lv->error[0] && (!lv->args->count || tr_obs_input(lv->obs)->packets < lv->args->count)) {
        if (tr_source_next(lv->src, &pkt) != 1)
            break;
        lv->pkt_ts = pkt.ts_ns;
        tr_obs_packet(lv->obs, &pkt);
        lv->pkt_ts = 0;
        if (pkt.ts_ns > stop)
            break;
    }
}

/* ---- the report ---- */

/* tr_report_json() writes through this stream: it keeps the head and the
 * tail of analyze's report and drops its connections array, which the
 * live report replaces. */
struct tr__splice {
    FILE *head, *tail;
    int part;                  /* 0 head, 1 connections (dropped), 2 tail */
    size_t match;
};

static const char tr__conns_open[] = "\"connections\":[";
static const char tr__conns_close[] = "\n],\"input\":";

static bool tr__match(const char *mark, size_t *m, char c)
{
    if (c == mark[*m])
        (*m)++;
    else
        *m = c == mark[0];
    if (mark[*m])
        return false;
    *m = 0;
    return true;
}

static ssize_t tr__splice_write(void *cookie, const char *buf, size_t n)
{
    struct tr__splice *sp = cookie;
    for (size_t i = 0; i < n; i++) {
        if (sp->part == 0) {
            fputc(buf[i], sp->head);
            sp->part = tr__match(tr__conns_open, &sp->match, buf[i]);
        } else if (sp->part == 1) {
            if (tr__match(tr__conns_close, &sp->match, buf[i])) {
                sp->part = 2;
                fputs("{\"input\":", sp->tail);
            }
        } else {
            fputc(buf[i], sp->tail);
        }
    }
    return (ssize_t)n;
}

static int tr__spool_cmp(const void *a, const void *b)
{
    const struct tr__spool_rec *x = a, *y = b;
    return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

/* The index of the spool, in the order of the first frames. */
static struct tr__spool_rec *tr__spool_index(struct tr__live *lv)
{
    struct tr__spool_rec *r = malloc((lv->spooled ? lv->spooled : 1) * sizeof *r);
    if (!r || fflush(lv->index) == EOF || fflush(lv->spool) == EOF ||
        pread(fileno(lv->index), r, lv->spooled * sizeof *r, 0) != (ssize_t)(lv->spooled * sizeof *r)) {
        free(r);
        return NULL;
    }
    qsort(r, lv->spooled, sizeof *r, tr__spool_cmp);
    return r;
}

static int tr__spool_copy(struct tr__live *lv, const struct tr__spool_rec *r, FILE *out)
{
    char buf[65536];
    for (uint64_t done = 0; done < r->len;) {
        size_t want = r->len - done < sizeof buf ? (size_t)(r->len - done) : sizeof buf;
        ssize_t got = pread(fileno(lv->spool), buf, want, (off_t)(r->off + done));
        if (got <= 0 || fwrite(buf, 1, (size_t)got, out) != (size_t)got)
            return -1;
        done += (uint64_t)got;
    }
    return 0;
}

/* The spooled connections and those still tracked, by first frame. */
static int tr__write_connections(struct tr__live *lv, FILE *out)
{
    struct tr__spool_rec *rec = tr__spool_index(lv);
    if (!rec)
        return -1;
    uint32_t nopen = 0;
    const struct tr_conn *const *open = NULL;
    if (tr_obs_conn_count(lv->obs)) /* tr_obs_sorted() of no connection: qsort(NULL, 0) */
        open = tr_obs_sorted(lv->obs, &nopen);
    uint64_t i = 0, k = 0;
    int r = 0;
    while (r == 0 && (i < lv->spooled || k < nopen)) {
        fputs(i + k ? ",\n" : "\n", out);
        if (k == nopen || (i < lv->spooled && rec[i].first_frame < open[k]->first_frame)) {
            r = tr__spool_copy(lv, &rec[i++], out);
        } else {
            json_t *j = tr__conn_json(lv, open[k++]);
            r = json_dumpf(j, out, TR_JSON_FLAGS);
            json_decref(j);
        }
    }
    free(rec);
    return r;
}

/* What the live report adds to its input file: the capture's facts. */
static json_t *tr__live_json(const struct tr__live *lv, const struct tr_source_stats *st)
{
    const struct tr__live_args *a = lv->args;
    json_t *j = json_object();
    json_object_set_new(j, "interface", json_string(a->cap.iface));
    json_object_set_new(j, "filter", a->cap.filter ? json_string(a->cap.filter) : json_null());
    json_object_set_new(j, "received", json_integer((json_int_t)st->live_recv));
    json_object_set_new(j, "dropped", json_integer((json_int_t)st->live_drop));
    json_object_set_new(j, "interface_dropped", json_integer((json_int_t)st->live_ifdrop));
    json_object_set_new(j, "drop_intervals", json_integer((json_int_t)lv->drop_intervals));
    json_object_set_new(j, "connections_spooled", json_integer((json_int_t)lv->spooled));
    json_object_set_new(j, "stopped_by", json_string(lv->stopped_by ? lv->stopped_by : "?"));
    json_object_set_new(j, "written_to", a->dump ? json_string(a->dump) : json_null());
    return j;
}

static void tr__add_count(json_t *obj, const char *key, uint64_t n)
{
    json_t *v = json_object_get(obj, key);
    json_object_set_new(obj, key, json_integer(json_integer_value(v) + (json_int_t)n));
}

/* analyze's input and summary, made true of the live report: connections
 * released after their close were spooled, not summarized; the
 * kernel-drops findings are counted. */
static void tr__patch_tail(struct tr__live *lv, json_t *top, const struct tr_source_stats *st)
{
    json_t *file = json_array_get(json_object_get(json_object_get(top, "input"), "files"), 0);
    if (file) {
        json_object_set_new(file, "connections_summarized", json_integer(0));
        json_object_set_new(file, "live", tr__live_json(lv, st));
    }
    json_t *sum = json_object_get(top, "summary");
    if (sum && lv->drop_findings) {
        json_t *by_rule = json_object_get(sum, "by_rule");
        tr__add_count(by_rule, tr_rule_info(TR_RULE_CAP_KERNEL_DROPS)->id, lv->drop_findings);
        json_t *warn = json_object_get(json_object_get(sum, "findings"), "warning");
        tr__add_count(warn, "capture", lv->drop_findings);
    }
}

static int tr__key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys after "connections", in sorted order as the report has them. */
static int tr__write_tail(json_t *top, FILE *out)
{
    const char *keys[32];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(top, k, v)
        if (n < sizeof keys / sizeof keys[0])
            keys[n++] = k;
    qsort(keys, n, sizeof keys[0], tr__key_cmp);
    fputs("\n]", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, ",\"%s\":", keys[i]);
        if (json_dumpf(json_object_get(top, keys[i]), out, TR_JSON_FLAGS) < 0)
            return -1;
    }
    fputs("}\n", out);
    return 0;
}

/* analyze's report of the observer, through the splice. */
static int tr__analyze_report(struct tr__live *lv, struct tr__splice *sp,
                              const struct tr_source_stats *st)
{
    /* Without any connection the file keeps its observer for the input
     * counts but lists no shard: tr_obs_sorted() of an observer that never
     * had a connection passes NULL to qsort() (observer.c). */
    struct tr_file_result f = {.path = (char *)lv->args->cap.iface, .opened = true,
                               .err = lv->error[0] ? TR_EIO : 0, .src = *st,
                               .nobs = tr_obs_conn_count(lv->obs) ? 1 : 0, .obs = {lv->obs}};
    snprintf(f.error, sizeof f.error, "%s", lv->error);
    f.nwarn = tr_source_warning_count(lv->src);
    for (unsigned i = 0; i < f.nwarn && i < TR_SOURCE_MAX_WARN; i++)
        snprintf(f.warn[i], sizeof f.warn[i], "%s", tr_source_warning(lv->src, i));
    struct tr_analysis a = {.threads = 1, .nfiles = 1, .files = &f};
    struct tr_report_opts ro = {.command = "live", .profile = lv->args->cc.profile};
    cookie_io_functions_t io = {.write = tr__splice_write};
    FILE *s = fopencookie(sp, "w", io);
    if (!s)
        return -1;
    int r = tr_report_json(s, &a, &ro);
    return fclose(s) == 0 ? r : -1;
}

static int tr__write_report(struct tr__live *lv, FILE *out)
{
    struct tr_source_stats st;
    tr_source_stats(lv->src, &st);
    char *head = NULL, *tail = NULL;
    size_t hn = 0, tn = 0;
    struct tr__splice sp = {.head = open_memstream(&head, &hn), .tail = open_memstream(&tail, &tn)};
    int r = sp.head && sp.tail ? tr__analyze_report(lv, &sp, &st) : -1;
    if (sp.head)
        fclose(sp.head);
    if (sp.tail)
        fclose(sp.tail);
    json_t *top = r == 0 && sp.part == 2 ? json_loadb(tail, tn, 0, NULL) : NULL;
    if (top) {
        fwrite(head, 1, hn, out);
        r = tr__write_connections(lv, out);
        tr__patch_tail(lv, top, &st);
        if (r == 0)
            r = tr__write_tail(top, out);
    }
    json_decref(top);
    free(head);
    free(tail);
    return top && r == 0 && !ferror(out) ? 0 : -1;
}

/* ---- setup ---- */

static FILE *tr__open_out(const char *path, const char *what)
{
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        tr_cli_error("live", "cannot write the %s to %s: %s", what, path, strerror(errno));
    return f;
}

static FILE *tr__tmpfile(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tcpref-live.XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+");
    if (!f)
        close(fd);
    return f;
}

/* Everything written to: created after the privileges were dropped, as
 * tcpdump does, so the files belong to the -Z user. */
static int tr__open_outputs(struct tr__live *lv)
{
    const struct tr__live_args *a = lv->args;
    char err[512];
    if (a->dump && tr_source_live_dump(lv->src, a->dump, err, sizeof err) < 0) {
        tr_cli_error("live", "%s", err);
        return -1;
    }
    if (a->events && !(lv->events = tr__open_out(a->events, "events")))
        return -1;
    if (a->report && !(lv->report = tr__open_out(a->report, "report")))
        return -1;
    lv->spool = tr__tmpfile();
    lv->index = tr__tmpfile();
    if (!lv->spool || !lv->index) {
        tr_cli_error("live", "cannot create the spool file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int tr__new_observer(struct tr__live *lv)
{
    struct tr_obs_config cfg;
    if (tr_cli_obs_config(&lv->args->cc, &cfg, "live") < 0)
        return -1;
    cfg.max_conns = lv->args->max_conns;
    cfg.release_closed = true;
    cfg.hooks = (struct tr_obs_hooks){.ctx = lv, .finding = tr__on_finding,
                                      .conn_open = tr__on_open, .conn_close = tr__on_close};
    if (tr_obs_new(&lv->obs, &cfg, 0) < 0) {
        tr_cli_error("live", "out of memory");
        return -1;
    }
    return 0;
}

static int tr__open_capture(struct tr__live *lv)
{
    char err[600];
    if (tr_source_open_live(&lv->src, &lv->args->cap, err, sizeof err) < 0) {
        tr_cli_error("live", "%s", err);
        return -1;
    }
    for (unsigned i = 0; i < tr_source_warning_count(lv->src) && i < TR_SOURCE_MAX_WARN; i++)
        tr_cli_error("live", "warning: %s", tr_source_warning(lv->src, i));
    return 0;
}

static int tr__setup(struct tr__live *lv)
{
    if (tr__open_capture(lv) < 0)
        return -1;
    if (lv->args->user && tr__drop_privileges(lv->args->user) < 0)
        return -1;
    if (tr__open_outputs(lv) < 0 || tr__new_observer(lv) < 0)
        return -1;
    return 0;
}

static void tr__close_file(FILE *f)
{
    if (f && f != stdout)
        fclose(f);
    else if (f)
        fflush(f);
}

static void tr__teardown(struct tr__live *lv)
{
    tr__close_file(lv->events);
    tr__close_file(lv->report);
    tr__close_file(lv->spool);
    tr__close_file(lv->index);
    tr_obs_free(lv->obs);
    tr_source_close(lv->src);
    free(lv->slot);
}

/* The last line on standard error: how the run ended. */
static void tr__farewell(const struct tr__live *lv)
{
    struct tr_source_stats st;
    tr_source_stats(lv->src, &st);
    const struct tr_input_stats *in = tr_obs_input(lv->obs);
    fprintf(stderr,
            "tcpref live: stopped (%s): %llu packets, %llu connections; received %llu, "
            "dropped %llu, if-dropped %llu\n",
            lv->stopped_by, (unsigned long long)st.packets,
            (unsigned long long)(in->conns_released + tr_obs_active(lv->obs)),
            (unsigned long long)st.live_recv, (unsigned long long)st.live_drop,
            (unsigned long long)st.live_ifdrop);
}

static int tr__finish(struct tr__live *lv)
{
    tr__drain_rest(lv);
    tr__check_drops(lv, tr__clock(CLOCK_REALTIME));
    lv->finishing = true;
    tr_obs_finish(lv->obs);
    tr__flush_events(lv);
    if (tr_source_live_flush(lv->src) < 0 && !lv->error[0])
        snprintf(lv->error, sizeof lv->error, "writing %s failed", lv->args->dump);
    int rc = lv->error[0] ? TR_EXIT_USAGE : TR_EXIT_OK;
    if (lv->error[0])
        tr_cli_error("live", "%s", lv->error);
    if (lv->report && (tr__write_report(lv, lv->report) < 0 || fflush(lv->report) == EOF)) {
        tr_cli_error("live", "writing the report to %s failed", lv->args->report);
        rc = TR_EXIT_USAGE;
    }
    tr__farewell(lv);
    return rc;
}

int tr_cmd_live(int argc, char **argv)
{
    struct tr__live_args la = {.interval_ns = 10 * TR_NS, .idle_ns = 300 * TR_NS,
                               .max_conns = 100000};
    tr_cli_common_defaults(&la.cc);
    int r = tr__live_args_parse(argc, argv, &la);
    if (r)
        return r > 0 ? TR_EXIT_OK : TR_EXIT_USAGE;
    struct tr__live lv = {.args = &la};
    int rc = TR_EXIT_USAGE;
    if (tr__setup(&lv) == 0) {
        uint32_t linktype, snaplen;
        tr_source_live_info(lv.src, &linktype, &snaplen);
        fprintf(stderr, "tcpref live: listening on %s, link-type %s, snapshot length %u bytes\n",
                la.cap.iface, tr_linktype_name(linktype), snaplen);
        tr__install_signals();
        tr__run(&lv);
        rc = tr__finish(&lv);
    }
    tr__teardown(&lv);
    return rc;
}
