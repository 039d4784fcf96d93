/*
 * The live run: tcpref's endpoint on the wire.
 *
 * One thread, one loop, no blocking read:
 *
 *     loop:
 *         now <- CLOCK_MONOTONIC
 *         drain the capture (every frame: pcap file, observer, convo; frames
 *             for us: ARP / ND answers, TCP segments into the endpoint)
 *         resolve the peer's MAC (ARP / ND request, 1 s apart, 3 tries)
 *         run the endpoint's timer when due
 *         application: read everything delivered; issue write k once its
 *             trigger is met and its think time passed; then the close
 *         send what the endpoint has to send
 *         stop? (CLOSED; TIME-WAIT for the linger time; the recording's
 *             open end reached and quiet; --timeout)
 *         ppoll(capture fd, until the earliest of: endpoint timer, next
 *             write, next ARP try, linger end, deadline)
 *
 * The endpoint owns no clock: every call gets `now` (monotonic ns). The
 * capture keeps the kernel's wall-clock timestamps, which is what the
 * analysis of the run reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "analyzer/decode.h"
#include "replay/frame.h"
#include "replay/link.h"
#include "replay/netcheck.h"
#include "replay/replay.h"
#include "stack/error.h"

#define TR_MS ((int64_t)1000000)
#define TR_NEIGH_RETRY_NS (1000 * TR_MS)
#define TR_NEIGH_TRIES 3
#define TR_LINGER_NS (500 * TR_MS)   /* TIME-WAIT kept by the run */
#define TR_IDLE_NS (500 * TR_MS)     /* quiet time that ends an open recording */
#define TR_DRAIN_NS (50 * TR_MS)     /* capture kept after the end */
#define TR_FRAME_MAX (65536 + 128)

struct tr_drv {
    struct tr_replay *r;
    struct tr_link *link;
    struct tr_link_addrs a;
    bool peer_mac_known;
    struct tr_endpoint *ep;
    struct tr_endpoint_config cfg;
    bool opened;
    int64_t now, deadline;
    /* the application */
    size_t wk;              /* next write */
    uint64_t wpos;          /* bytes of it queued */
    int64_t armed_at;       /* when its trigger was met; -1: not yet */
    int64_t next_due;       /* when the armed write (or close) is due; INT64_MAX: none */
    uint8_t *rx;
    uint64_t rx_cap;
    /* the peer's MAC */
    int64_t neigh_next;
    unsigned neigh_tries;
    /* the end */
    int64_t tw_since, last_io;
    bool cut;               /* the analysis of the run has stopped */
    uint16_t ip_id;
    int err;
    char *errbuf;
    size_t errlen;
    uint8_t pay[65536];
    uint8_t frame[TR_FRAME_MAX];
};

static volatile sig_atomic_t tr__interrupted;
static void tr__on_signal(int sig) { (void)sig; tr__interrupted = 1; }

static int64_t tr__clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t tr__random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)tr__clock(CLOCK_REALTIME) * 0x9e3779b97f4a7c15ull;
    return v;
}

static size_t tr__alen(const struct tr_drv *d) { return d->a.ipver == 6 ? 16 : 4; }

static void tr__fail(struct tr_drv *d, int code, const char *msg)
{
    if (d->err)
        return;
    d->err = code;
    snprintf(d->errbuf, d->errlen, "%s", msg);
}

static void tr__send(struct tr_drv *d, const uint8_t *f, size_t n)
{
    if (!n)
        tr__fail(d, TR_ELIMIT, "a frame did not fit the buffer");
    else if (tr_link_send(d->link, f, n) < 0)
        tr__fail(d, TR_EIO, tr_link_error(d->link));
}

/* ---- the endpoint ---- */

static void tr__track_state(struct tr_drv *d)
{
    struct tr_run *run = &d->r->run;
    uint8_t st = (uint8_t)tr_endpoint_state(d->ep);
    if (run->ep_nstates && run->ep_states[run->ep_nstates - 1] == st)
        return;
    if (run->ep_nstates < TR_OUT_MAX_STATES)
        run->ep_states[run->ep_nstates++] = st;
}

static void tr__flush(struct tr_drv *d)
{
    struct tr_seg s;
    while (!d->err && tr_endpoint_output(d->ep, d->now, &s, d->pay, sizeof d->pay)) {
        tr__send(d, d->frame, tr_frame_tcp(d->frame, sizeof d->frame, &d->a, d->ip_id++, &s));
        d->last_io = d->now;
    }
    tr__track_state(d);
}

