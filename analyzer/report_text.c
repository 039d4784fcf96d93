/* The text report: for people, at 80 columns, summary first. */
#include <string.h>

#include "analyzer/format.h"
#include "analyzer/report.h"
#include "stack/state.h"

static const char *tr__c(const struct tr_report_opts *o, const char *code)
{
    return o->color ? code : "";
}

static void tr__ms(char *buf, size_t n, int64_t ns) { tr_format_duration(ns, buf, n); }

static void tr__summary(FILE *out, const struct tr_analysis *a, const struct tr_report_opts *o)
{
    struct tr_totals t;
    tr_report_totals(a, &t);
    fprintf(out, "%stcpref %s%s: %llu file%s, %llu connection%s, %llu packets (%llu TCP)\n",
            tr__c(o, "\033[1m"), o->command, tr__c(o, "\033[0m"), (unsigned long long)t.files,
            t.files == 1 ? "" : "s", (unsigned long long)t.connections,
            t.connections == 1 ? "" : "s", (unsigned long long)t.packets, (unsigned long long)t.tcp);
    fprintf(out, "protocol findings: %llu error, %llu warning, %llu info; capture findings: %llu "
                 "(profile %s)\n",
            (unsigned long long)t.by_sev_class[TR_SEV_ERROR][TR_CLASS_PROTOCOL],
            (unsigned long long)t.by_sev_class[TR_SEV_WARNING][TR_CLASS_PROTOCOL],
            (unsigned long long)t.by_sev_class[TR_SEV_INFO][TR_CLASS_PROTOCOL],
            (unsigned long long)(t.by_sev_class[0][TR_CLASS_CAPTURE] + t.by_sev_class[1][TR_CLASS_CAPTURE] +
                                 t.by_sev_class[2][TR_CLASS_CAPTURE]),
            o->profile);
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)r);
        if (t.by_rule[r] && (ri->severity > TR_SEV_INFO || o->show_info))
            fprintf(out, "  %6llu  %-8s %-9s %s\n", (unsigned long long)t.by_rule[r],
                    tr_severity_name(ri->severity), tr_class_name(ri->cls), ri->id);
    }
}

static void tr__file_header(FILE *out, const struct tr_file_result *f)
{
    const struct tr_input_stats *in = tr_file_input(f);
    fprintf(out, "\nfile %s", f->path);
    if (in) {
        char dur[32];
        tr_format_duration(in->last_ts - in->first_ts, dur, sizeof dur);
        fprintf(out, " (%s, %llu packets, %llu TCP, %s)", f->src.format ? f->src.format : "?",
                (unsigned long long)in->packets, (unsigned long long)in->tcp, dur);
    }
    fputc('\n', out);
    if (f->err < 0)
        fprintf(out, "  ERROR: %s\n  (the report covers the packets before the damage)\n", f->error);
    for (unsigned i = 0; i < f->nwarn && i < TR_SOURCE_MAX_WARN; i++)
        fprintf(out, "  warning: %s\n", f->warn[i]);
    if (f->nwarn > TR_SOURCE_MAX_WARN)
        fprintf(out, "  (%u more warnings)\n", f->nwarn - TR_SOURCE_MAX_WARN);
    if (!in)
        return;
    if (in->snaplen_cut || in->opts_cut)
        fprintf(out, "  %llu packets cut by the snapshot length (%llu TCP payloads, %llu TCP option "
                     "blocks)\n",
                (unsigned long long)in->snaplen_cut, (unsigned long long)in->payload_cut,
                (unsigned long long)in->opts_cut);
    static const enum tr_dec skipped[] = {TR_DEC_FRAGMENT, TR_DEC_TRUNCATED, TR_DEC_MALFORMED,
                                          TR_DEC_UNSUPPORTED};
    for (unsigned k = 0; k < 4; k++)
        if (in->by_dec[skipped[k]])
            fprintf(out, "  %llu packets skipped: %s (first: frame %llu at byte offset %llu, %s)\n",
                    (unsigned long long)in->by_dec[skipped[k]], tr_dec_name(skipped[k]),
                    (unsigned long long)in->first_dec_frame[skipped[k]],
                    (unsigned long long)in->first_dec_offset[skipped[k]],
                    in->first_dec_reason[skipped[k]] ? in->first_dec_reason[skipped[k]] : "");
    /* What the limits (--max-connections, --max-records) cost: never silent. */
    if (in->conns_evicted)
        fprintf(out, "  %llu connections closed out before their end by --max-connections (reported "
                     "as evicted; their later segments start new connections)\n",
                (unsigned long long)in->conns_evicted);
    if (tr_file_released(f))
        fprintf(out, "  %llu connections counted in the totals only, not in detail (--max-records)\n",
                (unsigned long long)tr_file_released(f));
    if (in->conns_dropped)
        fprintf(out, "  %llu connections not tracked (out of memory)\n", (unsigned long long)in->conns_dropped);
}

