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
                        syn && synack ? tr__seconds(sv->syn_answer_ts - cl->syn_ts) : json_null());
    json_object_set_new(j, "rtt_client_side", ack ? tr__seconds(tr_hs_client_side(c)) : json_null());
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
 * (tests/integration/report_identity.py, json, compares the two). */

#define TR_JK(b, key) TR_JB(b, "\"" key "\":")

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

/* ---- an endpoint, written at a cursor (jbuf.h): TR_JS_EP_MAX bytes at
 * most before its RTT profile's name and TR_JS_EP_MAX after it. Each
 * part's bound: its literal text, TR_JW_NUM_MAX per number, TR_JW_NAME_MAX
 * + 2 per name, and the timeline's TR_MAX_TRANS entries. */

static char *tr__jw_secs_or_null(char *w, bool known, int64_t ns)
{
    return known ? tr_jw_seconds(w, ns) : tr_jw_put(w, "null", 4);
}

static char *tr__jw_bool_or_null(char *w, bool known, bool v)
{
    return known ? tr_jw_bool(w, v) : tr_jw_put(w, "null", 4);
}

static char *tr__jw_frame_or_null(char *w, uint64_t f)
{
    return f ? tr_jw_u64(w, f) : tr_jw_put(w, "null", 4);
}

/* 15 numbers, ~300 bytes of text */
static char *tr__jw_counters(char *w, const struct tr_dirstats *st)
{
    TR_JW(w, "{\"bytes\":");
    w = tr_jw_i64(w, (json_int_t)st->bytes);
    TR_JW(w, ",\"duplicate_acks\":");
    w = tr_jw_u64(w, st->dup_acks);
    TR_JW(w, ",\"duplicates\":");
    w = tr_jw_u64(w, st->duplicates);
    TR_JW(w, ",\"fin\":");
    w = tr_jw_u64(w, st->fin);
    TR_JW(w, ",\"keepalives\":");
    w = tr_jw_u64(w, st->keepalives);
    TR_JW(w, ",\"not_captured_bytes\":");
    w = tr_jw_u64(w, st->not_captured_bytes);
    TR_JW(w, ",\"out_of_order\":");
    w = tr_jw_u64(w, st->ooo_segs);
    TR_JW(w, ",\"packets\":");
    w = tr_jw_u64(w, st->pkts);
    TR_JW(w, ",\"payload_truncated\":");
    w = tr_jw_u64(w, st->truncated);
    TR_JW(w, ",\"pure_acks\":");
    w = tr_jw_u64(w, st->pure_acks);
    TR_JW(w, ",\"retransmitted_bytes\":");
    w = tr_jw_i64(w, (json_int_t)st->retx_bytes);
    TR_JW(w, ",\"retransmitted_segments\":");
    w = tr_jw_u64(w, st->retx_segs);
    TR_JW(w, ",\"rst\":");
    w = tr_jw_u64(w, st->rst);
    TR_JW(w, ",\"syn\":");
    w = tr_jw_u64(w, st->syn);
    TR_JW(w, ",\"window_probes\":");
    w = tr_jw_u64(w, st->window_probes);
    TR_JW(w, "}");
    return w;
}