static int tr__new_endpoint(struct tr_drv *d, uint16_t remote_port)
{
    d->cfg.remote_port = remote_port;
    d->r->run.peer_port = remote_port;
    int rc = tr_endpoint_new(&d->ep, &d->cfg);
    if (rc == TR_OK)
        rc = tr_endpoint_set_ipver(d->ep, d->a.ipver);
    if (rc < 0)
        tr__fail(d, rc, "cannot create the endpoint");
    return rc;
}

/* RFC 9293 §3.10.1 OPEN, once the peer's MAC is known. */
static void tr__open(struct tr_drv *d)
{
    if (d->opened || !d->peer_mac_known || d->r->played != 0)
        return;
    if (tr__new_endpoint(d, d->r->run.peer_port) < 0)
        return;
    if (tr_endpoint_connect(d->ep, d->now) < 0)
        tr__fail(d, TR_ESTATE, "the endpoint refused to connect");
    d->opened = true;
    tr__track_state(d);
    tr__flush(d);
}

/* Server role: the peer's SYN creates the endpoint (passive OPEN). */
static bool tr__accept_syn(struct tr_drv *d, const struct tr_seg *s)
{
    int want = d->r->opt.peer_port;
    if (d->opened || (s->flags & (TR_SYN | TR_ACK | TR_RST)) != TR_SYN ||
        (want >= 0 && s->sport != want))
        return false;
    if (tr__new_endpoint(d, s->sport) < 0)
        return false;
    tr_convo_set_tuple(&d->r->rep, d->a.ipver, d->a.peer_ip, s->sport, d->a.local_ip,
                       d->cfg.local_port);
    /* a refused recording: no listener, the CLOSED endpoint answers the SYN
     * with RST (RFC 9293 §3.10.7.1) */
    if (!d->r->plan.refused && tr_endpoint_listen(d->ep) < 0)
        tr__fail(d, TR_ESTATE, "the endpoint refused to listen");
    d->opened = true;
    tr__track_state(d);
    return true;
}

static void tr__on_tcp(struct tr_drv *d, const struct tr_seg *s)
{
    size_t n = tr__alen(d);
    if (memcmp(s->dst, d->a.local_ip, n) || memcmp(s->src, d->a.peer_ip, n) ||
        s->dport != d->cfg.local_port) {
        d->r->run.ignored_frames++;
        return;
    }
    if (!d->ep && !tr__accept_syn(d, s))
        return;
    if (s->sport != d->cfg.remote_port) {
        d->r->run.ignored_frames++;
        return;
    }
    tr_endpoint_input(d->ep, s, d->now);
    d->last_io = d->now;
    tr__flush(d);
}

/* ---- ARP and neighbour discovery ---- */

static void tr__learn(struct tr_drv *d, const uint8_t mac[6])
{
    if (!d->peer_mac_known || memcmp(d->a.peer_mac, mac, 6))
        memcpy(d->a.peer_mac, mac, 6);
    d->peer_mac_known = true;
}

/* RFC 826: answer requests for our IP, but only the peer's; learn its MAC. */
static void tr__on_arp(struct tr_drv *d, const struct tr_arp *a)
{
    if (d->a.ipver != 4 || memcmp(a->spa, d->a.peer_ip, 4))
        return;
    tr__learn(d, a->sha);
    if (a->op == TR_ARP_REQUEST && !memcmp(a->tpa, d->a.local_ip, 4)) {
        size_t n = tr_frame_arp(d->frame, sizeof d->frame, TR_ARP_REPLY, d->a.local_mac,
                                d->a.local_ip, a->sha, a->spa);
        tr__send(d, d->frame, n);
        d->r->run.neigh_answers++;
    }
}

/* RFC 4861 §7.2.3-§7.2.5, for the peer only. */
static void tr__on_nd(struct tr_drv *d, const struct tr_nd *nd, const uint8_t *eth_src)
{
    if (d->a.ipver != 6 || memcmp(nd->src_ip, d->a.peer_ip, 16))
        return;
    if (nd->type == TR_ND_ADVERT && !memcmp(nd->target, d->a.peer_ip, 16))
        tr__learn(d, nd->has_lladdr ? nd->lladdr : eth_src);
    if (nd->type == TR_ND_SOLICIT && !memcmp(nd->target, d->a.local_ip, 16)) {
        tr__learn(d, nd->has_lladdr ? nd->lladdr : eth_src);
        size_t n = tr_frame_nd_advert(d->frame, sizeof d->frame, d->a.local_mac, d->a.local_ip,
                                      d->a.peer_mac, d->a.peer_ip);
        tr__send(d, d->frame, n);
        d->r->run.neigh_answers++;
    }
}

