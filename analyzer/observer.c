/*
 * The observer core: connection lookup and life cycle, input counters, and
 * the order in which each segment goes through the checks. The checks live
 * in obs_*.c, each over the (sender, receiver) pair of struct tr_x.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/arena.h"
#include "analyzer/obs_int.h"
#include "stack/error.h"
#include "stack/seq.h"

int tr_obs_new(struct tr_obs **out, const struct tr_obs_config *cfg, uint32_t file_index)
{
    struct tr_obs *o = tr_mem_calloc(1, sizeof *o);
    if (!o)
        return TR_ENOMEM;
    o->cfg = *cfg;
    o->prof = *cfg->profile;
    o->file = file_index;
    if (!o->cfg.max_findings)
        o->cfg.max_findings = 256;
    if (!o->cfg.max_per_rule)
        o->cfg.max_per_rule = 16;
    o->conns.elem = sizeof(struct tr_conn);
    o->slots.elem = sizeof(struct tr__slot);
    o->pool_free = o->park_cursor = TR_NIL;
    o->ts_max = INT64_MIN;
    o->rings.elem = sizeof(struct tr_txring);
    o->findings.elem = sizeof(struct tr_finding);
    o->ring_free = o->finding_free = o->conn_free = TR_NIL;
    o->lru_head = o->lru_tail = TR_NIL;
    if (tr_flowtab_init(&o->tab, 1024) < 0) {
        tr_mem_free(o);
        return TR_ENOMEM;
    }
    *out = o;
    return TR_OK;
}

void tr_obs_free(struct tr_obs *o)
{
    if (!o)
        return;
    tr_flowtab_free(&o->tab);
    tr__store_free(o);
    tr__chunks_free(&o->conns);
    tr__chunks_free(&o->rings);
    tr__chunks_free(&o->findings);
    tr_mem_free(o->sorted);
    tr_mem_free(o->order);
    tr_mem_free(o);
}

/* ---- helpers shared by the checks ---- */

bool tr__adv_window(const struct tr_ep *e, const struct tr_seg *s, uint32_t *bytes)
{
    if (s->flags & TR_SYN) {
        *bytes = s->win; /* RFC 7323 §2.2: never scaled on a SYN */
        return true;
    }
    if (!tr_ep_has(e, TR_EP_SCALE_KNOWN))
        return false;
    *bytes = tr_tcb_has(&e->tcb, TR_TCB_WS_OK) ? (uint32_t)s->win << e->tcb.rcv_wscale : s->win;
    return true;
}

int64_t tr__rel(const struct tr_ep *e, uint32_t seq)
{
    return (int64_t)(uint32_t)(seq - e->tcb.iss);
}

/* ---- connection life cycle ---- */

/* Two different VLANs are two connections; an untagged segment matches a
 * tagged connection (captures often hold one direction tagged and the other
 * not, when a switch or NIC strips the tag on one path). */
static bool tr__vlan_match(uint16_t a, uint16_t b, bool vlan) { return !vlan || a == b || !a || !b; }

static bool tr__key_match(const struct tr_conn *c, const struct tr_seg *s, bool vlan, uint8_t *dir)
{
    if (c->ipver != s->ipver || !tr__vlan_match(c->vlan, s->vlan, vlan))
        return false;
    for (uint8_t d = 0; d < 2; d++) {
        if (c->port[d] != s->sport || c->port[!d] != s->dport)
            continue;
        /* Constant lengths: the compiler compares in registers. */
        bool same = s->ipver == 6
                        ? !memcmp(c->addr[d], s->src, 16) && !memcmp(c->addr[!d], s->dst, 16)
                        : !memcmp(c->addr[d], s->src, 4) && !memcmp(c->addr[!d], s->dst, 4);
        if (same) {
            *dir = d;
            return true;
        }
    }
    return false;
}

static struct tr_conn *tr__lookup(struct tr_obs *o, const struct tr_seg *s, uint32_t h,
                                  uint8_t *dir)
{
    uint32_t pos = 0, idx;
    while ((idx = tr_flowtab_next(&o->tab, h, &pos)) != UINT32_MAX) {
        struct tr_conn *c = tr__conn_at(o, idx);
        if (tr__key_match(c, s, o->cfg.vlan_in_key, dir)) {
            if (!c->vlan)
                c->vlan = s->vlan;
            return c;
        }
    }
    return NULL;
}

