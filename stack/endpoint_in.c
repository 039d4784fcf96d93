/*
 * SEGMENT ARRIVES (RFC 9293 §3.10.7), walked in the RFC's order: CLOSED
 * (§3.10.7.1), LISTEN (§3.10.7.2), SYN-SENT (§3.10.7.3), and the other
 * states (§3.10.7.4: first check the sequence number, second the RST bit,
 * fourth the SYN bit, fifth the ACK field, seventh the text, eighth the
 * FIN), with RFC 5961 for RST and SYN and RFC 7323 §4.3 for TS.Recent.
 */
#include "stack/endpoint_int.h"
#include "stack/seq.h"

/* What is left of a segment after trimming (§3.10.7.4: "the idealized
 * segment that begins at RCV.NXT and does not exceed the window"). */
struct tr__view {
    uint32_t seq, len, off; /* off: first payload byte still in it */
    uint8_t flags;
};

static bool tr__in_ours(const struct tr_endpoint *e, const struct tr_seg *s)
{
    if (s->dport != e->cfg.local_port)
        return false;
    return !e->remote_port || s->sport == e->remote_port;
}

/* ---- §3.10.7.1 CLOSED ---- */

/* "An incoming segment containing a RST is discarded. An incoming segment
 * not containing a RST causes a RST to be sent in response. ... If the ACK
 * bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>. If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>". */
static void tr__in_closed(struct tr_endpoint *e, const struct tr_seg *s)
{
    if (s->flags & TR_RST)
        return;
    if (s->flags & TR_ACK)
        tr__ep_queue_rst(e, s->ack, 0, TR_RST, s->sport);
    else
        tr__ep_queue_rst(e, 0, s->seq + tr_seg_seqlen(s), TR_RST | TR_ACK, s->sport);
}

/* ---- the peer's SYN ---- */

/* The peer's SYN: IRS, RCV.NXT, TS.Recent, the negotiated options (RFC
 * 7323 §2.2, §3.2; RFC 2018 §2; RFC 9293 §3.7.1) and the first send window
 * (RFC 7323 §2.2: never scaled on a SYN). */
static void tr__in_learn_syn(struct tr_endpoint *e, const struct tr_seg *s)
{
    struct tr_tcb *t = &e->tcb;
    t->irs = s->seq;
    t->rcv_nxt = s->seq + 1;
    t->flags |= TR_TCB_IRS_KNOWN;
    e->rcv_user = e->rcv_adv = t->rcv_nxt;
    tr_tcb_negotiate(t, &e->syn_sent, &s->opt, e->ipver, e->prof->default_mss4,
                     e->prof->default_mss6);
    if (tr_tcb_has(t, TR_TCB_TS_OK))
        t->ts_recent = s->opt.tsval;
    t->snd_wnd = t->max_snd_wnd = tr_tcb_peer_window(t, s);
    t->snd_wl1 = s->seq;
    t->snd_wl2 = (s->flags & TR_ACK) ? s->ack : t->iss;
    e->last_peer_win = s->win;
}

/* ---- §3.10.7.2 LISTEN ---- */

/* "first check for a RST: An incoming RST segment could not be valid ... it
 * should be ignored"; "second check for an ACK: ... <SEQ=SEG.ACK><CTL=RST>";
 * "third check for a SYN: ... Set RCV.NXT to SEG.SEQ+1, IRS is set to
 * SEG.SEQ ... ISS should be selected and a SYN segment sent of the form
 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and SND.UNA
 * to ISS. The connection state should be changed to SYN-RECEIVED". */
static void tr__in_listen(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    if (s->flags & TR_RST)
        return;
    if (s->flags & TR_ACK) {
        tr__ep_queue_rst(e, s->ack, 0, TR_RST, s->sport);
        return;
    }
    if (!(s->flags & TR_SYN))
        return;
    struct tr_tcb *t = &e->tcb;
    e->remote_port = s->sport;
    t->iss = t->snd_una = e->cfg.iss;
    t->snd_nxt = t->snd_max = e->cfg.iss + 1;
    t->flags |= TR_TCB_ISS_KNOWN;
    e->snd_base = e->snd_ptr = e->cfg.iss + 1;
    tr__in_learn_syn(e, s);
    tr__ep_event(e, TR_EV_RCV_SYN, now);
    e->out |= TR__OUT_SYN;
}

/* ---- §3.10.7.3 SYN-SENT ---- */

