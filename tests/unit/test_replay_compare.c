/* replay/compare: verdicts from two outcomes. */
#include <string.h>

#include "../support/tt.h"
#include "replay/compare.h"
#include "stack/state.h"

#define MS 1000000

static const uint8_t req[] = "c2s 000000000000 request\n";
static const uint8_t resp[] = "s2c 000000000000 response line one\ns2c 000000000035 two\n";
static const uint8_t resp_other[] = "s2c 000000000000 response line one\nXXXXXXXXXXXXXXXXXXXX\n";

static struct tr_exchange ex_rec[1] = {{.think_ns = 10 * MS, .response_ns = 1 * MS}};
static struct tr_exchange ex_rep[1] = {{.think_ns = 10 * MS, .response_ns = 1 * MS}};

/* A clean request/response closed by FIN both ways, client first. */
static struct tr_outcome clean(struct tr_exchange *ex)
{
    struct tr_outcome o;
    memset(&o, 0, sizeof o);
    o.established = true;
    o.dir[0] = (struct tr_out_dir){.data = req, .len = sizeof req - 1, .captured = true,
                                   .fin = true, .data_segs = 1};
    o.dir[1] = (struct tr_out_dir){.data = resp, .len = sizeof resp - 1, .captured = true,
                                   .fin = true, .data_segs = 2};
    for (int d = 0; d < 2; d++)
        o.opts[d] = (struct tr_out_opts){.seen = true, .has_mss = true, .mss = 1460,
                                         .has_ws = true, .ws = 7, .sack_perm = true,
                                         .has_ts = true};
    o.end = TR_OUT_FIN;
    o.end_by = 0;
    const uint8_t cl[] = {TR_SYN_SENT, TR_ESTABLISHED, TR_FIN_WAIT_1, TR_FIN_WAIT_2,
                          TR_TIME_WAIT};
    const uint8_t sv[] = {TR_SYN_RECEIVED, TR_ESTABLISHED, TR_CLOSE_WAIT, TR_LAST_ACK,
                          TR_CLOSED};
    memcpy(o.states[0], cl, sizeof cl);
    memcpy(o.states[1], sv, sizeof sv);
    o.nstates[0] = o.nstates[1] = 5;
    o.ex = ex;
    o.nex = 1;
    return o;
}

static const struct tr_tolerance tol = {.abs_ns = 5 * MS, .pct = 10, .scale = 1};

static void test_identical_runs_match(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_MATCH);
    assert_true(c.bytes[0].equal && c.bytes[1].equal);
    assert_true(c.bytes[1].hash_rec == c.bytes[1].hash_rep);
}

static void test_different_peer_bytes_diverge_at_the_first_difference(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.dir[1].data = resp_other;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
    assert_int_equal(c.div.kind, TR_DIV_BYTES);
    assert_int_equal(c.div.dir, 1);
    assert_int_equal(c.div.offset, 35);
    assert_string_equal(c.div.expected, "\"s2c 000000000035 two\\n\"");
    assert_string_equal(c.div.observed, "\"XXXXXXXXXXXXXXXXXXXX\\n\"");
}

static void test_a_shorter_stream_diverges_at_its_end(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.dir[1].len = 20;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
    assert_int_equal(c.div.offset, 20);
    assert_string_equal(c.div.observed, "end of stream (20 bytes)");
}

static void test_uncaptured_payload_compares_lengths_only(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    a.dir[1].captured = false;
    b.dir[1].data = resp_other;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_MATCH);
    assert_true(c.bytes[1].lengths_only);
}

static void test_a_reset_instead_of_a_fin_diverges_on_the_end(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.end = TR_OUT_RESET;
    b.end_by = 1;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
    assert_int_equal(c.div.kind, TR_DIV_END);
    assert_string_equal(c.div.expected, "fin (first FIN by client)");
    assert_string_equal(c.div.observed, "reset (by server)");
}

static void test_the_other_side_closing_first_diverges(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.end_by = 1;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
}

/* The recording's client closed 1 ms before the server (curl after reading
 * Content-Length bytes, the server after writing them): 1 ms is within
 * the 5 ms tolerance, so the server closing first in the run is a timing
 * difference. */
static void test_closes_within_the_tolerance_may_come_in_either_order(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    a.close_ts[0] = 100 * MS, a.close_ts[1] = 101 * MS;
    b.end_by = 1;
    b.close_ts[0] = 201 * MS, b.close_ts[1] = 200 * MS;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_EQUIVALENT);
    assert_true(c.end_equal);
    assert_int_equal(c.nnotes, 1);
    assert_string_equal(c.notes[0], "the server closed first (the client in the recording, whose "
                                    "closes were 1.0 ms apart: within the timing tolerance)");
}

/* 50 ms apart in the recording: the server waited for the client's FIN,
 * and closing first in the run is a different behaviour. */
