/* replay/judge: the outcome of a conversation (how it ended, think and
 * response times per write of the plan). Client 10.0.0.1:40000 (ISN 1000),
 * server 10.0.0.2:80 (ISN 5000). */
#include <string.h>

#include "../support/tt.h"
#include "replay/replay.h"
#include "stack/profile.h"

#define MS 1000000

static struct tr_seg seg(uint64_t frame, double t, int dir, uint8_t flags, uint32_t seq,
                         uint32_t ack, const char *data)
{
    uint32_t n = data ? (uint32_t)strlen(data) : 0;
    struct tr_seg s = tt_seg(frame, t, dir, flags, seq, ack, n, 1000);
    s.payload = (const uint8_t *)data;
    s.caplen = n;
    return s;
}

static void feed(struct tr_convo *c, const struct tr_seg *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tr_convo_add(c, &s[i]);
}

static void handshake(struct tr_convo *c)
{
    tr_convo_init(c);
    struct tr_seg s[] = {
        seg(1, 0.000, TT_C2S, TR_SYN, 1000, 0, NULL),
        seg(2, 0.001, TT_S2C, TR_SYN | TR_ACK, 5000, 1001, NULL),
        seg(3, 0.002, TT_C2S, TR_ACK, 1001, 5001, NULL),
    };
    feed(c, s, 3);
}

/* The client sends "up" and its FIN; the server answers "ok" and its FIN
 * (client seq 1003 is the FIN, server seq 5003 its FIN). */
static void closing(struct tr_convo *c)
{
    handshake(c);
    struct tr_seg s[] = {
        seg(4, 0.010, TT_C2S, TR_ACK | TR_PSH, 1001, 5001, "up"),
        seg(5, 0.011, TT_C2S, TR_ACK | TR_FIN, 1003, 5001, NULL),
        seg(6, 0.012, TT_S2C, TR_ACK | TR_PSH, 5001, 1004, "ok"),
        seg(7, 0.013, TT_S2C, TR_ACK | TR_FIN, 5003, 1004, NULL),
    };
    feed(c, s, 4);
}

/* Frames of the replayed run where the kernel, in LAST-ACK, re-sent its
 * FIN before the client's ACK arrived; the client acknowledged both copies,
 * and the second ACK reached a closed socket, which answered it with RST. */
