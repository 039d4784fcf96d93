/*
 * The sender's side of a segment: where its sequence range falls in what
 * the sender had sent (new data, a re-send, a hole the capture missed, the
 * late arrival of a segment sent earlier, a keep-alive or window probe), and
 * the rules on what may be sent: within the receiver's window, within the
 * MSS, nothing after the FIN.
 */
#include <string.h>

#include "analyzer/obs_int.h"
#include "stack/seq.h"

/* Below this, a segment that fills a hole without timestamps to tell is
 * taken as reordered rather than re-sent (Wireshark uses 3 ms too). */
#define TR_OOO_NS 3000000

/* FNV-1a over the captured payload, 8 bytes at a time where possible. */
static uint32_t tr__payload_hash(const uint8_t *p, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return (uint32_t)(h ^ (h >> 32));
}

static bool tr__full_payload(const struct tr_seg *s) { return s->len && s->caplen == s->len; }

/* The first segment seen from an endpoint whose SYN was not captured: its
 * sequence base. */
static void tr__send_base(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    S->flags |= TR_EP_SENT_ANY;
    S->tcb.iss = S->tcb.snd_una = S->tcb.snd_nxt = S->tcb.snd_max = x->s->seq;
}

static struct tr_txseg tr__txseg_of(const struct tr_x *x, uint8_t ntx)
{
    const struct tr_seg *s = x->s;
    struct tr_txseg t = {.t_first = s->ts_ns, .t_last = s->ts_ns, .seq = s->seq,
                         .end = s->seq + x->seqlen, .ntx = ntx};
    uint64_t off = s->frame - x->c->first_frame;
    t.frame_off = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
    t.flags = (uint8_t)(((s->flags & TR_SYN) ? TR_TX_SYN : 0) | ((s->flags & TR_FIN) ? TR_TX_FIN : 0));
    if (tr__full_payload(s)) {
        t.hash = tr__payload_hash(s->payload, s->caplen);
        t.flags |= TR_TX_HASHED;
    }
    return t;
}

static void tr__ring_append(struct tr_x *x, uint8_t ntx)
{
    struct tr_txring *r = tr__ring_get(x->o, x->snd);
    if (!r)
        return;
    struct tr_txseg t = tr__txseg_of(x, ntx);
    tr__ring_push(r, &t);
    if (x->s->opt.has_ts)
        tr__ring_ts_note(r, x->s->opt.tsval, x->s->ts_ns);
}

/* New data, in order (or after a hole). */
static void tr__send_new(struct tr_x *x)
{
    tr__ring_append(x, 1);
    x->snd->tcb.snd_max = x->snd->tcb.snd_nxt = x->s->seq + x->seqlen;
}

/* RFC 9293 §3.4: a sequence number names one octet; a re-send of the same
 * range must carry the same bytes. */
static void tr__compare_payload(struct tr_x *x, struct tr_txseg *e)
{
    const struct tr_seg *s = x->s;
    if (!(e->flags & TR_TX_HASHED) || !tr__full_payload(s) || e->seq != s->seq ||
        e->end != s->seq + x->seqlen)
        return;
    if (tr__payload_hash(s->payload, s->caplen) != e->hash)
        tr__find(x, TR_RULE_SEQ_RETRANS_DIFFERS, (int64_t)tr_conn_frame(x->c, e->frame_off),
                 tr__rel(x->snd, e->seq), tr__rel(x->snd, e->end), 0);
}

/* A re-send of sequence space the capture holds: mark the transmissions it
 * repeats, for Karn's algorithm and the RTO checks. */
static void tr__mark_resent(struct tr_x *x)
{
    struct tr_txring *r = tr__ring(x->o, x->snd);
    uint32_t lo = x->s->seq, hi = x->s->seq + x->seqlen;
    for (uint32_t k = 0; r && k < r->count; k++) {
        struct tr_txseg *e = &r->e[(r->head + k) % TR_RING_SLOTS];
        if (!tr_seq_lt(e->seq, hi) || !tr_seq_gt(e->end, lo))
            continue;
        if (e->ntx < UINT8_MAX)
            e->ntx++;
        e->t_last = x->s->ts_ns;
        tr__compare_payload(x, e);
    }
    /* RFC 7323 §4: an ACK may echo the TSval of this copy. */
    if (r && x->s->opt.has_ts)
        tr__ring_ts_note(r, x->s->opt.tsval, x->s->ts_ns);
}

