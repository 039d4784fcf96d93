/*
 * The three-way handshake (RFC 9293 §3.5), simultaneous open, and the
 * negotiation of options from the two SYNs (RFC 7323 §2.2, §3.2; RFC 2018
 * §2; RFC 9293 §3.7.1).
 *
 * A SYN sets the sender's ISS and the receiver's IRS. The server's move from
 * LISTEN to SYN-RECEIVED is recorded when its SYN-ACK shows it happened, at
 * the frame of the SYN that caused it.
 */
#include "analyzer/obs_int.h"
#include "stack/seq.h"

static void tr__save_synopts(struct tr_ep *e, const struct tr_x *x)
{
    const struct tr_opts *o = &x->s->opt;
    e->syn = (struct tr_synopts){.seen = 1, .known = x->opts_known};
    if (!x->opts_known)
        return;
    e->syn.mss = o->mss;
    e->syn.wscale = o->wscale;
    e->syn.has_mss = o->has_mss;
    e->syn.has_wscale = o->has_wscale;
    e->syn.sack_perm = o->sack_perm;
    e->syn.has_ts = o->has_ts;
    e->syn.fastopen = o->fastopen;
}

/* A retransmitted SYN or SYN-ACK may carry other options than the first
 * (bug-5881: a second SYN-ACK with another MSS); the peer may have received
 * either, so the latest wins and the MSS limit is the largest announced. */
static void tr__update_synopts(struct tr_ep *e, const struct tr_x *x)
{
    uint16_t mss = e->syn.has_mss ? e->syn.mss : 0;
    tr__save_synopts(e, x);
    if (e->syn.has_mss && mss > e->syn.mss)
        e->syn.mss = mss;
}

/* RFC 7323 §4.1 (RTTM): the TSval of each SYN or SYN-ACK, so that the
 * TSecr answering it names the transmission it answers (tr__handshake_samples).
 * The first and the latest of an attempt are kept: with two transmissions,
 * every one. */
static void tr__syn_tsopt(struct tr_ep *S, const struct tr_x *x, bool first)
{
    const struct tr_seg *s = x->s;
    bool ts = x->opts_known && s->opt.has_ts;
    if (first) {
        S->flags &= ~(uint32_t)TR_EP_SYN_TS_FIRST;
        if (ts) {
            S->syn_tsval_first = s->opt.tsval;
            S->flags |= TR_EP_SYN_TS_FIRST;
        }
    }
    S->flags &= ~(uint32_t)TR_EP_SYN_TS_LAST;
    if (ts) {
        S->syn_tsval = s->opt.tsval;
        S->syn_tsecr = s->opt.tsecr;
        S->flags |= TR_EP_SYN_TS_LAST;
    }
}

static void tr__opts_of(const struct tr_synopts *so, struct tr_opts *o)
{
    *o = (struct tr_opts){.has_mss = so->has_mss, .mss = so->mss, .has_wscale = so->has_wscale,
                          .wscale = so->wscale, .sack_perm = so->sack_perm, .has_ts = so->has_ts};
}

/* Only the server's SYN-ACK is known (the SYN was not captured). RFC 7323
 * §2.2 and §3.2 let a SYN-ACK carry Window Scale or TSopt only when the SYN
 * did, so the SYN-ACK alone decides whether they are in effect. */
static void tr__negotiate_from_synack(struct tr_conn *c, const struct tr_profile *p)
{
    struct tr_ep *srv = &c->ep[1], *cli = &c->ep[0];
    const struct tr_synopts *so = &srv->syn;
    for (int d = 0; d < 2; d++) {
        struct tr_tcb *t = &c->ep[d].tcb;
        t->flags |= TR_TCB_NEGOTIATED;
        if (so->has_wscale)
            t->flags |= TR_TCB_WS_OK;
        if (so->has_ts)
            t->flags |= TR_TCB_TS_OK;
    }
    srv->tcb.rcv_wscale = tr_wscale_clamp(so->wscale);
    cli->tcb.snd_wscale = srv->tcb.rcv_wscale;
    srv->flags |= TR_EP_SCALE_KNOWN;
    if (!so->has_wscale)
        cli->flags |= TR_EP_SCALE_KNOWN; /* no scaling either way */
    cli->tcb.snd_mss = so->has_mss ? so->mss : (c->ipver == 6 ? p->default_mss6 : p->default_mss4);
}

