/* The replay report for people: the verdict first, then the details. */
#include <inttypes.h>
#include <string.h>

#include "analyzer/format.h"
#include "analyzer/report.h"
#include "replay/frame.h"
#include "replay/netcheck.h"
#include "replay/replay.h"

static const char *const tr__role[2] = {"client", "server"};
static const char *const tr__dirname[2] = {"client-to-server", "server-to-client"};

static void tr__dur(int64_t ns, char *buf, size_t n)
{
    if (ns < 0)
        snprintf(buf, n, "-");
    else
        tr_format_duration(ns, buf, n);
}

/* "    recorded SYN-SENT > ESTABLISHED > ...", wrapped at 80 columns. */
static void tr__states_line(FILE *out, const char *label, const uint8_t *st, unsigned n)
{
    int col = fprintf(out, "    %s", label);
    for (unsigned i = 0; i < n; i++) {
        const char *name = tr_state_name((enum tr_state)st[i]);
        if (col + 3 + (int)strlen(name) > 80)
            col = fprintf(out, "\n%13s", "");
        col += fprintf(out, "%s%s", i ? " > " : " ", name);
    }
    fputc('\n', out);
}

static void tr__headline(FILE *out, const struct tr_replay *r)
{
    fprintf(out, "tcpref replay: %s\n", tr_rverdict_name(r->verdict));
    if (r->inconclusive)
        fprintf(out, "  the recording is incomplete: %s\n", r->why);
    if (r->run.end == TR_RUN_INTERRUPTED)
        fprintf(out, "  the run was interrupted before the conversation ended: nothing is "
                "concluded\n");
    if (r->verdict == TR_RV_DIVERGED) {
        const struct tr_divergence *d = &r->cmp.div;
        if (d->kind == TR_DIV_BYTES)
            fprintf(out, "  first divergence: %s byte %" PRIu64 "\n", tr__dirname[d->dir],
                    d->offset);
        else
            fprintf(out, "  first divergence: %s\n", d->kind == TR_DIV_END ? "how the connection "
                    "ended" : "the handshake");
        fprintf(out, "    expected %s\n    observed %s\n", d->expected, d->observed);
    }
    for (unsigned i = 0; i < r->cmp.nnotes; i++)
        fprintf(out, "  %s\n", r->cmp.notes[i]);
    if (!r->inconclusive && r->plan.filler)
        fprintf(out, "  %" PRIu64 " payload bytes were not captured (snaplen): filler sent, "
                "compared by length\n", r->plan.filler);
    if (r->run.end == TR_RUN_TIMEOUT)
        fprintf(out, "  the run stopped at --timeout (%g s) before the conversation ended\n",
                r->opt.timeout_s);
    if (r->run.end != TR_RUN_NOT_RUN && !r->run.rx_matches_wire)
        fprintf(out, "  warning: tcpref's stack delivered bytes that differ from the wire\n");
}

static void tr__recording(FILE *out, const struct tr_replay *r)
{
    const struct tr_convo *c = &r->rec;
    char a[64], b[64];
    tr_net_format_ip(c->ipver, c->addr[0], a, sizeof a);
    tr_net_format_ip(c->ipver, c->addr[1], b, sizeof b);
    fprintf(out, "\nrecording %s, connection %" PRIu32 "\n  %s:%u (client) <-> %s:%u (server); "
            "tcpref plays the %s\n", r->opt.file, r->conn_id, a, c->port[0], b, c->port[1],
            tr__role[r->played]);
    if (r->inconclusive)
        return;
    static const char *const close[] = {"none", "FIN", "RST"};
    char t[32];
    tr__dur(r->plan.close_think_ns, t, sizeof t);
    fprintf(out, "  plan: %zu writes (%" PRIu64 " bytes), then %s", r->plan.nw, r->plan.len,
            close[r->plan.close]);
    if (r->plan.close)
        fprintf(out, " after %" PRIu64 " peer bytes%s + %s", r->plan.close_trig.bytes,
                r->plan.close_trig.eof ? " and its FIN" : "", t);
    fputc('\n', out);
}