static const uint32_t tr__rtx_ws[TR_RTX_COUNT] = {
    [TR_RTX_RTO] = TR_WS_RETRANSMISSION,           [TR_RTX_RTO_RECOVERY] = TR_WS_RETRANSMISSION,
    [TR_RTX_FAST] = TR_WS_FAST_RETRANSMISSION,     [TR_RTX_SACK_RECOVERY] = TR_WS_RETRANSMISSION,
    [TR_RTX_TLP] = TR_WS_RETRANSMISSION,           [TR_RTX_SPURIOUS] = TR_WS_SPURIOUS_RETRANSMISSION,
    [TR_RTX_SYN_ANSWER] = TR_WS_RETRANSMISSION,    [TR_RTX_OTHER] = TR_WS_RETRANSMISSION,
    [TR_RTX_WINDOW] = TR_WS_RETRANSMISSION,
};

/* A re-send: counted, classified (obs_rto.c), and named for wsflags. */
static void tr__count_retx(struct tr_x *x)
{
    x->retx = true;
    uint32_t end = x->s->seq + x->seqlen;
    if (!x->snd->st.retx_segs || tr_seq_gt(end, x->snd->resent_high))
        x->snd->resent_high = end;
    x->snd->st.retx_segs++;
    x->snd->st.retx_bytes += x->s->len;
    x->ws |= tr__rtx_ws[tr__resend(x)]; /* it reads the previous re-send's end */
    x->snd->last_rtx_end = end;
}

/* The sender's IPv4 identifications have been running in sequence: two steps
 * of 1 to 64 in a row (about one chance in a million for random ones). */
static bool tr__id_sequential(const struct tr_ep *S) { return S->id_run >= 2; }

/* Every IPv4 packet of the sender, pure ACKs included (Linux numbers the
 * packets of a connection in sequence; ID 0 marks packets sent for no
 * socket, a TIME-WAIT ACK or a reset): id_last is the highest
 * identification seen, in 16-bit serial order. A packet numbered a little
 * below it was sent before that one and captured after it; it neither
 * breaks the run nor moves id_last. */
void tr__note_id(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    if (x->s->ipver != 4 || x->s->ip_id == 0)
        return;
    uint16_t step = (uint16_t)(x->s->ip_id - S->id_last);
    if (S->id_last == 0) { /* its first numbered packet (0 is never kept) */
        S->id_last = x->s->ip_id;
    } else if (step >= 1 && step <= 64) {
        S->id_run = (uint8_t)(S->id_run < 255 ? S->id_run + 1 : 255);
        S->id_last = x->s->ip_id;
    } else if (step == 0 || step >= 65536 - 1024) {
        /* the same packet again, or an earlier one */
    } else if (step <= 1024 && tr__id_sequential(S)) {
        /* packets not captured (lost before the capture point, or still
         * on their way to it): the numbering goes on */
        S->id_last = x->s->ip_id;
    } else {
        S->id_run = 0;
        S->id_last = x->s->ip_id;
    }
}

/* The segment was sent before an earlier-captured packet of its sender, as
 * the sender's sequential IPv4 identifications show. */
bool tr__id_earlier(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    return x->s->ipver == 4 && x->s->ip_id && tr__id_sequential(S) &&
           (int16_t)(x->s->ip_id - S->id_last) < 0;
}

/* Before the sender's numbering is shown sequential (at the start of a
 * connection): its latest numbered packet was this one + 1..64. A random
 * identification lands there once in a thousand: evidence enough to call
 * an ACK that went back a reordering rather than accuse the receiver, not
 * to take data for a late original. */
bool tr__id_just_below(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    int16_t step = (int16_t)(x->s->ip_id - S->id_last);
    return x->s->ipver == 4 && x->s->ip_id && S->id_last && !tr__id_sequential(S) && step < 0 && step >= -64;
}

