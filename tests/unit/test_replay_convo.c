/* replay/convo and replay/plan: the recorded conversation and the writes it
 * becomes. Client 10.0.0.1:40000 (ISN 1000), server 10.0.0.2:80 (ISN 5000). */
#include <string.h>

#include "../support/tt.h"
#include "replay/convo.h"
#include "replay/plan.h"

#define MS 1000000

/* A segment carrying the given payload (captured in full). */
static struct tr_seg seg(uint64_t frame, double t, int dir, uint8_t flags, uint32_t seq,
                         uint32_t ack, const char *data)
{
    uint32_t n = data ? (uint32_t)strlen(data) : 0;
    struct tr_seg s = tt_seg(frame, t, dir, flags, seq, ack, n, 1000);
    s.payload = (const uint8_t *)data;
    s.caplen = n;
    return s;
}

static void handshake(struct tr_convo *c)
{
    struct tr_seg s = seg(1, 0.000, TT_C2S, TR_SYN, 1000, 0, NULL);
    tt_syn_opts(&s, 1460, 7, 1, 1);
    tr_convo_add(c, &s);
    s = seg(2, 0.001, TT_S2C, TR_SYN | TR_ACK, 5000, 1001, NULL);
    tt_syn_opts(&s, 1400, 6, 1, 1);
    tr_convo_add(c, &s);
    s = seg(3, 0.002, TT_C2S, TR_ACK, 1001, 5001, NULL);
    tr_convo_add(c, &s);
}

/* Two requests and responses; the second response retransmitted; the server
 * closes first, the client answers with its FIN 10 ms later. */
