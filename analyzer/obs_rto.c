/*
 * Retransmissions and the retransmission timer (RFC 6298), as each sender
 * runs them.
 *
 * The timer (§5): started when data is sent and it is not running (§5.1),
 * restarted when an ACK acknowledges new data (§5.3), stopped when all data
 * is acknowledged (§5.2); on expiry the earliest unacknowledged segment is
 * re-sent (§5.4) and the RTO doubles (§5.5). Every segment that re-sends
 * sequence space is classified: spurious (already acknowledged), fast
 * retransmit or SACK loss recovery (the peer's duplicate ACKs or SACK blocks
 * showed the loss: RFC 5681 §3.2, RFC 6675), tail loss probe (RFC 8985 §7,
 * when the profile expects them), timeout, or a later re-send of a loss
 * episode. Timeouts are judged against the estimator's RTO at that moment.
 *
 * Where the capture was taken: a timeout observed at the capture point is
 * never shorter than the sender's (the ACK that restarted the timer reached
 * the capture before the sender; the retransmission reached it after), so a
 * "too early" verdict is sound from anywhere. RTT samples taken at the
 * capture point miss the round trip between the capture and the sender; the
 * handshake measures it (tr__vantage) and it is added back.
 */
#include "analyzer/format.h"
#include "analyzer/obs_int.h"
#include "stack/seq.h"

enum { TR_REC_NONE = 0, TR_REC_FAST, TR_REC_RTO };

static int64_t tr__max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* The profile's tolerance around an expected duration. */
#define TR_HOUR_NS ((int64_t)3600 * 1000000000)

static int64_t tr__tol(const struct tr_obs *o, int64_t expected)
{
    return tr__max64(o->prof.tol_abs_ns, expected / 100 * o->prof.tol_pct);
}

/* The round trip between the capture point and endpoint ep, when known. */
static int64_t tr__side(const struct tr_conn *c, unsigned ep)
{
    return c->side_known ? c->side_rtt[ep] : 0;
}

/* ---- vantage point and handshake RTT ---- */

/* Called when the handshake completes: the capture point splits the round
 * trip into the server's side (SYN to SYN-ACK) and the client's side
 * (SYN-ACK to ACK). */
void tr__vantage(struct tr_obs *o, struct tr_conn *c)
{
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    if (!tr_ep_has(cl, TR_EP_SYN_SEEN) || !tr_ep_has(sv, TR_EP_SYN_SEEN))
        return;
    /* The server's side: the client's latest SYN to the SYN-ACK answering
     * it (not a later one from the server's timer, which a capture near the
     * server holds when its first SYN-ACK was lost beyond it). The client's
     * side: the latest SYN-ACK to the ACK answering it. */
    int64_t server_side = sv->syn_answer_ts - cl->syn_ts, client_side = c->hs_ack_ts - sv->syn_ts;
    if (server_side < 0 || client_side < 0)
        return; /* reordered capture: no vantage */
    if (server_side > TR_HOUR_NS || client_side > TR_HOUR_NS)
        return; /* absurd timestamps: no vantage (and no overflow) */
    c->side_rtt[0] = client_side;
    c->side_rtt[1] = server_side;
    c->side_known = true;
    (void)o;
}

void tr__rtt_sample(struct tr_obs *o, struct tr_conn *c, unsigned ep, int64_t capture_rtt)
{
    struct tr_ep *e = &c->ep[ep];
    /* An hour-long round trip is a broken clock, not an RTT (and would
     * overflow the estimator's arithmetic). */
    if (capture_rtt < 0 || capture_rtt > TR_HOUR_NS)
        return;
    int64_t rtt = capture_rtt + tr__side(c, ep);
    if (rtt < 0)
        return;
    if (e->rtt_n == 0 || rtt < e->rtt_min)
        e->rtt_min = rtt;
    if (e->rtt_n == 0 || rtt > e->rtt_max)
        e->rtt_max = rtt;
    e->rtt_sum += rtt;
    e->rtt_n++;
    tr_rto_sample(&e->tcb.rtt, &o->prof.rto, rtt, e->tcb.snd_una, e->tcb.snd_max);
}

/* The transmission of e's SYN (or SYN-ACK) whose TSval the peer echoed:
 * the first of the attempt, else the latest (the earliest wins when both
 * carried the same TSval, as the sender's clock dates it). One sent in
 * between (three or more transmissions: the peer kept the TSval of the one
 * that reached it first) is dated by the sender's timestamp clock, whose
 * rate the first and the latest give (RFC 7323 §5.4: "proportional to real
 * time"): within a tick of that clock, 1 ms on Linux. */