static bool tr__conn_ended(const struct tr_conn *c)
{
    if (c->end == TR_END_RST || c->end == TR_END_REFUSED)
        return true;
    for (int d = 0; d < 2; d++) {
        uint8_t st = c->ep[d].tcb.state;
        if (st != TR_CLOSED && st != TR_TIME_WAIT && st != TR_LISTEN)
            return false;
    }
    return true;
}

/* A SYN (without ACK) that starts a new connection on the same ports:
 * after the previous one ended, or with a new ISN once the previous one had
 * completed its handshake or was picked up mid-stream. */
static bool tr__starts_new(const struct tr_conn *c, const struct tr_seg *s, uint8_t dir)
{
    if ((s->flags & (TR_SYN | TR_ACK)) != TR_SYN)
        return false;
    const struct tr_ep *e = &c->ep[dir];
    bool known = tr_ep_has(e, TR_EP_SYN_SEEN) || tr_ep_has(e, TR_EP_ISS_INFERRED);
    bool same_isn = known && s->seq == e->tcb.iss;
    if (tr__conn_ended(c))
        return !same_isn || c->end == TR_END_RST;
    if (same_isn)
        return false;
    if (c->flags & TR_CONN_MIDSTREAM)
        return true;
    /* The other side's SYN during our handshake: simultaneous open. */
    if (!tr_ep_has(e, TR_EP_SYN_SEEN))
        return tr_ep_has(&c->ep[!dir], TR_EP_ACK_SEEN) || (c->flags & TR_CONN_HS_DONE);
    return (c->flags & TR_CONN_HS_DONE) != 0;
}

/* ---- the least-recently-used list of active connections (obs_store.c) ---- */

static struct tr_conn *tr__at(struct tr_obs *o, uint32_t i) { return tr__conn_at(o, i); }

/* ---- ending, releasing ---- */

/* A released connection keeps only its totals; its slot and findings are
 * reused. */
static void tr__release(struct tr_obs *o, struct tr_conn *c)
{
    uint32_t i = c->f_head;
    while (i != TR_NIL) {
        struct tr_finding *f = tr__chunks_at(&o->findings, i);
        uint32_t next = f->next;
        o->in.released_by_rule[f->rule] += 1 + f->repeat;
        f->next = o->finding_free;
        o->finding_free = i;
        i = next;
    }
    c->f_head = c->f_tail = TR_NIL;
    c->flags |= TR_CONN_RELEASED;
    tr__cslot(o, c->id)->lru_next = o->conn_free;
    o->conn_free = c->id;
    o->records--;
    o->in.conns_released++;
}

/* tr__finish_conn of a parked connection whose finishing is inert
 * (tr__finish_inert): its flags and end, in its slot, are all that change.
 * False when it must be unpacked. */
static bool tr__finish_parked(struct tr_obs *o, uint32_t id)
{
    struct tr__slot *sl = tr__cslot(o, id);
    if (sl->c || !sl->inert)
        return false;
    sl->conn_flags |= TR_CONN_CLOSE_SENT;
    sl->end = sl->finish_end;
    o->finished_parked++;
    return true;
}

/* Out of the flow table: its ports were reused (superseded), it was closed
 * out (evicted or idle: the end it had then stays, "open" or "half-close"),
 * or it ended and lingered long enough. A parked connection whose
 * finishing is inert, and that is not to be released (tr__release walks
 * its findings), retires where it lies. */
static void tr__retire(struct tr_obs *o, uint32_t id, bool superseded)
{
    struct tr__slot *sl = tr__cslot(o, id);
    tr_flowtab_remove(&o->tab, sl->c ? sl->c->hash : sl->hash, id);
    tr__lru_unlink(o, id);
    o->active--;
    /* The first max_records ended connections stay in detail; later ones
     * are summarized. */
    bool release = o->cfg.release_closed || (o->cfg.max_records && o->records - o->active > o->cfg.max_records);
    if (!release && tr__finish_parked(o, id)) {
        sl->conn_flags |= TR_CONN_RETIRED;
        return;
    }
    struct tr_conn *c = tr__at(o, id);
    c->flags |= TR_CONN_RETIRED;
    tr__finish_conn(o, c);
    if (superseded && (c->end == TR_END_OPEN || c->end == TR_END_HALF))
        c->end = TR_END_SUPERSEDED;
    if (release)
        tr__release(o, c);
    else if (o->cfg.park_idle_ns > 0 && o->resident > o->cfg.park_keep)
        tr__store_park(o, id, true); /* out of the table: it will not change again */
}

