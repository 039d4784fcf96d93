/* replay/stream: range sets, reassembly in sequence order, de-duplication of
 * retransmissions, snaplen-cut payload, FNV-1a. */
#include <string.h>

#include "../support/tt.h"
#include "replay/stream.h"

static void test_ranges_merge_overlapping_and_touching(void **state)
{
    (void)state;
    struct tr_ranges rs = {0};
    assert_int_equal(tr_ranges_add(&rs, 10, 20), 0);
    assert_int_equal(tr_ranges_add(&rs, 30, 40), 0);
    assert_int_equal(tr_ranges_add(&rs, 0, 5), 0);
    assert_int_equal(rs.n, 3);
    assert_int_equal(tr_ranges_add(&rs, 20, 30), 0); /* touches both neighbours */
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.r[1].lo, 10);
    assert_int_equal(rs.r[1].hi, 40);
    assert_int_equal(tr_ranges_add(&rs, 3, 50), 0); /* swallows everything after 0 */
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].lo, 0);
    assert_int_equal(rs.r[0].hi, 50);
    tr_ranges_free(&rs);
}

static void test_ranges_covered_counts_overlap_only(void **state)
{
    (void)state;
    struct tr_ranges rs = {0};
    tr_ranges_add(&rs, 10, 20);
    tr_ranges_add(&rs, 30, 40);
    assert_int_equal(tr_ranges_covered(&rs, 0, 100), 20);
    assert_int_equal(tr_ranges_covered(&rs, 15, 35), 10);
    assert_int_equal(tr_ranges_covered(&rs, 20, 30), 0);
    tr_ranges_free(&rs);
}

static void test_out_of_order_segments_reassemble_in_sequence_order(void **state)
{
    (void)state;
    struct tr_stream s;
    tr_stream_init(&s);
    assert_int_equal(tr_stream_add(&s, 5, 5, (const uint8_t *)"fghij", 5), 5);
    assert_int_equal(tr_stream_contiguous(&s), 0);
    uint64_t lo, hi;
    assert_true(tr_stream_first_hole(&s, 10, &lo, &hi));
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 5);
    assert_int_equal(tr_stream_add(&s, 0, 5, (const uint8_t *)"abcde", 5), 5);
    assert_int_equal(tr_stream_contiguous(&s), 10);
    assert_false(tr_stream_first_hole(&s, 10, &lo, &hi));
    assert_memory_equal(s.data, "abcdefghij", 10);
    tr_stream_free(&s);
}

static void test_retransmission_is_deduplicated_by_sequence_number(void **state)
{
    (void)state;
    struct tr_stream s;
    tr_stream_init(&s);
    tr_stream_add(&s, 0, 6, (const uint8_t *)"abcdef", 6);
    /* a re-sent segment overlapping 3 old bytes and bringing 2 new ones */
    assert_int_equal(tr_stream_add(&s, 3, 5, (const uint8_t *)"defgh", 5), 2);
    assert_int_equal(s.dup_bytes, 3);
    assert_int_equal(s.differing, 0);
    assert_int_equal(s.end, 8);
    assert_memory_equal(s.data, "abcdefgh", 8);
    tr_stream_free(&s);
}

static void test_retransmission_with_other_bytes_keeps_the_first_copy(void **state)
{
    (void)state;
    struct tr_stream s;
    tr_stream_init(&s);
    tr_stream_add(&s, 0, 4, (const uint8_t *)"abcd", 4);
    assert_int_equal(tr_stream_add(&s, 0, 4, (const uint8_t *)"abXd", 4), 0);
    assert_int_equal(s.differing, 1);
    assert_int_equal(s.first_differing, 2);
    assert_memory_equal(s.data, "abcd", 4);
    tr_stream_free(&s);
}

static void test_snaplen_cut_payload_is_seen_but_not_captured(void **state)
{
    (void)state;
    struct tr_stream s;
    tr_stream_init(&s);
    /* 10 bytes on the wire, 4 in the capture */
    assert_int_equal(tr_stream_add(&s, 0, 10, (const uint8_t *)"abcd", 4), 10);
    assert_true(tr_stream_seen_all(&s, 0, 10));
    assert_false(tr_stream_captured_all(&s, 0, 10));
    assert_int_equal(tr_stream_uncaptured(&s, 10), 6);
    /* a later full copy fills in the values */
    tr_stream_add(&s, 0, 10, (const uint8_t *)"abcdefghij", 10);
    assert_true(tr_stream_captured_all(&s, 0, 10));
    assert_memory_equal(s.data, "abcdefghij", 10);
    tr_stream_free(&s);
}

static void test_stream_beyond_the_limit_is_refused(void **state)
{
    (void)state;
    struct tr_stream s;
    tr_stream_init(&s);
    assert_true(tr_stream_add(&s, TR_STREAM_MAX - 1, 2, NULL, 0) < 0);
    tr_stream_free(&s);
}

static void test_fnv1a64_matches_the_published_vectors(void **state)
{
    (void)state;
    /* draft-eastlake-fnv test vectors: "" and "a" */
    assert_true(tr_fnv64(TR_FNV64_INIT, NULL, 0) == 0xcbf29ce484222325ull);
    assert_true(tr_fnv64(TR_FNV64_INIT, (const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(tr_fnv64(TR_FNV64_INIT, (const uint8_t *)"foobar", 6) == 0x85944171f73967e8ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_merge_overlapping_and_touching),
        cmocka_unit_test(test_ranges_covered_counts_overlap_only),
        cmocka_unit_test(test_out_of_order_segments_reassemble_in_sequence_order),
        cmocka_unit_test(test_retransmission_is_deduplicated_by_sequence_number),
        cmocka_unit_test(test_retransmission_with_other_bytes_keeps_the_first_copy),
        cmocka_unit_test(test_snaplen_cut_payload_is_seen_but_not_captured),
        cmocka_unit_test(test_stream_beyond_the_limit_is_refused),
        cmocka_unit_test(test_fnv1a64_matches_the_published_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
