/*
 * What goes on the wire next, in this order: a RST; our SYN or SYN-ACK; the
 * segment at SND.UNA again (timeout, fast retransmit, partial ACK); a
 * zero-window probe; data (and FIN) within the send and congestion
 * windows; a pure ACK. Every segment but a RST carries the timestamp
 * option once negotiated (RFC 7323 §3.2), every ACK the SACK blocks
 * (RFC 2018 §4), and payload plus options never exceed the peer's MSS
 * (RFC 9293 §3.7.1).
 */
#include <string.h>

#include "stack/endpoint_int.h"
#include "stack/seq.h"
#include "stack/wire.h"

/* The SYN's window is never scaled (RFC 7323 §2.2). */
static uint16_t tr__syn_window(const struct tr_endpoint *e)
{
    return (uint16_t)(e->cfg.rcv_buffer < 65535 ? e->cfg.rcv_buffer : 65535);
}

/* The options of a segment with these flags; returns their encoded size.
 * A SYN-ACK answers only what the SYN offered (RFC 7323 §2.2, §3.2: Window
 * Scale and TSopt "only if it received" them; RFC 2018 §2). */
static uint32_t tr__out_opts(const struct tr_endpoint *e, int64_t now, uint8_t flags,
                             struct tr_opts *o)
{
    const struct tr_tcb *t = &e->tcb;
    memset(o, 0, sizeof *o);
    if (flags & TR_SYN) {
        *o = e->syn_sent;
        if (flags & TR_ACK) {
            o->has_wscale = tr_tcb_has(t, TR_TCB_WS_OK);
            o->sack_perm = tr_tcb_has(t, TR_TCB_SACK_OK);
            o->has_ts = tr_tcb_has(t, TR_TCB_TS_OK);
        }
    } else {
        o->has_ts = tr_tcb_has(t, TR_TCB_TS_OK);
    }
    if (o->has_ts) {
        o->tsval = tr__ep_tsval(e, now);
        o->tsecr = (flags & TR_ACK) ? t->ts_recent : 0;
    }
    if (!(flags & TR_SYN) && (flags & TR_ACK) && tr_tcb_has(t, TR_TCB_SACK_OK))
        o->nsack = tr__ep_sack_blocks(e, o->sack, o->has_ts ? 3 : TR_MAX_SACK_BLOCKS);
    uint8_t tmp[TR_TCP_HDR_MAX - TR_TCP_HDR_MIN];
    return (uint32_t)tr_wire_build_options(tmp, sizeof tmp, o, flags);
}

/* Fills everything but the options and payload; an ACK acknowledges
 * RCV.NXT and records it (RFC 7323 §4.3 Last.ACK.sent), answering whatever
 * ACK was due. */
static void tr__out_header(struct tr_endpoint *e, struct tr_seg *s, uint32_t seq, uint8_t flags,
                           uint32_t olen)
{
    struct tr_tcb *t = &e->tcb;
    s->sport = e->cfg.local_port;
    s->dport = e->remote_port;
    s->seq = seq;
    s->flags = flags;
    s->tcp_hlen = (uint8_t)(TR_TCP_HDR_MIN + olen);
    s->win = (flags & TR_SYN) ? tr__syn_window(e) : tr__ep_rcv_window(e, true);
    if (flags & TR_ACK) {
        s->ack = t->rcv_nxt;
        t->last_ack_sent = t->rcv_nxt;
        e->out &= ~(unsigned)TR__OUT_ACK;
        e->unacked_segs = 0;
        tr__ep_timer_stop(e, TR__T_DELACK);
    }
    e->st.segs_out++;
    e->st.bytes_out += s->len;
}