/* Closed out before its end: evicted by the connection limit, or idle. */
static void tr__close_out(struct tr_obs *o, struct tr_conn *c, bool idle)
{
    c->flags |= idle ? TR_CONN_EXPIRED : TR_CONN_EVICTED;
    if (idle)
        o->in.conns_expired++;
    else
        o->in.conns_evicted++;
    tr__retire(o, c->id, false);
}

/* Both endpoints closed (CLOSED or TIME-WAIT), or reset: nothing more can
 * happen in it but late copies and the TIME-WAIT ACKs. */
static bool tr__ended(const struct tr_conn *c)
{
    if (c->end == TR_END_RST || c->end == TR_END_REFUSED)
        return true;
    for (unsigned d = 0; d < 2; d++) {
        uint8_t st = c->ep[d].tcb.state;
        if (st != TR_CLOSED && st != TR_TIME_WAIT)
            return false;
    }
    return true;
}

/* The list is in the order of each connection's last segment, whose times
 * may step back (captures from several CPUs): a connection's last time is
 * at least that of any earlier one in the list minus ts_back, the largest
 * step back seen. So the walk may stop only at a connection more recent
 * than now - linger by ts_back: every stale one is retired, however the
 * connections are split among observers (threads and shards agree). */
uint32_t tr_obs_expire_ended(struct tr_obs *o, int64_t now, int64_t linger_ns)
{
    uint32_t n = 0;
    for (uint32_t i = o->lru_head; i != TR_NIL;) {
        struct tr__slot *sl = tr__cslot(o, i);
        int64_t idle = tr__since(now, tr__conn_last_ts(o, i));
        if (idle < tr__since(linger_ns, o->ts_back))
            break;
        uint32_t id = i;
        i = sl->lru_next;
        if (idle <= linger_ns || !(sl->c ? tr__ended(sl->c) : sl->ended))
            continue;
        tr__retire(o, id, false);
        n++;
    }
    return n;
}

uint32_t tr_obs_expire(struct tr_obs *o, int64_t now, int64_t idle_ns)
{
    uint32_t n = 0;
    while (o->lru_head != TR_NIL) {
        if (now - tr__conn_last_ts(o, o->lru_head) <= idle_ns)
            break;
        tr__close_out(o, tr__at(o, o->lru_head), true);
        n++;
    }
    return n;
}

uint32_t tr_obs_active(const struct tr_obs *o) { return o->active; }

static void tr__init_endpoints(struct tr_obs *o, struct tr_conn *c)
{
    for (int d = 0; d < 2; d++) {
        tr_tcb_init(&c->ep[d].tcb, &o->prof.rto);
        c->ep[d].ring = TR_NIL;
    }
    c->f_head = c->f_tail = TR_NIL;
}

/* Orientation of a new connection: endpoint 0 is the client when the
 * segment shows the handshake, else the sender of the first segment. */
static void tr__orient(struct tr_conn *c, const struct tr_seg *s, uint8_t *dir)
{
    bool synack = (s->flags & (TR_SYN | TR_ACK)) == (TR_SYN | TR_ACK);
    *dir = synack ? 1 : 0;
    size_t n = s->ipver == 6 ? 16 : 4;
    memcpy(c->addr[*dir], s->src, n);
    memcpy(c->addr[!*dir], s->dst, n);
    c->port[*dir] = s->sport;
    c->port[!*dir] = s->dport;
    c->roles = (s->flags & TR_SYN) ? TR_ROLES_KNOWN : TR_ROLES_UNKNOWN;
}

static void tr__initial_states(struct tr_conn *c, const struct tr_seg *s)
{
    if (!(s->flags & TR_SYN)) {
        c->flags |= TR_CONN_MIDSTREAM;
        tr__initial_state(c, 0, TR_ESTABLISHED, true, 0, c->first_ts);
        tr__initial_state(c, 1, TR_ESTABLISHED, true, 0, c->first_ts);
        return;
    }
    if (s->flags & TR_ACK) {
        c->flags |= TR_CONN_SYNACK_NOSYN | TR_CONN_SYN_PENDING;
        tr__initial_state(c, 0, TR_SYN_SENT, true, 0, c->first_ts);
    } else {
        tr__initial_state(c, 0, TR_CLOSED, false, 0, c->first_ts);
    }
    tr__initial_state(c, 1, TR_LISTEN, true, 0, c->first_ts);
}

