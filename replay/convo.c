#include "replay/convo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/error.h"
#include "stack/seq.h"

void tr_convo_init(struct tr_convo *c)
{
    memset(c, 0, sizeof *c);
    for (int d = 0; d < 2; d++) {
        tr_stream_init(&c->side[d].bytes);
        c->side[d].delivered = -1;
    }
}

void tr_convo_free(struct tr_convo *c)
{
    for (int d = 0; d < 2; d++) {
        tr_stream_free(&c->side[d].bytes);
        free(c->side[d].pieces);
    }
    memset(c, 0, sizeof *c);
}

void tr_convo_set_tuple(struct tr_convo *c, uint8_t ipver, const uint8_t *a0, uint16_t p0,
                        const uint8_t *a1, uint16_t p1)
{
    size_t n = ipver == 6 ? 16 : 4;
    c->ipver = ipver;
    memset(c->addr, 0, sizeof c->addr);
    memcpy(c->addr[0], a0, n);
    memcpy(c->addr[1], a1, n);
    c->port[0] = p0;
    c->port[1] = p1;
    c->have_tuple = true;
}

/* The side that sent s, or -1 when s belongs to another connection. */
static int tr__side_of(const struct tr_convo *c, const struct tr_seg *s)
{
    size_t n = c->ipver == 6 ? 16 : 4;
    if (s->ipver != c->ipver)
        return -1;
    for (int d = 0; d < 2; d++)
        if (s->sport == c->port[d] && s->dport == c->port[1 - d] &&
            !memcmp(s->src, c->addr[d], n) && !memcmp(s->dst, c->addr[1 - d], n))
            return d;
    return -1;
}

static void tr__first_tuple(struct tr_convo *c, const struct tr_seg *s)
{
    bool synack = (s->flags & (TR_SYN | TR_ACK)) == (TR_SYN | TR_ACK);
    if (synack)
        tr_convo_set_tuple(c, s->ipver, s->dst, s->dport, s->src, s->sport);
    else
        tr_convo_set_tuple(c, s->ipver, s->src, s->sport, s->dst, s->dport);
}

static int tr__push_piece(struct tr_cv_side *sd, const struct tr_piece *p)
{
    if (sd->npieces == sd->piececap) {
        size_t nc = sd->piececap ? sd->piececap * 2 : 64;
        struct tr_piece *np = realloc(sd->pieces, nc * sizeof *np);
        if (!np)
            return TR_ENOMEM;
        sd->pieces = np;
        sd->piececap = nc;
    }
    sd->pieces[sd->npieces++] = *p;
    return TR_OK;
}

/* Records the parts of [off, off+len) never seen before as pieces. */
static int tr__new_pieces(struct tr_cv_side *sd, const struct tr_piece *tmpl)
{
    const struct tr_ranges *rs = &sd->bytes.seen;
    uint64_t at = tmpl->off, hi = tmpl->off + tmpl->len;
    for (size_t i = 0; i <= rs->n && at < hi; i++) {
        uint64_t lo = i < rs->n ? rs->r[i].lo : UINT64_MAX;
        uint64_t rhi = i < rs->n ? rs->r[i].hi : UINT64_MAX;
        if (rhi <= at)
            continue;
        if (lo > at) {
            struct tr_piece p = *tmpl;
            p.off = at;
            p.len = (lo < hi ? lo : hi) - at;
            int r = tr__push_piece(sd, &p);
            if (r < 0)
                return r;
        }
        at = rhi;
    }
    return TR_OK;
}

/* Bytes of the other side's stream this segment acknowledges, its FIN
 * counting one more; -1 when it carries no usable ACK. */
static int64_t tr__delivered(const struct tr_cv_side *peer, const struct tr_seg *s)
{
    if (!(s->flags & TR_ACK) || !peer->base_known)
        return -1;
    int32_t d = tr_seq_diff(s->ack, peer->isn + 1);
    return d < 0 ? -1 : d;
}