static void tr__negotiate(struct tr_obs *o, struct tr_conn *c)
{
    struct tr_ep *e0 = &c->ep[0], *e1 = &c->ep[1];
    if (e0->syn.known && e1->syn.known) {
        struct tr_opts o0, o1;
        tr__opts_of(&e0->syn, &o0);
        tr__opts_of(&e1->syn, &o1);
        tr_tcb_negotiate(&e0->tcb, &o0, &o1, c->ipver, o->prof.default_mss4, o->prof.default_mss6);
        tr_tcb_negotiate(&e1->tcb, &o1, &o0, c->ipver, o->prof.default_mss4, o->prof.default_mss6);
        e0->flags |= TR_EP_SCALE_KNOWN;
        e1->flags |= TR_EP_SCALE_KNOWN;
    } else if (e1->syn.known && !e0->syn.seen && c->roles == TR_ROLES_KNOWN) {
        tr__negotiate_from_synack(c, &o->prof);
    } else if (e0->syn.known && !e0->syn.has_wscale) {
        /* RFC 7323 §2.2: no Window Scale on the SYN, no scaling at all. */
        e0->flags |= TR_EP_SCALE_KNOWN;
        e1->flags |= TR_EP_SCALE_KNOWN;
    }
}

static void tr__check_syn_options(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    if (!x->opts_known)
        return;
    /* RFC 7323 §2.3: "If a Window Scale option is received with a shift.cnt
     * value larger than 14, the TCP SHOULD log the error but MUST use 14". */
    if (s->opt.has_wscale && s->opt.wscale > 14)
        tr__find(x, TR_RULE_HS_WSCALE_TOO_LARGE, s->opt.wscale, 0, 0, 0);
}

/* The sender's first SYN or SYN-ACK: its initial send sequence. */
static void tr__first_syn(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    S->flags |= TR_EP_SYN_SEEN | TR_EP_SENT_ANY;
    S->flags &= ~(uint32_t)TR_EP_ISS_INFERRED;
    S->tcb.flags |= TR_TCB_ISS_KNOWN;
    S->tcb.iss = S->tcb.snd_una = S->tcb.snd_nxt = S->tcb.snd_max = s->seq;
    S->isn_first = s->seq;
    S->first_syn_frame = s->frame;
    S->first_syn_ts = s->ts_ns;
    tr__save_synopts(S, x);
    tr__syn_tsopt(S, x, true);
}

/* The receiver learns IRS from the SYN (RFC 9293 §3.10.7.2: RCV.NXT <-
 * SEG.SEQ+1, IRS <- SEG.SEQ). */
static void tr__learn_irs(struct tr_ep *R, const struct tr_seg *s)
{
    R->tcb.irs = s->seq;
    R->tcb.flags |= TR_TCB_IRS_KNOWN;
    R->tcb.rcv_nxt = s->seq + 1;
}

/* A SYN whose ISN differs from the one this endpoint already sent in the
 * same attempt: the attempt goes on with the new ISN. */
static void tr__syn_isn_changed(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    tr__find(x, TR_RULE_HS_SYN_ISN_CHANGED, S->tcb.iss, x->s->seq, 0, 0);
    x->ws |= TR_WS_REUSED_PORTS; /* Wireshark: a SYN with a new ISN on the same ports */
    S->tcb.iss = S->tcb.snd_una = S->tcb.snd_nxt = S->tcb.snd_max = x->s->seq;
    /* first_syn_ts is the old attempt's: no TSecr is matched with it */
    S->flags &= ~(uint32_t)TR_EP_SYN_TS_FIRST;
    tr__learn_irs(x->rcv, x->s);
}

/* A SYN, without ACK: an active open (or the second half of a simultaneous
 * open), or a retransmission of one. */
static void tr__syn_only(struct tr_x *x)
{
    struct tr_ep *S = x->snd, *R = x->rcv;
    const struct tr_seg *s = x->s;
    if (tr_ep_has(S, TR_EP_SYN_SEEN)) {
        if (s->seq != S->tcb.iss)
            tr__syn_isn_changed(x);
        else
            S->tcb.flags |= TR_TCB_SYN_TIMEDOUT; /* RFC 6298 §5.7 */
        S->syn_frame = s->frame;
        S->syn_ts = s->ts_ns;
        tr__syn_tsopt(S, x, false);
        if (x->opts_known && x->c->hs_ack_frame == 0) {
            tr__update_synopts(S, x);
            tr__negotiate(x->o, x->c);
        }
        return;
    }
    if (x->c->flags & TR_CONN_SYN_PENDING) {
        /* The SYN-ACK was captured first: no endpoint sends them that way. */
        tr__find(x, TR_RULE_HS_OUT_OF_ORDER, 0, 0, 0, 0);
        x->c->flags &= (uint16_t) ~(TR_CONN_SYN_PENDING | TR_CONN_SYNACK_NOSYN);
    }
    tr__first_syn(x);
    S->syn_frame = s->frame;
    S->syn_ts = s->ts_ns;
    S->syn_len = s->len;
    if (x->dir == 1)
        x->c->flags |= TR_CONN_SIMOPEN;
    tr__transition(x->o, x->c, x->dir, TR_EV_SND_SYN, s->frame, s->ts_ns);
    tr__learn_irs(R, s);
    /* Simultaneous open: the receiver had sent its own SYN. */
    if (R->tcb.state == TR_SYN_SENT)
        tr__transition(x->o, x->c, !x->dir, TR_EV_RCV_SYN, s->frame, s->ts_ns);
    if (s->len && x->opts_known && !s->opt.fastopen)
        tr__find(x, TR_RULE_HS_SYN_DATA, s->len, 0, 0, 0);
    if (x->opts_known && s->opt.fastopen)
        x->c->flags |= TR_CONN_TFO;
    tr__check_syn_options(x);
    tr__negotiate(x->o, x->c);
}

