/*
 * The active endpoint: the user calls of RFC 9293 §3.10.1-§3.10.5 (OPEN,
 * SEND, RECEIVE, CLOSE, ABORT), its life cycle, and what entering a state
 * implies. Segment arrival, output and timers live in endpoint_*.c
 * (endpoint_int.h lists them).
 */
#include <stdlib.h>
#include <string.h>

#include "stack/endpoint_int.h"
#include "stack/error.h"
#include "stack/seq.h"

#define TR__MS(x) ((int64_t)(x) * 1000000)
#define TR__UNLIMITED_START 65536u /* first size of an unlimited send buffer */

static uint16_t tr__ep_default_mss(const struct tr_endpoint *e)
{
    return e->ipver == 6 ? e->prof->default_mss6 : e->prof->default_mss4;
}

uint32_t tr__ep_smss(const struct tr_endpoint *e)
{
    uint32_t mss = e->tcb.snd_mss ? e->tcb.snd_mss : tr__ep_default_mss(e);
    uint32_t ts = tr_tcb_has(&e->tcb, TR_TCB_TS_OK) ? 12u : 0u;
    return mss > ts + 1 ? mss - ts : 1;
}

/* Forgets everything of the previous connection. */
static void tr__ep_clear(struct tr_endpoint *e)
{
    tr_tcb_init(&e->tcb, &e->prof->rto);
    e->tcb.rcv_mss = e->cfg.mss ? e->cfg.mss : tr__ep_default_mss(e);
    memset(&e->syn_sent, 0, sizeof e->syn_sent);
    memset(e->timer, 0, sizeof e->timer);
    e->out = 0;
    e->ntimeouts = e->syn_ntx = 0;
    e->remote_port = e->cfg.remote_port;
    e->snd.head = e->snd.len = 0;
    e->snd_base = e->snd_ptr = 0;
    e->fin_queued = e->in_recovery = false;
    e->cwnd = e->ssthresh = e->recover = e->dupacks = 0;
    e->last_peer_win = 0;
    e->sack_high = e->cfg.iss; /* below SND.UNA for good once the SYN is acknowledged */
    e->persist_ns = 0;
    e->tx_head = e->tx_count = 0;
    e->rcv.head = e->rcv.len = 0;
    e->rcv_user = e->rcv_adv = 0;
    e->ooo_stamp = e->unacked_segs = 0;
    e->fin_ooo = false;
    e->nooo = 0;
}

static int tr__ep_check_config(const struct tr_endpoint_config *c)
{
    /* RFC 7323 §2.3: the window never exceeds 2^30 bytes. */
    if (!c->profile || !c->local_port || !c->rcv_buffer || c->rcv_buffer > (1u << 30))
        return TR_EINVAL;
    if (c->snd_buffer > (1u << 30))
        return TR_EINVAL;
    return TR_OK;
}

static void tr__ep_defaults(struct tr_endpoint_config *c)
{
    if (c->delack_ns <= 0)
        c->delack_ns = TR__MS(40); /* MUST-40: well under 0.5 s */
    if (c->time_wait_ns <= 0)
        c->time_wait_ns = 2 * c->profile->msl_ns;
    if (c->max_retries == 0)
        c->max_retries = 15;
    if (c->wscale > 14)
        c->wscale = 14; /* RFC 7323 §2.3 */
}

int tr_endpoint_new(struct tr_endpoint **out, const struct tr_endpoint_config *cfg)
{
    int rc = cfg ? tr__ep_check_config(cfg) : TR_EINVAL;
    if (rc < 0)
        return rc;
    struct tr_endpoint *e = calloc(1, sizeof *e);
    if (!e)
        return TR_ENOMEM;
    e->cfg = *cfg;
    tr__ep_defaults(&e->cfg);
    e->prof = cfg->profile;
    e->ipver = 4;
    uint32_t scap = cfg->snd_buffer ? cfg->snd_buffer : TR__UNLIMITED_START;
    e->tx = calloc(TR__TX_MAX, sizeof *e->tx);
    if (!e->tx || tr_ring_init(&e->snd, scap, cfg->snd_buffer == 0) < 0 ||
        tr_ring_init(&e->rcv, cfg->rcv_buffer, false) < 0) {
        tr_endpoint_free(e);
        return TR_ENOMEM;
    }
    tr__ep_clear(e);
    *out = e;
    return TR_OK;
}

void tr_endpoint_free(struct tr_endpoint *e)
{
    if (!e)
        return;
    tr_ring_free(&e->snd);
    tr_ring_free(&e->rcv);
    free(e->tx);
    free(e);
}

int tr_endpoint_set_ipver(struct tr_endpoint *e, int ipver)
{
    if ((ipver != 4 && ipver != 6) || e->tcb.state != TR_CLOSED)
        return TR_EINVAL;
    e->ipver = (uint8_t)ipver;
    e->tcb.rcv_mss = e->cfg.mss ? e->cfg.mss : tr__ep_default_mss(e);
    return TR_OK;
}