/* Payload bytes from the send queue at seq, and the segment around them. */
static void tr__out_segment(struct tr_endpoint *e, struct tr_seg *s, uint8_t *buf, uint32_t seq,
                            uint32_t len, uint8_t flags, const struct tr_opts *o, uint32_t olen)
{
    if (len) {
        tr_ring_read_at(&e->snd, seq - e->snd_base, buf, len);
        if (seq + len == tr__ep_data_end(e))
            flags |= TR_PSH; /* the end of the latest write */
    }
    s->len = s->caplen = len;
    s->payload = len ? buf : NULL;
    s->opt = *o;
    tr__out_header(e, s, seq, flags, olen);
}

/* The largest payload a segment with olen option bytes may carry. */
static uint32_t tr__out_room(const struct tr_endpoint *e, uint32_t olen, size_t cap)
{
    uint32_t mss = e->tcb.snd_mss ? e->tcb.snd_mss : tr__ep_smss(e);
    uint32_t n = mss > olen ? mss - olen : 1;
    return cap < n ? (uint32_t)cap : n;
}

/* A data or FIN segment went out: RFC 6298 §5.1, "Every time a packet
 * containing data is sent (including a retransmission), if the timer is
 * not running, start it running so that it will expire after RTO seconds".
 * It takes over from the persist timer (as in BSD: never both). */
static void tr__out_sent(struct tr_endpoint *e, uint32_t seq, uint32_t end, int64_t now)
{
    tr__ep_sent(e, seq, end, now);
    tr__ep_timer_stop(e, TR__T_PERSIST);
    e->persist_ns = 0;
    if (!e->timer[TR__T_RTX])
        tr__ep_timer_set(e, TR__T_RTX, now + e->tcb.rtt.rto_ns);
    if (tr_seq_lt(e->snd_ptr, end))
        e->snd_ptr = end;
}

static bool tr__out_rst(struct tr_endpoint *e, struct tr_seg *s)
{
    e->out &= ~(unsigned)TR__OUT_RST;
    s->sport = e->cfg.local_port;
    s->dport = e->rst.dport;
    s->seq = e->rst.seq;
    s->ack = e->rst.ack;
    s->flags = e->rst.flags;
    s->tcp_hlen = TR_TCP_HDR_MIN;
    e->st.segs_out++;
    return true;
}

/* Our SYN, or SYN-ACK <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
static bool tr__out_syn(struct tr_endpoint *e, int64_t now, struct tr_seg *s)
{
    struct tr_tcb *t = &e->tcb;
    uint8_t flags = t->state == TR_SYN_SENT ? TR_SYN : (uint8_t)(TR_SYN | TR_ACK);
    e->out &= ~(unsigned)TR__OUT_SYN;
    struct tr_opts o;
    uint32_t olen = tr__out_opts(e, now, flags, &o);
    s->opt = o;
    tr__out_header(e, s, t->iss, flags, olen);
    if (flags & TR_ACK) {
        uint32_t edge = t->rcv_nxt + tr__syn_window(e);
        e->rcv_adv = tr_seq_max(e->rcv_adv, edge);
    }
    if (e->syn_ntx++ == 0) {
        e->syn_sent_at = now;
    } else {
        /* Re-sent, by the timer or for a duplicate SYN (then ours was lost):
         * RFC 6298 §5.7 (3 s once data begins) and RFC 5681 §3.1 (an initial
         * window of one segment after a lost SYN or SYN-ACK) apply, as the
         * shared flag defines it. */
        t->flags |= TR_TCB_SYN_TIMEDOUT;
        e->st.retransmits++;
    }
    e->syn_last_at = now;
    if (!e->timer[TR__T_RTX])
        tr__ep_timer_set(e, TR__T_RTX, now + t->rtt.rto_ns);
    return true;
}

/* RFC 6298 §5.4: "Retransmit the earliest segment that has not been
 * acknowledged by the TCP receiver"; RFC 5681 §3.2: "The lost segment
 * starting at SND.UNA MUST be retransmitted". */