static struct tr_conn *tr__create(struct tr_obs *o, const struct tr_seg *s, uint32_t h,
                                  uint8_t *dir, bool reused)
{
    if (o->cfg.max_conns && o->active >= o->cfg.max_conns && o->lru_head != TR_NIL)
        tr__close_out(o, tr__at(o, o->lru_head), false);
    uint32_t idx = tr__store_new(o);
    if (idx == TR_NIL || tr_flowtab_insert(&o->tab, h, idx) < 0) {
        o->in.conns_dropped++;
        return NULL;
    }
    struct tr_conn *c = tr__at(o, idx);
    c->id = idx;
    c->file = o->file;
    c->hash = h;
    c->ipver = s->ipver;
    c->vlan = s->vlan;
    c->first_frame = s->frame;
    c->first_ts = s->ts_ns;
    tr__cslot(o, idx)->first_frame = s->frame;
    o->active++;
    o->records++;
    tr__lru_append(o, idx);
    tr__init_endpoints(o, c);
    tr__orient(c, s, dir);
    tr__initial_states(c, s);
    if (reused)
        c->flags |= TR_CONN_REUSED;
    if (o->cfg.hooks.conn_open)
        o->cfg.hooks.conn_open(o->cfg.hooks.ctx, c);
    return c;
}

static struct tr_conn *tr__conn_for(struct tr_obs *o, const struct tr_seg *s, uint32_t h,
                                    uint8_t *dir)
{
    struct tr_conn *c = tr__lookup(o, s, h, dir);
    bool reused = false;
    if (c && tr__starts_new(c, s, *dir)) {
        tr__retire(o, c->id, true);
        reused = true;
        c = NULL;
    }
    if (!c)
        c = tr__create(o, s, h, dir, reused);
    else
        tr__lru_touch(o, c->id);
    return c;
}

/* ---- per segment ---- */

static void tr__count(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    struct tr_dirstats *st = &x->snd->st;
    st->pkts++;
    st->bytes += s->len;
    if (s->caplen < s->len)
        st->truncated++;
    if (s->flags & TR_SYN)
        st->syn++;
    if (s->flags & TR_FIN)
        st->fin++;
    if (s->flags & TR_RST)
        st->rst++;
    if ((s->flags & (TR_ACK | TR_SYN | TR_FIN | TR_RST)) == TR_ACK && s->len == 0)
        st->pure_acks++;
    if ((s->len || (s->flags & (TR_SYN | TR_FIN))) && !(s->flags & TR_RST))
        st->seq_segs++;
    x->c->last_frame = s->frame;
    x->c->last_ts = s->ts_ns;
}

/* What the next segment of this sender needs to know of this one. */
static void tr__remember(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    S->last_frame = x->s->frame;
    S->last_ts = x->s->ts_ns;
    S->last_flags = x->s->flags;
    S->flags &= ~(uint32_t)(TR_EP_KEEPALIVE_LAST | TR_EP_PROBE_LAST);
    if (x->keepalive)
        S->flags |= TR_EP_KEEPALIVE_LAST;
    if (x->ws & TR_WS_ZERO_WINDOW_PROBE)
        S->flags |= TR_EP_PROBE_LAST;
}

/* The same IP packet seen again: same identification (IPv4) or the same
 * capture instant, and the same TCP fields. It is one transmission, copied
 * by the network or by the capture (a SPAN port, two interfaces), not a
 * retransmission. */
static bool tr__sig_match(const struct tr_pktsig *g, const struct tr_seg *s)
{
    if (!g->valid || g->seq != s->seq || g->ack != s->ack || g->len != s->len ||
        g->flags != s->flags || g->win != s->win || g->tsval != (s->opt.has_ts ? s->opt.tsval : 0))
        return false;
    uint32_t sack = s->opt.nsack ? s->opt.sack[0].right : 0;
    if (g->sack != sack)
        return false;
    /* With an IPv4 identification, it alone decides; without one (IPv6, or
     * the 0 some stacks put in DF packets), the same capture microsecond. */
    if (s->ipver == 4 && (s->ip_id || g->ip_id))
        return g->ip_id == s->ip_id;
    int64_t dt = s->ts_ns - g->ts;
    return dt >= -1000 && dt <= 1000;
}

