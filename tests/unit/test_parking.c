/* Parking changes nothing (analyzer/obs_store.c): one observer that parks
 * every connection it may, and one that parks none, are fed the same
 * segments and periodic passes; every connection and every finding must
 * come out the same. Connections whose finishing is inert finish and
 * retire parked, without being unpacked (tr__finish_inert in obs_end.c):
 * the mix below has kinds that do and kinds that must not, and each kind's
 * path is checked, so that a condition dropped from tr__finish_inert (or a
 * check added to tr__finish_conn and not mirrored there) shows up as a
 * difference between the two observers. (A stall that may still come, or
 * a FIN or unseen data still pending, comes here only with data in flight,
 * which the ring condition already excludes; those conditions stay in
 * tr__finish_inert as they are in tr__finish_conn.) */
#include <stdlib.h>
#include <string.h>

#include "../support/tt.h"
#include "analyzer/obs_int.h"
#include "stack/profile.h"

enum tt_kind {
    K_CLEAN,        /* handshake, data, FIN both ways: inert */
    K_RESET,        /* reset by the server after data: inert */
    K_HALF,         /* the client's FIN only, open at the end: inert, end "half-close" */
    K_OPEN,         /* data acknowledged, no FIN, open at the end: inert, end "open" */
    K_MIDSTREAM,    /* no handshake seen, FIN both ways: "no handshake" at the finish */
    K_SYNACK_ONLY,  /* a SYN-ACK without the SYN, nothing after it: pending until the finish */
    K_RETX,         /* one segment in two re-sent: the retransmission threshold at the finish */
    K_UNACKED,      /* data never acknowledged, open at the end: the timer runs (stall) */
    K_LATE_ACK,     /* clean, then a copy of the last ACK 2 s later (unparked, parked again) */
    K_ZERO_WINDOW,  /* the server's window closed, then a reset: the zero window ends at the finish */
    K_UNSEEN,       /* the server acknowledges 100 bytes more than were seen, then resets: pending */
    K_RST_IN_FLIGHT,/* reset by the server with the client's data unacknowledged: its ring emptied */
    K_COUNT
};

struct tt_pair {
    struct tr_obs *o[2]; /* 0: parks everything it may; 1: parks nothing */
    int64_t next_park, next_expire;
    uint64_t frame;
};

static struct tr_obs *tt_new(bool park)
{
    struct tr_obs_config cfg = {.profile = tr_profile_builtin("linux"), .vlan_in_key = true,
                                .park_idle_ns = park ? 250000000 : 0, .park_keep = 0};
    cfg.th.retx_on = true;
    cfg.th.retx_bp = 2000; /* 20 % */
    struct tr_obs *o = NULL;
    assert_int_equal(tr_obs_new(&o, &cfg, 0), 0);
    return o;
}

/* The periodic passes as the reader runs them (tr_obs_front_tick): parking
 * four times a second, retiring once a second, at the first segment past
 * each boundary. */
static void tt_ticks(struct tt_pair *p, int64_t ts)
{
    unsigned what = 0;
    if (ts >= p->next_park) {
        what |= TR_TICK_PARK;
        p->next_park = ts - ts % 250000000 + 250000000;
    }
    if (ts >= p->next_expire) {
        what |= TR_TICK_EXPIRE;
        p->next_expire = ts - ts % 1000000000 + 1000000000;
    }
    for (int k = 0; k < 2; k++) {
        tr_obs_set_last_ts(p->o[k], ts);
        if (what)
            tr_obs_tick(p->o[k], ts, what);
    }
}

/* A segment of connection `port` (the client's port) at time t. */
static void tt_send_w(struct tt_pair *p, uint16_t port, double t, int dir, uint8_t flags, uint32_t seq,
                      uint32_t ack, uint32_t len, uint16_t win)
{
    struct tr_seg s = tt_seg(++p->frame, t, dir, flags, seq, ack, len, win);
    if (dir == TT_C2S)
        s.sport = port;
    else
        s.dport = port;
    if (flags & TR_SYN)
        tt_syn_opts(&s, 1460, 7, 1, 0);
    tt_ticks(p, s.ts_ns);
    for (int k = 0; k < 2; k++)
        tr_obs_segment(p->o[k], &s);
}

static void tt_send(struct tt_pair *p, uint16_t port, double t, int dir, uint8_t flags, uint32_t seq,
                    uint32_t ack, uint32_t len)
{
    tt_send_w(p, port, t, dir, flags, seq, ack, len, 502);
}

/* One connection of kind k from client port `port`, starting at t. Client
 * ISN 1000, server ISN 5000. */