static bool tr__syn_echoed(const struct tr_ep *e, uint32_t tsecr, int64_t *sent)
{
    bool first = tr_ep_has(e, TR_EP_SYN_TS_FIRST), last = tr_ep_has(e, TR_EP_SYN_TS_LAST);
    if (first && e->syn_tsval_first == tsecr) {
        *sent = e->first_syn_ts;
        return true;
    }
    if (last && e->syn_tsval == tsecr) {
        *sent = e->syn_ts;
        return true;
    }
    if (!first || !last || e->st.syn < 3 || !tr_seq_lt(e->syn_tsval_first, tsecr) ||
        !tr_seq_lt(tsecr, e->syn_tsval) || e->syn_ts <= e->first_syn_ts)
        return false;
    /* frac < 1 and the span saturated: the date stays below syn_ts */
    double frac = (double)(uint32_t)(tsecr - e->syn_tsval_first) / (double)(uint32_t)(e->syn_tsval - e->syn_tsval_first);
    *sent = e->first_syn_ts + (int64_t)(frac * (double)tr__since(e->syn_ts, e->first_syn_ts));
    return true;
}

/* The handshake's own samples, when each endpoint sent its SYN once: the
 * client's SYN to the SYN-ACK it answered, the server's SYN-ACK to that
 * ACK.
 * RFC 6298 §3 (Karn): "RTT samples MUST NOT be made using segments that
 * were retransmitted ... The only case when TCP can safely take RTT
 * samples from retransmitted segments is when the TCP timestamp option is
 * employed", and RFC 7323 §4.1 (RTTM) makes the sample from the TSecr of
 * the segment that acknowledges it: a SYN sent more than once is timed
 * from the transmission whose TSval the SYN-ACK echoes (a server echoes
 * the first SYN it received, so a lost SYN-ACK makes a sample of about
 * the initial RTO: Linux's srtt after such a handshake), a SYN-ACK sent
 * more than once from the one the ACK echoes. Neither matched, or a
 * profile that keeps Karn's rule for the handshake (rfc: §5.7 sets the RTO
 * to 3 s after a SYN timeout whatever was measured): no sample. */
void tr__handshake_samples(struct tr_obs *o, struct tr_conn *c, const struct tr_seg *ack)
{
    if (!c->side_known)
        return;
    const struct tr_ep *cl = &c->ep[0], *sv = &c->ep[1];
    int64_t sent;
    /* at the capture point: the client's SYN to the SYN-ACK it answered,
     * the server's SYN-ACK to the ACK; tr__rtt_sample adds each side */
    if (cl->st.syn == 1)
        tr__rtt_sample(o, c, 0, sv->syn_ts - cl->syn_ts);
    else if (o->prof.syn_ts_sample && tr_ep_has(sv, TR_EP_SYN_TS_LAST) &&
             tr__syn_echoed(cl, sv->syn_tsecr, &sent))
        tr__rtt_sample(o, c, 0, sv->syn_ts - sent);
    if (sv->st.syn == 1)
        tr__rtt_sample(o, c, 1, c->hs_ack_ts - sv->syn_ts);
    else if (o->prof.syn_ts_sample && ack->opt.has_ts && tr__syn_echoed(sv, ack->opt.tsecr, &sent))
        tr__rtt_sample(o, c, 1, ack->ts_ns - sent);
}

/* ---- the timer ---- */

/* RFC 6298 §5.7: after a SYN timed out with no RTT measured, RTO <- 3 s
 * when data transmission begins. */
static void tr__syn_fallback(struct tr_obs *o, struct tr_ep *S)
{
    if (tr_ep_has(S, TR_EP_FALLBACK_DONE))
        return;
    S->flags |= TR_EP_FALLBACK_DONE;
    if (o->prof.syn_fallback && tr_tcb_has(&S->tcb, TR_TCB_SYN_TIMEDOUT) && S->tcb.rtt.nsamples == 0)
        tr_rto_syn_fallback(&S->tcb.rtt, &o->prof.rto);
}

/* New data goes out: §5.1, start the timer if it is not running. */
void tr__timer_on_send(struct tr_x *x, uint32_t old_max)
{
    struct tr_ep *S = x->snd;
    if (!(x->s->flags & TR_SYN))
        tr__syn_fallback(x->o, S);
    if (S->tcb.snd_una == old_max || !S->timer_on) {
        S->timer_start = S->timer_late = x->s->ts_ns;
        S->timer_on = 1;
    }
    S->last_tx_ts = x->s->ts_ns;
    S->flags &= ~(uint32_t)TR_EP_STALE_LAST;
}