static void test_a_reset_after_both_fins_were_acknowledged_does_not_end_it(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    struct tr_outcome o;
    memset(&o, 0, sizeof o);
    closing(&c);
    struct tr_seg s[] = {
        seg(8, 0.020, TT_S2C, TR_ACK | TR_FIN, 5003, 1004, NULL), /* FIN again */
        seg(9, 0.021, TT_C2S, TR_ACK, 1004, 5004, NULL),          /* ACK of the FIN */
        seg(10, 0.021, TT_C2S, TR_ACK, 1004, 5004, NULL),         /* ACK of the copy */
        seg(11, 0.021, TT_S2C, TR_RST, 5004, 0, NULL),            /* from a closed port */
    };
    feed(&c, s, 4);
    assert_int_equal(tr_plan_build(&p, &c, 0, 0), 0);
    tr_replay_outcome(&o, &c, NULL, &p, 0);
    assert_int_equal(o.end, TR_OUT_FIN);
    assert_int_equal(o.end_by, 0);
    assert_int_equal(o.close_ts[0], 11 * MS); /* the FINs, for the order's tolerance */
    assert_int_equal(o.close_ts[1], 13 * MS);
    free(o.ex);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

/* The server resets while its FIN is still unacknowledged: that RST is how
 * the connection ended. */
static void test_a_reset_before_the_last_ack_ends_it(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    struct tr_outcome o;
    memset(&o, 0, sizeof o);
    closing(&c);
    struct tr_seg s[] = {
        seg(8, 0.020, TT_S2C, TR_RST | TR_ACK, 5004, 1004, NULL),
        seg(9, 0.021, TT_C2S, TR_ACK, 1004, 5004, NULL),
    };
    feed(&c, s, 2);
    assert_int_equal(tr_plan_build(&p, &c, 0, 0), 0);
    tr_replay_outcome(&o, &c, NULL, &p, 0);
    assert_int_equal(o.end, TR_OUT_RESET);
    assert_int_equal(o.end_by, 1);
    free(o.ex);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

/* The recording: the client uploads "one", pauses 100 ms after it was
 * acknowledged, uploads "two", and the server answers "ok" 5 ms later.
 * The plan has two writes with the same trigger (no server byte). */
static void upload(struct tr_convo *c)
{
    handshake(c);
    struct tr_seg s[] = {
        seg(4, 0.010, TT_C2S, TR_ACK, 1001, 5001, "one"),
        seg(5, 0.011, TT_S2C, TR_ACK, 5001, 1004, NULL),
        seg(6, 0.110, TT_C2S, TR_ACK, 1004, 5001, "two"),
        seg(7, 0.115, TT_S2C, TR_ACK | TR_PSH, 5001, 1007, "ok"),
    };
    feed(c, s, 4);
}

static void test_only_the_write_the_peer_answers_has_a_response_time(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    struct tr_outcome o;
    memset(&o, 0, sizeof o);
    upload(&c);
    assert_int_equal(tr_plan_build(&p, &c, 0, 0), 0);
    assert_int_equal(p.nw, 2);
    tr_replay_outcome(&o, &c, NULL, &p, 0);
    assert_int_equal(o.nex, 2);
    assert_int_equal(o.ex[0].response_ns, -1); /* "one" was followed by "two", not answered */
    assert_int_equal(o.ex[1].response_ns, 5 * MS);
    assert_int_equal(o.ex[1].think_ns, 100 * MS);
    free(o.ex);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

/* A replayed run of that plan where "two" left 1 ms after "one", before
 * "one" was acknowledged: the wire cannot tell the application's think
 * time from the time "two" waited behind "one". */
static void test_think_time_of_a_write_queued_behind_unacked_data_is_unknown(void **state)
{
    (void)state;
    struct tr_convo rec, run;
    struct tr_plan p;
    struct tr_outcome o;
    memset(&o, 0, sizeof o);
    upload(&rec);
    assert_int_equal(tr_plan_build(&p, &rec, 0, 0), 0);
    handshake(&run);
    struct tr_seg s[] = {
        seg(4, 0.010, TT_C2S, TR_ACK, 1001, 5001, "one"),
        seg(5, 0.011, TT_C2S, TR_ACK, 1004, 5001, "two"),
        seg(6, 0.012, TT_S2C, TR_ACK, 5001, 1007, NULL),
        seg(7, 0.015, TT_S2C, TR_ACK | TR_PSH, 5001, 1007, "ok"),
    };
    feed(&run, s, 4);
    tr_replay_outcome(&o, &run, NULL, &p, 0);
    assert_int_equal(o.ex[0].think_ns, 9 * MS); /* SYN-ACK at 1 ms, "one" at 10 ms */
    assert_int_equal(o.ex[1].think_ns, -1);
    assert_int_equal(o.ex[1].response_ns, 4 * MS);
    free(o.ex);
    tr_plan_free(&p);
    tr_convo_free(&rec);
    tr_convo_free(&run);
}

/* A run stopped by SIGINT half-way: the peer's missing bytes are not a
 * divergence, the verdict is INCONCLUSIVE (exit 3). The same run ended by
 * the endpoint itself is DIVERGED. */
static enum tr_rverdict judge_half_run(enum tr_run_end end)
{
    struct tr_replay_opts opt = {.file = "rec.pcap", .iface = "veth0", .ipver = 4,
                                 .conn_id = -1, .scale = 1, .timing = TR_TIMING_ASAP};
    struct tr_replay r;
    tr_replay_init(&r, &opt);
    r.profile = tr_profile_builtin("rfc");
    closing(&r.rec);
    assert_int_equal(tr_plan_build(&r.plan, &r.rec, 0, 0), 0);
    handshake(&r.rep);
    struct tr_seg s = seg(4, 0.010, TT_C2S, TR_ACK | TR_PSH, 1001, 5001, "up");
    tr_convo_add(&r.rep, &s); /* then nothing: "ok" and both FINs never came */
    r.run.end = end;
    tr_replay_judge(&r);
    enum tr_rverdict v = r.verdict;
    tr_replay_free(&r);
    return v;
}

static void test_an_interrupted_run_is_inconclusive(void **state)
{
    (void)state;
    assert_int_equal(judge_half_run(TR_RUN_INTERRUPTED), TR_RV_INCONCLUSIVE);
    assert_int_equal(judge_half_run(TR_RUN_TIMEOUT), TR_RV_DIVERGED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_reset_after_both_fins_were_acknowledged_does_not_end_it),
        cmocka_unit_test(test_a_reset_before_the_last_ack_ends_it),
        cmocka_unit_test(test_only_the_write_the_peer_answers_has_a_response_time),
        cmocka_unit_test(test_think_time_of_a_write_queued_behind_unacked_data_is_unknown),
        cmocka_unit_test(test_an_interrupted_run_is_inconclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