static bool tr__out_head(struct tr_endpoint *e, int64_t now, struct tr_seg *s, uint8_t *buf,
                         size_t cap)
{
    const struct tr_tcb *t = &e->tcb;
    uint32_t una = t->snd_una;
    if (una == t->snd_nxt || una == t->iss)
        return false;
    struct tr_opts o;
    uint32_t olen = tr__out_opts(e, now, TR_ACK, &o);
    uint32_t data_to = tr_seq_min(t->snd_nxt, tr__ep_data_end(e));
    uint32_t len = tr_seq_gt(data_to, una) ? data_to - una : 0;
    uint32_t room = tr__out_room(e, olen, cap);
    len = len < room ? len : room;
    bool fin = tr_tcb_has(t, TR_TCB_FIN_SENT) && una + len == t->fin_seq;
    if (!len && !fin)
        return false;
    uint8_t flags = (uint8_t)(TR_ACK | (fin ? TR_FIN : 0));
    tr__out_segment(e, s, buf, una, len, flags, &o, olen);
    tr__out_sent(e, una, una + len + (fin ? 1u : 0u), now);
    return true;
}

/* The FIN is due once CLOSE was called and until it is acknowledged; sent
 * again when the send pointer comes back to it. */
static bool tr__fin_due(const struct tr_endpoint *e)
{
    const struct tr_tcb *t = &e->tcb;
    uint8_t st = t->state;
    if (!e->fin_queued || (st != TR_FIN_WAIT_1 && st != TR_CLOSING && st != TR_LAST_ACK))
        return false;
    return !tr_tcb_has(t, TR_TCB_FIN_SENT) || tr_seq_le(e->snd_ptr, t->fin_seq);
}

struct tr__plan {
    uint32_t len;
    bool fin;
};

/*
 * How much may go from SND.PTR: what is queued, within the peer's window
 * (tr__ep_snd_edge) and the congestion window (RFC 5681: SND.UNA + cwnd),
 * and, for new data, the sender's SWS avoidance of RFC 9293 §3.8.6.2.1:
 * "(1) a maximum-sized segment can be sent; (2) data is PUSHed and all
 * queued data can be sent now; (3) at least a fraction Fs [1/2] of the
 * maximum window can be sent now; or (4) data is PUSHed and the override
 * timeout occurs" (`force`, the persist timer). Data sent before (after a
 * timeout, SND.PTR < SND.NXT) goes in full segments or up to SND.NXT.
 */
static bool tr__out_plan(const struct tr_endpoint *e, uint32_t room, bool force,
                         struct tr__plan *p)
{
    const struct tr_tcb *t = &e->tcb;
    uint32_t ptr = e->snd_ptr, end = tr__ep_data_end(e);
    uint32_t avail = tr_seq_gt(end, ptr) ? end - ptr : 0;
    uint32_t edge = tr_seq_min(tr__ep_snd_edge(e), t->snd_una + e->cwnd);
    uint32_t allowed = tr_seq_gt(edge, ptr) ? edge - ptr : 0;
    uint32_t n = avail < room ? avail : room;
    n = n < allowed ? n : allowed;
    p->len = n;
    p->fin = n == avail && tr__fin_due(e);
    if (p->fin || n == 0)
        return p->fin;
    if (n == room || n == avail || force)
        return true;
    if (tr_seq_lt(ptr, t->snd_nxt))
        return n >= tr_seq_min(ptr + room, t->snd_nxt) - ptr;
    return n >= t->max_snd_wnd / 2;
}

static bool tr__out_data(struct tr_endpoint *e, int64_t now, struct tr_seg *s, uint8_t *buf,
                         size_t cap, bool force)
{
    struct tr_tcb *t = &e->tcb;
    uint8_t st = t->state;
    if (st != TR_ESTABLISHED && st != TR_CLOSE_WAIT && st != TR_FIN_WAIT_1 && st != TR_CLOSING &&
        st != TR_LAST_ACK)
        return false;
    tr__ep_cc_idle(e, now);
    struct tr_opts o;
    uint32_t olen = tr__out_opts(e, now, TR_ACK, &o);
    struct tr__plan p;
    if (!tr__out_plan(e, tr__out_room(e, olen, cap), force, &p))
        return false;
    uint32_t seq = e->snd_ptr;
    if (p.fin && !tr_tcb_has(t, TR_TCB_FIN_SENT)) {
        t->flags |= TR_TCB_FIN_SENT;
        t->fin_seq = seq + p.len; /* RFC 9293 §3.6: after the last data octet */
    }
    uint8_t flags = (uint8_t)(TR_ACK | (p.fin ? TR_FIN : 0));
    tr__out_segment(e, s, buf, seq, p.len, flags, &o, olen);
    tr__out_sent(e, seq, seq + p.len + (p.fin ? 1u : 0u), now);
    return true;
}

