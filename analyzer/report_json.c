/* The JSON report (schema: docs/report-schema.md). Connections are written
 * one at a time, so the report never holds more than one in memory. */
#include <string.h>

#include "analyzer/format.h"
#include "analyzer/jbuf.h"
#include "analyzer/report.h"
#include "stack/state.h"

#define TR_JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))

static json_t *tr__seconds(int64_t ns) { return json_real((double)ns / 1e9); }

json_t *tr_json_finding(const struct tr_conn *c, const struct tr_finding *f, int64_t t0)
{
    const struct tr_rule_info *ri = tr_rule_info(f->rule);
    char exp[256], obs[256], msg[512];
    tr_format_template(ri->expected, f->arg, exp, sizeof exp);
    tr_format_template(ri->observed, f->arg, obs, sizeof obs);
    tr_format_template(ri->message, f->arg, msg, sizeof msg);
    const char *dir = tr_dir_name(c, f->dir);
    json_t *j = json_object();
    json_object_set_new(j, "rule", json_string(ri->id));
    json_object_set_new(j, "severity", json_string(tr_severity_name(ri->severity)));
    json_object_set_new(j, "class", json_string(tr_class_name(ri->cls)));
    json_object_set_new(j, "frame", json_integer((json_int_t)f->frame));
    json_object_set_new(j, "time", tr__seconds(f->ts - t0));
    json_object_set_new(j, "direction", dir ? json_string(dir) : json_null());
    json_object_set_new(j, "expected", json_string(exp));
    json_object_set_new(j, "observed", json_string(obs));
    json_object_set_new(j, "message", json_string(msg));
    json_object_set_new(j, "rfc", json_string(ri->rfc));
    json_object_set_new(j, "count", json_integer((json_int_t)f->repeat + 1));
    if (ri->wireshark[0])
        json_object_set_new(j, "wireshark", json_string(ri->wireshark));
    return j;
}

static json_t *tr__counters(const struct tr_dirstats *st)
{
    json_t *j = json_object();
    json_object_set_new(j, "packets", json_integer((json_int_t)st->pkts));
    json_object_set_new(j, "bytes", json_integer((json_int_t)st->bytes));
    json_object_set_new(j, "pure_acks", json_integer((json_int_t)st->pure_acks));
    json_object_set_new(j, "duplicate_acks", json_integer((json_int_t)st->dup_acks));
    json_object_set_new(j, "retransmitted_segments", json_integer((json_int_t)st->retx_segs));
    json_object_set_new(j, "retransmitted_bytes", json_integer((json_int_t)st->retx_bytes));
    json_object_set_new(j, "out_of_order", json_integer((json_int_t)st->ooo_segs));
    json_object_set_new(j, "keepalives", json_integer((json_int_t)st->keepalives));
    json_object_set_new(j, "window_probes", json_integer((json_int_t)st->window_probes));
    json_object_set_new(j, "not_captured_bytes", json_integer((json_int_t)st->not_captured_bytes));
    json_object_set_new(j, "syn", json_integer((json_int_t)st->syn));
    json_object_set_new(j, "fin", json_integer((json_int_t)st->fin));
    json_object_set_new(j, "rst", json_integer((json_int_t)st->rst));
    json_object_set_new(j, "payload_truncated", json_integer((json_int_t)st->truncated));
    json_object_set_new(j, "duplicates", json_integer((json_int_t)st->duplicates));
    return j;
}

/* Re-sends by kind (analyzer/conn.h enum tr_rtx). */
static json_t *tr__retransmissions(const struct tr_dirstats *st)
{
    static const char *const n[TR_RTX_COUNT] = {
        [TR_RTX_RTO] = "timeout", [TR_RTX_RTO_RECOVERY] = "after_timeout",
        [TR_RTX_FAST] = "fast", [TR_RTX_SACK_RECOVERY] = "sack_recovery",
        [TR_RTX_TLP] = "tail_loss_probe", [TR_RTX_SPURIOUS] = "spurious",
        [TR_RTX_SYN_ANSWER] = "syn_answer", [TR_RTX_WINDOW] = "window_reopened",
        [TR_RTX_OTHER] = "other"};
    json_t *j = json_object();
    for (int k = 0; k < TR_RTX_COUNT; k++)
        json_object_set_new(j, n[k], json_integer(st->rtx[k]));
    json_object_set_new(j, "dsack_reported", json_integer(st->dsack));
    return j;
}