static void tr__run(FILE *out, const struct tr_replay *r)
{
    const struct tr_run *run = &r->run;
    char a[64], b[64], ma[24], mb[24], tm[32], d[32];
    tr_net_format_ip(r->opt.ipver, r->opt.local_ip, a, sizeof a);
    tr_net_format_ip(r->opt.ipver, r->opt.peer_ip, b, sizeof b);
    tr_mac_format(run->local_mac, ma, sizeof ma);
    tr_mac_format(run->peer_mac, mb, sizeof mb);
    if (r->opt.timing == TR_TIMING_SCALE)
        snprintf(tm, sizeof tm, "scale:%g", r->opt.scale);
    else
        snprintf(tm, sizeof tm, "%s", r->opt.timing == TR_TIMING_ASAP ? "asap" : "recorded");
    tr__dur(run->duration_ns, d, sizeof d);
    fprintf(out, "\nrun on %s, timing %s, profile %s\n", r->opt.iface, tm, r->profile->name);
    fprintf(out, "  local %s:%u (%s, port %s)\n  peer  %s:%u (%s)\n", a, run->local_port, ma,
            run->local_port_ephemeral ? "ephemeral" : r->opt.local_port > 0 ? "given"
                                                                            : "recorded",
            b, run->peer_port, mb);
    fprintf(out, "  %s; ended: %s; %" PRIu64 " frames captured, %" PRIu64 " dropped\n", d,
            tr_replay_run_end_name(run->end), run->frames, run->drops);
    if (run->capture_path)
        fprintf(out, "  capture written to %s\n", run->capture_path);
    fprintf(out, "  tcpref's endpoint, as it saw itself\n");
    tr__states_line(out, "states", run->ep_states, run->ep_nstates);
    fprintf(out, "    %" PRIu64 " segments out, %" PRIu64 " in; %" PRIu64 " retransmits (%"
            PRIu64 " timeouts, %" PRIu64 " fast); error: %s\n", run->st.segs_out, run->st.segs_in,
            run->st.retransmits, run->st.timeouts, run->st.fast_retransmits,
            tr_replay_ep_error_name(run->ep_error));
}

static void tr__bytes(FILE *out, const struct tr_replay *r)
{
    fprintf(out, "\nbytes (FNV-1a 64)\n");
    for (int d = 0; d < 2; d++) {
        const struct tr_cmp_bytes *b = &r->cmp.bytes[d];
        fprintf(out, "  %-17s recorded %8" PRIu64 " %016" PRIx64 "\n  %-17s replayed %8" PRIu64
                " %016" PRIx64 "  %s", tr__dirname[d], r->out_rec.dir[d].len, b->hash_rec, "",
                r->out_rep.dir[d].len, b->hash_rep, b->equal ? "equal" : "DIFFERENT");
        if (!b->equal)
            fprintf(out, " from byte %" PRIu64, b->first_diff);
        fprintf(out, "%s\n", b->lengths_only ? " (lengths only)" : "");
    }
}

static void tr__opts_text(const struct tr_out_opts *o, char *buf, size_t n)
{
    if (!o->seen) {
        snprintf(buf, n, "no SYN");
        return;
    }
    char mss[16] = "-", ws[16] = "-";
    if (o->has_mss)
        snprintf(mss, sizeof mss, "%u", o->mss);
    if (o->has_ws)
        snprintf(ws, sizeof ws, "%u", o->ws);
    snprintf(buf, n, "MSS %s, wscale %s%s%s", mss, ws, o->sack_perm ? ", SACK" : "",
             o->has_ts ? ", TS" : "");
}

