/* tcpref sockets: the socket table a host would have shown at one instant. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/format.h"
#include "cli/cli.h"
#include "stack/seq.h"

static const char tr__sockets_help[] =
    "usage: tcpref sockets FILE --at T [options]\n"
    "\n"
    "The socket table (like netstat or ss) of the endpoints in a capture, as it\n"
    "stood at time T: every TCP endpoint the capture shows, its state, and\n"
    "the queues the capture can support:\n"
    "  Send-Q   bytes this endpoint had sent and the peer had not acknowledged\n"
    "  Recv-Q   bytes the peer had sent that this endpoint had not acknowledged\n"
    "           (in flight to it, or received and not yet acknowledged)\n"
    "  Window   the receive window it last advertised, in bytes (- when the\n"
    "           window scale is unknown)\n"
    "Listening sockets are inferred from the SYN-ACKs servers sent before T.\n"
    "\n"
    "options:\n"
    "      --at T             seconds since the first frame (e.g. 1.5), or an\n"
    "                         absolute time as @EPOCH-SECONDS (e.g. @1700000000.25)\n"
    "  -a, --all              also list endpoints already CLOSED at T\n"
    "  -f, --format FMT       text (default on a terminal) or json\n"
    "  -o, --output FILE      write to FILE\n"
    "  -p, --profile NAME     linux (default) or rfc\n"
    "      --max-connections N\n"
    "                         connections tracked at once (default 100000; 0: no\n"
    "                         limit); past it the least recently active one is\n"
    "                         closed out\n"
    "      --max-records N    ended connections kept (default 500000; 0: no\n"
    "                         limit); past it they count in totals only\n"
    "  -h, --help             this help\n"
    "\n"
    "exit status: 0 success; 2 usage error or unreadable input.\n";

struct tr__sock_opts {
    struct tr_cli_common cc;
    const char *at;
    bool all;
};

static int tr__parse_at(const char *s, int64_t *ns, bool *relative)
{
    *relative = s[0] != '@';
    const char *p = *relative ? s : s + 1;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (errno || end == p || *end || !isfinite(v) || v < 0 || v > 9e9)
        return -1;
    *ns = (int64_t)llround(v * 1e9);
    return 0;
}

static json_t *tr__sock_json(const struct tr_conn *c, unsigned d, uint32_t id, int64_t t0)
{
    const struct tr_ep *e = &c->ep[d], *p = &c->ep[!d];
    char la[64], pa[64];
    tr_format_addr(c->ipver, c->addr[d], la, sizeof la);
    tr_format_addr(c->ipver, c->addr[!d], pa, sizeof pa);
    json_t *j = json_object();
    json_object_set_new(j, "state", json_string(tr_state_name((enum tr_state)e->tcb.state)));
    json_object_set_new(j, "local_address", json_string(la));
    json_object_set_new(j, "local_port", json_integer(c->port[d]));
    json_object_set_new(j, "peer_address", json_string(pa));
    json_object_set_new(j, "peer_port", json_integer(c->port[!d]));
    json_object_set_new(j, "connection", json_integer(id));
    json_object_set_new(j, "role", json_string(tr_role_name(c, d)));
    json_object_set_new(j, "send_q", json_integer((uint32_t)(e->tcb.snd_max - e->tcb.snd_una)));
    bool rq = tr_ep_has(e, TR_EP_ACK_SEEN) && tr_ep_has(p, TR_EP_SENT_ANY);
    uint32_t recv = rq && tr_seq_gt(p->tcb.snd_max, e->highest_ack) ? p->tcb.snd_max - e->highest_ack : 0;
    json_object_set_new(j, "recv_q", rq ? json_integer(recv) : json_null());
    bool wk = tr_ep_has(e, TR_EP_SCALE_KNOWN) && tr_ep_has(e, TR_EP_ACK_SEEN);
    json_object_set_new(j, "window", wk ? json_integer(e->tcb.rcv_wnd) : json_null());
    (void)t0;
    return j;
}

/* LISTEN sockets: a server that answered a SYN was listening on that port. */
static void tr__add_listener(json_t *socks, const struct tr_conn *c)
{
    if (c->roles != TR_ROLES_KNOWN || !tr_ep_has(&c->ep[1], TR_EP_SYN_SEEN))
        return;
    char la[64];
    tr_format_addr(c->ipver, c->addr[1], la, sizeof la);
    size_t i;
    json_t *v;
    json_array_foreach(socks, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "state")), "LISTEN") &&
            !strcmp(json_string_value(json_object_get(v, "local_address")), la) &&
            json_integer_value(json_object_get(v, "local_port")) == c->port[1])
            return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "state", json_string("LISTEN"));
    json_object_set_new(j, "local_address", json_string(la));
    json_object_set_new(j, "local_port", json_integer(c->port[1]));
    json_object_set_new(j, "peer_address", json_string(c->ipver == 6 ? "::" : "0.0.0.0"));
    json_object_set_new(j, "peer_port", json_integer(0));
    json_object_set_new(j, "connection", json_null());
    json_object_set_new(j, "role", json_string("listener (inferred)"));
    json_object_set_new(j, "send_q", json_integer(0));
    json_object_set_new(j, "recv_q", json_null());
    json_object_set_new(j, "window", json_null());
    json_array_append_new(socks, j);
}