static void tr__syn(struct tr_convo *c, struct tr_cv_side *sd, const struct tr_seg *s)
{
    if (!(s->flags & TR_ACK) && !c->hs_syn_ts)
        c->hs_syn_ts = s->ts_ns;
    if ((s->flags & TR_ACK) && !c->hs_synack_ts)
        c->hs_synack_ts = s->ts_ns;
    if (sd->syn_seen)
        return;
    sd->syn_seen = sd->base_known = true;
    sd->isn = s->seq;
    sd->syn = s->opt;
    sd->syn_win = s->win;
    sd->syn_ts = s->ts_ns;
    sd->syn_frame = s->frame;
    if (!(s->flags & TR_ACK) && tr__side_of(c, s) == 0)
        c->roles_known = true;
}

static void tr__close_flags(struct tr_cv_side *sd, const struct tr_seg *s, uint64_t end,
                            int64_t delivered)
{
    if ((s->flags & TR_FIN) && !sd->fin) {
        sd->fin = true;
        sd->fin_off = end;
        sd->fin_ts = s->ts_ns;
        sd->fin_frame = s->frame;
        sd->fin_delivered = delivered;
    }
    if ((s->flags & TR_RST) && !sd->rst) {
        sd->rst = true;
        sd->rst_ts = s->ts_ns;
        sd->rst_frame = s->frame;
        sd->rst_delivered = delivered >= 0 ? delivered : sd->delivered;
    }
}

static void tr__payload(struct tr_convo *c, struct tr_cv_side *sd, const struct tr_cv_side *peer,
                        const struct tr_seg *s, int64_t off, int64_t delivered)
{
    uint32_t len = s->len, caplen = s->caplen;
    const uint8_t *p = s->payload;
    if (off < 0) { /* keep-alive probes and the like: the part before offset 0 */
        uint64_t cut = (uint64_t)-off;
        if (cut >= len)
            return;
        len -= (uint32_t)cut;
        caplen = caplen > cut ? caplen - (uint32_t)cut : 0;
        p = caplen ? p + cut : NULL;
        off = 0;
    }
    sd->data_segs++;
    if (len > sd->max_seg)
        sd->max_seg = len;
    struct tr_piece tmpl = {.off = (uint64_t)off, .len = len, .ts = s->ts_ns, .frame = s->frame,
                            .delivered = delivered,
                            .peer_acked = peer->delivered > 0 ? (uint64_t)peer->delivered : 0,
                            .peer_last_ts = peer->segs ? peer->last_ts : 0};
    int r = tr__new_pieces(sd, &tmpl);
    int64_t fresh = r < 0 ? r : tr_stream_add(&sd->bytes, (uint64_t)off, len, p, caplen);
    if (fresh < 0) {
        if (!c->err)
            c->err = (int)fresh;
        return;
    }
    if (fresh > 0)
        sd->new_data_segs++;
    if ((uint64_t)fresh < len)
        sd->retx_segs++;
}

int tr_convo_add(struct tr_convo *c, const struct tr_seg *s)
{
    if (!c->have_tuple)
        tr__first_tuple(c, s);
    int d = tr__side_of(c, s);
    if (d < 0)
        return -1;
    struct tr_cv_side *sd = &c->side[d], *peer = &c->side[1 - d];
    if (!c->first_frame)
        c->first_frame = s->frame;
    c->last_frame = s->frame;
    if (!sd->segs++)
        sd->first_ts = s->ts_ns;
    sd->last_ts = s->ts_ns;
    if (s->csum == TR_CSUM_BAD)
        sd->bad_checksums++;
    if (s->flags & TR_SYN)
        tr__syn(c, sd, s);
    if (!sd->base_known) { /* mid-stream: the first segment seen starts the stream */
        sd->base_known = true;
        sd->isn = s->seq - 1;
    }
    int64_t delivered = tr__delivered(peer, s);
    if (delivered > sd->delivered && !(s->flags & TR_RST))
        sd->delivered = delivered;
    if (peer->fin && !peer->fin_acked_ts && delivered > (int64_t)peer->fin_off &&
        !(s->flags & TR_RST))
        peer->fin_acked_ts = s->ts_ns;
    if (d == 0 && c->hs_synack_ts && !c->hs_ack_ts && (s->flags & (TR_SYN | TR_ACK)) == TR_ACK)
        c->hs_ack_ts = s->ts_ns;
    int64_t off = tr_seq_diff(s->seq + ((s->flags & TR_SYN) ? 1u : 0u), sd->isn + 1);
    if (s->len && !(s->flags & TR_RST))
        tr__payload(c, sd, peer, s, off, delivered);
    else if (!(s->flags & (TR_SYN | TR_FIN | TR_RST)))
        sd->pure_acks++;
    tr__close_flags(sd, s, off > 0 ? (uint64_t)off + s->len : s->len, delivered);
    return d;
}