static void tr__neigh(struct tr_drv *d)
{
    if (d->peer_mac_known || d->now < d->neigh_next)
        return;
    if (d->neigh_tries++ == TR_NEIGH_TRIES) {
        char m[160], ip[64];
        tr_net_format_ip(d->a.ipver, d->a.peer_ip, ip, sizeof ip);
        snprintf(m, sizeof m, "the peer %s did not answer %s on %s (%u tries, 1 s apart)", ip,
                 d->a.ipver == 6 ? "neighbour solicitations" : "ARP requests",
                 d->r->opt.iface, TR_NEIGH_TRIES);
        tr__fail(d, TR_EIO, m);
        return;
    }
    size_t n = d->a.ipver == 6
                   ? tr_frame_nd_solicit(d->frame, sizeof d->frame, d->a.local_mac, d->a.local_ip,
                                         d->a.peer_ip)
                   : tr_frame_arp(d->frame, sizeof d->frame, TR_ARP_REQUEST, d->a.local_mac,
                                  d->a.local_ip, NULL, d->a.peer_ip);
    tr__send(d, d->frame, n);
    d->r->run.neigh_requests++;
    d->neigh_next = d->now + TR_NEIGH_RETRY_NS;
}

/* ---- frames ---- */

static void tr__on_frame(void *ctx, const struct tr_pkt *pkt)
{
    struct tr_drv *d = ctx;
    d->now = tr__clock(CLOCK_MONOTONIC);
    struct tr_seg s;
    struct tr_dec_info info;
    enum tr_dec dec = tr_decode(pkt, true, &s, &info);
    const uint8_t *p = pkt->data;
    struct tr_arp arp;
    struct tr_nd nd;
    if (pkt->caplen < TR_ETH_HLEN || !memcmp(p + 6, d->a.local_mac, 6))
        ; /* ours */
    else if (tr_frame_parse_arp(p, pkt->caplen, &arp))
        tr__on_arp(d, &arp);
    else if (tr_frame_parse_nd(p, pkt->caplen, &nd))
        tr__on_nd(d, &nd, p + 6);
    else if (dec == TR_DEC_TCP && !memcmp(p, d->a.local_mac, 6)) {
        if (!d->peer_mac_known && !memcmp(s.src, d->a.peer_ip, tr__alen(d)))
            tr__learn(d, p + 6); /* on the link, its frames come from its own MAC */
        tr__on_tcp(d, &s);
    }
    if (d->cut)
        return;
    tr_obs_packet(d->r->run_obs, pkt);
    if (dec == TR_DEC_TCP && d->r->rep.have_tuple) /* server role: set by the SYN */
        tr_convo_add(&d->r->rep, &s);
}

/* ---- the application ---- */

static int64_t tr__think(const struct tr_drv *d, int64_t recorded)
{
    if (recorded <= 0 || d->r->opt.timing == TR_TIMING_ASAP)
        return 0;
    return (int64_t)((double)recorded * d->r->opt.scale);
}

static void tr__read(struct tr_drv *d)
{
    struct tr_run *run = &d->r->run;
    size_t n;
    while (tr_endpoint_readable(d->ep)) {
        if (run->rx_len + sizeof d->pay > d->rx_cap) {
            uint64_t nc = d->rx_cap ? d->rx_cap * 2 : 1 << 16;
            uint8_t *nr = realloc(d->rx, (size_t)nc);
            if (!nr) {
                tr__fail(d, TR_ENOMEM, "out of memory");
                return;
            }
            d->rx = nr;
            d->rx_cap = nc;
        }
        if (!(n = tr_endpoint_read(d->ep, d->rx + run->rx_len, sizeof d->pay)))
            break;
        run->rx_len += n;
    }
}

static bool tr__triggered(const struct tr_drv *d, struct tr_trigger t)
{
    return d->r->run.rx_len >= t.bytes && (!t.eof || tr_endpoint_eof(d->ep));
}

/* Arms the pending action when its trigger is met; true when it is due. */
static bool tr__due(struct tr_drv *d, struct tr_trigger t, int64_t think_ns)
{
    if (d->armed_at < 0) {
        if (!tr__triggered(d, t))
            return false;
        d->armed_at = d->now;
    }
    int64_t due = d->armed_at + tr__think(d, think_ns);
    if (d->now < due) {
        d->next_due = due;
        return false;
    }
    return true;
}