/* The peer acknowledged new data of D (x->snd sent the ACK): §5.2 / §5.3. */
void tr__timer_on_ack(struct tr_x *x, struct tr_ep *D)
{
    uint32_t ack = x->s->ack;
    if (D->stall) {
        /* A stall was suspected, yet the data is acknowledged without a
         * captured retransmission: the capture missed it. */
        const int64_t a[TR_FINDING_ARGS] = {x->s->ts_ns - D->timer_start};
        tr__find_at(x->o, x->c, TR_RULE_CAP_RTX_NOT_CAPTURED, x->dir, x->s->frame, x->s->ts_ns, a);
        D->stall = 0;
    }
    if (D->recovery && tr_seq_ge(ack, D->recovery_point))
        D->recovery = TR_REC_NONE;
    if (tr_ep_has(D, TR_EP_SACK_HIGH) && tr_seq_ge(ack, D->sack_high))
        D->flags &= ~(uint32_t)TR_EP_SACK_HIGH;
    if (tr_ep_has(D, TR_EP_BEYOND) && tr_seq_ge(ack, D->beyond_high))
        D->flags &= ~(uint32_t)TR_EP_BEYOND;
    if (D->ack_doubt && tr_seq_gt(ack, D->doubt_end))
        D->ack_doubt = 0;
    D->ntimeouts = 0;
    /* RFC 8985 §7.4.2: the probe episode ends when the ACK reaches the
     * SND.NXT of the probe; one probe per episode (§7.3), so a re-send
     * before that is a timeout, not a second probe. */
    if (D->tlp_out && tr_seq_ge(ack, D->tlp_end))
        D->tlp_out = 0;
    D->flags &= ~(uint32_t)TR_EP_SMALL_PENDING;
    D->timer_on = ack != D->tcb.snd_max;
    D->timer_start = D->timer_late = x->s->ts_ns;
}

/* ---- RACK: the latest transmission known delivered (RFC 8985 §6.2) ---- */

/* When an entry of D's ring that the peer's ACK or SACK shows received was
 * sent: its latest transmission, unless it was re-sent and the ACK came
 * sooner after that than D's shortest round trip (then it answers an
 * earlier copy, as Linux's tcp_rack_advance() judges it; without a round
 * trip measured, it cannot tell): then its first. */
int64_t tr__rack_date(const struct tr_x *x, const struct tr_ep *D, const struct tr_txseg *e)
{
    if (e->ntx <= 1)
        return e->t_last;
    int64_t since = x->s->ts_ns - e->t_last + tr__side(x->c, (unsigned)!x->dir);
    return D->rtt_n && since >= D->rtt_min ? e->t_last : e->t_first;
}

void tr__rack_advance(struct tr_x *x, struct tr_ep *D, int64_t xmit)
{
    if (xmit > D->rack_xmit_ts) {
        D->rack_xmit_ts = xmit;
        D->rack_seen_ts = x->s->ts_ns;
    }
}

/* ---- SACK and D-SACK from the peer's ACK ---- */

/* RFC 2883 §4: the first SACK block reports a duplicate when it lies below
 * the cumulative ACK or inside the second block. */
static bool tr__is_dsack(const struct tr_opts *o, uint32_t ack)
{
    if (!o->nsack)
        return false;
    const struct tr_sack_block *b = &o->sack[0];
    if (tr_seq_le(b->right, ack))
        return true;
    return o->nsack > 1 && tr_seq_ge(b->left, o->sack[1].left) && tr_seq_le(b->right, o->sack[1].right);
}

/* x->snd sent SACK blocks about the data of D = x->rcv. */
void tr__sack_info(struct tr_x *x)
{
    const struct tr_opts *o = &x->s->opt;
    struct tr_ep *D = x->rcv;
    if (!o->nsack || !x->opts_known)
        return;
    unsigned first = 0;
    if (tr__is_dsack(o, x->s->ack)) {
        D->st.dsack++;
        tr__find(x, TR_RULE_RETX_DSACK, tr__rel(D, o->sack[0].left), tr__rel(D, o->sack[0].right), 0, 0);
        first = 1;
    }
    const struct tr_txring *ring = x->o->prof.tlp ? tr__ring(x->o, D) : NULL;
    for (unsigned i = first; i < o->nsack; i++) {
        uint32_t r = o->sack[i].right;
        if (tr_seq_le(r, x->s->ack) || tr_seq_gt(r, D->tcb.snd_max))
            continue;
        for (uint32_t k = 0; ring && k < ring->count; k++) {
            const struct tr_txseg *e = &ring->e[(ring->head + k) % TR_RING_SLOTS];
            if (tr_seq_ge(e->seq, o->sack[i].left) && tr_seq_le(e->end, r))
                tr__rack_advance(x, D, tr__rack_date(x, D, e));
        }
        /* RFC 6675 §2: evidence of loss is SACK information about octets
         * not SACKed before; the same block repeated is not. */
        if (!tr_ep_has(D, TR_EP_SACK_HIGH) || tr_seq_gt(r, D->sack_high)) {
            D->sack_high = r;
            D->sack_ts = x->s->ts_ns;
        }
        D->flags |= TR_EP_SACK_HIGH;
        /* The receiver holds data out of order up to r: its ACK that
         * fills the hole is not a stretch ACK (obs_ack.c). */
        struct tr_ep *A = x->snd;
        if (!tr_ep_has(A, TR_EP_HOLE_SIGNALLED) || tr_seq_gt(r, A->hole_until))
            A->hole_until = r;
        A->flags |= TR_EP_HOLE_SIGNALLED;
    }
}