int64_t tr_convo_reached(const struct tr_convo *c, int d, uint64_t n, bool eof)
{
    const struct tr_cv_side *sd = &c->side[d];
    if (!tr_stream_seen_all(&sd->bytes, 0, n) || (eof && !sd->fin))
        return -1;
    int64_t t = eof ? sd->fin_ts : 0;
    for (size_t i = 0; i < sd->npieces; i++)
        if (sd->pieces[i].off < n && sd->pieces[i].ts > t)
            t = sd->pieces[i].ts;
    return t;
}

const struct tr_piece *tr_convo_piece_at(const struct tr_convo *c, int d, uint64_t off)
{
    const struct tr_cv_side *sd = &c->side[d];
    for (size_t i = 0; i < sd->npieces; i++)
        if (sd->pieces[i].off <= off && off < sd->pieces[i].off + sd->pieces[i].len)
            return &sd->pieces[i];
    return NULL;
}

int64_t tr_convo_byte_ts(const struct tr_convo *c, int d, uint64_t off)
{
    const struct tr_piece *p = tr_convo_piece_at(c, d, off);
    return p ? p->ts : -1;
}

int64_t tr_convo_next_data_ts(const struct tr_convo *c, int d, uint64_t off, int64_t t)
{
    const struct tr_cv_side *sd = &c->side[d];
    int64_t best = -1;
    for (size_t i = 0; i < sd->npieces; i++) {
        const struct tr_piece *p = &sd->pieces[i];
        if (p->off + p->len > off && p->ts >= t && (best < 0 || p->ts < best))
            best = p->ts;
    }
    return best;
}

static const char *tr__side_name(const struct tr_convo *c, int d)
{
    if (!c->roles_known)
        return d == 0 ? "A" : "B";
    return d == 0 ? "client" : "server";
}

bool tr_convo_incomplete(const struct tr_convo *c, char *why, size_t n)
{
    why[0] = 0;
    if (!c->have_tuple) {
        snprintf(why, n, "the connection has no segment in the capture");
        return true;
    }
    if (c->roles_known && c->side[0].syn_seen && !c->side[1].syn_seen) {
        if (c->side[1].rst)
            return false; /* refused: a complete recording of a SYN answered by RST */
        snprintf(why, n, "the SYN was never answered in the capture (no SYN-ACK, no RST)");
        return true;
    }
    if (!c->side[0].syn_seen || !c->side[1].syn_seen || !c->roles_known) {
        snprintf(why, n, "the handshake is not in the capture (%s%s%s): ISNs, options and "
                 "roles are unknown", c->side[0].syn_seen && c->roles_known ? "" : "no SYN",
                 !c->side[0].syn_seen && !c->side[1].syn_seen ? ", " : "",
                 c->side[1].syn_seen ? "" : "no SYN-ACK");
        return true;
    }
    for (int d = 0; d < 2; d++) {
        const struct tr_cv_side *sd = &c->side[d];
        const char *who = tr__side_name(c, d), *other = tr__side_name(c, 1 - d);
        uint64_t end = sd->fin && sd->fin_off > sd->bytes.end ? sd->fin_off : sd->bytes.end;
        int64_t acked = c->side[1 - d].delivered;
        if (!sd->fin && acked > 0 && (uint64_t)acked == end + 1) {
            snprintf(why, n, "segments missing from the capture: the %s acknowledged a FIN of the "
                     "%s that the capture does not hold", other, who);
            return true;
        }
        bool by_ack = acked > 0 && (uint64_t)acked > end + (sd->fin ? 1 : 0);
        if (by_ack)
            end = (uint64_t)acked;
        uint64_t lo, hi;
        if (tr_stream_first_hole(&sd->bytes, end, &lo, &hi)) {
            snprintf(why, n, "segments missing from the capture: bytes %" PRIu64 "-%" PRIu64
                     " of the %s's stream were never captured (%s up to %" PRIu64 ")", lo, hi - 1,
                     who, by_ack && hi > sd->bytes.end ? "acknowledged by the peer" : "sent",
                     end);
            return true;
        }
    }
    return false;
}