static bool tr__duplicate(struct tr_x *x)
{
    struct tr_ep *S = x->snd;
    const struct tr_seg *s = x->s;
    for (unsigned i = 0; i < 2; i++) {
        if (!tr__sig_match(&S->sig[i], s))
            continue;
        S->st.duplicates++;
        if ((s->len || (s->flags & (TR_SYN | TR_FIN))) && !(s->flags & TR_RST))
            S->st.seq_segs--;
        tr__find(x, TR_RULE_CAP_DUPLICATE, (int64_t)S->sig[i].frame_hint, 0, 0, 0);
        return true;
    }
    S->sig[1] = S->sig[0];
    S->sig[0] = (struct tr_pktsig){.ts = s->ts_ns, .seq = s->seq, .ack = s->ack, .len = s->len,
                                   .tsval = s->opt.has_ts ? s->opt.tsval : 0, .ip_id = s->ip_id,
                                   .win = s->win, .flags = s->flags, .valid = 1,
                                   .frame_hint = s->frame,
                                   .sack = s->opt.nsack ? s->opt.sack[0].right : 0};
    return false;
}

static void tr__run(struct tr_x *x)
{
    if (x->c->end != TR_END_RST && x->c->end != TR_END_REFUSED)
        tr__stall_check(x->o, x->c, x->s->ts_ns);
    tr__count(x);
    if (tr__duplicate(x))
        return;
    tr__note_id(x);
    tr__resolve_pending(x);
    tr__resolve_fin(x);
    tr__check_flags_options(x);
    if (x->s->flags & TR_RST) {
        tr__rst(x);
    } else {
        if (x->s->flags & TR_SYN)
            tr__syn(x);
        tr__check_after_rst(x);
        tr__send(x);
        if (x->s->flags & TR_ACK)
            tr__receive_ack(x);
        tr__third_ack(x);
        tr__receive_fin(x);
    }
    tr__sender_statement(x);
    tr__remember(x);
    if (x->ws && x->o->cfg.hooks.frame_flags)
        x->o->cfg.hooks.frame_flags(x->o->cfg.hooks.ctx, x->c, x->s->frame, x->ws);
}

void tr_obs_segment(struct tr_obs *o, const struct tr_seg *s)
{
    if (o->cfg.stop_after_ns && s->ts_ns > o->cfg.stop_after_ns)
        return;
    tr_obs_segment_hashed(o, s, tr_flow_hash(s));
}

void tr_obs_segment_hashed(struct tr_obs *o, const struct tr_seg *s, uint32_t h)
{
    if (o->cfg.stop_after_ns && s->ts_ns > o->cfg.stop_after_ns)
        return;
    if (s->ts_ns > o->ts_max)
        o->ts_max = s->ts_ns;
    else if (tr__since(o->ts_max, s->ts_ns) > o->ts_back)
        o->ts_back = tr__since(o->ts_max, s->ts_ns);
    if (!tr_cfg_in_shard(&o->cfg, h)) {
        o->in.other_shard++;
        return;
    }
    if (!tr_cfg_in_part(&o->cfg, h))
        return;
    uint8_t dir;
    struct tr_conn *c = tr__conn_for(o, s, h, &dir);
    if (!c) {
        o->in.pkts_untracked++;
        return;
    }
    struct tr_x x = {.o = o, .c = c, .s = s, .snd = &c->ep[dir], .rcv = &c->ep[!dir],
                     .dir = dir, .seqlen = tr_seg_seqlen(s)};
    if ((c->flags & TR_CONN_REUSED) && c->first_frame == s->frame)
        x.ws |= TR_WS_REUSED_PORTS;
    tr__run(&x);
    /* A connection that has just ended will most likely see no other
     * segment: it is packed away now rather than after park_idle_ns. */
    if (o->cfg.park_idle_ns > 0 && o->resident > o->cfg.park_keep && tr__ended(c))
        tr__store_park(o, c->id, true);
}

/* ---- input counters ---- */