/* Sent before a segment captured earlier, delayed on the way to the capture. */
static void tr__mark_ooo(struct tr_x *x)
{
    x->ooo = true;
    x->ws |= TR_WS_OUT_OF_ORDER;
    x->snd->st.ooo_segs++;
}

/* Removes [lo, hi) from a hole (it may split in two). */
static void tr__gap_cut(struct tr_txring *r, uint8_t i, uint32_t lo, uint32_t hi)
{
    struct tr_gap *g = &r->gaps[i];
    if (tr_seq_le(lo, g->lo) && tr_seq_ge(hi, g->hi)) {
        memmove(g, g + 1, (size_t)(r->ngaps - i - 1) * sizeof *g);
        r->ngaps--;
    } else if (tr_seq_le(lo, g->lo)) {
        g->lo = hi;
    } else if (tr_seq_ge(hi, g->hi)) {
        g->hi = lo;
    } else {
        struct tr_gap tail = *g;
        g->hi = lo;
        tail.lo = hi;
        if (r->ngaps < TR_MAX_GAPS)
            r->gaps[r->ngaps++] = tail;
    }
}

static int tr__gap_find(const struct tr_txring *r, uint32_t lo, uint32_t hi)
{
    for (uint8_t i = 0; r && i < r->ngaps; i++)
        if (tr_seq_lt(lo, r->gaps[i].hi) && tr_seq_gt(hi, r->gaps[i].lo))
            return i;
    return -1;
}

/* A segment that fills a hole in the captured stream was either sent before
 * the segment that revealed the hole and reordered on the way (out of
 * order), or sent again after the original was lost before the capture
 * point (a retransmission). Timestamps tell (RFC 7323 §4: TSval grows with
 * the sender's clock); without them (or within one clock tick), the peer's
 * duplicate ACKs or SACK blocks showing the loss do; without those, the time
 * since the hole appeared: within the handshake's round trip (3 ms when it
 * is unknown), reordering, as Wireshark judges it. */
static bool tr__fill_is_ooo(const struct tr_x *x, const struct tr_gap *g)
{
    const struct tr_seg *s = x->s;
    if (s->opt.has_ts && g->has_tsval && s->opt.tsval != g->tsval)
        return tr_seq_lt(s->opt.tsval, g->tsval);
    /* A sender that numbers its IPv4 packets in sequence (Linux does, per
     * connection) dates them more finely than TSval's milliseconds. */
    int16_t id_step = (int16_t)(s->ip_id - g->ip_id);
    if (s->ipver == 4 && s->ip_id && g->ip_id && id_step && tr__id_sequential(x->snd) &&
        (g->has_id || (id_step > -1024 && id_step < 1024)))
        return id_step < 0;
    if (tr__loss_evidence(x))
        return false;
    const struct tr_conn *c = x->c;
    int64_t within = c->side_known ? c->side_rtt[0] + c->side_rtt[1] : TR_OOO_NS;
    return s->ts_ns - g->ts < within;
}

static bool tr__send_fill(struct tr_x *x)
{
    struct tr_txring *r = tr__ring(x->o, x->snd);
    uint32_t lo = x->s->seq, hi = x->s->seq + x->seqlen;
    int i = tr__gap_find(r, lo, hi);
    if (i < 0)
        return false;
    bool ooo = tr__fill_is_ooo(x, &r->gaps[i]);
    tr__gap_cut(r, (uint8_t)i, lo, hi);
    if (ooo) {
        tr__mark_ooo(x);
        tr__ring_append(x, 1);
    } else {
        tr__count_retx(x);
        tr__ring_append(x, 2); /* the original was sent, and lost */
    }
    return true;
}

/* The receiver's latest advertisement is a zero window at SND.UNA. */
static bool tr__zero_window(const struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    return tr_ep_has(R, TR_EP_RIGHT_KNOWN) && R->tcb.rcv_wnd == 0 &&
           R->last_ack == x->snd->tcb.snd_una;
}

