/*
 * Timer expiry: the retransmission timer (RFC 6298 §5.4-5.6, RFC 9293
 * §3.8.1 for the SYN, R2 as max_retries), the persist timer (§3.8.6.1),
 * the delayed ACK (§3.8.6.3) and TIME-WAIT (§3.10.7.4: 2 MSL).
 */
#include "stack/endpoint_int.h"
#include "stack/seq.h"

int64_t tr_endpoint_next_timeout(const struct tr_endpoint *e)
{
    int64_t next = INT64_MAX;
    for (int t = 0; t < TR__T_COUNT; t++)
        if (e->timer[t] && e->timer[t] < next)
            next = e->timer[t];
    return next;
}

/* RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")";
 * §5.6: "Start the retransmission timer, such that it expires after RTO
 * seconds (for the value of RTO after the doubling operation)". */
static void tr__timer_backoff(struct tr_endpoint *e, int64_t now)
{
    e->ntimeouts++;
    e->st.timeouts++;
    tr_rto_backoff(&e->tcb.rtt, &e->prof->rto);
    tr__ep_timer_set(e, TR__T_RTX, now + e->tcb.rtt.rto_ns);
}

/* R2 reached (RFC 9293 §3.8.3, MUST-20: "close the connection"): a RST
 * tells a synchronized peer, as ABORT would. */
static void tr__timer_give_up(struct tr_endpoint *e, int64_t now)
{
    if (tr_state_synchronized((enum tr_state)e->tcb.state))
        tr__ep_queue_rst(e, e->tcb.snd_nxt, 0, TR_RST, e->remote_port);
    tr__ep_drop(e, TR_EV_TIMEOUT, TR_EPERR_TIMEOUT, now);
}

static void tr__timer_rtx(struct tr_endpoint *e, int64_t now)
{
    struct tr_tcb *t = &e->tcb;
    bool syn = t->snd_una == t->iss; /* our SYN (or SYN-ACK) is not acknowledged */
    if (!syn && t->snd_una == t->snd_nxt)
        return;
    if (e->ntimeouts >= e->cfg.max_retries) {
        tr__timer_give_up(e, now);
        return;
    }
    if (syn) {
        e->out |= TR__OUT_SYN; /* RFC 9293 §3.8.1: the SYN is retransmitted too */
    } else {
        tr__ep_cc_timeout(e);
        /* §5.4: "Retransmit the earliest segment that has not been
         * acknowledged"; the rest follows as ACKs return (go-back-N). */
        e->snd_ptr = t->snd_una;
        e->out |= TR__OUT_HEAD;
    }
    tr__timer_backoff(e, now);
}

/* SHLD-30: "increase exponentially the interval between successive probes". */
static void tr__timer_persist(struct tr_endpoint *e, int64_t now)
{
    e->out |= TR__OUT_PROBE;
    int64_t next = e->persist_ns * 2;
    e->persist_ns = next > e->prof->persist_max_ns ? e->prof->persist_max_ns : next;
    tr__ep_timer_set(e, TR__T_PERSIST, now + e->persist_ns);
}

void tr_endpoint_timer(struct tr_endpoint *e, int64_t now)
{
    for (int k = 0; k < TR__T_COUNT; k++) {
        if (!e->timer[k] || e->timer[k] > now)
            continue;
        e->timer[k] = 0;
        switch (k) {
        case TR__T_RTX:
            tr__timer_rtx(e, now);
            break;
        case TR__T_PERSIST:
            tr__timer_persist(e, now);
            break;
        case TR__T_DELACK:
            e->out |= TR__OUT_ACK;
            break;
        case TR__T_TIME_WAIT:
            tr__ep_event(e, TR_EV_TIMEOUT, now);
            break;
        }
    }
}