static void tr__writes(struct tr_drv *d)
{
    const struct tr_plan *p = &d->r->plan;
    while (d->wk < p->nw) {
        const struct tr_write *w = &p->w[d->wk];
        if (!tr__due(d, w->trig, w->think_ns))
            return;
        size_t n = tr_endpoint_write(d->ep, p->payload + w->off + d->wpos,
                                     (size_t)(w->len - d->wpos), d->now);
        d->wpos += n;
        if (d->wpos < w->len)
            return; /* the send buffer is full, or the connection is gone */
        d->wk++;
        d->wpos = 0;
        d->armed_at = -1;
        d->r->run.writes_done = d->wk;
    }
}

static void tr__close(struct tr_drv *d)
{
    const struct tr_plan *p = &d->r->plan;
    if (d->r->run.close_done || d->wk < p->nw || p->close == TR_CLOSE_NONE ||
        !tr__due(d, p->close_trig, p->close_think_ns))
        return;
    if (p->close == TR_CLOSE_FIN)
        tr_endpoint_shutdown(d->ep, d->now);
    else
        tr_endpoint_abort(d->ep, d->now);
    d->r->run.close_done = true;
}

static void tr__app(struct tr_drv *d)
{
    d->next_due = INT64_MAX;
    tr__read(d);
    if (!tr_state_synchronized(tr_endpoint_state(d->ep)))
        return;
    tr__writes(d);
    tr__close(d);
}

/* ---- the end ---- */

/* The recording ended open: everything it holds was done, and quiet since. */
static bool tr__open_end_reached(const struct tr_drv *d)
{
    const struct tr_replay *r = d->r;
    const struct tr_cv_side *peer = &r->rec.side[1 - r->played];
    const struct tr_tcb *t = tr_endpoint_tcb(d->ep);
    return r->plan.close == TR_CLOSE_NONE && d->wk == r->plan.nw &&
           r->run.rx_len >= peer->bytes.end && (!peer->fin || tr_endpoint_eof(d->ep)) &&
           t->snd_una == t->snd_nxt && d->now - d->last_io >= TR_IDLE_NS;
}

/* The peer closed (FIN) but the next write or the close waits for more of
 * its bytes: nothing more can happen. */
static bool tr__stalled(const struct tr_drv *d)
{
    const struct tr_plan *p = &d->r->plan;
    if (!tr_endpoint_eof(d->ep) || d->r->run.close_done)
        return false;
    const struct tr_trigger *t = d->wk < p->nw ? &p->w[d->wk].trig
                                 : p->close != TR_CLOSE_NONE ? &p->close_trig : NULL;
    return t && t->bytes > d->r->run.rx_len && d->now - d->last_io >= TR_IDLE_NS;
}

static bool tr__done(struct tr_drv *d)
{
    struct tr_run *run = &d->r->run;
    if (d->now >= d->deadline || tr__interrupted) {
        run->end = tr__interrupted ? TR_RUN_INTERRUPTED : TR_RUN_TIMEOUT;
        return true;
    }
    if (!d->opened)
        return false;
    enum tr_state st = tr_endpoint_state(d->ep);
    if (st == TR_CLOSED) {
        run->end = TR_RUN_CLOSED;
        return true;
    }
    if (st == TR_TIME_WAIT) {
        if (!d->tw_since)
            d->tw_since = d->now;
        if (d->now - d->tw_since >= TR_LINGER_NS) {
            run->end = TR_RUN_TIME_WAIT;
            return true;
        }
    }
    if (tr__open_end_reached(d)) {
        run->end = TR_RUN_DONE_OPEN;
        return true;
    }
    if (tr__stalled(d)) {
        run->end = TR_RUN_STALLED;
        return true;
    }
    return false;
}

static int64_t tr__wake(const struct tr_drv *d)
{
    int64_t w = d->deadline;
    if (!d->peer_mac_known && d->neigh_next < w)
        w = d->neigh_next;
    if (d->ep) {
        int64_t t = tr_endpoint_next_timeout(d->ep);
        if (t < w)
            w = t;
        if (d->next_due < w)
            w = d->next_due;
        if (d->tw_since && d->tw_since + TR_LINGER_NS < w)
            w = d->tw_since + TR_LINGER_NS;
        if (d->last_io + TR_IDLE_NS < w && d->last_io + TR_IDLE_NS > d->now)
            w = d->last_io + TR_IDLE_NS;
    }
    return w;
}