/* RFC 9293 §3.8.6.1: with a zero window the sender probes with one new
 * octet (BSD, Windows); it is not beyond the window in the sense of
 * tr__check_window_edge. */
static bool tr__is_zwp_data(struct tr_x *x)
{
    if (x->s->len != 1 || x->s->seq != x->snd->tcb.snd_max || !tr__zero_window(x))
        return false;
    x->probe = true;
    x->snd->st.window_probes++;
    tr__window_probe(x);
    return true;
}

/* RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6: a keep-alive carries SEG.SEQ =
 * SND.NXT - 1 with no data or one garbage octet; Linux sends its zero-window
 * probes the same way. Neither is a retransmission. */
static bool tr__is_probe(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    const struct tr_tcb *t = &x->snd->tcb;
    if ((s->flags & (TR_SYN | TR_FIN | TR_RST)) || s->len > 1)
        return false;
    /* The one-octet probe of a zero window again (BSD, Windows): its
     * octet is the only one outstanding and the window is still zero. */
    if (s->len == 1 && s->seq == t->snd_una && t->snd_max == t->snd_una + 1 && tr__zero_window(x)) {
        x->probe = true;
        x->snd->st.window_probes++;
        tr__window_probe(x);
        return true;
    }
    if (s->seq != t->snd_max - 1 || t->snd_una != t->snd_max)
        return false;
    bool zero_wnd = tr__zero_window(x);
    x->probe = true;
    if (zero_wnd) {
        x->snd->st.window_probes++;
        tr__window_probe(x);
    } else {
        x->snd->st.keepalives++;
        x->keepalive = true;
        x->ws |= TR_WS_KEEP_ALIVE;
    }
    return true;
}

static void tr__send_old(struct tr_x *x)
{
    if (tr__send_fill(x))
        return;
    /* Numbered below a packet of its sender captured before it: sent
     * before that one, so not a re-send of anything captured since (each
     * transmission takes a new identification); delayed on the way to the
     * capture, as reordered data. Whether it re-sent something captured
     * earlier still, the capture cannot tell: no retransmission is
     * counted or judged. */
    if (tr__id_earlier(x)) {
        tr__mark_ooo(x);
        tr__find(x, TR_RULE_CAP_REORDERED, x->snd->id_last, x->s->ip_id, 1, 0);
        return;
    }
    tr__count_retx(x);
    tr__mark_resent(x);
    uint32_t end = x->s->seq + x->seqlen;
    if (tr_seq_gt(end, x->snd->tcb.snd_max))
        x->snd->tcb.snd_max = x->snd->tcb.snd_nxt = end;
}

/* Bytes the capture never held before this segment: a hole. */
static void tr__send_after_hole(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    uint32_t missing = x->s->seq - S->tcb.snd_max;
    tr__find(x, TR_RULE_CAP_NOT_CAPTURED, tr__rel(S, S->tcb.snd_max), tr__rel(S, x->s->seq),
             missing, 0);
    x->ws |= TR_WS_LOST_SEGMENT;
    S->st.not_captured_bytes += missing;
    struct tr_txring *r = tr__ring_get(x->o, S);
    if (r) {
        tr__ring_add_gap(r, S->tcb.snd_max, x->s->seq, x->s->ts_ns, x->s, tr__id_sequential(S));
        /* The ACK that ran ahead of the capture was reported already
         * (capture.ack-unseen-segment): one finding per hole. */
        struct tr_gap *g = r->ngaps ? &r->gaps[r->ngaps - 1] : NULL;
        if (g && g->lo == S->tcb.snd_max && x->unseen_capture && tr_seq_gt(x->unseen_ack, g->lo))
            g->ack_reported = true;
    }
}

/* The peer acknowledged bytes this endpoint had not been seen to send. Its
 * next new segment decides: starting at or past the ACK, the capture missed
 * them; starting below it, they were sent after they were acknowledged. */