static void tr__note_linktype(struct tr_input_stats *in, uint32_t lt)
{
    for (uint8_t i = 0; i < in->nlinktypes; i++)
        if (in->linktypes[i] == lt)
            return;
    if (in->nlinktypes < sizeof in->linktypes / sizeof in->linktypes[0])
        in->linktypes[in->nlinktypes++] = lt;
}

/* What the record alone tells: counted for every packet, by the reader. */
void tr_obs_front_header(struct tr_obs *o, const struct tr_pkt *pkt)
{
    struct tr_input_stats *in = &o->in;
    if (in->packets == 0)
        in->first_pkt_ts = pkt->ts_ns;
    if (in->packets == 0 || pkt->ts_ns < in->first_ts)
        in->first_ts = pkt->ts_ns;
    if (in->packets == 0 || pkt->ts_ns > in->last_ts)
        in->last_ts = pkt->ts_ns;
    in->packets++;
    tr__note_linktype(in, pkt->linktype);
    if (pkt->caplen < pkt->origlen)
        in->snaplen_cut++;
}

/* A TCP header the snaplen cut: the segment cannot be analyzed; its
 * connection (when the ports were captured and it is known) says so. */
static void tr__truncated_header(struct tr_obs *o, const struct tr_seg *s, uint32_t caplen_tcp)
{
    uint8_t dir;
    uint32_t h = tr_flow_hash(s);
    struct tr_conn *c = tr__lookup(o, s, h, &dir);
    if (!c)
        return;
    const int64_t args[TR_FINDING_ARGS] = {caplen_tcp, 0, 0, 0};
    tr__find_at(o, c, TR_RULE_CAP_TRUNCATED_HEADER, dir, s->frame, s->ts_ns, args);
}

static enum tr_front tr__front_decode(struct tr_obs *o, struct tr_input_stats *in, const struct tr_pkt *pkt,
                                     struct tr_seg *seg, uint32_t *cut)
{
    struct tr_dec_info info;
    enum tr_dec d = tr_decode(pkt, o->cfg.verify_checksums, seg, &info);
    if (in->by_dec[d]++ == 0) {
        in->first_dec_frame[d] = pkt->frame;
        in->first_dec_offset[d] = pkt->offset;
        in->first_dec_reason[d] = info.reason;
    }
    if (d == TR_DEC_TRUNCATED && (info.segflags & TR_SEGF_PORTS)) {
        *cut = pkt->caplen - info.offset;
        return TR_FRONT_TRUNCATED;
    }
    if (d != TR_DEC_TCP)
        return TR_FRONT_NONE;
    in->tcp++;
    if (info.segflags & TR_SEGF_OPTS_CUT)
        in->opts_cut++;
    if (info.segflags & TR_SEGF_IPLEN_ZERO)
        in->iplen_zero++;
    if (info.segflags & TR_SEGF_IPLEN_BEYOND)
        in->iplen_beyond++;
    if (seg->caplen < seg->len)
        in->payload_cut++;
    if (seg->csum == TR_CSUM_BAD)
        in->bad_checksum++;
    if (info.segflags & TR_SEGF_OPTS_CUT)
        seg->opt.error = TR_OPTERR_UNKNOWN; /* the checks skip them */
    return TR_FRONT_SEGMENT;
}

enum tr_front tr_obs_front_decode(struct tr_obs *o, const struct tr_pkt *pkt, struct tr_seg *seg,
                                  uint32_t *cut)
{
    return tr__front_decode(o, &o->in, pkt, seg, cut);
}

unsigned tr_obs_front_tick(struct tr_obs *o, int64_t ts)
{
    unsigned tick = 0;
    if (o->cfg.linger_ns < 0)
        return 0;
    if (ts >= o->next_linger) {
        tick |= TR_TICK_EXPIRE;
        o->next_linger = tr__since(ts, -1000000000); /* once a second of capture time */
    }
    /* Parking four times a second keeps fewer connections resident than
     * once a second did, for the same work (docs/performance.md, memory). */
    if (ts >= o->next_park) {
        tick |= TR_TICK_PARK;
        o->next_park = tr__since(ts, -250000000);
    }
    return tick;
}