/* RFC 9293 §3.8.6.1: "The sending TCP peer must regularly transmit at least
 * one octet of new data (if available), or retransmit to the receiving TCP
 * peer even if the send window is zero". The octet is sent again at each
 * probe until the window opens; SND.PTR stays on it (BSD's persist state),
 * and no retransmission timer runs for it. With a window that is open but
 * too small to use, the persist timer is the override timeout and what the
 * window allows goes instead. */
static bool tr__out_probe(struct tr_endpoint *e, int64_t now, struct tr_seg *s, uint8_t *buf,
                          size_t cap)
{
    const struct tr_tcb *t = &e->tcb;
    if (tr_seq_gt(tr__ep_snd_edge(e), t->snd_una) && tr__out_data(e, now, s, buf, cap, true))
        return true;
    uint32_t seq = t->snd_una != t->snd_nxt ? t->snd_una : t->snd_nxt;
    if (!tr_seq_lt(seq, tr__ep_data_end(e)) || cap == 0 || !tr_state_synchronized((enum tr_state)t->state))
        return false;
    struct tr_opts o;
    uint32_t olen = tr__out_opts(e, now, TR_ACK, &o);
    tr__out_segment(e, s, buf, seq, 1, TR_ACK, &o, olen);
    tr__ep_sent(e, seq, seq + 1, now);
    e->snd_ptr = seq;
    e->st.probes++;
    return true;
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; in the persist state SND.PTR, the
 * octet the peer expects (BSD does the same: a zero window accepts only
 * SEG.SEQ = RCV.NXT). */
static bool tr__out_ack(struct tr_endpoint *e, int64_t now, struct tr_seg *s)
{
    struct tr_opts o;
    uint32_t olen = tr__out_opts(e, now, TR_ACK, &o);
    uint32_t seq = e->timer[TR__T_PERSIST] ? e->snd_ptr : e->tcb.snd_nxt;
    tr__out_segment(e, s, NULL, seq, 0, TR_ACK, &o, olen);
    return true;
}

/* Clears a pending bit; true when it was set. */
static bool tr__take(struct tr_endpoint *e, unsigned bit)
{
    bool was = (e->out & bit) != 0;
    e->out &= ~bit;
    return was;
}

bool tr_endpoint_output(struct tr_endpoint *e, int64_t now, struct tr_seg *s, uint8_t *buf,
                        size_t cap)
{
    memset(s, 0, sizeof *s);
    if (e->out & TR__OUT_RST)
        return tr__out_rst(e, s);
    uint8_t st = e->tcb.state;
    if (st == TR_CLOSED || st == TR_LISTEN) {
        e->out = 0;
        return false;
    }
    if (e->out & TR__OUT_SYN)
        return tr__out_syn(e, now, s);
    if (st == TR_SYN_SENT) {
        e->out = 0;
        return false;
    }
    if (tr__take(e, TR__OUT_HEAD) && tr__out_head(e, now, s, buf, cap))
        return true;
    if (tr__take(e, TR__OUT_PROBE) && tr__out_probe(e, now, s, buf, cap))
        return true;
    if (tr__out_data(e, now, s, buf, cap, false))
        return true;
    if (e->out & TR__OUT_ACK)
        return tr__out_ack(e, now, s);
    tr__ep_persist_arm(e, now);
    return false;
}