static void tt_conn(struct tt_pair *p, enum tt_kind k, uint16_t port, double t)
{
    const uint8_t A = TR_ACK, PA = TR_ACK | TR_PSH, FA = TR_FIN | TR_ACK;
    if (k == K_MIDSTREAM) {
        tt_send(p, port, t, TT_C2S, PA, 1001, 5001, 100);
        tt_send(p, port, t + 0.02, TT_S2C, A, 5001, 1101, 0);
    } else {
        if (k != K_SYNACK_ONLY)
            tt_send(p, port, t, TT_C2S, TR_SYN, 1000, 0, 0);
        tt_send(p, port, t + 0.01, TT_S2C, TR_SYN | TR_ACK, 5000, 1001, 0);
        if (k == K_SYNACK_ONLY)
            return;
        tt_send(p, port, t + 0.02, TT_C2S, A, 1001, 5001, 0);
        tt_send(p, port, t + 0.03, TT_C2S, PA, 1001, 5001, 100);
        if (k == K_RETX)
            tt_send(p, port, t + 0.25, TT_C2S, PA, 1001, 5001, 100);
        if (k == K_UNACKED)
            return;
        if (k == K_UNSEEN || k == K_RST_IN_FLIGHT) {
            if (k == K_UNSEEN)
                tt_send(p, port, t + 0.04, TT_S2C, A, 5001, 1201, 0);
            tt_send(p, port, t + 0.3, TT_S2C, TR_RST, 5001, 0, 0);
            return;
        }
        tt_send(p, port, t + (k == K_RETX ? 0.26 : 0.04), TT_S2C, A, 5001, 1101, 0);
    }
    double e = t + 0.3;
    switch (k) {
    case K_RESET:
        tt_send(p, port, e, TT_S2C, TR_RST | TR_ACK, 5001, 1101, 0);
        return;
    case K_OPEN:
        return;
    case K_ZERO_WINDOW:
        tt_send_w(p, port, e, TT_S2C, A, 5001, 1101, 0, 0);
        tt_send(p, port, e + 0.1, TT_C2S, TR_RST | TR_ACK, 1101, 5001, 0);
        return;
    case K_HALF:
        tt_send(p, port, e, TT_C2S, FA, 1101, 5001, 0);
        tt_send(p, port, e + 0.01, TT_S2C, A, 5001, 1102, 0);
        return;
    default:
        break;
    }
    tt_send(p, port, e, TT_C2S, FA, 1101, 5001, 0);
    tt_send(p, port, e + 0.01, TT_S2C, FA, 5001, 1102, 0);
    tt_send(p, port, e + 0.02, TT_C2S, A, 1102, 5002, 0);
    if (k == K_LATE_ACK)
        tt_send(p, port, e + 2.0, TT_C2S, A, 1102, 5002, 0);
}

static void tt_same_findings(const struct tr_obs *a, const struct tr_conn *ca, const struct tr_obs *b,
                             const struct tr_conn *cb)
{
    const struct tr_finding *fa = tr_obs_next_finding(a, ca, NULL), *fb = tr_obs_next_finding(b, cb, NULL);
    for (; fa && fb; fa = tr_obs_next_finding(a, ca, fa), fb = tr_obs_next_finding(b, cb, fb)) {
        assert_int_equal(fa->rule, fb->rule);
        assert_int_equal(fa->frame, fb->frame);
        assert_int_equal(fa->repeat, fb->repeat);
        assert_memory_equal(fa->arg, fb->arg, sizeof fa->arg);
    }
    assert_null(fa);
    assert_null(fb);
}

static unsigned tt_rule_count(const struct tr_obs *o, const struct tr_conn *c, enum tr_rule r)
{
    unsigned n = 0;
    for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f; f = tr_obs_next_finding(o, c, f))
        n += f->rule == r;
    return n;
}