/* The file-wide half of tr_obs_packet: decode, input counters, the pass due. */
enum tr_front tr_obs_front(struct tr_obs *o, const struct tr_pkt *pkt, struct tr_seg *seg, uint32_t *cut,
                           unsigned *tick)
{
    if (o->in.packets == 0 && o->cfg.stop_relative) {
        o->cfg.stop_after_ns += pkt->ts_ns;
        o->cfg.stop_relative = false;
    }
    tr_obs_front_header(o, pkt);
    enum tr_front f = tr_obs_front_decode(o, pkt, seg, cut);
    *tick = f == TR_FRONT_SEGMENT ? tr_obs_front_tick(o, pkt->ts_ns) : 0;
    return f;
}

void tr_obs_tick(struct tr_obs *o, int64_t now, unsigned what)
{
    if (what & TR_TICK_EXPIRE) {
        int64_t linger = o->cfg.linger_ns ? o->cfg.linger_ns : 10 * (int64_t)1000000000;
        tr_obs_expire_ended(o, now, linger);
    }
    if (what & TR_TICK_PARK)
        tr__park_idle(o, now, tr__ended);
}

void tr_obs_truncated(struct tr_obs *o, const struct tr_seg *seg, uint32_t cut) { tr__truncated_header(o, seg, cut); }

void tr_obs_set_last_ts(struct tr_obs *o, int64_t ts) { o->in.last_ts = ts; }

void tr_obs_input_merge(struct tr_input_stats *into, const struct tr_input_stats *from)
{
    for (unsigned d = 0; d < TR_DEC_COUNT; d++) {
        if (!from->by_dec[d])
            continue;
        if (!into->by_dec[d] || from->first_dec_frame[d] < into->first_dec_frame[d]) {
            into->first_dec_frame[d] = from->first_dec_frame[d];
            into->first_dec_offset[d] = from->first_dec_offset[d];
            into->first_dec_reason[d] = from->first_dec_reason[d];
        }
        into->by_dec[d] += from->by_dec[d];
    }
    into->tcp += from->tcp;
    into->opts_cut += from->opts_cut;
    into->iplen_zero += from->iplen_zero;
    into->iplen_beyond += from->iplen_beyond;
    into->payload_cut += from->payload_cut;
    into->bad_checksum += from->bad_checksum;
}

/* What the front found, acted on: the pass due, then the segment. */
static void tr__packet_back(struct tr_obs *o, const struct tr_pkt *pkt, enum tr_front f, const struct tr_seg *seg,
                            uint32_t cut, unsigned tick)
{
    if (tick)
        tr_obs_tick(o, pkt->ts_ns, tick);
    if (f == TR_FRONT_TRUNCATED)
        tr_obs_truncated(o, seg, cut);
    else if (f == TR_FRONT_SEGMENT)
        tr_obs_segment(o, seg);
}

void tr_obs_packet_uncounted(struct tr_obs *o, const struct tr_pkt *pkt)
{
    struct tr_seg seg;
    uint32_t cut;
    tr_obs_front_header(o, pkt);
    enum tr_front f = tr__front_decode(o, &o->uncounted, pkt, &seg, &cut);
    tr__packet_back(o, pkt, f, &seg, cut, f == TR_FRONT_SEGMENT ? tr_obs_front_tick(o, pkt->ts_ns) : 0);
}

void tr_obs_packet(struct tr_obs *o, const struct tr_pkt *pkt)
{
    struct tr_seg seg;
    uint32_t cut;
    unsigned tick;
    enum tr_front f = tr_obs_front(o, pkt, &seg, &cut, &tick);
    tr__packet_back(o, pkt, f, &seg, cut, tick);
}

/* ---- end of input and accessors ---- */

void tr_obs_finish(struct tr_obs *o)
{
    for (uint32_t i = 0; i < o->slots.count; i++) {
        const struct tr__slot *sl = tr__cslot(o, i);
        uint16_t flags = sl->c ? sl->c->flags : sl->conn_flags;
        if (flags & (TR_CONN_RETIRED | TR_CONN_RELEASED) || tr__finish_parked(o, i))
            continue;
        tr__finish_conn(o, tr__at(o, i));
        if (o->cfg.park_idle_ns > 0 && o->resident > o->cfg.park_keep)
            tr__store_park(o, i, false);
    }
}

struct tr__order {
    uint64_t first_frame;
    uint32_t id;
};