/* The windows an endpoint advertised. */
static json_t *tr__windows(const struct tr_dirstats *st)
{
    json_t *j = json_object();
    json_object_set_new(j, "zero_windows", json_integer(st->zero_windows));
    json_object_set_new(j, "zero_window_time", json_real((double)st->zero_window_ns / 1e9));
    json_object_set_new(j, "window_updates", json_integer(st->window_updates));
    json_object_set_new(j, "max_advertised", st->max_window ? json_integer(st->max_window) : json_null());
    return j;
}

/* The ACKs an endpoint sent: RFC 9293 §3.8.6.3 behaviour. */
static json_t *tr__acks(const struct tr_dirstats *st)
{
    static const char *const b[7] = {"<1ms", "1-10ms", "10-40ms", "40-100ms", "100-200ms",
                                     "200-500ms", ">=500ms"};
    json_t *j = json_object(), *h = json_object();
    json_object_set_new(j, "acks_of_new_data", json_integer(st->acks_new));
    json_object_set_new(j, "piggybacked", json_integer(st->acks_piggybacked));
    json_object_set_new(j, "stretch", json_integer(st->stretch_acks));
    for (int i = 0; i < 7; i++)
        json_object_set_new(h, b[i], json_integer(st->ack_delay_hist[i]));
    json_object_set_new(j, "delay", h);
    json_object_set_new(j, "max_delay", json_real((double)st->ack_delay_max / 1e9));
    return j;
}

static json_t *tr__rtt(const struct tr_ep *e, const struct tr_profile *p)
{
    json_t *j = json_object();
    json_object_set_new(j, "samples", json_integer((json_int_t)e->rtt_n));
    json_object_set_new(j, "min", e->rtt_n ? tr__seconds(e->rtt_min) : json_null());
    json_object_set_new(j, "max", e->rtt_n ? tr__seconds(e->rtt_max) : json_null());
    json_object_set_new(j, "avg",
                        e->rtt_n ? tr__seconds(e->rtt_sum / (int64_t)e->rtt_n) : json_null());
    json_object_set_new(j, "srtt", e->rtt_n ? tr__seconds(e->tcb.rtt.srtt_ns) : json_null());
    json_object_set_new(j, "rttvar", e->rtt_n ? tr__seconds(e->tcb.rtt.rttvar_ns) : json_null());
    json_object_set_new(j, "rto", tr__seconds(e->tcb.rtt.rto_ns));
    json_object_set_new(j, "profile", json_string(p->name));
    return j;
}

static json_t *tr__timeline(const struct tr_conn *c, unsigned ep, int64_t t0)
{
    json_t *a = json_array();
    for (uint16_t i = 0; i < c->ntrans; i++) {
        const struct tr_trans *t = &c->trans[i];
        if (t->ep != ep)
            continue;
        json_t *j = json_object();
        json_object_set_new(j, "state", json_string(tr_state_name((enum tr_state)t->state)));
        bool before = t->frame_off == UINT32_MAX;
        json_object_set_new(j, "frame", before ? json_null()
                                               : json_integer((json_int_t)tr_conn_frame(c, t->frame_off)));
        json_object_set_new(j, "time", before ? json_null() : tr__seconds(t->ts - t0));
        json_object_set_new(j, "cause", t->cause < TR_EVENT_COUNT
                                            ? json_string(tr_event_name((enum tr_event)t->cause))
                                            : json_string(t->assumed ? "assumed" : "initial"));
        json_array_append_new(a, j);
    }
    return a;
}

static json_t *tr__opt_or_null(bool known, json_t *v)
{
    if (known)
        return v;
    json_decref(v);
    return json_null();
}

