#include "ttnet.h"

#include <stdlib.h>
#include <string.h>

#include "stack/profile.h"
#include "stack/wire.h"
#include "tt.h"

struct ttnet_flight {
    int64_t at;
    uint64_t order;
    int dir;          /* sender */
    size_t rec;       /* index of its record */
};

static const uint8_t ttnet_addr[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
static const uint16_t ttnet_port[2] = {40000, 80};

struct tr_endpoint_config ttnet_config(int side)
{
    struct tr_endpoint_config c = {
        .profile = tr_profile_builtin("rfc"),
        .local_port = ttnet_port[side],
        .remote_port = ttnet_port[!side],
        .iss = side == 0 ? 0xfffff000u : 5000u,
        .mss = 1460,
        .wscale = 7,
        .sack_permitted = true,
        .timestamps = true,
        .rcv_buffer = 256 * 1024,
        .ts_offset = side == 0 ? 100000u : 7000000u,
    };
    return c;
}

void ttnet_init(struct ttnet *n, const struct tr_endpoint_config *client,
                const struct tr_endpoint_config *server)
{
    memset(n, 0, sizeof *n);
    n->now = TTNET_T0;
    n->delay_ns[0] = n->delay_ns[1] = TTNET_MS(10);
    n->tap_host = -1;
    assert_int_equal(tr_endpoint_new(&n->ep[0], client), 0);
    assert_int_equal(tr_endpoint_new(&n->ep[1], server), 0);
}

void ttnet_free(struct ttnet *n)
{
    for (size_t i = 0; i < n->nrec; i++)
        free(n->rec[i].bytes);
    free(n->rec);
    free(n->fly);
    tr_endpoint_free(n->ep[0]);
    tr_endpoint_free(n->ep[1]);
}

void ttnet_open(struct ttnet *n)
{
    assert_int_equal(tr_endpoint_listen(n->ep[1]), 0);
    assert_int_equal(tr_endpoint_connect(n->ep[0], n->now), 0);
}

/* ---- segments on the wire ---- */

static struct ttnet_rec *ttnet_new_rec(struct ttnet *n)
{
    if (n->nrec == n->caprec) {
        n->caprec = n->caprec ? 2 * n->caprec : 256;
        n->rec = realloc(n->rec, n->caprec * sizeof *n->rec);
        assert_non_null(n->rec);
    }
    struct ttnet_rec *r = &n->rec[n->nrec++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Encodes s; decodes it again into r->seg, as a receiver would. */
static void ttnet_encode(struct ttnet_rec *r, const struct tr_seg *s)
{
    uint8_t hdr[TR_TCP_HDR_MAX];
    size_t hlen = tr_wire_build_tcp(hdr, sizeof hdr, s);
    assert_true(hlen >= TR_TCP_HDR_MIN); /* the options fit in 40 bytes */
    assert_int_equal(hlen, s->tcp_hlen);
    r->nbytes = (uint32_t)hlen + s->len;
    r->bytes = malloc(r->nbytes ? r->nbytes : 1);
    assert_non_null(r->bytes);
    memcpy(r->bytes, hdr, hlen);
    if (s->len)
        memcpy(r->bytes + hlen, s->payload, s->len);
    assert_int_equal(tr_wire_parse_tcp(r->bytes, r->nbytes, r->nbytes, &r->seg), TR_WIRE_OK);
    assert_int_equal(r->seg.opt.error, TR_OPTERR_NONE);
}

static void ttnet_push_flight(struct ttnet *n, int dir, size_t rec, int64_t at)
{
    static uint64_t order;
    if (n->nfly == n->capfly) {
        n->capfly = n->capfly ? 2 * n->capfly : 64;
        n->fly = realloc(n->fly, n->capfly * sizeof *n->fly);
        assert_non_null(n->fly);
    }
    n->fly[n->nfly++] = (struct ttnet_flight){.at = at, .order = order++, .dir = dir, .rec = rec};
}

static void ttnet_emit(struct ttnet *n, int dir, const struct tr_seg *s)
{
    struct ttnet_rec *r = ttnet_new_rec(n);
    r->sent = n->now;
    r->dir = dir;
    r->index = n->sent[dir]++;
    ttnet_encode(r, s);
    r->dropped = n->drop && n->drop(n->drop_ctx, dir, &r->seg, r->index);
    struct tr_endpoint_stats st;
    tr_endpoint_stats(n->ep[dir], &st);
    r->backoff = tr_endpoint_tcb(n->ep[dir])->rtt.backoff;
    r->rto_ns = tr_endpoint_tcb(n->ep[dir])->rtt.rto_ns;
    r->timeouts = (uint32_t)st.timeouts;
    if (n->tap_host < 0) {
        r->ts = n->now + n->delay_ns[dir] / 2;
        r->captured = true;
    } else {
        r->ts = dir == n->tap_host ? n->now : n->now + n->delay_ns[dir];
        r->captured = dir == n->tap_host || !r->dropped;
    }
    if (!r->dropped)
        ttnet_push_flight(n, dir, n->nrec - 1, n->now + n->delay_ns[dir]);
}

static void ttnet_note_states(struct ttnet *n)
{
    for (int d = 0; d < 2; d++)
        n->states[d] |= 1u << tr_endpoint_state(n->ep[d]);
}

/* Output of both endpoints until both are quiet. */
static bool ttnet_output(struct ttnet *n)
{
    static uint8_t buf[65536];
    struct tr_seg s;
    bool any = false;
    for (int d = 0; d < 2; d++) {
        for (int guard = 0; tr_endpoint_output(n->ep[d], n->now, &s, buf, sizeof buf); guard++) {
            assert_true(guard < 100000);
            ttnet_emit(n, d, &s);
            any = true;
        }
    }
    ttnet_note_states(n);
    return any;
}

/* ---- the applications ---- */

static bool ttnet_app_step(struct ttnet *n, int d)
{
    struct ttnet_app *a = &n->app[d];
    struct tr_endpoint *e = n->ep[d];
    bool moved = false;
    while (a->src && a->written < a->src_len) {
        size_t k = tr_endpoint_write(e, a->src + a->written, a->src_len - a->written, n->now);
        if (!k)
            break;
        a->written += k;
        moved = true;
    }
    enum tr_state st = tr_endpoint_state(e);
    if (a->close_after && !a->closed && a->written == a->src_len &&
        (st == TR_ESTABLISHED || st == TR_CLOSE_WAIT)) {
        assert_int_equal(tr_endpoint_shutdown(e, n->now), 0);
        a->closed = moved = true;
    }
    if (!a->read_paused && a->sink && a->got < a->sink_cap) {
        size_t k = tr_endpoint_read(e, a->sink + a->got, a->sink_cap - a->got);
        a->got += k;
        moved |= k > 0;
    }
    return moved;
}

void ttnet_flush(struct ttnet *n)
{
    for (int guard = 0; guard < 1000; guard++) {
        bool moved = ttnet_app_step(n, 0) | ttnet_app_step(n, 1);
        if (!ttnet_output(n) && !moved)
            return;
    }
    fail_msg("the endpoints never settle");
}

/* ---- the clock ---- */

static int64_t ttnet_next_event(const struct ttnet *n, size_t *fi)
{
    int64_t next = INT64_MAX;
    *fi = SIZE_MAX;
    for (size_t i = 0; i < n->nfly; i++) {
        const struct ttnet_flight *f = &n->fly[i];
        if (f->at < next || (f->at == next && *fi != SIZE_MAX && f->order < n->fly[*fi].order)) {
            next = f->at;
            *fi = i;
        }
    }
    for (int d = 0; d < 2; d++) {
        int64_t t = tr_endpoint_next_timeout(n->ep[d]);
        if (t < next) {
            next = t;
            *fi = SIZE_MAX;
        }
    }
    return next;
}

static void ttnet_deliver(struct ttnet *n, size_t fi)
{
    struct ttnet_flight f = n->fly[fi];
    n->fly[fi] = n->fly[--n->nfly];
    struct tr_seg s;
    const struct ttnet_rec *r = &n->rec[f.rec];
    assert_int_equal(tr_wire_parse_tcp(r->bytes, r->nbytes, r->nbytes, &s), TR_WIRE_OK);
    tr_endpoint_input(n->ep[!f.dir], &s, n->now);
}

/* One event (an arrival, or the timers due); false when none is due by
 * `limit`. */
static bool ttnet_step(struct ttnet *n, int64_t limit)
{
    ttnet_flush(n);
    size_t fi;
    int64_t next = ttnet_next_event(n, &fi);
    if (next == INT64_MAX || next > limit)
        return false;
    if (next > n->now)
        n->now = next;
    if (fi != SIZE_MAX) {
        ttnet_deliver(n, fi);
        return true;
    }
    for (int d = 0; d < 2; d++)
        if (tr_endpoint_next_timeout(n->ep[d]) <= n->now)
            tr_endpoint_timer(n->ep[d], n->now);
    return true;
}

void ttnet_run(struct ttnet *n, int64_t limit)
{
    for (unsigned long guard = 0; ttnet_step(n, limit); guard++)
        assert_true(guard < 50000000ul);
    ttnet_flush(n);
    if (limit != INT64_MAX && n->now < limit)
        n->now = limit;
}

void ttnet_run_for(struct ttnet *n, int64_t dt) { ttnet_run(n, n->now + dt); }

bool ttnet_run_until(struct ttnet *n, bool (*pred)(const struct ttnet *n, void *ctx), void *ctx,
                     int64_t limit)
{
    ttnet_flush(n);
    while (!pred(n, ctx)) {
        if (!ttnet_step(n, limit))
            return false;
        ttnet_flush(n);
    }
    return true;
}

void ttnet_inject(struct ttnet *n, int dir, const struct tr_seg *s)
{
    struct ttnet_rec *r = ttnet_new_rec(n);
    r->sent = r->ts = n->now;
    r->captured = true;
    r->dir = !dir;
    r->index = n->sent[!dir]++;
    ttnet_encode(r, s);
    tr_endpoint_input(n->ep[dir], &r->seg, n->now);
}

/* ---- looking at what was sent ---- */

static bool ttnet_match(const struct ttnet_rec *r, int dir, uint8_t with, uint8_t without)
{
    if (dir >= 0 && r->dir != dir)
        return false;
    return (r->seg.flags & with) == with && !(r->seg.flags & without);
}

const struct ttnet_rec *ttnet_find(const struct ttnet *n, int dir, uint8_t with, uint8_t without,
                                   unsigned k)
{
    for (size_t i = 0; i < n->nrec; i++)
        if (ttnet_match(&n->rec[i], dir, with, without) && k-- == 0)
            return &n->rec[i];
    return NULL;
}

unsigned ttnet_count(const struct ttnet *n, int dir, uint8_t with, uint8_t without)
{
    unsigned c = 0;
    for (size_t i = 0; i < n->nrec; i++)
        c += ttnet_match(&n->rec[i], dir, with, without);
    return c;
}

/* ---- the analyzer's view ---- */

static int ttnet_by_ts(const void *a, const void *b)
{
    const struct ttnet_rec *const *x = a, *const *y = b;
    if ((*x)->ts != (*y)->ts)
        return (*x)->ts < (*y)->ts ? -1 : 1;
    return *x < *y ? -1 : *x > *y;
}

static void ttnet_observe(struct tr_obs *o, const struct ttnet_rec *r, uint64_t frame, uint16_t id)
{
    struct tr_seg s = r->seg;
    s.frame = frame;
    s.ts_ns = r->ts;
    s.ipver = 4;
    s.ttl = 64;
    s.ip_df = true;
    s.ip_id = id;
    memcpy(s.src, ttnet_addr[r->dir], 4);
    memcpy(s.dst, ttnet_addr[!r->dir], 4);
    s.wire_len = 20 + r->nbytes;
    tr_obs_segment(o, &s);
}

/* The records the tap saw, in capture order: frame i + 1 is v[i]. */
static const struct ttnet_rec **ttnet_capture_order(const struct ttnet *n, size_t *count)
{
    const struct ttnet_rec **v = malloc((n->nrec ? n->nrec : 1) * sizeof *v);
    assert_non_null(v);
    size_t k = 0;
    for (size_t i = 0; i < n->nrec; i++)
        if (n->rec[i].captured)
            v[k++] = &n->rec[i];
    qsort(v, k, sizeof *v, ttnet_by_ts);
    *count = k;
    return v;
}

const struct ttnet_rec *ttnet_frame(const struct ttnet *n, uint64_t frame)
{
    size_t k;
    const struct ttnet_rec **v = ttnet_capture_order(n, &k);
    const struct ttnet_rec *r = frame >= 1 && frame <= k ? v[frame - 1] : NULL;
    free(v);
    return r;
}

struct tr_obs *ttnet_analyze(const struct ttnet *n, const char *profile)
{
    /* every finding kept: a test looks at each one */
    struct tr_obs_config cfg = {.profile = tr_profile_builtin(profile), .vlan_in_key = true,
                                .max_findings = 1u << 20, .max_per_rule = 1u << 20};
    struct tr_obs *o = NULL;
    assert_non_null(cfg.profile);
    assert_int_equal(tr_obs_new(&o, &cfg, 0), 0);
    size_t k;
    const struct ttnet_rec **v = ttnet_capture_order(n, &k);
    for (size_t i = 0; i < k; i++) /* IPv4 IDs numbered per sender, as Linux does */
        ttnet_observe(o, v[i], i + 1, (uint16_t)(v[i]->index + 1));
    free(v);
    tr_obs_finish(o);
    return o;
}

void ttnet_print_serious(const struct tr_obs *o)
{
    for (uint32_t i = 0; i < tr_obs_conn_count(o); i++) {
        const struct tr_conn *c = tr_obs_conn(o, i);
        for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f;
             f = tr_obs_next_finding(o, c, f)) {
            const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)f->rule);
            if (ri->cls != TR_CLASS_PROTOCOL || ri->severity < TR_SEV_WARNING)
                continue;
            print_message("finding %s frame %llu dir %u args %lld %lld %lld %lld\n", ri->id,
                          (unsigned long long)f->frame, f->dir, (long long)f->arg[0],
                          (long long)f->arg[1], (long long)f->arg[2], (long long)f->arg[3]);
        }
    }
}