static int tr__by_first_frame(const void *a, const void *b)
{
    const struct tr__order *x = a, *y = b;
    return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

const uint32_t *tr_obs_order(struct tr_obs *o, uint32_t *n)
{
    uint32_t cnt = o->slots.count, k = 0;
    *n = 0;
    if (o->order_cap < cnt || !o->order) {
        uint32_t *p = tr_mem_realloc(o->order, (cnt ? cnt : 1) * sizeof *p);
        if (!p)
            return NULL;
        o->order = p;
        o->order_cap = cnt;
    }
    /* Ids are handed out in frame order unless released slots were
     * reused: sort only then. */
    bool sorted = true;
    uint64_t prev = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        const struct tr__slot *sl = tr__cslot(o, i);
        if (sl->c && (sl->c->flags & TR_CONN_RELEASED))
            continue;
        sorted = sorted && (k == 0 || sl->first_frame > prev);
        prev = sl->first_frame;
        o->order[k++] = i;
    }
    if (!sorted) {
        struct tr__order *t = malloc(k * sizeof *t);
        if (!t)
            return NULL;
        for (uint32_t i = 0; i < k; i++)
            t[i] = (struct tr__order){tr__cslot(o, o->order[i])->first_frame, o->order[i]};
        qsort(t, k, sizeof *t, tr__by_first_frame);
        for (uint32_t i = 0; i < k; i++)
            o->order[i] = t[i].id;
        free(t);
    }
    *n = k;
    return o->order;
}

uint64_t tr_obs_first_frame(const struct tr_obs *o, uint32_t id) { return tr__cslot(o, id)->first_frame; }

const struct tr_conn *tr_obs_view(const struct tr_obs *o, uint32_t id, struct tr_conn *scratch)
{
    return tr__conn_view(o, id, scratch);
}

const struct tr_conn *const *tr_obs_sorted(struct tr_obs *o, uint32_t *n)
{
    uint32_t k;
    const uint32_t *ids = tr_obs_order(o, &k);
    *n = 0;
    if (!ids)
        return NULL;
    if (o->sorted_cap < k || !o->sorted) {
        const struct tr_conn **p = tr_mem_realloc(o->sorted, (k ? k : 1) * sizeof *p);
        if (!p)
            return NULL;
        o->sorted = p;
        o->sorted_cap = k;
    }
    for (uint32_t i = 0; i < k; i++)
        o->sorted[i] = tr__at(o, ids[i]);
    *n = k;
    return o->sorted;
}

const char *tr_wsflag_name(unsigned bit)
{
    static const char *const n[TR_WS_COUNT] = {
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
        "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
        "zero_window_probe_ack", "window_full", "window_update", "keep_alive", "keep_alive_ack",
        "reused_ports",
    };
    return bit < TR_WS_COUNT ? n[bit] : "?";
}

uint32_t tr_obs_conn_count(const struct tr_obs *o) { return o->slots.count; }

const struct tr_conn *tr_obs_conn(const struct tr_obs *o, uint32_t i)
{
    return i < o->slots.count ? tr__conn_view(o, i, (struct tr_conn *)&o->view) : NULL;
}

const struct tr_input_stats *tr_obs_input(const struct tr_obs *o) { return &o->in; }
const struct tr_profile *tr_obs_profile(const struct tr_obs *o) { return &o->prof; }

const struct tr_finding *tr_obs_next_finding(const struct tr_obs *o, const struct tr_conn *c,
                                             const struct tr_finding *prev)
{
    uint32_t i = prev ? prev->next : c->f_head;
    return i == TR_NIL ? NULL : tr__chunks_at(&o->findings, i);
}

uint32_t tr_obs_finished_parked(const struct tr_obs *o) { return o->finished_parked; }

uint64_t tr_obs_memory(const struct tr_obs *o)
{
    uint64_t m = sizeof *o + ((uint64_t)o->tab.mask + 1) * sizeof *o->tab.slot;
    m += (uint64_t)o->conns.nchunks * TR_CHUNK * o->conns.elem;
    m += (uint64_t)o->slots.nchunks * TR_CHUNK * o->slots.elem + o->packed_now;
    m += (uint64_t)o->rings.nchunks * TR_CHUNK * o->rings.elem;
    m += (uint64_t)o->findings.nchunks * TR_CHUNK * o->findings.elem;
    return m;
}