/* RFC 9293 §3.10.7.2 (LISTEN): the SYN-ACK is <SEQ=ISS><ACK=RCV.NXT>, and
 * RCV.NXT = the client's ISN + 1, plus the SYN's data when the server took
 * it (Fast Open, RFC 7413; or a stack that accepts data on a SYN). */
static void tr__check_synack_ack(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    if (!tr_ep_has(R, TR_EP_SYN_SEEN) || tr_ep_has(R, TR_EP_ISS_INFERRED))
        return;
    uint32_t want = R->tcb.iss + 1;
    bool data_ok = R->syn_len && tr_seq_in_closed(x->s->ack, want, want + R->syn_len);
    if (x->s->ack != want && !data_ok)
        tr__find(x, TR_RULE_HS_SYNACK_ACK, tr__rel(R, want), tr__rel(R, x->s->ack), R->tcb.iss, 0);
}

/* RFC 7323 §2.2 / §3.2: a SYN-ACK carries Window Scale or TSopt only when
 * the SYN did. */
static void tr__check_synack_options(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    const struct tr_opts *o = &x->s->opt;
    if (!x->opts_known || !R->syn.known)
        return;
    if (o->has_wscale && !R->syn.has_wscale)
        tr__find(x, TR_RULE_HS_WSCALE_UNSOLICITED, o->wscale, 0, 0, 0);
    if (o->has_ts && !R->syn.has_ts)
        tr__find(x, TR_RULE_HS_TS_UNSOLICITED, 0, 0, 0, 0);
}

/* The SYN's sender was not captured: its ISN is the SYN-ACK's ACK - 1. */
static void tr__infer_client_iss(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    if (tr_ep_has(R, TR_EP_SENT_ANY))
        return;
    R->flags |= TR_EP_SENT_ANY | TR_EP_ISS_INFERRED;
    R->tcb.iss = x->s->ack - 1;
    R->tcb.snd_una = R->tcb.snd_nxt = R->tcb.snd_max = x->s->ack;
}

static void tr__server_states(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    uint64_t f = tr_ep_has(R, TR_EP_SYN_SEEN) ? R->syn_frame : x->s->frame;
    int64_t t = tr_ep_has(R, TR_EP_SYN_SEEN) ? R->syn_ts : x->s->ts_ns;
    if (x->snd->tcb.state == TR_LISTEN)
        tr__transition(x->o, x->c, x->dir, TR_EV_RCV_SYN, f, t);
}

/* The client receives the SYN-ACK: RFC 9293 §3.10.7.3, SYN-SENT: "If the
 * SYN bit is on and security/compartment is acceptable, then RCV.NXT is set
 * to SEG.SEQ+1, IRS is set to SEG.SEQ ... If SND.UNA > ISS (our SYN has been
 * ACKed), change the connection state to ESTABLISHED". */
static void tr__client_receives_synack(struct tr_x *x)
{
    struct tr_ep *R = x->rcv;
    const struct tr_seg *s = x->s;
    if (R->tcb.state != TR_SYN_SENT && R->tcb.state != TR_SYN_RECEIVED)
        return;
    if (!tr_tcb_has(&R->tcb, TR_TCB_IRS_KNOWN))
        tr__learn_irs(R, s);
    bool acks_syn = tr_seq_gt(s->ack, R->tcb.iss) && tr_seq_le(s->ack, R->tcb.snd_max);
    if (!acks_syn && !tr_ep_has(R, TR_EP_ISS_INFERRED))
        return;
    enum tr_event ev = R->tcb.state == TR_SYN_RECEIVED ? TR_EV_RCV_ACK_OF_SYN : TR_EV_RCV_SYNACK;
    tr__transition(x->o, x->c, !x->dir, ev, s->frame, s->ts_ns);
}