static void test_parking_everything_and_nothing_give_the_same_connections(void **state)
{
    (void)state;
    struct tt_pair p = {.o = {tt_new(true), tt_new(false)}};
    /* Three rounds of every kind, 0.7 s apart: 36 connections over 25 s, so
     * those of the first rounds linger out (10 s) and retire during the run;
     * the others finish at the end. */
    const unsigned rounds = 3;
    for (unsigned r = 0; r < rounds; r++)
        for (unsigned k = 0; k < K_COUNT; k++)
            tt_conn(&p, (enum tt_kind)k, (uint16_t)(41000 + r * K_COUNT + k), 0.7 * (r * K_COUNT + k));
    tt_ticks(&p, (int64_t)40e9); /* the last pass, as a later packet would run it */
    for (int k = 0; k < 2; k++)
        tr_obs_finish(p.o[k]);

    uint32_t n = tr_obs_conn_count(p.o[0]);
    assert_int_equal(n, rounds * K_COUNT);
    assert_int_equal(tr_obs_conn_count(p.o[1]), n);
    unsigned retired = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct tr_conn va, vb;
        const struct tr_conn *a = tr_obs_view(p.o[0], i, &va), *b = tr_obs_view(p.o[1], i, &vb);
        assert_memory_equal(a, b, sizeof *a);
        tt_same_findings(p.o[0], a, p.o[1], b);
        assert_true(a->flags & TR_CONN_CLOSE_SENT);
        retired += (a->flags & TR_CONN_RETIRED) != 0;
        /* what each kind must have come to (port 41000 + round * K_COUNT + kind) */
        enum tt_kind k = (enum tt_kind)((a->port[0] - 41000) % K_COUNT);
        static const uint8_t end[K_COUNT] = {
            [K_CLEAN] = TR_END_FIN,    [K_RESET] = TR_END_RST,      [K_HALF] = TR_END_HALF,
            [K_OPEN] = TR_END_OPEN,    [K_MIDSTREAM] = TR_END_FIN,  [K_SYNACK_ONLY] = TR_END_OPEN,
            [K_RETX] = TR_END_FIN,     [K_UNACKED] = TR_END_OPEN,   [K_LATE_ACK] = TR_END_FIN,
            [K_ZERO_WINDOW] = TR_END_RST,  [K_UNSEEN] = TR_END_RST,     [K_RST_IN_FLIGHT] = TR_END_RST,
        };
        assert_int_equal(a->end, end[k]);
        if (k == K_MIDSTREAM)
            assert_int_equal(tt_rule_count(p.o[0], a, TR_RULE_CAP_NO_HANDSHAKE), 1);
        if (k == K_SYNACK_ONLY)
            assert_int_equal(tt_rule_count(p.o[0], a, TR_RULE_HS_SYNACK_WITHOUT_SYN), 1);
        if (k == K_RETX)
            assert_int_equal(tt_rule_count(p.o[0], a, TR_RULE_THR_RETX), 1);
        if (k == K_UNACKED)
            assert_int_equal(tt_rule_count(p.o[0], a, TR_RULE_RTO_STALL), 1);
        if (k == K_ZERO_WINDOW)
            assert_true(a->ep[1].st.zero_window_ns > 0);
        if (k == K_UNSEEN)
            assert_int_equal(tt_rule_count(p.o[0], a, TR_RULE_ACK_UNSEEN_CAPTURE), 1);
        if (k == K_RST_IN_FLIGHT || k == K_UNACKED)
            assert_int_equal(a->ep[0].ring, TR_NIL); /* given back at the finish */
    }
    /* The ended connections of the first two rounds (9 ended kinds each)
     * lingered out during the run. */
    assert_true(retired >= 2 * 9);
    /* All unpacked (tr_obs_sorted makes every connection resident): the same. */
    uint32_t na, nb;
    const struct tr_conn *const *sa = tr_obs_sorted(p.o[0], &na);
    const struct tr_conn *const *sb = tr_obs_sorted(p.o[1], &nb);
    assert_int_equal(na, n);
    assert_int_equal(nb, n);
    for (uint32_t i = 0; i < n; i++)
        assert_memory_equal(sa[i], sb[i], sizeof *sa[i]);
    /* The inert kinds finished parked (clean, reset, half-close, open, late
     * ACK: 5 per round); the others were unpacked to finish; the observer
     * that parks nothing never finishes a connection parked. */
    assert_int_equal(tr_obs_finished_parked(p.o[0]), rounds * 5);
    assert_int_equal(tr_obs_finished_parked(p.o[1]), 0);
    for (int k = 0; k < 2; k++)
        tr_obs_free(p.o[k]);
}

/* ---- the packed form itself (tr__conn_pack / tr__conn_unpack) ---- */

enum { TT_WORDS = sizeof(struct tr_conn) / 8, TT_MAP = (TT_WORDS + 63) / 64 * 8 };

static uint64_t tt_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Packs c against t, checks that it unpacks to c bit for bit, returns the length. */
static size_t tt_round_trip(const struct tr_conn *c, const uint64_t *t)
{
    size_t max = tr__conn_pack_max();
    uint8_t *buf = malloc(max);
    struct tr_conn *back = malloc(sizeof *back);
    assert_non_null(buf);
    assert_non_null(back);
    size_t n = tr__conn_pack(c, t, buf);
    assert_true(n <= max);
    memset(back, 0xa5, sizeof *back);
    tr__conn_unpack(buf, t, back);
    assert_memory_equal(back, c, sizeof *c);
    free(buf);
    free(back);
    return n;
}