static void tr__endpoint_line(FILE *out, const struct tr_conn *c, unsigned d)
{
    char a[64];
    tr_format_addr(c->ipver, c->addr[d], a, sizeof a);
    fprintf(out, c->ipver == 6 ? "[%s]:%u (%s)" : "%s:%u (%s)", a, c->port[d], tr_role_name(c, d));
}

static void tr__synopts(FILE *out, const struct tr_conn *c, unsigned d)
{
    const struct tr_ep *e = &c->ep[d];
    fprintf(out, "    %-7s", tr_role_name(c, d));
    if (tr_ep_has(e, TR_EP_SYN_SEEN) || tr_ep_has(e, TR_EP_ISS_INFERRED))
        fprintf(out, " ISN %u%s", e->tcb.iss, tr_ep_has(e, TR_EP_ISS_INFERRED) ? " (inferred)" : "");
    else
        fprintf(out, " ISN unknown");
    if (!e->syn.known) {
        fprintf(out, ", options unknown\n");
        return;
    }
    if (e->syn.has_mss)
        fprintf(out, ", MSS %u", e->syn.mss);
    if (e->syn.has_wscale)
        fprintf(out, ", wscale %u", e->syn.wscale);
    fprintf(out, "%s%s\n", e->syn.sack_perm ? ", SACK-permitted" : "", e->syn.has_ts ? ", timestamps" : "");
}

static void tr__handshake(FILE *out, const struct tr_conn *c)
{
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    if (c->roles != TR_ROLES_KNOWN) {
        fprintf(out, "  handshake: not in the capture (picked up mid-stream; roles unknown)\n");
        return;
    }
    fprintf(out, "  handshake:");
    if (tr_ep_has(cl, TR_EP_SYN_SEEN))
        fprintf(out, " SYN #%llu", (unsigned long long)cl->first_syn_frame);
    if (tr_ep_has(sv, TR_EP_SYN_SEEN))
        fprintf(out, ", SYN-ACK #%llu", (unsigned long long)sv->first_syn_frame);
    if (c->hs_ack_frame)
        fprintf(out, ", ACK #%llu", (unsigned long long)c->hs_ack_frame);
    if (c->hs_ack_frame && tr_ep_has(cl, TR_EP_SYN_SEEN) && tr_ep_has(sv, TR_EP_SYN_SEEN)) {
        char r[32], s1[32], s2[32];
        tr__ms(r, sizeof r, c->hs_ack_ts - cl->syn_ts);
        tr__ms(s1, sizeof s1, sv->syn_answer_ts - cl->syn_ts);
        tr__ms(s2, sizeof s2, tr_hs_client_side(c));
        fprintf(out, "; RTT %s (server side %s, client side %s)", r, s1, s2);
    }
    fputc('\n', out);
    for (unsigned d = 0; d < 2; d++)
        tr__synopts(out, c, d);
}

static void tr__timeline(FILE *out, const struct tr_conn *c, unsigned d)
{
    size_t col = (size_t)fprintf(out, "  %-7s", tr_role_name(c, d));
    bool first = true;
    for (uint16_t i = 0; i < c->ntrans; i++) {
        const struct tr_trans *t = &c->trans[i];
        if (t->ep != d)
            continue;
        char item[64];
        if (t->frame_off == UINT32_MAX)
            snprintf(item, sizeof item, "%s%s%s", first ? "" : " > ", tr_state_name((enum tr_state)t->state),
                     t->assumed ? "?" : "");
        else
            snprintf(item, sizeof item, "%s%s #%llu", first ? "" : " > ",
                     tr_state_name((enum tr_state)t->state),
                     (unsigned long long)tr_conn_frame(c, t->frame_off));
        if (col + strlen(item) > 79) {
            fputs("\n         ", out);
            col = 9;
        }
        col += (size_t)fprintf(out, "%s", item);
        first = false;
    }
    fputc('\n', out);
}

