#include "stack/tcb.h"

#include <string.h>

void tr_tcb_init(struct tr_tcb *t, const struct tr_rto_params *rto)
{
    memset(t, 0, sizeof *t);
    t->state = TR_CLOSED;
    tr_rto_init(&t->rtt, rto);
}

bool tr_tcb_event(struct tr_tcb *t, enum tr_event ev)
{
    enum tr_state next = tr_fsm_next((enum tr_state)t->state, ev);
    if (next == TR_STATE_NONE)
        return false;
    /* Figure 5 note: only a passive open returns to LISTEN on RST. */
    if (next == TR_LISTEN && t->state == TR_SYN_RECEIVED && !tr_tcb_has(t, TR_TCB_PASSIVE))
        next = TR_CLOSED;
    if (ev == TR_EV_PASSIVE_OPEN || (ev == TR_EV_RCV_SYN && t->state == TR_LISTEN))
        t->flags |= TR_TCB_PASSIVE;
    bool changed = next != t->state;
    t->state = (uint8_t)next;
    return changed;
}

bool tr_seg_acceptable(uint32_t rcv_nxt, uint32_t rcv_wnd, uint32_t seq, uint32_t seglen)
{
    uint32_t right = rcv_nxt + rcv_wnd;
    if (seglen == 0) {
        if (rcv_wnd == 0)
            return seq == rcv_nxt;
        return tr_seq_in(seq, rcv_nxt, right);
    }
    if (rcv_wnd == 0)
        return false;
    return tr_seq_in(seq, rcv_nxt, right) || tr_seq_in(seq + seglen - 1, rcv_nxt, right);
}

enum tr_ack_class tr_tcb_classify_ack(const struct tr_tcb *t, uint32_t ack)
{
    if (tr_seq_gt(ack, t->snd_nxt))
        return TR_ACK_UNSENT;
    if (tr_seq_gt(ack, t->snd_una))
        return TR_ACK_NEW;
    if (ack == t->snd_una)
        return TR_ACK_DUP;
    if (tr_seq_ge(ack, t->snd_una - t->max_snd_wnd))
        return TR_ACK_OLD;
    return TR_ACK_TOO_OLD;
}

bool tr_tcb_window_update(struct tr_tcb *t, uint32_t seq, uint32_t ack, uint32_t wnd)
{
    if (!tr_seq_in_closed(ack, t->snd_una, t->snd_nxt))
        return false;
    if (!(tr_seq_lt(t->snd_wl1, seq) || (t->snd_wl1 == seq && tr_seq_le(t->snd_wl2, ack))))
        return false;
    t->snd_wnd = wnd;
    t->snd_wl1 = seq;
    t->snd_wl2 = ack;
    if (wnd > t->max_snd_wnd)
        t->max_snd_wnd = wnd;
    return true;
}

enum tr_rst_verdict tr_tcb_check_rst(const struct tr_tcb *t, const struct tr_seg *s)
{
    if (t->state == TR_SYN_SENT) {
        /* §3.10.7.3: "If the ACK bit is set ... If SEG.ACK =< ISS or SEG.ACK >
         * SND.NXT ... (unless the RST bit is set, if so drop the segment)";
         * "If the RST bit is set: If the ACK was acceptable, then signal to
         * the user "error: connection reset", drop the segment, enter CLOSED". */
        if ((s->flags & TR_ACK) && tr_seq_gt(s->ack, t->iss) && tr_seq_le(s->ack, t->snd_nxt))
            return TR_RST_VALID;
        return TR_RST_BAD_ACK;
    }
    /* RFC 5961 §3.2: "1) If the RST bit is set and the sequence number is
     * outside the current receive window, silently drop the segment. 2) If
     * the RST bit is set and the sequence number exactly matches the next
     * expected sequence number (RCV.NXT), then TCP MUST reset the connection.
     * 3) ... within the current receive window, TCP MUST send an
     * acknowledgment (challenge ACK)". */
    if (s->seq == t->rcv_nxt)
        return TR_RST_VALID;
    uint32_t wnd = t->rcv_wnd ? t->rcv_wnd : 1;
    if (tr_seq_in(s->seq, t->rcv_nxt, t->rcv_nxt + wnd))
        return TR_RST_CHALLENGE;
    return TR_RST_OUTSIDE;
}

uint32_t tr_tcb_peer_window(const struct tr_tcb *t, const struct tr_seg *s)
{
    if ((s->flags & TR_SYN) || !tr_tcb_has(t, TR_TCB_WS_OK))
        return s->win;
    return (uint32_t)s->win << t->snd_wscale;
}

static void tr__negotiate_mss(struct tr_tcb *t, const struct tr_opts *ours,
                              const struct tr_opts *theirs, int ipver, uint16_t d4, uint16_t d6)
{
    if (ours && ours->has_mss)
        t->rcv_mss = ours->mss;
    if (theirs)
        t->snd_mss = theirs->has_mss ? theirs->mss : (ipver == 6 ? d6 : d4);
}

void tr_tcb_negotiate(struct tr_tcb *t, const struct tr_opts *ours, const struct tr_opts *theirs,
                      int ipver, uint16_t default_mss4, uint16_t default_mss6)
{
    tr__negotiate_mss(t, ours, theirs, ipver, default_mss4, default_mss6);
    if (!ours || !theirs)
        return;
    t->flags |= TR_TCB_NEGOTIATED;
    t->flags &= (uint16_t) ~(TR_TCB_WS_OK | TR_TCB_SACK_OK | TR_TCB_TS_OK);
    t->snd_wscale = 0;
    t->rcv_wscale = 0;
    /* RFC 7323 §2.2: scaling is in effect only when both SYNs carried it. */
    if (ours->has_wscale && theirs->has_wscale) {
        t->flags |= TR_TCB_WS_OK;
        t->snd_wscale = tr_wscale_clamp(theirs->wscale);
        t->rcv_wscale = tr_wscale_clamp(ours->wscale);
    }
    if (ours->sack_perm && theirs->sack_perm)
        t->flags |= TR_TCB_SACK_OK;
    /* RFC 7323 §3.2: timestamps are in effect when both SYNs carried TSopt. */
    if (ours->has_ts && theirs->has_ts)
        t->flags |= TR_TCB_TS_OK;
}