/* The options our SYN offers (RFC 9293 §3.2 MSS, RFC 7323 §2-3, RFC 2018 §2). */
static void tr__ep_offer(struct tr_endpoint *e)
{
    struct tr_opts *o = &e->syn_sent;
    memset(o, 0, sizeof *o);
    o->has_mss = e->cfg.mss != 0;
    o->mss = e->cfg.mss;
    o->has_wscale = e->cfg.wscale >= 0;
    o->wscale = o->has_wscale ? (uint8_t)e->cfg.wscale : 0;
    o->sack_perm = e->cfg.sack_permitted;
    o->has_ts = e->cfg.timestamps;
}

/*
 * RFC 9293 §3.10.1, active OPEN: "An initial send sequence number (ISS) is
 * selected. A SYN segment of the form <SEQ=ISS><CTL=SYN> is sent. Set
 * SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
 */
int tr_endpoint_connect(struct tr_endpoint *e, int64_t now)
{
    if (!e->cfg.remote_port)
        return TR_EINVAL;
    if (e->tcb.state != TR_CLOSED)
        return TR_ESTATE;
    tr__ep_clear(e);
    e->err = TR_EPERR_NONE;
    tr__ep_offer(e);
    struct tr_tcb *t = &e->tcb;
    t->iss = t->snd_una = e->cfg.iss;
    t->snd_nxt = t->snd_max = e->cfg.iss + 1;
    t->flags |= TR_TCB_ISS_KNOWN;
    e->snd_base = e->snd_ptr = e->cfg.iss + 1;
    tr__ep_event(e, TR_EV_SND_SYN, now);
    e->out |= TR__OUT_SYN;
    return TR_OK;
}

/* §3.10.1, passive OPEN. */
int tr_endpoint_listen(struct tr_endpoint *e)
{
    if (e->tcb.state != TR_CLOSED)
        return TR_ESTATE;
    tr__ep_clear(e);
    e->err = TR_EPERR_NONE;
    tr__ep_offer(e);
    tr_tcb_event(&e->tcb, TR_EV_PASSIVE_OPEN);
    return TR_OK;
}

/* §3.10.2: SEND is accepted until CLOSE; before ESTABLISHED the data is
 * queued "for transmission after entering ESTABLISHED state". */
static bool tr__ep_may_send(const struct tr_endpoint *e)
{
    uint8_t st = e->tcb.state;
    if (e->fin_queued)
        return false;
    return st == TR_SYN_SENT || st == TR_SYN_RECEIVED || st == TR_ESTABLISHED ||
           st == TR_CLOSE_WAIT;
}

size_t tr_endpoint_write(struct tr_endpoint *e, const uint8_t *data, size_t n, int64_t now)
{
    (void)now;
    if (!tr__ep_may_send(e) || n == 0)
        return 0;
    uint32_t want = n > (1u << 30) ? (1u << 30) : (uint32_t)n;
    if (e->cfg.snd_buffer) {
        uint32_t room = tr_ring_space(&e->snd);
        want = want < room ? want : room;
    } else if (!tr_ring_reserve(&e->snd, e->snd.len + want)) {
        want = tr_ring_space(&e->snd);
    }
    tr_ring_append(&e->snd, data, want);
    return want;
}

size_t tr_endpoint_read(struct tr_endpoint *e, uint8_t *buf, size_t cap)
{
    uint32_t n = e->rcv.len;
    if (cap < n)
        n = (uint32_t)cap;
    if (n == 0)
        return 0;
    tr_ring_read_at(&e->rcv, 0, buf, n);
    tr_ring_consume(&e->rcv, n);
    e->rcv_user += n;
    e->st.bytes_delivered += n;
    tr__ep_rcv_read(e);
    return n;
}

size_t tr_endpoint_readable(const struct tr_endpoint *e) { return e->rcv.len; }

/*
 * §3.10.4 CLOSE. LISTEN and SYN-SENT: delete the TCB. SYN-RECEIVED: "If no
 * SENDs have been issued and there is no pending data to send, then form a
 * FIN segment and send it, and enter FIN-WAIT-1 state; otherwise, queue for
 * processing after entering ESTABLISHED state". ESTABLISHED and CLOSE-WAIT:
 * the FIN follows the queued data (FIN-WAIT-1, LAST-ACK).
 */
int tr_endpoint_shutdown(struct tr_endpoint *e, int64_t now)
{
    uint8_t st = e->tcb.state;
    if (st == TR_LISTEN || st == TR_SYN_SENT) {
        tr__ep_event(e, TR_EV_CLOSE, now);
        return TR_OK;
    }
    if (e->fin_queued || (st != TR_SYN_RECEIVED && st != TR_ESTABLISHED && st != TR_CLOSE_WAIT))
        return TR_ESTATE;
    e->fin_queued = true;
    if (st != TR_SYN_RECEIVED || e->snd.len == 0)
        tr__ep_event(e, TR_EV_CLOSE, now);
    return TR_OK;
}