static void tr__in_syn_sent(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    bool ack = (s->flags & TR_ACK) != 0;
    /* first: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
     * the RST bit is set, if so drop the segment and return)". */
    if (ack && !tr_seq_in_closed(s->ack, t->iss + 1, t->snd_nxt)) {
        if (!(s->flags & TR_RST))
            tr__ep_queue_rst(e, s->ack, 0, TR_RST, s->sport);
        return;
    }
    /* second: "If the ACK was acceptable, then signal to the user "error:
     * connection reset", drop the segment, enter CLOSED state" */
    if (s->flags & TR_RST) {
        if (tr_tcb_check_rst(t, s) == TR_RST_VALID)
            tr__ep_drop(e, TR_EV_RCV_RST, TR_EPERR_REFUSED, now);
        return;
    }
    /* fourth: the SYN; fifth: "If neither of the SYN or RST bits is set,
     * then drop the segment and return". */
    if (!(s->flags & TR_SYN))
        return;
    tr__in_learn_syn(e, s);
    if (!ack) {
        /* Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK segment
         * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it". */
        tr__ep_event(e, TR_EV_RCV_SYN, now);
        e->out |= TR__OUT_SYN;
        return;
    }
    /* "SND.UNA should be advanced to equal SEG.ACK ... If SND.UNA > ISS (our
     * SYN has been ACKed), change the connection state to ESTABLISHED, form
     * an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it". */
    t->snd_una = s->ack;
    e->rcv_adv = t->rcv_nxt + (e->cfg.rcv_buffer < 65535 ? e->cfg.rcv_buffer : 65535);
    tr__ep_syn_acked(e, now);
    tr__ep_event(e, TR_EV_RCV_SYNACK, now);
    e->out |= TR__OUT_ACK;
}

/* ---- §3.10.7.4, the other states ---- */

/* Second, the RST bit (RFC 5961 §3.2; the window test is part of it). */
static void tr__in_rst(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    tr__ep_rcv_sync(e);
    switch (tr_tcb_check_rst(&e->tcb, s)) {
    case TR_RST_VALID: {
        /* SYN-RECEIVED from an active open: "the connection was refused";
         * CLOSING, LAST-ACK, TIME-WAIT: just CLOSED; otherwise "reset". */
        uint8_t st = e->tcb.state;
        enum tr_endpoint_error err = TR_EPERR_RESET;
        if (st == TR_SYN_RECEIVED)
            err = tr_tcb_has(&e->tcb, TR_TCB_PASSIVE) ? TR_EPERR_NONE : TR_EPERR_REFUSED;
        else if (st == TR_CLOSING || st == TR_LAST_ACK || st == TR_TIME_WAIT)
            err = TR_EPERR_NONE;
        tr__ep_drop(e, TR_EV_RCV_RST, err, now);
        break;
    }
    case TR_RST_CHALLENGE:
        e->out |= TR__OUT_ACK; /* "TCP MUST send an acknowledgment (challenge ACK)" */
        break;
    default:
        break; /* "silently drop the segment" */
    }
}

/* The peer's SYN again in SYN-RECEIVED: our SYN-ACK was lost. It is sent
 * again at once and its timer restarted, as Linux does (tcp_check_req);
 * not twice in the same instant when the timer has just re-sent it. */
static void tr__in_dup_syn(struct tr_endpoint *e, int64_t now)
{
    if (e->syn_ntx && e->syn_last_at == now)
        return;
    e->out |= TR__OUT_SYN;
    tr__ep_timer_set(e, TR__T_RTX, now + e->tcb.rtt.rto_ns);
}

/* Fourth, the SYN bit. In SYN-RECEIVED the peer's SYN again is answered
 * with our SYN-ACK, and in a simultaneous open the peer's SYN-ACK repeats
 * the SYN we hold: only its ACK is new. Any other SYN in a synchronized
 * state: RFC 5961 §4.2, "irrespective of the sequence number, TCP MUST send
 * an ACK (also referred to as challenge ACK)". Returns false when the
 * segment is done with. */
static bool tr__in_syn(struct tr_endpoint *e, const struct tr_seg *s, struct tr__view *v,
                       int64_t now)
{
    if (e->tcb.state == TR_SYN_RECEIVED && s->seq == e->tcb.irs) {
        if (!(s->flags & TR_ACK)) {
            tr__in_dup_syn(e, now);
            return false;
        }
        v->seq++;
        v->flags &= (uint8_t)~TR_SYN;
        return true;
    }
    e->out |= TR__OUT_ACK;
    return false;
}

/* First, the sequence number: the acceptance test, then the trim to the
 * window. "If an incoming segment is not acceptable, an acknowledgment
 * should be sent in reply"; "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs":
 * a segment at RCV.NXT into a zero window keeps its ACK, loses its text. */