static void tr__resolve_unseen(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    if (!tr_ep_has(S, TR_EP_UNSEEN_PENDING) || tr_seq_lt(x->s->seq, S->unseen_from))
        return;
    S->flags &= ~(uint32_t)TR_EP_UNSEEN_PENDING;
    /* Bytes the sender had sent (and the capture missed) are below its
     * next segment; a segment starting below the ACK, data or a pure ACK at
     * its SND.NXT (§3.10.7.4: "send an ACK, drop the segment"), shows the
     * ACK covered data never sent. A RST carries SEG.ACK as its sequence. */
    bool proven = tr_seq_lt(x->s->seq, S->unseen_ack) && !(x->s->flags & TR_RST);
    x->unseen_capture = !proven;
    x->unseen_ack = S->unseen_ack;
    const int64_t args[TR_FINDING_ARGS] = {tr__rel(S, S->unseen_from), tr__rel(S, S->unseen_ack),
                             (uint32_t)(S->unseen_ack - S->unseen_from), 0};
    tr__find_at(x->o, x->c, proven ? TR_RULE_ACK_UNSEEN_DATA : TR_RULE_ACK_UNSEEN_CAPTURE,
                (uint8_t)!x->dir, S->unseen_frame, S->unseen_ts, args);
}

/* RFC 9293 §3.7.1: "Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize -
 * IPoptionsize": the payload plus the TCP options and IP options may not
 * exceed the MSS the peer announced (536/1220 when it announced none). */
static void tr__check_mss(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    uint32_t mss = x->snd->tcb.snd_mss;
    if (!s->len || !mss || (s->flags & TR_SYN) || !x->rcv->syn.known)
        return;
    uint32_t size = s->len + (uint32_t)(s->tcp_hlen - 20) + s->ip_opt_len;
    if (size <= mss)
        return;
    /* An IP packet larger than a standard Ethernet MTU was never a wire
     * frame: TSO on the sending host or GRO on the receiving one. */
    bool offload = s->wire_len > 1500;
    tr__find(x, offload ? TR_RULE_CAP_TSO_GRO : TR_RULE_SEQ_EXCEEDS_MSS, mss, size, 0, 0);
}

/* RFC 9293 §3.8.6: the window is "the range of sequence numbers the sender
 * of the window (the data receiver) is currently prepared to accept". A
 * sender may use the right edge of any window it was offered (the receiver
 * may have shrunk it since), but no more; a one-octet probe of a zero window
 * is allowed (§3.8.6.1). */
static void tr__check_window_edge(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    const struct tr_ep *R = x->rcv;
    if (!s->len || !tr_ep_has(R, TR_EP_RIGHT_KNOWN) || x->probe)
        return;
    uint32_t end = s->seq + s->len;
    if (!tr_seq_gt(end, R->adv_right))
        return;
    tr__find(x, TR_RULE_SEQ_OUTSIDE_WINDOW, tr__rel(x->snd, R->adv_right), tr__rel(x->snd, end),
             (uint32_t)(end - R->adv_right), 0);
    struct tr_ep *S = x->snd;
    uint32_t lo = tr_seq_gt(s->seq, R->adv_right) ? s->seq : R->adv_right;
    if (!tr_ep_has(S, TR_EP_BEYOND)) {
        S->beyond_low = lo;
        S->beyond_high = end;
    } else {
        S->beyond_low = tr_seq_min(S->beyond_low, lo);
        S->beyond_high = tr_seq_max(S->beyond_high, end);
    }
    S->flags |= TR_EP_BEYOND;
}

/* The FIN: RFC 9293 §3.6, it takes the sequence number after the last data
 * octet; once sent, no new data may follow (§3.10.4: CLOSE means "I have no
 * more to send"). */
static void tr__send_fin(struct tr_x *x, uint32_t old_max)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    uint32_t fin = s->seq + s->len;
    if (tr_tcb_has(&S->tcb, TR_TCB_FIN_SENT)) {
        if (fin != S->tcb.fin_seq)
            tr__find(x, TR_RULE_SEQ_FIN_MOVED, tr__rel(S, S->tcb.fin_seq), tr__rel(S, fin), 0, 0);
        return;
    }
    if (tr_seq_lt(fin, old_max) && !x->ooo)
        tr__find(x, TR_RULE_SEQ_FIN_MOVED, tr__rel(S, old_max), tr__rel(S, fin), 0, 0);
    S->tcb.flags |= TR_TCB_FIN_SENT;
    S->tcb.fin_seq = fin;
    x->new_fin = true;
    tr__transition(x->o, x->c, x->dir, TR_EV_CLOSE, s->frame, s->ts_ns);
}