static json_t *tr__table(const struct tr_file_result *f, bool all)
{
    json_t *socks = json_array(), *listeners = json_array();
    const struct tr_input_stats *in = tr_file_input(f);
    struct tr_conn_iter it;
    tr_conn_iter_init(&it, f);
    const struct tr_obs *o;
    for (const struct tr_conn *c; (c = tr_conn_iter_next(&it, &o));) {
        tr__add_listener(listeners, c);
        for (unsigned d = 0; d < 2; d++) {
            uint8_t st = c->ep[d].tcb.state;
            bool closed = st == TR_CLOSED || st == TR_LISTEN;
            if (!closed || all)
                json_array_append_new(socks, tr__sock_json(c, d, it.index - 1, in->first_pkt_ts));
        }
    }
    json_array_extend(listeners, socks);
    json_decref(socks);
    return listeners;
}

static void tr__print_text(FILE *out, json_t *socks, const char *at)
{
    fprintf(out, "sockets at %s\n", at);
    fprintf(out, "%-12s %7s %7s %8s %-24s %-24s %s\n", "State", "Recv-Q", "Send-Q", "Window",
            "Local Address:Port", "Peer Address:Port", "Conn/Role");
    size_t i;
    json_t *v;
    json_array_foreach(socks, i, v)
    {
        char l[80], p[80], rq[24] = "-", wn[24] = "-", cn[64];
        snprintf(l, sizeof l, "%s:%lld", json_string_value(json_object_get(v, "local_address")),
                 json_integer_value(json_object_get(v, "local_port")));
        snprintf(p, sizeof p, "%s:%lld", json_string_value(json_object_get(v, "peer_address")),
                 json_integer_value(json_object_get(v, "peer_port")));
        if (json_is_integer(json_object_get(v, "recv_q")))
            snprintf(rq, sizeof rq, "%lld", json_integer_value(json_object_get(v, "recv_q")));
        if (json_is_integer(json_object_get(v, "window")))
            snprintf(wn, sizeof wn, "%lld", json_integer_value(json_object_get(v, "window")));
        json_t *cid = json_object_get(v, "connection");
        if (json_is_integer(cid))
            snprintf(cn, sizeof cn, "%lld %s", json_integer_value(cid), json_string_value(json_object_get(v, "role")));
        else
            snprintf(cn, sizeof cn, "%s", json_string_value(json_object_get(v, "role")));
        fprintf(out, "%-12s %7s %7lld %8s %-24s %-24s %s\n", json_string_value(json_object_get(v, "state")), rq,
                json_integer_value(json_object_get(v, "send_q")), wn, l, p, cn);
    }
}

static int tr__sockets_args(int argc, char **argv, struct tr__sock_opts *so)
{
    static const struct option lo[] = {TR_CLI_COMMON_LONGOPTS, TR_CLI_LIMIT_LONGOPTS, {"at", required_argument, 0, 'A'},
                                       {"all", no_argument, 0, 'a'}, {0, 0, 0, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:o:p:ah", lo, NULL)) != -1) {
        if (opt == 'h' || opt == TR_OPT_HELP) {
            fputs(tr__sockets_help, stdout);
            return 1;
        }
        if (opt == 'A')
            so->at = optarg;
        else if (opt == 'a')
            so->all = true;
        else if (tr_cli_common_option(&so->cc, opt, optarg, "sockets") <= 0)
            return -1;
    }
    if (optind != argc - 1 || !so->at) {
        tr_cli_error("sockets", "needs one capture FILE and --at T (try 'tcpref sockets --help')");
        return -1;
    }
    return 0;
}

int tr_cmd_sockets(int argc, char **argv)
{
    struct tr__sock_opts so = {0};
    tr_cli_common_defaults(&so.cc);
    int r = tr__sockets_args(argc, argv, &so);
    if (r)
        return r > 0 ? TR_EXIT_OK : TR_EXIT_USAGE;
    struct tr_obs_config cfg;
    if (tr_cli_obs_config(&so.cc, &cfg, "sockets") < 0)
        return TR_EXIT_USAGE;
    if (tr__parse_at(so.at, &cfg.stop_after_ns, &cfg.stop_relative) < 0) {
        tr_cli_error("sockets", "--at takes seconds (1.5) or @EPOCH-SECONDS, not '%s'", so.at);
        return TR_EXIT_USAGE;
    }
    struct tr_analysis a;
    tr_analysis_init(&a, &cfg, 1);
    int rc = TR_EXIT_OK;
    if (tr_analysis_add_file(&a, argv[optind]) < 0) {
        fprintf(stderr, "tcpref sockets: %s\n", a.files[0].error);
        rc = TR_EXIT_USAGE;
    }
    if (a.files[0].opened) {
        json_t *socks = tr__table(&a.files[0], so.all);
        FILE *out = tr_cli_open_output(&so.cc, "sockets");
        if (out && so.cc.format == TR_FMT_JSON) {
            json_t *j = json_object();
            json_object_set_new(j, "at", json_string(so.at));
            json_object_set_new(j, "sockets", socks);
            json_dumpf(j, out, JSON_INDENT(2) | JSON_SORT_KEYS);
            fputc('\n', out);
            json_decref(j);
        } else if (out) {
            tr__print_text(out, socks, so.at);
            json_decref(socks);
        }
        tr_cli_close_output(out, &so.cc);
    }
    tr_analysis_free(&a);
    return rc;
}