static int tr__wait(struct tr_drv *d, int64_t until)
{
    int64_t ns = until - tr__clock(CLOCK_MONOTONIC);
    if (ns < 0)
        ns = 0;
    struct pollfd pfd = {.fd = tr_link_fd(d->link), .events = POLLIN};
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
        tr__fail(d, TR_ESYS, "poll on the capture failed");
        return -1;
    }
    return 0;
}

static void tr__step(struct tr_drv *d)
{
    d->now = tr__clock(CLOCK_MONOTONIC);
    if (tr_link_read(d->link, tr__on_frame, d) < 0)
        tr__fail(d, TR_EIO, tr_link_error(d->link));
    d->now = tr__clock(CLOCK_MONOTONIC);
    tr__neigh(d);
    tr__open(d);
    if (!d->ep || d->err)
        return;
    if (d->now >= tr_endpoint_next_timeout(d->ep))
        tr_endpoint_timer(d->ep, d->now);
    tr__app(d);
    tr__flush(d);
}

static void tr__loop(struct tr_drv *d)
{
    for (;;) {
        tr__step(d);
        if (d->err || tr__done(d))
            return;
        if (tr__wait(d, tr__wake(d)) < 0)
            return;
    }
}

/* After the end: the frames still in flight go into the analysis, then it
 * stops; a connection left open is aborted (RST) so the peer is not left
 * hanging, outside the analysis. */
static void tr__finish(struct tr_drv *d)
{
    int64_t until = tr__clock(CLOCK_MONOTONIC) + TR_DRAIN_NS;
    while (!d->err && tr__clock(CLOCK_MONOTONIC) < until) {
        tr__wait(d, until);
        tr_link_read(d->link, tr__on_frame, d);
    }
    d->cut = true;
    if (!d->ep || d->err)
        return;
    enum tr_state st = tr_endpoint_state(d->ep);
    if (st != TR_CLOSED && st != TR_TIME_WAIT && st != TR_LISTEN) {
        tr_endpoint_abort(d->ep, d->now);
        tr__flush(d);
    }
}

/* ---- setup ---- */

static void tr__config(struct tr_drv *d)
{
    struct tr_replay *r = d->r;
    const struct tr_cv_side *me = &r->rec.side[r->played];
    const struct tr_conn *c = r->rec_conn;
    struct tr_endpoint_config *cfg = &d->cfg;
    uint64_t rnd = tr__random64();
    int64_t wall = tr__clock(CLOCK_REALTIME), mono = tr__clock(CLOCK_MONOTONIC);
    cfg->profile = r->profile;
    cfg->local_port = r->opt.local_port > 0 ? (uint16_t)r->opt.local_port
                      : r->opt.local_port == 0 ? (uint16_t)(49152 + rnd % 16384)
                                               : r->rec.port[r->played];
    r->run.local_port = cfg->local_port;
    r->run.local_port_ephemeral = r->opt.local_port == 0;
    r->run.peer_port = r->opt.peer_port >= 0 ? (uint16_t)r->opt.peer_port
                       : r->played == 0 ? r->rec.port[1] : 0;
    /* RFC 6528-like: a clock (4 us ticks) plus a random offset */
    cfg->iss = (uint32_t)(wall / 4000) + (uint32_t)(rnd >> 32);
    r->run.iss = cfg->iss;
    cfg->mss = me->syn.has_mss ? me->syn.mss : 0;
    cfg->wscale = me->syn.has_wscale ? (int8_t)tr_wscale_clamp(me->syn.wscale) : -1;
    cfg->sack_permitted = me->syn.sack_perm;
    cfg->timestamps = me->syn.has_ts;
    uint32_t win = c->ep[r->played].st.max_window;
    uint32_t max = cfg->wscale >= 0 ? 65535u << cfg->wscale : 65535u;
    cfg->rcv_buffer = win ? (win < max ? win : max) : (max < 262144 ? max : 262144);
    /* TSval = wall-clock milliseconds: later runs never go back in time */
    cfg->ts_offset = (uint32_t)(wall / 1000000 - mono / 1000000);
}

static void tr__mss_cap(struct tr_drv *d, unsigned mtu)
{
    unsigned cap = mtu - (d->a.ipver == 6 ? 60 : 40);
    if (d->cfg.mss == 0 || d->cfg.mss > cap)
        d->cfg.mss = (uint16_t)cap;
}