/* ---- classifying a re-send ---- */

/* RFC 5681 §3.2: the segment at the cumulative ACK, re-sent after
 * duplicate ACKs (two or more seen: the third may not be captured yet). */
static bool tr__dupack_evidence(const struct tr_x *x)
{
    const struct tr_ep *R = x->rcv;
    /* Duplicate ACKs that came before the sender's latest re-send were
     * answered by it: they do not trigger this one. */
    return R->dupack_run >= 2 && x->s->seq == R->highest_ack && R->dupack_ts > x->snd->last_rtx_ts;
}

/* The peer's duplicate ACKs or SACK blocks (RFC 6675) show it lost. */
bool tr__loss_evidence(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    if (tr__dupack_evidence(x))
        return true;
    return tr_ep_has(S, TR_EP_SACK_HIGH) && tr_seq_lt(x->s->seq, S->sack_high);
}

/* RFC 8985 §6.2 (RACK, Linux with SACK): the peer has received a
 * transmission sent after this segment's latest one, so the sender deems
 * it lost ("a segment is lost if some segment sent later has been
 * delivered") and re-sends it at once: loss recovery, not its timer. */
static bool tr__rack_evidence(const struct tr_x *x, int64_t *seen)
{
    const struct tr_ep *S = x->snd;
    if (!x->o->prof.tlp || !tr_tcb_has(&S->tcb, TR_TCB_SACK_OK))
        return false;
    const struct tr_txring *r = tr__ring(x->o, x->snd);
    for (uint32_t k = 0; r && k < r->count; k++) {
        const struct tr_txseg *e = &r->e[(r->head + k) % TR_RING_SLOTS];
        if (!tr_seq_le(e->seq, x->s->seq) || !tr_seq_gt(e->end, x->s->seq))
            continue;
        *seen = S->rack_seen_ts;
        if (S->rack_xmit_ts && e->t_last < S->rack_xmit_ts)
            return true;
        /* Merged entries (a long flight in loss recovery) keep one time
         * for many segments, and RACK's evidence cannot be dated from them.
         * What the capture shows instead: the peer has just acknowledged
         * data the sender had re-sent, up to this segment, and this one
         * is re-sent at once (the sender's retransmission, sent during
         * recovery, was delivered; this segment, from the flight before,
         * was not). */
        *seen = S->resent_acked_ts;
        return (e->flags & TR_TX_MERGED) && x->s->seq == S->tcb.snd_una && S->resent_acked_ts &&
               S->resent_acked_una == x->s->seq;
    }
    return false;
}

/* RFC 8985 §7 (Linux with SACK): the first re-send of the tail segment of a
 * flight, before any loss was shown. */
static bool tr__is_tlp(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    if (!x->o->prof.tlp || !tr_tcb_has(&S->tcb, TR_TCB_SACK_OK) || S->tlp_out || S->ntimeouts ||
        S->recovery || (x->s->flags & TR_SYN))
        return false;
    return x->s->seq + x->seqlen == S->tcb.snd_max;
}

/* A SYN-ACK sent right after the peer's SYN answers it, not a timeout: a
 * server's answer to a duplicate SYN (RFC 9293 §3.10.7.2), or the SYN-ACK of
 * a simultaneous open (§3.5, figure 8).
 * The second SYN-ACK since a re-sent SYN may be the answer too: when the
 * server's SYN-ACK to the SYN before was lost, its timer and the client's
 * run in step (both started then, both at the initial RTO, §2.1), so its
 * timer's SYN-ACK goes out just as the re-sent SYN arrives, and its answer
 * to that SYN just after (or before) it. Which is which, the capture cannot
 * tell; neither is a timeout too early (found as a false rto.syn-too-early,
 * two SYN-ACKs 23 us apart, on a benchmark capture of Linux: seed 3690
 * flow-heavy, frame 2498845). */
static bool tr__is_syn_answer(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd, *R = x->rcv;
    if ((x->s->flags & (TR_SYN | TR_ACK)) != (TR_SYN | TR_ACK) || !tr_ep_has(R, TR_EP_SYN_SEEN))
        return false;
    if (x->s->ts_ns - R->syn_ts >= S->tcb.rtt.rto_ns / 2)
        return false;
    bool crossed = R->st.syn >= 2 && S->syn_answer_ts >= R->syn_ts && S->syn_answer_ts == S->last_tx_ts;
    return R->syn_ts > S->last_tx_ts || crossed;
}