/* 10 numbers, ~200 bytes of text */
static char *tr__jw_retransmissions(char *w, const struct tr_dirstats *st)
{
    TR_JW(w, "{\"after_timeout\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_RTO_RECOVERY]);
    TR_JW(w, ",\"dsack_reported\":");
    w = tr_jw_u64(w, st->dsack);
    TR_JW(w, ",\"fast\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_FAST]);
    TR_JW(w, ",\"other\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_OTHER]);
    TR_JW(w, ",\"sack_recovery\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_SACK_RECOVERY]);
    TR_JW(w, ",\"spurious\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_SPURIOUS]);
    TR_JW(w, ",\"syn_answer\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_SYN_ANSWER]);
    TR_JW(w, ",\"tail_loss_probe\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_TLP]);
    TR_JW(w, ",\"timeout\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_RTO]);
    TR_JW(w, ",\"window_reopened\":");
    w = tr_jw_u64(w, st->rtx[TR_RTX_WINDOW]);
    TR_JW(w, "}");
    return w;
}

/* 4 numbers, ~80 bytes of text */
static char *tr__jw_windows(char *w, const struct tr_dirstats *st)
{
    TR_JW(w, "{\"max_advertised\":");
    if (st->max_window)
        w = tr_jw_u64(w, st->max_window);
    else
        TR_JW(w, "null");
    TR_JW(w, ",\"window_updates\":");
    w = tr_jw_u64(w, st->window_updates);
    TR_JW(w, ",\"zero_window_time\":");
    w = tr_jw_seconds(w, st->zero_window_ns);
    TR_JW(w, ",\"zero_windows\":");
    w = tr_jw_u64(w, st->zero_windows);
    TR_JW(w, "}");
    return w;
}

/* 11 numbers, ~160 bytes of text */
static char *tr__jw_acks(char *w, const struct tr_dirstats *st)
{
    const uint32_t *h = st->ack_delay_hist; /* <1ms <10 <40 <100 <200 <500 >=500 ms */
    TR_JW(w, "{\"acks_of_new_data\":");
    w = tr_jw_u64(w, st->acks_new);
    TR_JW(w, ",\"delay\":{\"1-10ms\":");
    w = tr_jw_u64(w, h[1]);
    TR_JW(w, ",\"10-40ms\":");
    w = tr_jw_u64(w, h[2]);
    TR_JW(w, ",\"100-200ms\":");
    w = tr_jw_u64(w, h[4]);
    TR_JW(w, ",\"200-500ms\":");
    w = tr_jw_u64(w, h[5]);
    TR_JW(w, ",\"40-100ms\":");
    w = tr_jw_u64(w, h[3]);
    TR_JW(w, ",\"<1ms\":");
    w = tr_jw_u64(w, h[0]);
    TR_JW(w, ",\">=500ms\":");
    w = tr_jw_u64(w, h[6]);
    TR_JW(w, "},\"max_delay\":");
    w = tr_jw_seconds(w, st->ack_delay_max);
    TR_JW(w, ",\"piggybacked\":");
    w = tr_jw_u64(w, st->acks_piggybacked);
    TR_JW(w, ",\"stretch\":");
    w = tr_jw_u64(w, st->stretch_acks);
    TR_JW(w, "}");
    return w;
}

/* TR_MAX_TRANS entries of 2 numbers, 2 names and ~40 bytes of text */
static char *tr__jw_timeline(char *w, const struct tr_conn *c, unsigned ep, int64_t t0)
{
    TR_JW(w, "[");
    bool first = true;
    for (uint16_t i = 0; i < c->ntrans && i < TR_MAX_TRANS; i++) {
        const struct tr_trans *t = &c->trans[i];
        if (t->ep != ep)
            continue;
        if (!first)
            TR_JW(w, ",");
        first = false;
        bool before = t->frame_off == UINT32_MAX;
        TR_JW(w, "{\"cause\":");
        w = tr_jw_name(w, t->cause < TR_EVENT_COUNT ? tr_event_name((enum tr_event)t->cause)
                          : t->assumed               ? "assumed"
                                                     : "initial");
        TR_JW(w, ",\"frame\":");
        if (before)
            TR_JW(w, "null");
        else
            w = tr_jw_i64(w, (json_int_t)tr_conn_frame(c, t->frame_off));
        TR_JW(w, ",\"state\":");
        w = tr_jw_name(w, tr_state_name((enum tr_state)t->state));
        TR_JW(w, ",\"time\":");
        w = tr__jw_secs_or_null(w, !before, t->ts - t0);
        TR_JW(w, "}");
    }
    TR_JW(w, "]");
    return w;
}

/* Each of the endpoint's three runs (around the address and the profile's
 * name) writes at most ~4.1 KB: the largest, from "rto" on, is the
 * counters (706), the timeline (2 + TR_MAX_TRANS x 175), the windows
 * (205) and the endpoint's own text, numbers and names (< 800), counted
 * as literal bytes + TR_JW_NUM_MAX per number + TR_JW_NAME_MAX + 2 per
 * name. unit.json writes a connection with every number at its widest. */
#define TR_JS_EP_MAX 8192

static void tr__js_endpoint(struct tr_jbuf *b, const struct tr_obs *o, const struct tr_conn *c, unsigned d,
                            int64_t t0)
{
    const struct tr_ep *e = &c->ep[d];
    char addr[64];
    tr_format_addr(c->ipver, c->addr[d], addr, sizeof addr);
    bool syn = e->syn.known;
    bool isn = tr_ep_has(e, TR_EP_SYN_SEEN) || tr_ep_has(e, TR_EP_ISS_INFERRED);
    const struct tr_profile *prof = tr_obs_profile(o);
    char *w0 = tr_jbuf_reserve(b, TR_JS_EP_MAX), *w = w0;
    if (!w)
        return;
    TR_JW(w, "{\"acks\":");
    w = tr__jw_acks(w, &e->st);
    /* inet_ntop's text: hex digits, dots and colons, at most 45 of them */
    TR_JW(w, ",\"address\":");
    w = tr_jw_name(w, addr);
    TR_JW(w, ",\"isn\":");
    if (isn)
        w = tr_jw_u64(w, e->tcb.iss);
    else
        TR_JW(w, "null");
    TR_JW(w, ",\"isn_inferred\":");
    w = tr_jw_bool(w, tr_ep_has(e, TR_EP_ISS_INFERRED));
    TR_JW(w, ",\"mss\":");
    if (syn && e->syn.has_mss)
        w = tr_jw_u64(w, e->syn.mss);
    else
        TR_JW(w, "null");
    TR_JW(w, ",\"port\":");
    w = tr_jw_u64(w, c->port[d]);
    TR_JW(w, ",\"retransmissions\":");
    w = tr__jw_retransmissions(w, &e->st);
    TR_JW(w, ",\"role\":");
    w = tr_jw_name(w, tr_role_name(c, d));
    bool n = e->rtt_n != 0;
    TR_JW(w, ",\"rtt\":{\"avg\":");
    w = tr__jw_secs_or_null(w, n, n ? e->rtt_sum / (int64_t)e->rtt_n : 0);
    TR_JW(w, ",\"max\":");
    w = tr__jw_secs_or_null(w, n, e->rtt_max);
    TR_JW(w, ",\"min\":");
    w = tr__jw_secs_or_null(w, n, e->rtt_min);
    tr_jbuf_commit(b, w, w0, TR_JS_EP_MAX);
    TR_JKS(b, ",\"profile\":", prof->name); /* a profile's name may come from a file */
    if (!(w = w0 = tr_jbuf_reserve(b, TR_JS_EP_MAX)))
        return;
    TR_JW(w, ",\"rto\":");
    w = tr_jw_seconds(w, e->tcb.rtt.rto_ns);
    TR_JW(w, ",\"rttvar\":");
    w = tr__jw_secs_or_null(w, n, e->tcb.rtt.rttvar_ns);
    TR_JW(w, ",\"samples\":");
    w = tr_jw_i64(w, (json_int_t)e->rtt_n);
    TR_JW(w, ",\"srtt\":");
    w = tr__jw_secs_or_null(w, n, e->tcb.rtt.srtt_ns);
    TR_JW(w, "},\"sack_permitted\":");
    w = tr__jw_bool_or_null(w, syn, e->syn.sack_perm);
    TR_JW(w, ",\"sent\":");
    w = tr__jw_counters(w, &e->st);
    TR_JW(w, ",\"state\":");
    w = tr_jw_name(w, tr_state_name((enum tr_state)e->tcb.state));
    TR_JW(w, ",\"timeline\":");
    w = tr__jw_timeline(w, c, d, t0);
    TR_JW(w, ",\"timestamps\":");
    w = tr__jw_bool_or_null(w, syn, e->syn.has_ts);
    TR_JW(w, ",\"window\":");
    w = tr__jw_windows(w, &e->st);
    TR_JW(w, ",\"window_full\":");
    w = tr_jw_u64(w, e->st.window_full);
    TR_JW(w, ",\"window_scale\":");
    if (syn && e->syn.has_wscale)
        w = tr_jw_u64(w, e->syn.wscale);
    else
        TR_JW(w, "null");
    TR_JW(w, "}");
    tr_jbuf_commit(b, w, w0, TR_JS_EP_MAX);
}

/* ~420 bytes of text, 8 numbers */
static char *tr__jw_handshake(char *w, const struct tr_conn *c, int64_t t0)
{
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    bool known = c->roles == TR_ROLES_KNOWN;
    bool syn = known && tr_ep_has(cl, TR_EP_SYN_SEEN), synack = known && tr_ep_has(sv, TR_EP_SYN_SEEN);
    bool ack = syn && synack && c->hs_ack_frame;
    const struct tr_tcb *t = &cl->tcb;
    bool neg = tr_tcb_has(t, TR_TCB_NEGOTIATED);
    TR_JW(w, "{\"ack_frame\":");
    w = tr__jw_frame_or_null(w, c->hs_ack_frame);
    TR_JW(w, ",\"complete\":");
    w = tr_jw_bool(w, (c->flags & TR_CONN_HS_DONE) != 0);
    TR_JW(w, ",\"fast_open\":");
    w = tr_jw_bool(w, (c->flags & TR_CONN_TFO) != 0);
    TR_JW(w, ",\"negotiated\":{\"sack\":");
    w = tr__jw_bool_or_null(w, neg && cl->syn.known && sv->syn.known, tr_tcb_has(t, TR_TCB_SACK_OK));
    TR_JW(w, ",\"timestamps\":");
    w = tr__jw_bool_or_null(w, neg, tr_tcb_has(t, TR_TCB_TS_OK));
    TR_JW(w, ",\"window_scaling\":");
    w = tr__jw_bool_or_null(w, neg, tr_tcb_has(t, TR_TCB_WS_OK));
    TR_JW(w, "},\"rtt\":");
    w = tr__jw_secs_or_null(w, ack, c->hs_ack_ts - cl->syn_ts);
    TR_JW(w, ",\"rtt_client_side\":");
    w = tr__jw_secs_or_null(w, ack, tr_hs_client_side(c));
    TR_JW(w, ",\"rtt_server_side\":");
    w = tr__jw_secs_or_null(w, syn && synack, sv->syn_answer_ts - cl->syn_ts);
    TR_JW(w, ",\"simultaneous_open\":");
    w = tr_jw_bool(w, (c->flags & TR_CONN_SIMOPEN) != 0);
    TR_JW(w, ",\"syn_frame\":");
    w = tr__jw_frame_or_null(w, syn ? cl->first_syn_frame : 0);
    TR_JW(w, ",\"syn_retransmissions\":");
    w = tr_jw_u64(w, cl->st.syn ? cl->st.syn - 1 : 0);
    TR_JW(w, ",\"syn_time\":");
    w = tr__jw_secs_or_null(w, syn, cl->first_syn_ts - t0);
    TR_JW(w, ",\"synack_frame\":");
    w = tr__jw_frame_or_null(w, synack ? sv->first_syn_frame : 0);
    TR_JW(w, ",\"synack_retransmissions\":");
    w = tr_jw_u64(w, sv->st.syn ? sv->st.syn - 1 : 0);
    TR_JW(w, "}");
    return w;
}

/* ~50 bytes of text, 2 numbers, a name */
static char *tr__jw_vantage(char *w, const struct tr_conn *c)
{
    TR_JW(w, "{\"client_side_rtt\":");
    w = tr__jw_secs_or_null(w, c->side_known, c->side_rtt[0]);
    TR_JW(w, ",\"point\":");
    w = tr_jw_name(w, tr_vantage_name(c));
    TR_JW(w, ",\"server_side_rtt\":");
    w = tr__jw_secs_or_null(w, c->side_known, c->side_rtt[1]);
    TR_JW(w, "}");
    return w;
}

/* ~40 bytes of text, a number, 3 names */
static char *tr__jw_end(char *w, const struct tr_conn *c)
{
    bool by = c->end == TR_END_RST || c->end == TR_END_REFUSED;
    TR_JW(w, "{\"by\":");
    if (by)
        w = tr_jw_name(w, tr_role_name(c, c->end_by));
    else
        TR_JW(w, "null");
    TR_JW(w, ",\"frame\":");
    w = tr__jw_frame_or_null(w, by ? c->end_frame : 0);
    TR_JW(w, ",\"how\":");
    w = tr_jw_name(w, tr_end_name((enum tr_end)c->end));
    TR_JW(w, ",\"state\":");
    if (by)
        w = tr_jw_name(w, tr_state_name((enum tr_state)c->end_state));
    else
        TR_JW(w, "null");
    TR_JW(w, "}");
    return w;
}

/* the connection's own parts around its endpoints and findings: ~1 KB at most each */
#define TR_JS_CONN_MAX 2048

void tr_json_conn_write(struct tr_jbuf *b, const struct tr_obs *o, const struct tr_conn *c, uint32_t id, int64_t t0)
{
    char *w0 = tr_jbuf_reserve(b, TR_JS_CONN_MAX), *w = w0;
    if (!w)
        return;
    TR_JW(w, "{\"closed_out\":");
    if (c->flags & TR_CONN_EVICTED)
        TR_JW(w, "\"limit\"");
    else if (c->flags & TR_CONN_EXPIRED)
        TR_JW(w, "\"idle\"");
    else
        TR_JW(w, "null");
    TR_JW(w, ",\"duration\":");
    w = tr_jw_seconds(w, c->last_ts - c->first_ts);
    TR_JW(w, ",\"end\":");
    w = tr__jw_end(w, c);
    TR_JW(w, ",\"endpoints\":[");
    tr_jbuf_commit(b, w, w0, TR_JS_CONN_MAX);
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
    if (!(w = w0 = tr_jbuf_reserve(b, TR_JS_CONN_MAX)))
        return;
    TR_JW(w, "],\"findings_suppressed\":");
    w = tr_jw_u64(w, c->nsuppressed);
    TR_JW(w, ",\"first_frame\":");
    w = tr_jw_i64(w, (json_int_t)c->first_frame);
    TR_JW(w, ",\"handshake\":");
    w = tr__jw_handshake(w, c, t0);
    TR_JW(w, ",\"id\":");
    w = tr_jw_u64(w, id);
    TR_JW(w, ",\"ip_version\":");
    w = tr_jw_u64(w, c->ipver);
    TR_JW(w, ",\"last_frame\":");
    w = tr_jw_i64(w, (json_int_t)c->last_frame);
    TR_JW(w, ",\"reused_ports\":");
    w = tr_jw_bool(w, (c->flags & TR_CONN_REUSED) != 0);
    TR_JW(w, ",\"roles\":");
    if (c->roles == TR_ROLES_KNOWN)
        TR_JW(w, "\"known\"");
    else
        TR_JW(w, "\"unknown\"");
    TR_JW(w, ",\"start\":");
    w = tr_jw_seconds(w, c->first_ts - t0);
    TR_JW(w, ",\"vantage\":");
    w = tr__jw_vantage(w, c);
    TR_JW(w, ",\"vlan\":");
    if (c->vlan)
        w = tr_jw_u64(w, c->vlan);
    else
        TR_JW(w, "null");
    TR_JW(w, "}");
    tr_jbuf_commit(b, w, w0, TR_JS_CONN_MAX);
}