/* A SYN-ACK: the server's answer, its retransmission, or in a simultaneous
 * open the SYN-ACK of either side. */
static void tr__synack(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    /* The first SYN-ACK since the peer's latest SYN answers it (the
     * vantage point's server side); a later one came from its timer. */
    if (!tr_ep_has(S, TR_EP_SYN_SEEN) || S->syn_ts < x->rcv->syn_ts)
        S->syn_answer_ts = x->s->ts_ns;
    if (tr_ep_has(S, TR_EP_SYN_SEEN)) {
        if (x->s->seq != S->tcb.iss)
            tr__syn_isn_changed(x);
        else
            S->tcb.flags |= TR_TCB_SYN_TIMEDOUT;
        if (x->opts_known && x->c->hs_ack_frame == 0)
            tr__update_synopts(S, x);
        tr__syn_tsopt(S, x, false);
    } else {
        tr__first_syn(x);
        tr__check_synack_ack(x);
        tr__check_synack_options(x);
        tr__check_syn_options(x);
        tr__infer_client_iss(x);
        tr__server_states(x);
    }
    S->syn_frame = x->s->frame;
    S->syn_ts = x->s->ts_ns;
    tr__client_receives_synack(x);
    tr__negotiate(x->o, x->c);
}

void tr__syn(struct tr_x *x)
{
    if (x->s->flags & TR_ACK)
        tr__synack(x);
    else
        tr__syn_only(x);
}

/*
 * The segment that completes the handshake: RFC 9293 §3.10.7.3, SYN-SENT,
 * "form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it":
 * SEQ = the client's ISN + 1 and ACK = the server's ISN + 1 (plus whatever
 * data Fast Open put on the SYNs).
 */
void tr__third_ack(struct tr_x *x)
{
    struct tr_ep *S = x->snd, *R = x->rcv;
    const struct tr_seg *s = x->s;
    if (x->dir != 0 || (s->flags & TR_SYN) || !(s->flags & TR_ACK) ||
        tr_ep_has(S, TR_EP_HS_ACK_DONE) || !tr_ep_has(R, TR_EP_SYN_SEEN) ||
        x->c->roles != TR_ROLES_KNOWN)
        return;
    S->flags |= TR_EP_HS_ACK_DONE;
    x->c->flags |= TR_CONN_HS_DONE;
    x->c->hs_ack_frame = s->frame;
    x->c->hs_ack_ts = s->ts_ns;
    int64_t hs_rtt = s->ts_ns - S->syn_ts; /* as the report's handshake.rtt */
    if (x->o->cfg.th.handshake_rtt_on && hs_rtt > x->o->cfg.th.handshake_rtt_ns)
        tr__find(x, TR_RULE_THR_HANDSHAKE_RTT, hs_rtt, x->o->cfg.th.handshake_rtt_ns, 0, 0);
    tr__vantage(x->o, x->c);
    tr__handshake_samples(x->o, x->c, s);
    if (!tr_ep_has(S, TR_EP_SENT_ANY) || x->retx || x->ooo)
        return;
    uint32_t want_seq = S->tcb.iss + 1;
    bool seq_ok = s->seq == want_seq ||
                  (S->syn_len && tr_seq_in_closed(s->seq, want_seq, want_seq + S->syn_len));
    bool ack_ok = tr_seq_in_closed(s->ack, R->tcb.iss + 1, R->tcb.snd_max);
    if (!seq_ok || !ack_ok)
        tr__find(x, TR_RULE_HS_ACK, tr__rel(S, want_seq), tr__rel(R, R->tcb.iss + 1),
                 tr__rel(S, s->seq), tr__rel(R, s->ack));
}

void tr__resolve_pending(struct tr_x *x)
{
    struct tr_conn *c = x->c;
    if (!(c->flags & TR_CONN_SYN_PENDING) || !tr_ep_has(&c->ep[1], TR_EP_SYN_SEEN) ||
        x->s->frame == c->ep[1].first_syn_frame)
        return;
    if ((x->s->flags & (TR_SYN | TR_ACK)) == TR_SYN && x->dir == 0)
        return; /* the SYN itself, captured late: tr__syn_only reports it */
    c->flags &= (uint16_t)~TR_CONN_SYN_PENDING;
    const int64_t args[TR_FINDING_ARGS] = {0};
    tr__find_at(x->o, c, TR_RULE_HS_SYNACK_WITHOUT_SYN, 1, c->ep[1].first_syn_frame,
                c->ep[1].first_syn_ts, args);
}