/* The timer could have expired: the RTO (within tolerance) has passed
 * since it was last started. */
static bool tr__timer_expired(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    int64_t rto = S->tcb.rtt.rto_ns;
    return S->timer_on && x->s->ts_ns - S->timer_start >= rto - tr__tol(x->o, rto);
}

/* The sender's previous data segment re-sent data the capture had seen
 * acknowledged, so it was acting on an older view of the peer's ACKs than
 * the capture's (ACKs it had not yet processed, Linux's socket backlog under
 * load, or had not received); this re-send goes on from there, upward, no
 * later after it than that view was shown to lag. The capture's SND.UNA is
 * then not known to be the sender's: this segment was its head only if it
 * caught up on those ACKs in between, and a re-send of data beyond its head
 * is loss recovery (RFC 8985 §6.2, RFC 6675), not its timer (RFC 6298
 * §5.4 re-sends the earliest unacknowledged segment). Found as a false
 * rto.too-early on a benchmark capture of Linux: a burst of re-sends of
 * acknowledged data ran on into the capture's SND.UNA 4 us later. */
static bool tr__stale_run(const struct tr_x *x)
{
    const struct tr_ep *S = x->snd;
    return tr_ep_has(S, TR_EP_STALE_LAST) && tr_seq_ge(x->s->seq, S->last_rtx_end) &&
           tr__since(x->s->ts_ns, S->last_rtx_ts) <= (int64_t)S->stale_lag_us * 1000;
}

static enum tr_rtx tr__kind(struct tr_x *x)
{
    const struct tr_ep *S = x->snd, *R = x->rcv;
    uint32_t end = x->s->seq + x->seqlen;
    /* The segment at the sender's SND.UNA: the capture's, unless the
     * sender's view of the ACKs lags it (tr__stale_run). */
    bool stale = tr__stale_run(x), head = x->s->seq == S->tcb.snd_una && !stale;
    if (x->s->len && tr_ep_has(R, TR_EP_ACK_SEEN) && tr_seq_le(end, R->highest_ack) &&
        !(x->s->flags & TR_SYN))
        return TR_RTX_SPURIOUS;
    if (tr__is_syn_answer(x))
        return TR_RTX_SYN_ANSWER;
    /* The head again after a timeout with no ACK since, or once the timer
     * could have expired in recovery: a timeout, judged as one. */
    if (head && ((S->recovery == TR_REC_RTO && S->ntimeouts) || (S->recovery && tr__timer_expired(x))))
        return TR_RTX_RTO;
    /* After a timeout the sender re-sends the rest of the flight as ACKs
     * come back (go-back-N; Linux's loss state): not new timeouts. */
    if (S->recovery == TR_REC_RTO && tr_seq_lt(x->s->seq, S->recovery_point) && !head)
        return TR_RTX_RTO_RECOVERY;
    /* RFC 5681 §3.2 and RFC 6675 §5: loss recovery answers duplicate ACKs
     * and SACK information at once. The head re-sent only after the timer
     * expired and long after the latest such evidence reached the sender (a
     * round trip and the tolerance) was sent by the timer. */
    int64_t rack_seen = 0;
    bool dup = tr__dupack_evidence(x), rack = tr__rack_evidence(x, &rack_seen);
    if (dup || rack || tr__loss_evidence(x)) {
        int64_t seen = tr__max64(dup ? R->dupack_ts : 0, tr_ep_has(S, TR_EP_SACK_HIGH) ? S->sack_ts : 0);
        if (rack)
            seen = tr__max64(seen, rack_seen);
        if (head && tr__timer_expired(x) &&
            x->s->ts_ns - seen > S->tcb.rtt.srtt_ns + tr__tol(x->o, S->tcb.rtt.rto_ns))
            return TR_RTX_RTO;
        return dup ? TR_RTX_FAST : TR_RTX_SACK_RECOVERY;
    }
    /* Data the receiver could not take (beyond its window), sent again
     * before any timeout: SHLD-16, not a loss signal. */
    if (tr_ep_has(S, TR_EP_BEYOND) && tr_seq_in(x->s->seq, S->beyond_low, S->beyond_high) &&
        !tr__timer_expired(x))
        return TR_RTX_WINDOW;
    if (S->recovery == TR_REC_RTO && tr_seq_lt(x->s->seq, S->recovery_point))
        return TR_RTX_RTO_RECOVERY;
    if (S->recovery == TR_REC_FAST && tr_seq_lt(x->s->seq, S->recovery_point))
        return TR_RTX_SACK_RECOVERY;
    if (stale)
        return TR_RTX_SACK_RECOVERY;
    if (tr__is_tlp(x))
        return TR_RTX_TLP;
    if (head)
        return TR_RTX_RTO;
    return TR_RTX_OTHER;
}