void ttnet_fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

void ttnet_dump(const struct ttnet *n, FILE *f)
{
    for (size_t i = 0; i < n->nrec; i++) {
        const struct ttnet_rec *r = &n->rec[i];
        const struct tr_seg *s = &r->seg;
        char fl[8];
        int k = 0;
        static const char names[] = "FSRPA";
        for (int b = 0; b < 5; b++)
            if (s->flags & (1u << b))
                fl[k++] = names[b];
        fl[k] = 0;
        fprintf(f, "%10.6f %s %-5s seq=%u ack=%u win=%u len=%u", (double)(r->sent - TTNET_T0) / 1e9,
                r->dir ? "S>C" : "C>S", fl, s->seq, s->ack, s->win, s->len);
        if (s->opt.has_ts)
            fprintf(f, " ts=%u/%u", s->opt.tsval, s->opt.tsecr);
        for (int b = 0; b < s->opt.nsack; b++)
            fprintf(f, " sack=%u-%u", s->opt.sack[b].left, s->opt.sack[b].right);
        fprintf(f, "%s\n", r->dropped ? " DROPPED" : "");
    }
}

void ttnet_print_all(const struct tr_obs *o, FILE *f)
{
    for (uint32_t i = 0; i < tr_obs_conn_count(o); i++) {
        const struct tr_conn *c = tr_obs_conn(o, i);
        for (const struct tr_finding *fd = tr_obs_next_finding(o, c, NULL); fd;
             fd = tr_obs_next_finding(o, c, fd)) {
            const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)fd->rule);
            fprintf(f, "%s frame %llu dir %u x%u args %lld %lld %lld %lld %lld %lld\n", ri->id,
                    (unsigned long long)fd->frame, fd->dir, fd->repeat + 1, (long long)fd->arg[0],
                    (long long)fd->arg[1], (long long)fd->arg[2], (long long)fd->arg[3],
                    (long long)fd->arg[4], (long long)fd->arg[5]);
        }
    }
}