static void test_closes_further_apart_than_the_tolerance_keep_their_order(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    a.close_ts[0] = 100 * MS, a.close_ts[1] = 150 * MS;
    b.end_by = 1;
    b.close_ts[0] = 201 * MS, b.close_ts[1] = 200 * MS;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
    assert_int_equal(c.div.kind, TR_DIV_END);
    assert_string_equal(c.div.observed, "fin (first FIN by server)");
}

static void test_refused_connection_diverges_on_the_handshake(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.established = false;
    b.end = TR_OUT_REFUSED;
    b.end_by = 1;
    b.dir[0].len = b.dir[1].len = 0;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_DIVERGED);
    assert_int_equal(c.div.kind, TR_DIV_HANDSHAKE);
}

static void test_retransmissions_make_it_equivalent(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.dir[0].retx_segs = 1;
    b.dir[0].timeouts = 1;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_EQUIVALENT);
    assert_false(c.retx_equal[0]);
    assert_true(c.nnotes >= 1);
}

static void test_segment_counts_within_tolerance_still_match(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    b.dir[1].data_segs = 3; /* 2 recorded: one more is within max(1, 10 %) */
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_MATCH);
    b.dir[1].data_segs = 4;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_EQUIVALENT);
}

static void test_think_time_is_held_to_the_scaled_recording(void **state)
{
    (void)state;
    struct tr_exchange r1[1] = {{.think_ns = 100 * MS, .response_ns = -1}};
    struct tr_exchange r2[1] = {{.think_ns = 1 * MS, .response_ns = -1}};
    struct tr_outcome a = clean(r1), b = clean(r2);
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_EQUIVALENT); /* recorded timing: 100 ms expected */
    assert_int_equal(c.think_out, 1);
    struct tr_tolerance asap = tol;
    asap.scale = 0;
    tr_compare(&a, &b, 0, &asap, 0, &c);
    assert_int_equal(c.verdict, TR_RV_MATCH); /* asap: 0 expected, 1 ms is within 5 ms */
}

static void test_response_time_adds_the_capture_points_distance(void **state)
{
    (void)state;
    struct tr_exchange r1[1] = {{.think_ns = 0, .response_ns = 1 * MS}};
    struct tr_exchange r2[1] = {{.think_ns = 0, .response_ns = 41 * MS}};
    struct tr_outcome a = clean(r1), b = clean(r2);
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.response_out, 1);
    tr_compare(&a, &b, 0, &tol, 40 * MS, &c);
    assert_int_equal(c.verdict, TR_RV_MATCH);
}

static void test_other_states_make_it_equivalent(void **state)
{
    (void)state;
    struct tr_outcome a = clean(ex_rec), b = clean(ex_rep);
    const uint8_t cl[] = {TR_SYN_SENT, TR_ESTABLISHED, TR_FIN_WAIT_1, TR_TIME_WAIT};
    memcpy(b.states[0], cl, sizeof cl);
    b.nstates[0] = 4;
    struct tr_cmp c;
    tr_compare(&a, &b, 0, &tol, 0, &c);
    assert_int_equal(c.verdict, TR_RV_EQUIVALENT);
    assert_false(c.states_equal[0]);
    assert_true(c.states_equal[1]);
}

static void test_within_uses_absolute_plus_percent(void **state)
{
    (void)state;
    assert_true(tr_within(100 * MS, 114 * MS, 5 * MS, 10));
    assert_false(tr_within(100 * MS, 116 * MS, 5 * MS, 10));
    assert_true(tr_within(0, 5 * MS, 5 * MS, 10));
}

static void test_excerpt_escapes_control_bytes(void **state)
{
    (void)state;
    char buf[64];
    const uint8_t d[] = {'a', '\n', 0x01, '"'};
    tr_excerpt(d, sizeof d, 0, buf, sizeof buf);
    assert_string_equal(buf, "\"a\\n\\x01\\\"\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_runs_match),
        cmocka_unit_test(test_different_peer_bytes_diverge_at_the_first_difference),
        cmocka_unit_test(test_a_shorter_stream_diverges_at_its_end),
        cmocka_unit_test(test_uncaptured_payload_compares_lengths_only),
        cmocka_unit_test(test_a_reset_instead_of_a_fin_diverges_on_the_end),
        cmocka_unit_test(test_the_other_side_closing_first_diverges),
        cmocka_unit_test(test_closes_within_the_tolerance_may_come_in_either_order),
        cmocka_unit_test(test_closes_further_apart_than_the_tolerance_keep_their_order),
        cmocka_unit_test(test_refused_connection_diverges_on_the_handshake),
        cmocka_unit_test(test_retransmissions_make_it_equivalent),
        cmocka_unit_test(test_segment_counts_within_tolerance_still_match),
        cmocka_unit_test(test_think_time_is_held_to_the_scaled_recording),
        cmocka_unit_test(test_response_time_adds_the_capture_points_distance),
        cmocka_unit_test(test_other_states_make_it_equivalent),
        cmocka_unit_test(test_within_uses_absolute_plus_percent),
        cmocka_unit_test(test_excerpt_escapes_control_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