/* ---- judging a timeout ---- */

struct tr__judge {
    int64_t observed, expected, tol;
    enum tr_rule rule;    /* the violation, or TR_RULE_COUNT */
    int64_t a1, a2;       /* its expected value and second argument */
    enum tr_verdict verdict;
};

/* Consecutive timeouts of the same data: each at least twice the one before
 * (§5.5), up to the maximum; Linux's first SYN retransmissions are linear. */
static void tr__judge_repeat(const struct tr_x *x, struct tr__judge *j, bool syn)
{
    const struct tr_ep *S = x->snd;
    const struct tr_profile *p = &x->o->prof;
    if (syn && S->ntimeouts < p->syn_linear) {
        j->expected = p->rto.initial_ns;
        if (j->observed < j->expected - j->tol)
            j->rule = TR_RULE_RTO_SYN_TOO_EARLY, j->a1 = j->expected, j->a2 = j->tol;
        return;
    }
    int64_t need = S->last_timeout < p->rto.max_ns / 2 ? S->last_timeout * 2 : p->rto.max_ns;
    j->expected = need;
    j->tol = tr__tol(x->o, need);
    if (j->observed < need - j->tol)
        j->rule = syn ? TR_RULE_RTO_SYN_NO_BACKOFF : TR_RULE_RTO_NO_BACKOFF, j->a1 = need,
        j->a2 = S->last_timeout;
}

/* A timer still backed off runs at least twice the RTO the estimator gives
 * (floored at the profile's minimum, §2.4): later than that, with the
 * tolerance of that length and the capture point's distance, it did not
 * collapse. A timer merely late (a busy host) stays well under it. */
static int64_t tr__still_backed_off(const struct tr_x *x, int64_t unfloored)
{
    const struct tr_profile *p = &x->o->prof;
    int64_t rto = unfloored > p->rto.min_ns ? unfloored : p->rto.min_ns;
    return 2 * rto + tr__tol(x->o, 2 * rto) + tr__side(x->c, x->dir);
}

/* The sender's timer backed off before in this capture (§5.5): a timeout
 * of its own seen earlier (this one is already counted), or its SYN's. A
 * timer that never backed off and fires late is late (a busy host, or
 * re-sends lost before the capture), not left backed off, and RFC 6298
 * §2.4 itself recommends a 1 s minimum. */
static bool tr__backed_off_before(const struct tr_ep *S)
{
    return S->st.rtx[TR_RTX_RTO] > 1 || tr_tcb_has(&S->tcb, TR_TCB_SYN_TIMEDOUT);
}

/* The first timeout of this data: not before the estimator's RTO (§5), not
 * below the profile's minimum (§2.4), 3 s after a SYN timeout (§5.7). */
static void tr__judge_first(const struct tr_x *x, struct tr__judge *j, bool syn)
{
    const struct tr_ep *S = x->snd;
    const struct tr_profile *p = &x->o->prof;
    bool fallback = tr_ep_has(S, TR_EP_FALLBACK_DONE) && S->tcb.rtt.nsamples == 0 &&
                    tr_tcb_has(&S->tcb, TR_TCB_SYN_TIMEDOUT) && p->syn_fallback;
    if (j->observed < j->expected - j->tol) {
        j->rule = syn ? TR_RULE_RTO_SYN_TOO_EARLY : fallback ? TR_RULE_RTO_NO_SYN_FALLBACK : TR_RULE_RTO_TOO_EARLY;
        j->a1 = j->expected;
        j->a2 = j->tol;
    } else if (!syn && j->observed < p->rto.min_ns - tr__tol(x->o, p->rto.min_ns)) {
        j->rule = TR_RULE_RTO_BELOW_MIN;
        j->a1 = p->rto.min_ns;
    } else if (!syn && S->tcb.rtt.backoff == 0 && S->tcb.rtt.nsamples && tr__backed_off_before(S) &&
               x->s->ts_ns - S->timer_late > tr__still_backed_off(x, j->expected)) {
        /* Too late only counted from the latest repeat of the ACK that
         * restarted the timer: the first may not have reached the sender. */
        j->rule = TR_RULE_RTO_NOT_COLLAPSED;
        j->a1 = j->expected;
    }
}