static int tr__prepare(struct tr_drv *d)
{
    struct tr_replay *r = d->r;
    struct tr_iface_info ifi;
    int rc = tr_net_iface(r->opt.iface, &ifi, d->errbuf, d->errlen);
    if (rc == TR_OK)
        rc = tr_net_check_addrs(r->opt.iface, r->opt.ipver, r->opt.local_ip, r->opt.peer_ip,
                                d->errbuf, d->errlen);
    if (rc < 0)
        return rc;
    d->a.ipver = (uint8_t)r->opt.ipver;
    memcpy(d->a.local_ip, r->opt.local_ip, 16);
    memcpy(d->a.peer_ip, r->opt.peer_ip, 16);
    if (r->opt.local_mac_given)
        memcpy(d->a.local_mac, r->opt.local_mac, 6);
    else
        tr_mac_random_local(d->a.local_mac, tr__random64());
    memcpy(r->run.local_mac, d->a.local_mac, 6);
    tr__config(d);
    tr__mss_cap(d, ifi.mtu);
    struct tr_obs_config oc = {.profile = r->profile, .vlan_in_key = true,
                               .verify_checksums = true};
    if ((rc = tr_obs_new(&r->run_obs, &oc, 0)) < 0)
        return rc;
    if ((rc = tr_link_open(&d->link, r->opt.iface, d->errbuf, d->errlen)) < 0)
        return rc;
    if (r->opt.write_path && (rc = tr_link_dump(d->link, r->opt.write_path, d->errbuf,
                                                d->errlen)) < 0)
        return rc;
    if (r->played == 0)
        tr_convo_set_tuple(&r->rep, d->a.ipver, d->a.local_ip, d->cfg.local_port, d->a.peer_ip,
                           r->run.peer_port);
    return TR_OK;
}

/* The connection of the run in the observer: the last one on our ports. */
static void tr__find_run_conn(struct tr_replay *r)
{
    size_t n = r->opt.ipver == 6 ? 16 : 4;
    int me = r->played;
    for (uint32_t i = 0; i < tr_obs_conn_count(r->run_obs); i++) {
        const struct tr_conn *c = tr_obs_conn(r->run_obs, i);
        if (c->ipver == r->opt.ipver && !memcmp(c->addr[me], r->opt.local_ip, n) &&
            !memcmp(c->addr[1 - me], r->opt.peer_ip, n) && c->port[me] == r->run.local_port &&
            c->port[1 - me] == r->run.peer_port)
            r->run_conn = c;
    }
}

static void tr__results(struct tr_drv *d)
{
    struct tr_replay *r = d->r;
    tr_obs_finish(r->run_obs);
    uint64_t frames, drops;
    tr_link_counts(d->link, &frames, &drops);
    r->run.frames = frames;
    r->run.drops = drops;
    if (d->ep) {
        tr_endpoint_stats(d->ep, &r->run.st);
        r->run.ep_error = tr_endpoint_error(d->ep);
    }
    const struct tr_input_stats *in = tr_obs_input(r->run_obs);
    r->run.start_ns = in->first_ts;
    r->run.duration_ns = in->last_ts - in->first_ts;
    const struct tr_stream *peer = &r->rep.side[1 - r->played].bytes;
    r->run.rx_matches_wire = r->run.rx_len <= peer->end &&
                             (!r->run.rx_len || !memcmp(d->rx, peer->data, (size_t)r->run.rx_len));
    memcpy(r->run.peer_mac, d->a.peer_mac, 6);
    tr__find_run_conn(r);
}

int tr_replay_run(struct tr_replay *r, char *err, size_t n)
{
    struct tr_drv *d = calloc(1, sizeof *d);
    if (!d)
        return TR_ENOMEM;
    d->r = r;
    d->errbuf = err;
    d->errlen = n;
    d->armed_at = -1;
    d->next_due = INT64_MAX;
    int rc = tr__prepare(d);
    if (rc == TR_OK) {
        struct sigaction sa = {.sa_handler = tr__on_signal}, old_int, old_term;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        d->now = tr__clock(CLOCK_MONOTONIC);
        d->deadline = d->now + (int64_t)(r->opt.timeout_s * 1e9);
        d->last_io = d->now;
        tr__loop(d);
        if (!d->err)
            tr__finish(d);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        rc = d->err;
        if (rc == TR_OK)
            tr__results(d);
    }
    r->run.capture_path = r->opt.write_path;
    if (d->ep)
        tr_endpoint_free(d->ep);
    tr_link_close(d->link);
    free(d->rx);
    free(d);
    return rc;
}