/* Lengths worked out by hand from the format (obs_store.c): a map of
 * TT_MAP bytes, a 4-bit code per word that differs from the template's,
 * the first timestamp and first frame (16 bytes), each word's bytes, and
 * 8 bytes of slack. */
static void test_packing_lengths_follow_the_format(void **state)
{
    (void)state;
    uint64_t *t = calloc(TT_WORDS, 8);
    struct tr_conn *c = calloc(1, sizeof *c);
    assert_non_null(t);
    assert_non_null(c);
    uint64_t *w = (uint64_t *)(void *)c;
    const size_t k = offsetof(struct tr_conn, hs_ack_frame) / 8; /* any word but the references */
    const size_t base = TT_MAP + 16 + 8;
    /* the template itself: no word differs */
    assert_int_equal(tt_round_trip(c, t), base);
    /* a zero where the template has a value: code 0, no bytes */
    t[k] = 0x1234;
    assert_int_equal(tt_round_trip(c, t), base + 1);
    /* a difference in one byte, then in two: the XOR in 1 and 2 bytes */
    w[k] = 0x1234 ^ 0x80;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 1);
    w[k] = 0x1234 ^ 0xff00;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 2);
    /* a value 8 bytes long: 8 bytes */
    w[k] = 0x8000000000001234ull;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 8);
    /* a time 1,000 ns after the first timestamp (10^18): the zigzag distance
     * 2,000 in 2 bytes; the first timestamp's own word is a distance of 0
     * (code 10, no bytes) */
    t[k] = 0;
    c->first_ts = 1000000000000000000;
    w[k] = 1000000000000001000ull;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 0 + 2);
    w[k] = 1000000000000000000ull - 1000; /* before it: zigzag 1,999, 2 bytes */
    assert_int_equal(tt_round_trip(c, t), base + 1 + 0 + 2);
    /* a frame 200 after the first frame (5 * 10^12): zigzag 400 in 2 bytes
     * (code 15); the first frame's own word a distance of 0 in 1 byte
     * (code 14) */
    c->first_ts = 0;
    c->first_frame = 5000000000000;
    w[k] = 5000000000200ull;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 1 + 2);
    /* differences of 3 bytes are the shortest tried against the
     * references: a frame of 3 bytes, 100 after a first frame of 3 bytes,
     * is the zigzag 200 in 1 byte (code 14), and the first frame's word 1
     * byte, not 3 + 3 */
    c->first_frame = 0x345678;
    w[k] = 0x345678 + 100;
    assert_int_equal(tt_round_trip(c, t), base + 1 + 1 + 1);
    free(t);
    free(c);
}

/* Words of every kind the format tells apart, at random: equal to the
 * template's, zero, differing from it in 1-8 bytes, near the first
 * timestamp or the first frame (either side), anything. */
static void test_packing_gives_every_word_back(void **state)
{
    (void)state;
    uint64_t *t = malloc(TT_WORDS * 8);
    struct tr_conn *c = malloc(sizeof *c);
    assert_non_null(t);
    assert_non_null(c);
    uint64_t *w = (uint64_t *)(void *)c;
    const size_t k_ts = offsetof(struct tr_conn, first_ts) / 8, k_fr = offsetof(struct tr_conn, first_frame) / 8;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (unsigned round = 0; round < 3000; round++) {
        for (size_t k = 0; k < TT_WORDS; k++)
            t[k] = tt_rng(&s) % 3 == 0 ? 0 : tt_rng(&s) >> (tt_rng(&s) % 64);
        uint64_t ts = tt_rng(&s) >> (tt_rng(&s) % 64), fr = tt_rng(&s) >> (tt_rng(&s) % 64);
        for (size_t k = 0; k < TT_WORDS; k++) {
            unsigned bytes = 1 + (unsigned)(tt_rng(&s) % 8);
            uint64_t small = tt_rng(&s) >> (64 - 8 * bytes), sign = tt_rng(&s) & 1;
            switch (tt_rng(&s) % 6) {
            case 0: w[k] = t[k]; break;
            case 1: w[k] = 0; break;
            case 2: w[k] = t[k] ^ (small ? small : 1); break;
            case 3: w[k] = sign ? ts + small : ts - small; break;
            case 4: w[k] = sign ? fr + (small & 0xffff) : fr - (small & 0xffff); break;
            default: w[k] = tt_rng(&s); break;
            }
        }
        w[k_ts] = ts;
        w[k_fr] = fr;
        tt_round_trip(c, t);
    }
    free(t);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parking_everything_and_nothing_give_the_same_connections),
        cmocka_unit_test(test_packing_lengths_follow_the_format),
        cmocka_unit_test(test_packing_gives_every_word_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