static void tr__judge(const struct tr_x *x, struct tr__judge *j)
{
    const struct tr_ep *S = x->snd;
    bool syn = (x->s->flags & TR_SYN) != 0;
    *j = (struct tr__judge){0};
    j->rule = TR_RULE_COUNT;
    j->observed = x->s->ts_ns - S->timer_start;
    /* §5 (MUST) against the estimator; §2.4's floor (SHOULD) separately. */
    j->expected = tr_rto_unfloored(&S->tcb.rtt, &x->o->prof.rto);
    j->tol = tr__tol(x->o, j->expected);
    if (S->ntimeouts)
        tr__judge_repeat(x, j, syn);
    else
        tr__judge_first(x, j, syn);
    j->verdict = j->rule == TR_RULE_COUNT ? TR_VERDICT_OK : TR_VERDICT_VIOLATION;
    if (!x->c->side_known && !syn && j->rule == TR_RULE_COUNT)
        j->verdict = TR_VERDICT_UNKNOWN; /* the sender's RTT is unknown */
    if (S->ack_doubt) { /* when its timer started is unknown */
        j->rule = TR_RULE_COUNT;
        j->verdict = TR_VERDICT_UNKNOWN;
    }
}

static void tr__timeout(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    if (!S->timer_on) {
        const int64_t a[TR_FINDING_ARGS] = {0, S->tcb.rtt.rto_ns, S->tcb.rtt.srtt_ns,
                                            S->tcb.rtt.rttvar_ns, S->ntimeouts + 1, TR_VERDICT_UNKNOWN};
        tr__find6(x, TR_RULE_RTO_TIMEOUT, a);
    } else {
        struct tr__judge j;
        tr__judge(x, &j);
        /* Once per connection: why its timer verdicts are unknown. */
        if (j.verdict == TR_VERDICT_UNKNOWN && !(x->c->flags & TR_CONN_RTO_UNKNOWN)) {
            x->c->flags |= TR_CONN_RTO_UNKNOWN;
            tr__find(x, TR_RULE_CAP_RTO_UNKNOWN, 0, 0, 0, 0);
        }
        const int64_t a[TR_FINDING_ARGS] = {j.observed, j.expected, S->tcb.rtt.srtt_ns,
                                            S->tcb.rtt.rttvar_ns, S->ntimeouts + 1, j.verdict};
        tr__find6(x, TR_RULE_RTO_TIMEOUT, a);
        if (j.rule != TR_RULE_COUNT)
            tr__find(x, j.rule, j.observed, j.a1, j.a2, 0);
        S->last_timeout = j.observed;
    }
    bool linear = (x->s->flags & TR_SYN) && S->ntimeouts < x->o->prof.syn_linear;
    if (!linear)
        tr_rto_backoff(&S->tcb.rtt, &x->o->prof.rto);
    if (S->ntimeouts < UINT8_MAX)
        S->ntimeouts++;
    S->recovery = TR_REC_RTO;
    S->recovery_point = S->tcb.snd_max;
    S->timer_start = S->timer_late = x->s->ts_ns;
    S->timer_on = 1;
}

/* Linux seeds a connection's first RTO from the destination's cached RTT
 * (tcp_init_metrics(): "Use the per-dst cached values to seed the RTO"),
 * kept until the first RTT sample from data: the capture sees the
 * handshake's sample, not the cache. Only ever later than the estimator's
 * RTO (the cache is used when it holds more), so "too early" stays sound;
 * for a stall, the sender's RTO is taken as at least RFC 6298 §2.1's
 * initial 1 s until then. Found on a benchmark capture of Linux (seed 9753
 * flow-heavy, frame 614950): a request lost, its tail loss probe lost, the
 * timeout 1.064 s after the probe, its own TSvals agreeing, where the
 * handshake's 15 us gave 200 ms. */
static int64_t tr__stall_rto(const struct tr_obs *o, const struct tr_ep *e)
{
    int64_t rto = e->tcb.rtt.rto_ns;
    if (o->prof.rto_seed_cached && !tr_ep_has(e, TR_EP_DATA_RTT) && rto < o->prof.rto.initial_ns)
        rto = o->prof.rto.initial_ns;
    return rto;
}

/* A late retransmission after a suspected stall. */
static void tr__stall_resolved(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    if (!S->stall)
        return;
    S->stall = 0;
    tr__find(x, TR_RULE_RTO_STALL, x->s->ts_ns - S->timer_start, tr__stall_rto(x->o, S), 0, 0);
}

/* The sender is near the capture point: what the capture saw arrive, it
 * received (the other side's round trip is over 4 times longer). */
static bool tr__near(const struct tr_conn *c, unsigned ep)
{
    return c->side_known && 4 * c->side_rtt[ep] < c->side_rtt[!ep];
}

/* After a re-send of data the capture saw acknowledged: how far the
 * sender's view of the ACKs was behind, at least. The peer's latest segment
 * acknowledged it too, and was captured no earlier than the first that did:
 * the time since it is a lower bound. */