static void tr__counters(FILE *out, const struct tr_conn *c)
{
    fprintf(out, "  %-9s %8s %11s %7s %7s %7s %10s %5s\n", "sent by", "packets", "bytes", "acks",
            "dupacks", "retx", "retx bytes", "ooo");
    for (unsigned d = 0; d < 2; d++) {
        const struct tr_dirstats *s = &c->ep[d].st;
        fprintf(out, "  %-9s %8llu %11llu %7llu %7llu %7llu %10llu %5llu\n", tr_role_name(c, d),
                (unsigned long long)s->pkts, (unsigned long long)s->bytes,
                (unsigned long long)s->pure_acks, (unsigned long long)s->dup_acks,
                (unsigned long long)s->retx_segs, (unsigned long long)s->retx_bytes,
                (unsigned long long)s->ooo_segs);
    }
}

/* Re-sends by kind, windows and ACKs: one line each per endpoint, only
 * when there is something to say. */
static void tr__behaviour(FILE *out, const struct tr_conn *c)
{
    static const char *const kind[TR_RTX_COUNT] = {
        "timeout", "after timeout", "fast", "SACK recovery", "tail loss probe", "spurious",
        "SYN answer", "window reopened", "other"};
    for (unsigned d = 0; d < 2; d++) {
        const struct tr_dirstats *s = &c->ep[d].st;
        if (s->retx_segs || s->duplicates) {
            fprintf(out, "  re-sent by %-7s", tr_role_name(c, d));
            for (int k = 0; k < TR_RTX_COUNT; k++)
                if (s->rtx[k])
                    fprintf(out, " %s %u;", kind[k], s->rtx[k]);
            if (s->dsack)
                fprintf(out, " D-SACK reported %u;", s->dsack);
            if (s->duplicates)
                fprintf(out, " copies (not re-sends) %u;", s->duplicates);
            fputc('\n', out);
        }
        if (s->zero_windows || s->window_probes) {
            char z[32];
            tr_format_duration(s->zero_window_ns, z, sizeof z);
            fprintf(out, "  windows %-8s %u zero windows (%s), %u probes sent, %u updates\n",
                    tr_role_name(c, d), s->zero_windows, z, s->window_probes, s->window_updates);
        }
    }
}

static void tr__rtt(FILE *out, const struct tr_conn *c, const struct tr_profile *p)
{
    for (unsigned d = 0; d < 2; d++) {
        const struct tr_ep *e = &c->ep[d];
        char a[32], b[32], m[32], s[32], v[32], r[32];
        tr__ms(r, sizeof r, e->tcb.rtt.rto_ns);
        if (!e->rtt_n) {
            fprintf(out, "  RTT %-7s no samples; RTO %s (%s)\n", tr_role_name(c, d), r, p->name);
            continue;
        }
        tr__ms(a, sizeof a, e->rtt_min);
        tr__ms(m, sizeof m, e->rtt_sum / (int64_t)e->rtt_n);
        tr__ms(b, sizeof b, e->rtt_max);
        tr__ms(s, sizeof s, e->tcb.rtt.srtt_ns);
        tr__ms(v, sizeof v, e->tcb.rtt.rttvar_ns);
        fprintf(out, "  RTT %-7s %llu samples, min %s avg %s max %s\n", tr_role_name(c, d),
                (unsigned long long)e->rtt_n, a, m, b);
        fprintf(out, "              SRTT %s, RTTVAR %s, RTO %s (%s)\n", s, v, r, p->name);
    }
}