/* §3.10.5 ABORT: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT:
 * "Send a reset segment: <SEQ=SND.NXT><CTL=RST>"; every state: CLOSED. */
int tr_endpoint_abort(struct tr_endpoint *e, int64_t now)
{
    uint8_t st = e->tcb.state;
    if (st == TR_CLOSED)
        return TR_ESTATE;
    if (st == TR_SYN_RECEIVED || st == TR_ESTABLISHED || st == TR_FIN_WAIT_1 ||
        st == TR_FIN_WAIT_2 || st == TR_CLOSE_WAIT)
        tr__ep_queue_rst(e, e->tcb.snd_nxt, 0, TR_RST, e->remote_port);
    tr__ep_drop(e, TR_EV_ABORT, TR_EPERR_ABORTED, now);
    return TR_OK;
}

void tr__ep_queue_rst(struct tr_endpoint *e, uint32_t seq, uint32_t ack, uint8_t flags,
                      uint16_t dport)
{
    e->rst.seq = seq;
    e->rst.ack = ack;
    e->rst.flags = flags;
    e->rst.dport = dport;
    e->out |= TR__OUT_RST;
}

void tr__ep_drop(struct tr_endpoint *e, enum tr_event ev, enum tr_endpoint_error err, int64_t now)
{
    e->err = (uint8_t)err;
    tr__ep_event(e, ev, now);
    if (e->tcb.state == TR_CLOSED) {
        e->rcv.len = 0; /* §3.10.7.4: "All segment queues should be flushed" */
        e->nooo = 0;
    }
}

/* ---- entering a state ---- */

/* RFC 6298 §5.7: "If the timer expires awaiting the ACK of a SYN segment and
 * the TCP implementation is using an RTO less than 3 seconds, the RTO MUST
 * be re-initialized to 3 seconds when data transmission begins". */
static void tr__ep_established(struct tr_endpoint *e, int64_t now)
{
    if (e->prof->syn_fallback && tr_tcb_has(&e->tcb, TR_TCB_SYN_TIMEDOUT))
        tr_rto_syn_fallback(&e->tcb.rtt, &e->prof->rto);
    e->ntimeouts = 0;
    tr__ep_cc_init(e);
    if (e->fin_queued) /* a CLOSE queued in SYN-RECEIVED */
        tr__ep_event(e, TR_EV_CLOSE, now);
}

/* A passively opened connection reset in SYN-RECEIVED listens again
 * (§3.10.7.4 second, SYN-RECEIVED). */
static void tr__ep_relisten(struct tr_endpoint *e)
{
    tr__ep_clear(e);
    tr__ep_offer(e);
    e->tcb.state = TR_LISTEN;
    e->tcb.flags |= TR_TCB_PASSIVE;
}

static void tr__ep_closed(struct tr_endpoint *e)
{
    memset(e->timer, 0, sizeof e->timer);
    e->out &= TR__OUT_RST;
    e->snd.len = 0;
    e->tx_count = 0;
    e->in_recovery = false;
}

void tr__ep_event(struct tr_endpoint *e, enum tr_event ev, int64_t now)
{
    if (!tr_tcb_event(&e->tcb, ev))
        return;
    switch (e->tcb.state) {
    case TR_ESTABLISHED:
        tr__ep_established(e, now);
        break;
    case TR_TIME_WAIT:
        tr__ep_timer_stop(e, TR__T_RTX);
        tr__ep_timer_stop(e, TR__T_PERSIST);
        tr__ep_timer_set(e, TR__T_TIME_WAIT, now + e->cfg.time_wait_ns);
        break;
    case TR_CLOSED:
        tr__ep_closed(e);
        break;
    case TR_LISTEN:
        tr__ep_relisten(e);
        break;
    default:
        break;
    }
}

/* ---- accessors ---- */

enum tr_state tr_endpoint_state(const struct tr_endpoint *e) { return (enum tr_state)e->tcb.state; }
const struct tr_tcb *tr_endpoint_tcb(const struct tr_endpoint *e) { return &e->tcb; }
enum tr_endpoint_error tr_endpoint_error(const struct tr_endpoint *e)
{
    return (enum tr_endpoint_error)e->err;
}

bool tr_endpoint_eof(const struct tr_endpoint *e)
{
    return tr_tcb_has(&e->tcb, TR_TCB_FIN_RCVD) && e->rcv.len == 0;
}

void tr_endpoint_stats(const struct tr_endpoint *e, struct tr_endpoint_stats *st)
{
    *st = e->st;
    st->cwnd = e->cwnd;
    st->ssthresh = e->ssthresh;
}