static bool tr__in_acceptable(struct tr_endpoint *e, struct tr__view *v, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    tr__ep_rcv_sync(e);
    uint32_t seglen = v->len + ((v->flags & TR_SYN) ? 1u : 0u) + ((v->flags & TR_FIN) ? 1u : 0u);
    if (!tr_seg_acceptable(t->rcv_nxt, t->rcv_wnd, v->seq, seglen)) {
        e->out |= TR__OUT_ACK;
        /* TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout." */
        if (t->state == TR_TIME_WAIT && (v->flags & TR_FIN))
            tr__ep_timer_set(e, TR__T_TIME_WAIT, now + e->cfg.time_wait_ns);
        if (t->rcv_wnd != 0 || v->seq != t->rcv_nxt)
            return false;
        v->len = 0;
        v->flags &= (uint8_t)~TR_FIN;
        return true;
    }
    if (tr_seq_lt(v->seq, t->rcv_nxt)) { /* the front was received already */
        uint32_t d = t->rcv_nxt - v->seq;
        v->off += d;
        v->len -= d;
        v->seq = t->rcv_nxt;
        e->out |= TR__OUT_ACK;
    }
    uint32_t right = t->rcv_nxt + t->rcv_wnd;
    if (tr_seq_gt(v->seq + v->len, right)) { /* the tail is beyond the window */
        v->len = right - v->seq;
        v->flags &= (uint8_t)~TR_FIN;
        e->out |= TR__OUT_ACK;
    }
    return true;
}

/* RFC 7323 §4.3: "If SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent then
 * SEG.TSval is copied to TS.Recent; otherwise, it is ignored." */
static void tr__in_ts_recent(struct tr_endpoint *e, const struct tr_seg *s)
{
    struct tr_tcb *t = &e->tcb;
    if (!tr_tcb_has(t, TR_TCB_TS_OK) || !s->opt.has_ts)
        return;
    if (tr_seq_ge(s->opt.tsval, t->ts_recent) && tr_seq_le(s->seq, t->last_ack_sent))
        t->ts_recent = s->opt.tsval;
}

/* Fifth, SYN-RECEIVED (or a CLOSE before the SYN-ACK was acknowledged):
 * "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
 * continue processing with the variables below set to: SND.WND <- SEG.WND,
 * SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment acknowledgment is
 * not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>". */
static bool tr__in_ack_of_syn(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    if (!tr_seq_gt(s->ack, t->snd_una) || tr_seq_gt(s->ack, t->snd_nxt)) {
        tr__ep_queue_rst(e, s->ack, 0, TR_RST, e->remote_port);
        return false;
    }
    t->snd_una = t->iss + 1; /* the SYN; data it acknowledges is the ACK step's */
    t->snd_wnd = tr_tcb_peer_window(t, s);
    if (t->snd_wnd > t->max_snd_wnd)
        t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    e->last_peer_win = s->win;
    tr__ep_syn_acked(e, now);
    tr__ep_event(e, TR_EV_RCV_ACK_OF_SYN, now);
    return true;
}

static void tr__in_sync(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    if (s->flags & TR_RST) {
        tr__in_rst(e, s, now);
        return;
    }
    bool text = s->payload && s->caplen >= s->len;
    struct tr__view v = {.seq = s->seq, .len = text ? s->len : 0, .flags = s->flags};
    if (!text && s->len)
        v.flags &= (uint8_t)~TR_FIN; /* no bytes: the FIN's place is unknown */
    if ((v.flags & TR_SYN) && !tr__in_syn(e, s, &v, now))
        return;
    if (!tr__in_acceptable(e, &v, now))
        return;
    tr__in_ts_recent(e, s);
    if (!(v.flags & TR_ACK)) /* "if the ACK bit is off, drop the segment" */
        return;
    if (e->tcb.snd_una == e->tcb.iss && !tr__in_ack_of_syn(e, s, now))
        return;
    if (!tr__ep_ack(e, s, now))
        return;
    tr__ep_rcv_text(e, s, v.off, v.seq, v.len, (v.flags & TR_FIN) != 0, now);
}

void tr_endpoint_input(struct tr_endpoint *e, const struct tr_seg *s, int64_t now)
{
    if (!tr__in_ours(e, s))
        return;
    e->st.segs_in++;
    e->st.bytes_in += s->len;
    switch (e->tcb.state) {
    case TR_CLOSED:
        tr__in_closed(e, s);
        break;
    case TR_LISTEN:
        tr__in_listen(e, s, now);
        break;
    case TR_SYN_SENT:
        tr__in_syn_sent(e, s, now);
        break;
    default:
        tr__in_sync(e, s, now);
        break;
    }
}