static void tr__note_stale(struct tr_x *x, enum tr_rtx k)
{
    struct tr_ep *S = x->snd;
    const struct tr_ep *R = x->rcv;
    S->flags &= ~(uint32_t)TR_EP_STALE_LAST;
    if (k != TR_RTX_SPURIOUS || !tr_seq_ge(R->last_ack, x->s->seq + x->seqlen))
        return;
    int64_t lag = tr__since(x->s->ts_ns, R->last_ts) / 1000;
    if (lag <= 0)
        return;
    S->stale_lag_us = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    S->flags |= TR_EP_STALE_LAST;
}

enum tr_rtx tr__resend(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    enum tr_rtx k = tr__kind(x);
    if (k == TR_RTX_SPURIOUS && !tr__near(x->c, x->dir)) {
        /* Data the capture saw acknowledged, sent again: the ACK was lost
         * between the capture and the sender (or the sender's timer fired
         * early). Which it was, and so when its timer started, the capture
         * cannot tell: its timer verdicts are unknown until a new ACK
         * shows it hears the peer again. Not a stall either. */
        S->ack_doubt = 1;
        uint32_t end = x->s->seq + x->seqlen;
        if (tr_seq_gt(end, S->doubt_end) || S->doubt_end == 0)
            S->doubt_end = end;
        S->stall = 0;
    }
    tr__stall_resolved(x);
    tr__note_stale(x, k);
    S->st.rtx[k]++;
    switch (k) {
    case TR_RTX_RTO:
        tr__timeout(x);
        if (x->o->cfg.th.timeouts_on && S->st.rtx[k] == x->o->cfg.th.timeouts + 1)
            tr__find(x, TR_RULE_THR_TIMEOUTS, S->st.rtx[k], x->o->cfg.th.timeouts, 0, 0);
        break;
    case TR_RTX_TLP:
        S->tlp_out = 1;
        S->tlp_end = S->tcb.snd_max;
        S->timer_start = S->timer_late = x->s->ts_ns; /* Linux restarts the RTO from the probe */
        S->timer_on = 1;
        break;
    case TR_RTX_FAST:
    case TR_RTX_SACK_RECOVERY:
        if (S->recovery == TR_REC_NONE) {
            S->recovery = TR_REC_FAST;
            S->recovery_point = S->tcb.snd_max;
        }
        break;
    default:
        break;
    }
    S->last_tx_ts = x->s->ts_ns;
    S->last_rtx_ts = x->s->ts_ns;
    return k;
}

/* ---- stalls ---- */

static int64_t tr__stall_after(const struct tr_obs *o, const struct tr_conn *c, unsigned ep)
{
    int64_t rto = tr__stall_rto(o, &c->ep[ep]);
    return tr__max64(4 * rto, o->prof.stall_ns) + tr__side(c, ep);
}

/* Data outstanding, the timer running, and no retransmission long past the
 * RTO: suspected at the next segment of the connection, decided by what
 * comes next (a late retransmission, or an ACK showing the capture missed
 * it) or by the end of the capture.
 * Not while its SYN (or SYN-ACK) is unacknowledged: a connection attempt may
 * end in silence without breaking a rule. RFC 9293 §3.8.3 (MUST-23, R2 for
 * a SYN): "The application can close the connection (i.e., give up on the
 * open attempt) sooner, of course", and §3.10.4, CLOSE in SYN-SENT: "Delete
 * the TCB" (a client's connect timeout sends nothing); a listener drops a
 * half-open connection after its SYN-ACK retries just as silently (Linux
 * tcp_synack_retries). The report's end ("no-answer") says what the
 * capture shows. */
bool tr__stall_may_come(const struct tr_ep *e)
{
    if (tr_tcb_has(&e->tcb, TR_TCB_ISS_KNOWN) && e->tcb.snd_una == e->tcb.iss)
        return false;
    return e->timer_on && !e->stall && !e->ack_doubt && e->tcb.snd_una != e->tcb.snd_max;
}

void tr__stall_check(struct tr_obs *o, struct tr_conn *c, int64_t now)
{
    for (unsigned ep = 0; ep < 2; ep++) {
        struct tr_ep *e = &c->ep[ep];
        if (!tr__stall_may_come(e))
            continue;
        if (now - e->timer_late > tr__stall_after(o, c, ep))
            e->stall = 1;
    }
}

void tr__stall_finish(struct tr_obs *o, struct tr_conn *c, int64_t capture_end)
{
    tr__stall_check(o, c, capture_end);
    for (unsigned ep = 0; ep < 2; ep++) {
        struct tr_ep *e = &c->ep[ep];
        if (!e->stall)
            continue;
        e->stall = 0;
        const int64_t a[TR_FINDING_ARGS] = {capture_end - e->timer_start, tr__stall_rto(o, e)};
        tr__find_at(o, c, TR_RULE_RTO_STALL, (uint8_t)ep, c->last_frame, capture_end, a);
    }
}