static json_t *tr__endpoint(const struct tr_obs *o, const struct tr_conn *c, unsigned d, int64_t t0)
{
    const struct tr_ep *e = &c->ep[d];
    char addr[64];
    tr_format_addr(c->ipver, c->addr[d], addr, sizeof addr);
    bool syn = e->syn.known;
    json_t *j = json_object();
    json_object_set_new(j, "role", json_string(tr_role_name(c, d)));
    json_object_set_new(j, "address", json_string(addr));
    json_object_set_new(j, "port", json_integer(c->port[d]));
    bool isn = tr_ep_has(e, TR_EP_SYN_SEEN) || tr_ep_has(e, TR_EP_ISS_INFERRED);
    json_object_set_new(j, "isn", isn ? json_integer(e->tcb.iss) : json_null());
    json_object_set_new(j, "isn_inferred", json_boolean(tr_ep_has(e, TR_EP_ISS_INFERRED)));
    json_object_set_new(j, "mss", tr__opt_or_null(syn && e->syn.has_mss, json_integer(e->syn.mss)));
    json_object_set_new(j, "window_scale",
                        tr__opt_or_null(syn && e->syn.has_wscale, json_integer(e->syn.wscale)));
    json_object_set_new(j, "sack_permitted", tr__opt_or_null(syn, json_boolean(e->syn.sack_perm)));
    json_object_set_new(j, "timestamps", tr__opt_or_null(syn, json_boolean(e->syn.has_ts)));
    json_object_set_new(j, "state", json_string(tr_state_name((enum tr_state)e->tcb.state)));
    json_object_set_new(j, "timeline", tr__timeline(c, d, t0));
    json_object_set_new(j, "sent", tr__counters(&e->st));
    json_object_set_new(j, "retransmissions", tr__retransmissions(&e->st));
    json_object_set_new(j, "window", tr__windows(&e->st));
    json_object_set_new(j, "acks", tr__acks(&e->st));
    json_object_set_new(j, "window_full", json_integer(e->st.window_full));
    json_object_set_new(j, "rtt", tr__rtt(e, tr_obs_profile(o)));
    return j;
}

static json_t *tr__negotiated(const struct tr_conn *c)
{
    const struct tr_tcb *t = &c->ep[0].tcb;
    bool known = tr_tcb_has(t, TR_TCB_NEGOTIATED);
    json_t *j = json_object();
    json_object_set_new(j, "window_scaling", tr__opt_or_null(known, json_boolean(tr_tcb_has(t, TR_TCB_WS_OK))));
    json_object_set_new(j, "sack", tr__opt_or_null(known && c->ep[0].syn.known && c->ep[1].syn.known,
                                                    json_boolean(tr_tcb_has(t, TR_TCB_SACK_OK))));
    json_object_set_new(j, "timestamps", tr__opt_or_null(known, json_boolean(tr_tcb_has(t, TR_TCB_TS_OK))));
    return j;
}

static json_t *tr__frame_or_null(uint64_t f) { return f ? json_integer((json_int_t)f) : json_null(); }

static json_t *tr__handshake(const struct tr_conn *c, int64_t t0)
{
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    bool known = c->roles == TR_ROLES_KNOWN;
    bool syn = known && tr_ep_has(cl, TR_EP_SYN_SEEN), synack = known && tr_ep_has(sv, TR_EP_SYN_SEEN);
    bool ack = syn && synack && c->hs_ack_frame;
    json_t *j = json_object();
    json_object_set_new(j, "complete", json_boolean((c->flags & TR_CONN_HS_DONE) != 0));
    json_object_set_new(j, "syn_frame", tr__frame_or_null(syn ? cl->first_syn_frame : 0));
    json_object_set_new(j, "synack_frame", tr__frame_or_null(synack ? sv->first_syn_frame : 0));
    json_object_set_new(j, "ack_frame", tr__frame_or_null(c->hs_ack_frame));
    json_object_set_new(j, "syn_time", syn ? tr__seconds(cl->first_syn_ts - t0) : json_null());
    /* Wireshark's iRTT: first SYN to the ACK that completes the handshake,
     * split at the SYN-ACK into the server side and the client side of the
     * capture point. */
    json_object_set_new(j, "rtt", ack ? tr__seconds(c->hs_ack_ts - cl->syn_ts) : json_null());
    json_object_set_new(j, "rtt_server_side",
                        syn && synack ? tr__seconds(sv->syn_ts - cl->syn_ts) : json_null());
    json_object_set_new(j, "rtt_client_side", ack ? tr__seconds(c->hs_ack_ts - sv->syn_ts) : json_null());
    json_object_set_new(j, "syn_retransmissions", json_integer((json_int_t)(cl->st.syn ? cl->st.syn - 1 : 0)));
    json_object_set_new(j, "synack_retransmissions", json_integer((json_int_t)(sv->st.syn ? sv->st.syn - 1 : 0)));
    json_object_set_new(j, "simultaneous_open", json_boolean((c->flags & TR_CONN_SIMOPEN) != 0));
    json_object_set_new(j, "fast_open", json_boolean((c->flags & TR_CONN_TFO) != 0));
    json_object_set_new(j, "negotiated", tr__negotiated(c));
    return j;
}

/* RFC 6298 verdicts depend on where the capture was taken: the round trip
 * between the capture point and each endpoint (from the handshake). */