static void tr__finding(FILE *out, const struct tr_conn *c, const struct tr_finding *f,
                        const struct tr_report_opts *o)
{
    const struct tr_rule_info *ri = tr_rule_info(f->rule);
    char exp[256], obs[256], msg[512];
    tr_format_template(ri->expected, f->arg, exp, sizeof exp);
    tr_format_template(ri->observed, f->arg, obs, sizeof obs);
    tr_format_template(ri->message, f->arg, msg, sizeof msg);
    const char *col = ri->severity == TR_SEV_ERROR ? "\033[31m" : ri->severity == TR_SEV_WARNING ? "\033[33m" : "";
    const char *dir = tr_dir_name(c, f->dir);
    fprintf(out, "    #%-6llu %s%-7s%s %-8s %s%s%s%s\n", (unsigned long long)f->frame, tr__c(o, col),
            tr_severity_name(ri->severity), tr__c(o, "\033[0m"), tr_class_name(ri->cls), ri->id,
            dir ? " (" : "", dir ? dir : "", dir ? ")" : "");
    fprintf(out, "            %s\n", msg);
    fprintf(out, "            expected %s; observed %s", exp, obs);
    if (f->repeat)
        fprintf(out, "; %u more like it", f->repeat);
    fputc('\n', out);
    if (ri->rfc[0])
        fprintf(out, "            %s\n", ri->rfc);
}

static void tr__findings(FILE *out, const struct tr_obs *ob, const struct tr_conn *c,
                         const struct tr_report_opts *o)
{
    unsigned hidden = 0, shown = 0;
    for (const struct tr_finding *f = tr_obs_next_finding(ob, c, NULL); f; f = tr_obs_next_finding(ob, c, f)) {
        if (tr_rule_info(f->rule)->severity == TR_SEV_INFO && !o->show_info) {
            hidden++;
            continue;
        }
        if (!shown++)
            fprintf(out, "  findings:\n");
        tr__finding(out, c, f, o);
    }
    if (hidden)
        fprintf(out, "  (%u info finding%s not shown: --verbose shows them)\n", hidden, hidden == 1 ? "" : "s");
}

static void tr__conn(FILE *out, const struct tr_obs *ob, const struct tr_conn *c, uint32_t id,
                     int64_t t0, const struct tr_report_opts *o)
{
    char st[32], du[32];
    tr__ms(st, sizeof st, c->first_ts - t0);
    tr__ms(du, sizeof du, c->last_ts - c->first_ts);
    fprintf(out, "\n%sconnection %u%s  ", tr__c(o, "\033[1m"), id, tr__c(o, "\033[0m"));
    tr__endpoint_line(out, c, 0);
    fputs(" <-> ", out);
    tr__endpoint_line(out, c, 1);
    fprintf(out, "\n  frames %llu-%llu, start %s, duration %s, IPv%u%s; ended: %s",
            (unsigned long long)c->first_frame, (unsigned long long)c->last_frame, st, du, c->ipver,
            c->vlan ? ", VLAN" : "", tr_end_name((enum tr_end)c->end));
    if (c->end == TR_END_RST || c->end == TR_END_REFUSED)
        fprintf(out, " by %s in %s (#%llu)", tr_role_name(c, c->end_by),
                tr_state_name((enum tr_state)c->end_state), (unsigned long long)c->end_frame);
    fputc('\n', out);
    tr__handshake(out, c);
    fprintf(out, "  states:\n");
    for (unsigned d = 0; d < 2; d++)
        tr__timeline(out, c, d);
    tr__counters(out, c);
    tr__behaviour(out, c);
    tr__rtt(out, c, tr_obs_profile(ob));
    if (c->side_known) {
        char a[32], b[32];
        tr__ms(a, sizeof a, c->side_rtt[0]);
        tr__ms(b, sizeof b, c->side_rtt[1]);
        fprintf(out, "  capture point: %s (round trip %s to the client, %s to the server)\n",
                tr_vantage_name(c), a, b);
    }
    tr__findings(out, ob, c, o);
}

int tr_report_text(FILE *out, const struct tr_analysis *a, const struct tr_report_opts *o)
{
    tr__summary(out, a, o);
    for (unsigned i = 0; i < a->nfiles; i++) {
        const struct tr_file_result *f = &a->files[i];
        tr__file_header(out, f);
        const struct tr_input_stats *in = tr_file_input(f);
        struct tr_conn_iter it;
        tr_conn_iter_init(&it, f);
        const struct tr_obs *ob;
        for (const struct tr_conn *c; (c = tr_conn_iter_next(&it, &ob));)
            tr__conn(out, ob, c, it.index - 1, in->first_pkt_ts, o);
    }
    return ferror(out) ? -1 : 0;
}
