/*
 * RST segments (RFC 9293 §3.10.7.3 / §3.10.7.4 "second, check the RST bit",
 * RFC 5961 §3): is the reset valid, and so does the reconstructed connection
 * close; and nothing may follow an endpoint's own RST.
 */
#include "analyzer/obs_int.h"
#include "stack/seq.h"

/* A refused connection: the server side was never listening. */
static void tr__refused(struct tr_x *x)
{
    struct tr_conn *c = x->c;
    c->end = TR_END_REFUSED;
    for (uint16_t i = 0; i < c->ntrans; i++)
        if (c->trans[i].ep == x->dir && c->trans[i].assumed && c->trans[i].state == TR_LISTEN) {
            c->trans[i].state = TR_CLOSED;
            c->trans[i].assumed = 0;
        }
    x->snd->tcb.state = TR_CLOSED;
}

static void tr__reset(struct tr_x *x)
{
    struct tr_conn *c = x->c;
    struct tr_ep *S = x->snd;
    if (tr_ep_has(S, TR_EP_RST_SENT))
        return;
    S->flags |= TR_EP_RST_SENT;
    S->rst_frame = x->s->frame;
    bool refused = x->rcv->tcb.state == TR_SYN_SENT && !tr_ep_has(S, TR_EP_SYN_SEEN);
    c->end_by = x->dir;
    c->end_frame = x->s->frame;
    if (refused)
        tr__refused(x); /* nothing listened: the refusing side was CLOSED */
    else if (c->end != TR_END_REFUSED)
        c->end = TR_END_RST;
    c->end_state = S->tcb.state;
    tr__transition(x->o, c, x->dir, TR_EV_ABORT, x->s->frame, x->s->ts_ns);
    tr__transition(x->o, c, (uint8_t)!x->dir, TR_EV_RCV_RST, x->s->frame, x->s->ts_ns);
}

/* RFC 9293 §3.10.7.3, SYN-SENT: "If the ACK bit is set: If SEG.ACK =< ISS or
 * SEG.ACK > SND.NXT, send a reset (unless the RST bit is set, if so drop the
 * segment and return)". */
static bool tr__rst_in_syn_sent(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    const struct tr_seg *s = x->s;
    bool ok = (s->flags & TR_ACK) && tr_seq_gt(s->ack, R->tcb.iss) &&
              tr_seq_le(s->ack, R->tcb.snd_max);
    if (!ok)
        tr__find(x, TR_RULE_RST_BAD_ACK, tr__rel(R, R->tcb.iss + 1),
                 (s->flags & TR_ACK) ? tr__rel(R, s->ack) : -1, 0, 0);
    return ok;
}

/*
 * RFC 9293 §3.10.7.1: a TCP with no connection (CLOSED) answers any segment
 * but a RST, and "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>". An
 * endpoint whose FIN the peer has acknowledged may have closed for good (the
 * passive closer leaves LAST-ACK for CLOSED); a segment the peer sent before
 * it had that FIN (a retransmitted FIN or an ACK, overtaken on the way by the
 * ACK of the FIN) then draws such a RST, numbered below the FIN, so below
 * the peer's window: the peer drops it (§3.10.7.4, RFC 5961 §3.2), rightly,
 * and the RST was right too. A RST without ACK, numbered at or below the
 * sender's acknowledged FIN, is such an answer.
 */
static bool tr__rst_from_closed(const struct tr_x *x, uint32_t lo)
{
    const struct tr_tcb *t = &x->snd->tcb;
    uint32_t seq = x->s->seq;
    return !(x->s->flags & TR_ACK) && (t->flags & TR_TCB_FIN_SENT) && tr_seq_gt(lo, t->fin_seq) &&
           tr_seq_le(seq, t->fin_seq) && tr_seq_gt(seq, t->iss);
}

/*
 * RFC 5961 §3.2: "1) If the RST bit is set and the sequence number is
 * outside the current receive window, silently drop the segment. 2) If the
 * RST bit is set and the sequence number exactly matches the next expected
 * sequence number (RCV.NXT), then TCP MUST reset the connection. 3) If ...
 * within the current receive window, TCP MUST send an acknowledgment".
 *
 * The receiver's RCV.NXT is somewhere between the last ACK it sent and all
 * the sender had sent; a RST at any of those is valid.
 */
static bool tr__rst_synchronized(struct tr_x *x)
{
    const struct tr_ep *R = x->rcv, *S = x->snd;
    uint32_t seq = x->s->seq;
    if (!tr_ep_has(R, TR_EP_ACK_SEEN))
        return true; /* the receiver's RCV.NXT is unknown: cannot tell */
    uint32_t lo = R->highest_ack;
    uint32_t hi = tr_seq_gt(S->tcb.snd_max, lo) ? S->tcb.snd_max : lo;
    if (tr_seq_in_closed(seq, lo, hi))
        return true;
    uint32_t wnd = R->tcb.rcv_wnd ? R->tcb.rcv_wnd : 1;
    if (tr__rst_from_closed(x, lo))
        tr__find(x, TR_RULE_RST_CLOSED_ANSWER, tr__rel(S, lo), tr__rel(S, lo + wnd), tr__rel(S, seq), 0);
    else if (tr_seq_in(seq, lo, lo + wnd))
        tr__find(x, TR_RULE_RST_NOT_EXACT, tr__rel(S, lo), tr__rel(S, seq), 0, 0);
    else
        tr__find(x, TR_RULE_RST_OUTSIDE_WINDOW, tr__rel(S, lo), tr__rel(S, lo + wnd),
                 tr__rel(S, seq), 0);
    return false;
}

void tr__rst(struct tr_x *x)
{
    if (!tr_ep_has(x->snd, TR_EP_SENT_ANY)) {
        x->snd->flags |= TR_EP_SENT_ANY;
        x->snd->tcb.iss = x->snd->tcb.snd_una = x->snd->tcb.snd_max = x->s->seq;
    }
    uint8_t rst_state = x->rcv->tcb.state;
    bool valid = rst_state == TR_SYN_SENT ? tr__rst_in_syn_sent(x) : tr__rst_synchronized(x);
    if (valid)
        tr__reset(x);
}

/* RFC 9293 §3.10.7.4: a valid RST puts the sender in CLOSED; it cannot send
 * data afterwards on that connection. */
void tr__check_after_rst(struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    if (tr_ep_has(S, TR_EP_RST_SENT) && x->s->len && !(x->s->flags & TR_RST))
        tr__find(x, TR_RULE_RST_DATA_AFTER, (int64_t)S->rst_frame, x->s->len, 0, 0);
}