static json_t *tr__vantage(const struct tr_conn *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "point", json_string(tr_vantage_name(c)));
    json_object_set_new(j, "client_side_rtt", c->side_known ? tr__seconds(c->side_rtt[0]) : json_null());
    json_object_set_new(j, "server_side_rtt", c->side_known ? tr__seconds(c->side_rtt[1]) : json_null());
    return j;
}

static json_t *tr__end(const struct tr_conn *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "how", json_string(tr_end_name((enum tr_end)c->end)));
    bool by = c->end == TR_END_RST || c->end == TR_END_REFUSED;
    json_object_set_new(j, "by", by ? json_string(tr_role_name(c, c->end_by)) : json_null());
    json_object_set_new(j, "state", by ? json_string(tr_state_name((enum tr_state)c->end_state)) : json_null());
    json_object_set_new(j, "frame", tr__frame_or_null(by ? c->end_frame : 0));
    return j;
}

json_t *tr_json_conn(const struct tr_obs *o, const struct tr_conn *c, uint32_t id, int64_t t0)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(id));
    json_object_set_new(j, "file", json_integer(c->file));
    json_object_set_new(j, "first_frame", json_integer((json_int_t)c->first_frame));
    json_object_set_new(j, "last_frame", json_integer((json_int_t)c->last_frame));
    json_object_set_new(j, "start", tr__seconds(c->first_ts - t0));
    json_object_set_new(j, "duration", tr__seconds(c->last_ts - c->first_ts));
    json_object_set_new(j, "ip_version", json_integer(c->ipver));
    json_object_set_new(j, "vlan", c->vlan ? json_integer(c->vlan) : json_null());
    json_object_set_new(j, "roles", json_string(c->roles == TR_ROLES_KNOWN ? "known" : "unknown"));
    json_object_set_new(j, "reused_ports", json_boolean((c->flags & TR_CONN_REUSED) != 0));
    json_object_set_new(j, "closed_out",
                        (c->flags & TR_CONN_EVICTED)   ? json_string("limit")
                        : (c->flags & TR_CONN_EXPIRED) ? json_string("idle")
                                                       : json_null());
    json_t *eps = json_array();
    for (unsigned d = 0; d < 2; d++)
        json_array_append_new(eps, tr__endpoint(o, c, d, t0));
    json_object_set_new(j, "endpoints", eps);
    json_object_set_new(j, "handshake", tr__handshake(c, t0));
    json_object_set_new(j, "vantage", tr__vantage(c));
    json_object_set_new(j, "end", tr__end(c));
    json_t *fs = json_array();
    for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f; f = tr_obs_next_finding(o, c, f))
        json_array_append_new(fs, tr_json_finding(c, f, t0));
    json_object_set_new(j, "findings", fs);
    json_object_set_new(j, "findings_suppressed", json_integer(c->nsuppressed));
    return j;
}

/* ---- The same objects, streamed (analyzer/jbuf.h) ----
 *
 * Byte for byte what json_dumpf() of the trees above writes with
 * TR_JSON_FLAGS: keys in sorted (strcmp) order, compact separators. Each
 * function below mirrors the tree builder of the same name; a key added
 * there must be added here in its sorted place
 * (tests/integration/json_writer_identity.py compares the two). */

#define TR_JK(b, key) TR_JB(b, "\"" key "\":")

static void tr__js_secs_or_null(struct tr_jbuf *b, bool known, int64_t ns)
{
    if (known)
        tr_jbuf_seconds(b, ns);
    else
        TR_JB(b, "null");
}

static void tr__js_frame_or_null(struct tr_jbuf *b, uint64_t f)
{
    if (f)
        tr_jbuf_u64(b, f);
    else
        TR_JB(b, "null");
}

/* ",\"key\":\"value\"", or nothing when value is not UTF-8 (jansson
 * leaves the key out then). */
static void tr__js_kstr(struct tr_jbuf *b, const char *sep_key, size_t n, const char *v)
{
    size_t at = b->len;
    tr_jbuf_put(b, sep_key, n);
    if (!tr_jbuf_str(b, v))
        b->len = at;
}
#define TR_JKS(b, sep_key, v) tr__js_kstr((b), "" sep_key, sizeof(sep_key) - 1, (v))