static void tr__check_data_after_fin(struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    if (!s->len || !tr_tcb_has(&S->tcb, TR_TCB_FIN_SENT) || x->new_fin)
        return;
    uint32_t end = s->seq + s->len;
    if (tr_seq_gt(end, S->tcb.fin_seq))
        tr__find(x, TR_RULE_SEQ_DATA_AFTER_FIN, tr__rel(S, S->tcb.fin_seq), tr__rel(S, end), 0, 0);
}

/* RFC 9293 §3.10.4: in SYN-SENT and SYN-RECEIVED, SEND queues the data
 * "for transmission after entering ESTABLISHED state"; Fast Open (RFC 7413)
 * is the exception. */
static void tr__check_early_data(struct tr_x *x)
{
    uint8_t st = x->snd->tcb.state;
    if (!x->s->len || (x->s->flags & TR_SYN) || (x->c->flags & TR_CONN_TFO) || x->retx)
        return;
    if (st == TR_SYN_SENT || st == TR_SYN_RECEIVED)
        tr__find(x, TR_RULE_HS_DATA_BEFORE_ESTABLISHED, 0, x->s->len, st, 0);
}

/* A segment without data whose SEQ is past everything captured from its
 * sender: the bytes in between were sent and not captured. */
static void tr__empty_after_hole(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    if ((x->s->flags & TR_RST) || !tr_seq_gt(x->s->seq, S->tcb.snd_max))
        return;
    tr__send_after_hole(x);
    S->tcb.snd_max = S->tcb.snd_nxt = x->s->seq;
}

static void tr__classify(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    uint32_t seq = x->s->seq;
    if (x->seqlen == 0) {
        if (!tr__is_probe(x))
            tr__empty_after_hole(x);
        return;
    }
    if (tr__is_probe(x))
        return;
    if (seq == S->tcb.snd_max) {
        tr__is_zwp_data(x);
        tr__send_new(x);
    } else if (tr_seq_gt(seq, S->tcb.snd_max)) {
        tr__send_after_hole(x);
        tr__send_new(x);
    } else {
        tr__send_old(x);
    }
}

/* The sender's first own segment, when its base came from the peer's ACK:
 * the bytes between were sent before the capture began. Not a capture loss
 * to report, but never seen: a later segment there fills a hole. */
static void tr__send_first_own(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    S->flags &= ~(uint32_t)TR_EP_BASE_FROM_ACK;
    if (!tr_seq_gt(x->s->seq, S->tcb.snd_max))
        return;
    struct tr_txring *r = tr__ring_get(x->o, S);
    if (r)
        tr__ring_add_gap(r, S->tcb.snd_max, x->s->seq, x->s->ts_ns, x->s, false);
    S->tcb.snd_max = S->tcb.snd_nxt = x->s->seq;
}

void tr__send(struct tr_x *x)
{
    if (!tr_ep_has(x->snd, TR_EP_SENT_ANY))
        tr__send_base(x);
    else if (tr_ep_has(x->snd, TR_EP_BASE_FROM_ACK))
        tr__send_first_own(x);
    uint32_t old_max = x->snd->tcb.snd_max;
    tr__resolve_unseen(x);
    tr__classify(x);
    bool new_data = x->seqlen && !x->retx && !x->ooo && !x->probe;
    if (new_data)
        tr__timer_on_send(x, old_max);
    if (x->s->len) {
        tr__check_early_data(x);
        tr__check_data_after_fin(x);
        tr__check_mss(x);
        tr__check_window_edge(x);
        tr__window_full(x);
        tr__sws_sender(x, new_data);
    }
    if (x->s->flags & TR_FIN)
        tr__send_fin(x, old_max);
}