static void tr__sides(FILE *out, const struct tr_replay *r)
{
    const struct tr_outcome *a = &r->out_rec, *b = &r->out_rep;
    fprintf(out, "\nend  recorded %s%s%s; replayed %s%s%s\n", tr_out_end_name(a->end),
            a->end_by >= 0 ? " by " : "", a->end_by >= 0 ? tr__role[a->end_by] : "",
            tr_out_end_name(b->end), b->end_by >= 0 ? " by " : "",
            b->end_by >= 0 ? tr__role[b->end_by] : "");
    for (int d = 0; d < 2; d++) {
        char o1[64], o2[64];
        tr__opts_text(&a->opts[d], o1, sizeof o1);
        tr__opts_text(&b->opts[d], o2, sizeof o2);
        fprintf(out, "\n%s%s\n  options   recorded %s\n            replayed %s\n", tr__role[d],
                d == r->played ? " (tcpref)" : " (peer)", o1, o2);
        fprintf(out, "  states%s\n", r->cmp.states_equal[d] ? "" : " (differ)");
        tr__states_line(out, "recorded", a->states[d], a->nstates[d]);
        tr__states_line(out, "replayed", b->states[d], b->nstates[d]);
        fprintf(out, "  segments  recorded %" PRIu64 " with new data, %" PRIu64 " re-sent (%"
                PRIu64 " timeouts)\n            replayed %" PRIu64 " with new data, %" PRIu64
                " re-sent (%" PRIu64 " timeouts)\n", a->dir[d].data_segs, a->dir[d].retx_segs,
                a->dir[d].timeouts, b->dir[d].data_segs, b->dir[d].retx_segs, b->dir[d].timeouts);
    }
}

static void tr__findings_line(FILE *out, const char *label, const struct tr_obs *o,
                              const struct tr_conn *c, int side)
{
    unsigned n = 0;
    fprintf(out, "  %s:", label);
    for (const struct tr_finding *f = c ? tr_obs_next_finding(o, c, NULL) : NULL; f;
         f = tr_obs_next_finding(o, c, f)) {
        const struct tr_rule_info *ri = tr_rule_info(f->rule);
        if (f->dir != side || ri->cls != TR_CLASS_PROTOCOL)
            continue;
        fprintf(out, "%s%s (%s)", n++ ? ", " : " ", ri->id, tr_severity_name(ri->severity));
    }
    fprintf(out, "%s\n", n ? "" : " none");
}

static void tr__findings(FILE *out, const struct tr_replay *r)
{
    fprintf(out, "\nprotocol findings (profile %s)\n", r->profile->name);
    for (int d = 0; d < 2; d++) {
        char l[64];
        snprintf(l, sizeof l, "%s, recorded", tr__role[d]);
        tr__findings_line(out, l, r->rec_obs, r->rec_conn, d);
        snprintf(l, sizeof l, "%s, replayed%s", tr__role[d], d == r->played ? " (tcpref)" : "");
        tr__findings_line(out, l, r->run_obs, r->run_conn, d);
    }
}

static void tr__exchanges(FILE *out, const struct tr_replay *r)
{
    size_t n = r->out_rec.nex < r->out_rep.nex ? r->out_rec.nex : r->out_rep.nex;
    if (!n)
        return;
    fprintf(out, "\nexchanges       think recorded  replayed     response recorded  replayed\n");
    for (size_t k = 0; k < n && k < 40; k++) {
        char t1[24], t2[24], r1[24], r2[24];
        tr__dur(r->out_rec.ex[k].think_ns, t1, sizeof t1);
        tr__dur(r->out_rep.ex[k].think_ns, t2, sizeof t2);
        tr__dur(r->out_rec.ex[k].response_ns, r1, sizeof r1);
        tr__dur(r->out_rep.ex[k].response_ns, r2, sizeof r2);
        fprintf(out, "  write %-4zu %13s %9s %21s %9s\n", k, t1, t2, r1, r2);
    }
    if (n > 40)
        fprintf(out, "  ... %zu more in the JSON report\n", n - 40);
}

int tr_replay_report_text(FILE *out, const struct tr_replay *r)
{
    tr__headline(out, r);
    tr__recording(out, r);
    if (r->run.end != TR_RUN_NOT_RUN) {
        tr__run(out, r);
        tr__bytes(out, r);
        tr__sides(out, r);
        tr__findings(out, r);
        tr__exchanges(out, r);
    }
    fflush(out);
    return ferror(out) ? -1 : 0;
}