static void tr__js_finding(struct tr_jbuf *b, const struct tr_conn *c, const struct tr_finding *f, int64_t t0)
{
    const struct tr_rule_info *ri = tr_rule_info(f->rule);
    char exp[256], obs[256], msg[512];
    tr_format_template(ri->expected, f->arg, exp, sizeof exp);
    tr_format_template(ri->observed, f->arg, obs, sizeof obs);
    tr_format_template(ri->message, f->arg, msg, sizeof msg);
    const char *dir = tr_dir_name(c, f->dir);
    TR_JB(b, "{");
    TR_JKS(b, "\"class\":", tr_class_name(ri->cls));
    TR_JB(b, ",\"count\":");
    tr_jbuf_u64(b, (uint64_t)f->repeat + 1);
    if (dir)
        TR_JKS(b, ",\"direction\":", dir);
    else
        TR_JB(b, ",\"direction\":null");
    TR_JKS(b, ",\"expected\":", exp);
    TR_JB(b, ",\"frame\":");
    tr_jbuf_i64(b, (json_int_t)f->frame);
    TR_JKS(b, ",\"message\":", msg);
    TR_JKS(b, ",\"observed\":", obs);
    TR_JKS(b, ",\"rfc\":", ri->rfc);
    TR_JKS(b, ",\"rule\":", ri->id);
    TR_JKS(b, ",\"severity\":", tr_severity_name(ri->severity));
    TR_JB(b, ",\"time\":");
    tr_jbuf_seconds(b, f->ts - t0);
    if (ri->wireshark[0])
        TR_JKS(b, ",\"wireshark\":", ri->wireshark);
    TR_JB(b, "}");
}

static void tr__js_counters(struct tr_jbuf *b, const struct tr_dirstats *st)
{
    TR_JB(b, "{\"bytes\":");
    tr_jbuf_i64(b, (json_int_t)st->bytes);
    TR_JB(b, ",\"duplicate_acks\":");
    tr_jbuf_u64(b, st->dup_acks);
    TR_JB(b, ",\"duplicates\":");
    tr_jbuf_u64(b, st->duplicates);
    TR_JB(b, ",\"fin\":");
    tr_jbuf_u64(b, st->fin);
    TR_JB(b, ",\"keepalives\":");
    tr_jbuf_u64(b, st->keepalives);
    TR_JB(b, ",\"not_captured_bytes\":");
    tr_jbuf_u64(b, st->not_captured_bytes);
    TR_JB(b, ",\"out_of_order\":");
    tr_jbuf_u64(b, st->ooo_segs);
    TR_JB(b, ",\"packets\":");
    tr_jbuf_u64(b, st->pkts);
    TR_JB(b, ",\"payload_truncated\":");
    tr_jbuf_u64(b, st->truncated);
    TR_JB(b, ",\"pure_acks\":");
    tr_jbuf_u64(b, st->pure_acks);
    TR_JB(b, ",\"retransmitted_bytes\":");
    tr_jbuf_i64(b, (json_int_t)st->retx_bytes);
    TR_JB(b, ",\"retransmitted_segments\":");
    tr_jbuf_u64(b, st->retx_segs);
    TR_JB(b, ",\"rst\":");
    tr_jbuf_u64(b, st->rst);
    TR_JB(b, ",\"syn\":");
    tr_jbuf_u64(b, st->syn);
    TR_JB(b, ",\"window_probes\":");
    tr_jbuf_u64(b, st->window_probes);
    TR_JB(b, "}");
}