static void two_exchanges(struct tr_convo *c)
{
    tr_convo_init(c);
    handshake(c);
    struct tr_seg s[] = {
        seg(4, 0.010, TT_C2S, TR_ACK | TR_PSH, 1001, 5001, "GET1"),
        seg(5, 0.011, TT_S2C, TR_ACK, 5001, 1005, NULL),
        seg(6, 0.020, TT_S2C, TR_ACK | TR_PSH, 5001, 1005, "resp01"),
        seg(7, 0.021, TT_C2S, TR_ACK, 1005, 5007, NULL),
        seg(8, 0.050, TT_C2S, TR_ACK | TR_PSH, 1005, 5007, "GET2"),
        seg(9, 0.060, TT_S2C, TR_ACK | TR_PSH, 5007, 1009, "resp02"),
        seg(10, 0.260, TT_S2C, TR_ACK | TR_PSH, 5007, 1009, "resp02"), /* retransmission */
        seg(11, 0.270, TT_S2C, TR_ACK | TR_FIN, 5013, 1009, NULL),
        seg(12, 0.280, TT_C2S, TR_ACK | TR_FIN, 1009, 5014, NULL),
        seg(13, 0.281, TT_S2C, TR_ACK, 5014, 1010, NULL),
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        tr_convo_add(c, &s[i]);
}

static void test_streams_are_relative_to_each_isn(void **state)
{
    (void)state;
    struct tr_convo c;
    two_exchanges(&c);
    assert_true(c.roles_known);
    assert_int_equal(c.side[0].isn, 1000);
    assert_int_equal(c.side[1].isn, 5000);
    assert_int_equal(tr_convo_len(&c, 0), 8);
    assert_int_equal(tr_convo_len(&c, 1), 12);
    assert_memory_equal(c.side[0].bytes.data, "GET1GET2", 8);
    assert_memory_equal(c.side[1].bytes.data, "resp01resp02", 12);
    assert_true(c.side[1].fin);
    assert_int_equal(c.side[1].fin_off, 12);
    assert_int_equal(c.side[0].delivered, 13); /* 12 bytes and the FIN */
    tr_convo_free(&c);
}

static void test_retransmission_counts_once_in_the_stream(void **state)
{
    (void)state;
    struct tr_convo c;
    two_exchanges(&c);
    assert_int_equal(c.side[1].retx_segs, 1);
    assert_int_equal(c.side[1].new_data_segs, 2);
    assert_int_equal(c.side[1].npieces, 2);
    assert_int_equal(tr_convo_byte_ts(&c, 1, 11), 60 * MS);
    tr_convo_free(&c);
}

static void test_options_of_both_syns_are_kept(void **state)
{
    (void)state;
    struct tr_convo c;
    two_exchanges(&c);
    assert_int_equal(c.side[0].syn.mss, 1460);
    assert_int_equal(c.side[1].syn.mss, 1400);
    assert_int_equal(c.side[1].syn.wscale, 6);
    assert_true(c.side[0].syn.has_ts);
    tr_convo_free(&c);
}

static void test_complete_recording_is_not_inconclusive(void **state)
{
    (void)state;
    struct tr_convo c;
    char why[256];
    two_exchanges(&c);
    assert_false(tr_convo_incomplete(&c, why, sizeof why));
    tr_convo_free(&c);
}

static void test_client_writes_follow_the_peer_bytes_they_waited_for(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    two_exchanges(&c);
    assert_int_equal(tr_plan_build(&p, &c, 0, 0), 0);
    assert_int_equal(p.nw, 2);
    assert_int_equal(p.w[0].off, 0);
    assert_int_equal(p.w[0].len, 4);
    assert_int_equal(p.w[0].trig.bytes, 0);
    assert_int_equal(p.w[0].think_ns, 9 * MS); /* SYN-ACK at 1 ms, request at 10 ms */
    assert_int_equal(p.w[1].off, 4);
    assert_int_equal(p.w[1].trig.bytes, 6);
    assert_false(p.w[1].trig.eof);
    assert_int_equal(p.w[1].think_ns, 30 * MS); /* response at 20 ms, request at 50 ms */
    assert_memory_equal(p.payload, "GET1GET2", 8);
    assert_int_equal(p.filler, 0);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_client_fin_waits_for_the_server_fin(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    two_exchanges(&c);
    tr_plan_build(&p, &c, 0, 0);
    assert_int_equal(p.close, TR_CLOSE_FIN);
    assert_int_equal(p.close_trig.bytes, 12);
    assert_true(p.close_trig.eof);
    assert_int_equal(p.close_think_ns, 10 * MS);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_server_plan_answers_each_request(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    two_exchanges(&c);
    tr_plan_build(&p, &c, 1, 0);
    assert_int_equal(p.nw, 2);
    assert_int_equal(p.w[0].trig.bytes, 4);
    assert_int_equal(p.w[0].think_ns, 10 * MS); /* request at 10 ms, response at 20 ms */
    assert_int_equal(p.w[1].trig.bytes, 8);
    assert_int_equal(p.close, TR_CLOSE_FIN);
    assert_int_equal(p.close_trig.bytes, 8);
    assert_false(p.close_trig.eof);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_think_time_subtracts_the_capture_points_distance(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    two_exchanges(&c);
    tr_plan_build(&p, &c, 1, 4 * MS);
    assert_int_equal(p.w[0].think_ns, 6 * MS);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

/* Same trigger, 100 ms apart: two writes when the first was acknowledged
 * before the second (the application paused), one when it was not (the
 * window held the data back). */
static void pause_between(struct tr_convo *c, bool acked)
{
    tr_convo_init(c);
    handshake(c);
    struct tr_seg a = seg(4, 0.010, TT_C2S, TR_ACK, 1001, 5001, "one");
    struct tr_seg k = seg(5, 0.011, TT_S2C, TR_ACK, 5001, acked ? 1004 : 1001, NULL);
    struct tr_seg b = seg(6, 0.110, TT_C2S, TR_ACK, 1004, 5001, "two");
    tr_convo_add(c, &a);
    tr_convo_add(c, &k);
    tr_convo_add(c, &b);
}

static void test_a_pause_after_everything_was_acked_splits_writes(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    pause_between(&c, true);
    tr_plan_build(&p, &c, 0, 0);
    assert_int_equal(p.nw, 2);
    assert_int_equal(p.w[1].think_ns, 100 * MS);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_a_pause_with_data_in_flight_is_one_write(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    pause_between(&c, false);
    tr_plan_build(&p, &c, 0, 0);
    assert_int_equal(p.nw, 1);
    assert_int_equal(p.w[0].len, 6);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

/* The peer closed its window after "one" and opened it 98 ms later: the
 * sender waited for the window, not for its application. */
static void test_a_pause_ended_by_a_window_update_is_one_write(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    tr_convo_init(&c);
    handshake(&c);
    struct tr_seg s[] = {
        seg(4, 0.010, TT_C2S, TR_ACK, 1001, 5001, "one"),
        tt_seg(5, 0.011, TT_S2C, TR_ACK, 5001, 1004, 0, 0),     /* window 0 */
        tt_seg(6, 0.109, TT_S2C, TR_ACK, 5001, 1004, 0, 1000),  /* window update */
        seg(7, 0.110, TT_C2S, TR_ACK, 1004, 5001, "two"),
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        tr_convo_add(&c, &s[i]);
    tr_plan_build(&p, &c, 0, 0);
    assert_int_equal(p.nw, 1);
    assert_int_equal(p.w[0].len, 6);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_no_handshake_is_inconclusive(void **state)
{
    (void)state;
    struct tr_convo c;
    char why[256];
    tr_convo_init(&c);
    struct tr_seg s = seg(1, 0.0, TT_C2S, TR_ACK, 1001, 5001, "data");
    tr_convo_add(&c, &s);
    assert_true(tr_convo_incomplete(&c, why, sizeof why));
    assert_non_null(strstr(why, "handshake"));
    tr_convo_free(&c);
}

static void test_a_segment_never_captured_is_inconclusive(void **state)
{
    (void)state;
    struct tr_convo c;
    char why[256];
    tr_convo_init(&c);
    handshake(&c);
    struct tr_seg s = seg(4, 0.01, TT_S2C, TR_ACK, 5005, 1001, "late");
    tr_convo_add(&c, &s);
    assert_true(tr_convo_incomplete(&c, why, sizeof why));
    assert_non_null(strstr(why, "bytes 0-3 of the server's stream"));
    tr_convo_free(&c);
}

static void test_data_acknowledged_but_not_captured_is_inconclusive(void **state)
{
    (void)state;
    struct tr_convo c;
    char why[256];
    tr_convo_init(&c);
    handshake(&c);
    struct tr_seg s = seg(4, 0.01, TT_C2S, TR_ACK, 1001, 5101, NULL); /* acks 100 unseen bytes */
    tr_convo_add(&c, &s);
    assert_true(tr_convo_incomplete(&c, why, sizeof why));
    assert_non_null(strstr(why, "missing"));
    tr_convo_free(&c);
}

static void test_snaplen_cut_payload_becomes_filler(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    tr_convo_init(&c);
    handshake(&c);
    struct tr_seg s = seg(4, 0.01, TT_C2S, TR_ACK, 1001, 5001, "abcdef");
    s.caplen = 2; /* the capture kept "ab" */
    tr_convo_add(&c, &s);
    tr_plan_build(&p, &c, 0, 0);
    assert_int_equal(p.len, 6);
    assert_int_equal(p.filler, 4);
    assert_memory_equal(p.payload, "abXXXX", 6);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_trigger_splits_delivered_count_at_the_fin(void **state)
{
    (void)state;
    struct tr_trigger t = tr_plan_trigger(13, true, 12);
    assert_int_equal(t.bytes, 12);
    assert_true(t.eof);
    t = tr_plan_trigger(12, true, 12);
    assert_false(t.eof);
    t = tr_plan_trigger(-1, false, 0);
    assert_int_equal(t.bytes, 0);
}

static void test_a_refused_syn_is_a_complete_recording(void **state)
{
    (void)state;
    struct tr_convo c;
    struct tr_plan p;
    char why[256];
    tr_convo_init(&c);
    struct tr_seg syn = seg(1, 0.0, TT_C2S, TR_SYN, 1000, 0, NULL);
    struct tr_seg rst = seg(2, 0.001, TT_S2C, TR_RST | TR_ACK, 0, 1001, NULL);
    tr_convo_add(&c, &syn);
    tr_convo_add(&c, &rst);
    assert_false(tr_convo_incomplete(&c, why, sizeof why));
    assert_int_equal(tr_plan_build(&p, &c, 1, 0), 0);
    assert_true(p.refused);
    assert_int_equal(p.nw, 0);
    tr_plan_free(&p);
    tr_convo_free(&c);
}

static void test_an_unanswered_syn_is_inconclusive(void **state)
{
    (void)state;
    struct tr_convo c;
    char why[256];
    tr_convo_init(&c);
    struct tr_seg syn = seg(1, 0.0, TT_C2S, TR_SYN, 1000, 0, NULL);
    tr_convo_add(&c, &syn);
    assert_true(tr_convo_incomplete(&c, why, sizeof why));
    assert_non_null(strstr(why, "never answered"));
    tr_convo_free(&c);
}

static void test_other_connections_are_ignored(void **state)
{
    (void)state;
    struct tr_convo c;
    tr_convo_init(&c);
    handshake(&c);
    struct tr_seg s = seg(4, 0.01, TT_C2S, TR_ACK, 1001, 5001, "x");
    s.sport = 40001;
    assert_int_equal(tr_convo_add(&c, &s), -1);
    assert_int_equal(tr_convo_len(&c, 0), 0);
    tr_convo_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_are_relative_to_each_isn),
        cmocka_unit_test(test_retransmission_counts_once_in_the_stream),
        cmocka_unit_test(test_options_of_both_syns_are_kept),
        cmocka_unit_test(test_complete_recording_is_not_inconclusive),
        cmocka_unit_test(test_client_writes_follow_the_peer_bytes_they_waited_for),
        cmocka_unit_test(test_client_fin_waits_for_the_server_fin),
        cmocka_unit_test(test_server_plan_answers_each_request),
        cmocka_unit_test(test_think_time_subtracts_the_capture_points_distance),
        cmocka_unit_test(test_a_pause_after_everything_was_acked_splits_writes),
        cmocka_unit_test(test_a_pause_with_data_in_flight_is_one_write),
        cmocka_unit_test(test_a_pause_ended_by_a_window_update_is_one_write),
        cmocka_unit_test(test_no_handshake_is_inconclusive),
        cmocka_unit_test(test_a_segment_never_captured_is_inconclusive),
        cmocka_unit_test(test_data_acknowledged_but_not_captured_is_inconclusive),
        cmocka_unit_test(test_snaplen_cut_payload_becomes_filler),
        cmocka_unit_test(test_trigger_splits_delivered_count_at_the_fin),
        cmocka_unit_test(test_a_refused_syn_is_a_complete_recording),
        cmocka_unit_test(test_an_unanswered_syn_is_inconclusive),
        cmocka_unit_test(test_other_connections_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