static void tr__js_retransmissions(struct tr_jbuf *b, const struct tr_dirstats *st)
{
    TR_JB(b, "{\"after_timeout\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_RTO_RECOVERY]);
    TR_JB(b, ",\"dsack_reported\":");
    tr_jbuf_u64(b, st->dsack);
    TR_JB(b, ",\"fast\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_FAST]);
    TR_JB(b, ",\"other\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_OTHER]);
    TR_JB(b, ",\"sack_recovery\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_SACK_RECOVERY]);
    TR_JB(b, ",\"spurious\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_SPURIOUS]);
    TR_JB(b, ",\"syn_answer\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_SYN_ANSWER]);
    TR_JB(b, ",\"tail_loss_probe\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_TLP]);
    TR_JB(b, ",\"timeout\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_RTO]);
    TR_JB(b, ",\"window_reopened\":");
    tr_jbuf_u64(b, st->rtx[TR_RTX_WINDOW]);
    TR_JB(b, "}");
}

static void tr__js_windows(struct tr_jbuf *b, const struct tr_dirstats *st)
{
    TR_JB(b, "{\"max_advertised\":");
    if (st->max_window)
        tr_jbuf_u64(b, st->max_window);
    else
        TR_JB(b, "null");
    TR_JB(b, ",\"window_updates\":");
    tr_jbuf_u64(b, st->window_updates);
    TR_JB(b, ",\"zero_window_time\":");
    tr_jbuf_seconds(b, st->zero_window_ns);
    TR_JB(b, ",\"zero_windows\":");
    tr_jbuf_u64(b, st->zero_windows);
    TR_JB(b, "}");
}

static void tr__js_acks(struct tr_jbuf *b, const struct tr_dirstats *st)
{
    const uint32_t *h = st->ack_delay_hist; /* <1ms <10 <40 <100 <200 <500 >=500 ms */
    TR_JB(b, "{\"acks_of_new_data\":");
    tr_jbuf_u64(b, st->acks_new);
    TR_JB(b, ",\"delay\":{\"1-10ms\":");
    tr_jbuf_u64(b, h[1]);
    TR_JB(b, ",\"10-40ms\":");
    tr_jbuf_u64(b, h[2]);
    TR_JB(b, ",\"100-200ms\":");
    tr_jbuf_u64(b, h[4]);
    TR_JB(b, ",\"200-500ms\":");
    tr_jbuf_u64(b, h[5]);
    TR_JB(b, ",\"40-100ms\":");
    tr_jbuf_u64(b, h[3]);
    TR_JB(b, ",\"<1ms\":");
    tr_jbuf_u64(b, h[0]);
    TR_JB(b, ",\">=500ms\":");
    tr_jbuf_u64(b, h[6]);
    TR_JB(b, "},\"max_delay\":");
    tr_jbuf_seconds(b, st->ack_delay_max);
    TR_JB(b, ",\"piggybacked\":");
    tr_jbuf_u64(b, st->acks_piggybacked);
    TR_JB(b, ",\"stretch\":");
    tr_jbuf_u64(b, st->stretch_acks);
    TR_JB(b, "}");
}

static void tr__js_rtt(struct tr_jbuf *b, const struct tr_ep *e, const struct tr_profile *p)
{
    bool n = e->rtt_n != 0;
    TR_JB(b, "{\"avg\":");
    tr__js_secs_or_null(b, n, n ? e->rtt_sum / (int64_t)e->rtt_n : 0);
    TR_JB(b, ",\"max\":");
    tr__js_secs_or_null(b, n, e->rtt_max);
    TR_JB(b, ",\"min\":");
    tr__js_secs_or_null(b, n, e->rtt_min);
    TR_JKS(b, ",\"profile\":", p->name);
    TR_JB(b, ",\"rto\":");
    tr_jbuf_seconds(b, e->tcb.rtt.rto_ns);
    TR_JB(b, ",\"rttvar\":");
    tr__js_secs_or_null(b, n, e->tcb.rtt.rttvar_ns);
    TR_JB(b, ",\"samples\":");
    tr_jbuf_i64(b, (json_int_t)e->rtt_n);
    TR_JB(b, ",\"srtt\":");
    tr__js_secs_or_null(b, n, e->tcb.rtt.srtt_ns);
    TR_JB(b, "}");
}

static void tr__js_timeline(struct tr_jbuf *b, const struct tr_conn *c, unsigned ep, int64_t t0)
{
    TR_JB(b, "[");
    bool first = true;
    for (uint16_t i = 0; i < c->ntrans; i++) {
        const struct tr_trans *t = &c->trans[i];
        if (t->ep != ep)
            continue;
        if (!first)
            TR_JB(b, ",");
        first = false;
        bool before = t->frame_off == UINT32_MAX;
        TR_JB(b, "{");
        TR_JKS(b, "\"cause\":", t->cause < TR_EVENT_COUNT ? tr_event_name((enum tr_event)t->cause)
                                : t->assumed               ? "assumed"
                                                           : "initial");
        TR_JB(b, ",\"frame\":");
        if (before)
            TR_JB(b, "null");
        else
            tr_jbuf_i64(b, (json_int_t)tr_conn_frame(c, t->frame_off));
        TR_JKS(b, ",\"state\":", tr_state_name((enum tr_state)t->state));
        TR_JB(b, ",\"time\":");
        tr__js_secs_or_null(b, !before, t->ts - t0);
        TR_JB(b, "}");
    }
    TR_JB(b, "]");
}

static void tr__js_bool_or_null(struct tr_jbuf *b, bool known, bool v)
{
    if (known)
        tr_jbuf_bool(b, v);
    else
        TR_JB(b, "null");
}

static void tr__js_endpoint(struct tr_jbuf *b, const struct tr_obs *o, const struct tr_conn *c, unsigned d,
                            int64_t t0)
{
    const struct tr_ep *e = &c->ep[d];
    char addr[64];
    tr_format_addr(c->ipver, c->addr[d], addr, sizeof addr);
    bool syn = e->syn.known;
    bool isn = tr_ep_has(e, TR_EP_SYN_SEEN) || tr_ep_has(e, TR_EP_ISS_INFERRED);
    TR_JB(b, "{\"acks\":");
    tr__js_acks(b, &e->st);
    TR_JKS(b, ",\"address\":", addr);
    TR_JB(b, ",\"isn\":");
    if (isn)
        tr_jbuf_u64(b, e->tcb.iss);
    else
        TR_JB(b, "null");
    TR_JB(b, ",\"isn_inferred\":");
    tr_jbuf_bool(b, tr_ep_has(e, TR_EP_ISS_INFERRED));
    TR_JB(b, ",\"mss\":");
    if (syn && e->syn.has_mss)
        tr_jbuf_u64(b, e->syn.mss);
    else
        TR_JB(b, "null");
    TR_JB(b, ",\"port\":");
    tr_jbuf_u64(b, c->port[d]);
    TR_JB(b, ",\"retransmissions\":");
    tr__js_retransmissions(b, &e->st);
    TR_JKS(b, ",\"role\":", tr_role_name(c, d));
    TR_JB(b, ",\"rtt\":");
    tr__js_rtt(b, e, tr_obs_profile(o));
    TR_JB(b, ",\"sack_permitted\":");
    tr__js_bool_or_null(b, syn, e->syn.sack_perm);
    TR_JB(b, ",\"sent\":");
    tr__js_counters(b, &e->st);
    TR_JKS(b, ",\"state\":", tr_state_name((enum tr_state)e->tcb.state));
    TR_JB(b, ",\"timeline\":");
    tr__js_timeline(b, c, d, t0);
    TR_JB(b, ",\"timestamps\":");
    tr__js_bool_or_null(b, syn, e->syn.has_ts);
    TR_JB(b, ",\"window\":");
    tr__js_windows(b, &e->st);
    TR_JB(b, ",\"window_full\":");
    tr_jbuf_u64(b, e->st.window_full);
    TR_JB(b, ",\"window_scale\":");
    if (syn && e->syn.has_wscale)
        tr_jbuf_u64(b, e->syn.wscale);
    else
        TR_JB(b, "null");
    TR_JB(b, "}");
}

static void tr__js_handshake(struct tr_jbuf *b, const struct tr_conn *c, int64_t t0)
{
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    bool known = c->roles == TR_ROLES_KNOWN;
    bool syn = known && tr_ep_has(cl, TR_EP_SYN_SEEN), synack = known && tr_ep_has(sv, TR_EP_SYN_SEEN);
    bool ack = syn && synack && c->hs_ack_frame;
    const struct tr_tcb *t = &cl->tcb;
    bool neg = tr_tcb_has(t, TR_TCB_NEGOTIATED);
    TR_JB(b, "{\"ack_frame\":");
    tr__js_frame_or_null(b, c->hs_ack_frame);
    TR_JB(b, ",\"complete\":");
    tr_jbuf_bool(b, (c->flags & TR_CONN_HS_DONE) != 0);
    TR_JB(b, ",\"fast_open\":");
    tr_jbuf_bool(b, (c->flags & TR_CONN_TFO) != 0);
    TR_JB(b, ",\"negotiated\":{\"sack\":");
    tr__js_bool_or_null(b, neg && cl->syn.known && sv->syn.known, tr_tcb_has(t, TR_TCB_SACK_OK));
    TR_JB(b, ",\"timestamps\":");
    tr__js_bool_or_null(b, neg, tr_tcb_has(t, TR_TCB_TS_OK));
    TR_JB(b, ",\"window_scaling\":");
    tr__js_bool_or_null(b, neg, tr_tcb_has(t, TR_TCB_WS_OK));
    TR_JB(b, "},\"rtt\":");
    tr__js_secs_or_null(b, ack, c->hs_ack_ts - cl->syn_ts);
    TR_JB(b, ",\"rtt_client_side\":");
    tr__js_secs_or_null(b, ack, c->hs_ack_ts - sv->syn_ts);
    TR_JB(b, ",\"rtt_server_side\":");
    tr__js_secs_or_null(b, syn && synack, sv->syn_ts - cl->syn_ts);
    TR_JB(b, ",\"simultaneous_open\":");
    tr_jbuf_bool(b, (c->flags & TR_CONN_SIMOPEN) != 0);
    TR_JB(b, ",\"syn_frame\":");
    tr__js_frame_or_null(b, syn ? cl->first_syn_frame : 0);
    TR_JB(b, ",\"syn_retransmissions\":");
    tr_jbuf_u64(b, cl->st.syn ? cl->st.syn - 1 : 0);
    TR_JB(b, ",\"syn_time\":");
    tr__js_secs_or_null(b, syn, cl->first_syn_ts - t0);
    TR_JB(b, ",\"synack_frame\":");
    tr__js_frame_or_null(b, synack ? sv->first_syn_frame : 0);
    TR_JB(b, ",\"synack_retransmissions\":");
    tr_jbuf_u64(b, sv->st.syn ? sv->st.syn - 1 : 0);
    TR_JB(b, "}");
}

static void tr__js_vantage(struct tr_jbuf *b, const struct tr_conn *c)
{
    TR_JB(b, "{\"client_side_rtt\":");
    tr__js_secs_or_null(b, c->side_known, c->side_rtt[0]);
    TR_JKS(b, ",\"point\":", tr_vantage_name(c));
    TR_JB(b, ",\"server_side_rtt\":");
    tr__js_secs_or_null(b, c->side_known, c->side_rtt[1]);
    TR_JB(b, "}");
}

static void tr__js_end(struct tr_jbuf *b, const struct tr_conn *c)
{
    bool by = c->end == TR_END_RST || c->end == TR_END_REFUSED;
    TR_JB(b, "{\"by\":");
    if (by)
        tr_jbuf_str(b, tr_role_name(c, c->end_by));
    else
        TR_JB(b, "null");
    TR_JB(b, ",\"frame\":");
    tr__js_frame_or_null(b, by ? c->end_frame : 0);
    TR_JKS(b, ",\"how\":", tr_end_name((enum tr_end)c->end));
    TR_JB(b, ",\"state\":");
    if (by)
        tr_jbuf_str(b, tr_state_name((enum tr_state)c->end_state));
    else
        TR_JB(b, "null");
    TR_JB(b, "}");
}

void tr_json_conn_write(struct tr_jbuf *b, const struct tr_obs *o, const struct tr_conn *c, uint32_t id, int64_t t0)
{
    TR_JB(b, "{\"closed_out\":");
    if (c->flags & TR_CONN_EVICTED)
        TR_JB(b, "\"limit\"");
    else if (c->flags & TR_CONN_EXPIRED)
        TR_JB(b, "\"idle\"");
    else
        TR_JB(b, "null");
    TR_JB(b, ",\"duration\":");
    tr_jbuf_seconds(b, c->last_ts - c->first_ts);
    TR_JB(b, ",\"end\":");
    tr__js_end(b, c);
    TR_JB(b, ",\"endpoints\":[");
    tr__js_endpoint(b, o, c, 0, t0);
    TR_JB(b, ",");
    tr__js_endpoint(b, o, c, 1, t0);
    TR_JB(b, "],\"file\":");
    tr_jbuf_u64(b, c->file);
    TR_JB(b, ",\"findings\":[");
    for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f;) {
        tr__js_finding(b, c, f, t0);
        if ((f = tr_obs_next_finding(o, c, f)))
            TR_JB(b, ",");
    }
    TR_JB(b, "],\"findings_suppressed\":");
    tr_jbuf_u64(b, c->nsuppressed);
    TR_JB(b, ",\"first_frame\":");
    tr_jbuf_i64(b, (json_int_t)c->first_frame);
    TR_JB(b, ",\"handshake\":");
    tr__js_handshake(b, c, t0);
    TR_JB(b, ",\"id\":");
    tr_jbuf_u64(b, id);
    TR_JB(b, ",\"ip_version\":");
    tr_jbuf_u64(b, c->ipver);
    TR_JB(b, ",\"last_frame\":");
    tr_jbuf_i64(b, (json_int_t)c->last_frame);
    TR_JB(b, ",\"reused_ports\":");
    tr_jbuf_bool(b, (c->flags & TR_CONN_REUSED) != 0);
    TR_JB(b, ",\"roles\":");
    if (c->roles == TR_ROLES_KNOWN)
        TR_JB(b, "\"known\"");
    else
        TR_JB(b, "\"unknown\"");
    TR_JB(b, ",\"start\":");
    tr_jbuf_seconds(b, c->first_ts - t0);
    TR_JB(b, ",\"vantage\":");
    tr__js_vantage(b, c);
    TR_JB(b, ",\"vlan\":");
    if (c->vlan)
        tr_jbuf_u64(b, c->vlan);
    else
        TR_JB(b, "null");
    TR_JB(b, "}");
}
