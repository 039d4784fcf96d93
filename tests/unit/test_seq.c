/* Sequence arithmetic modulo 2^32 (RFC 9293 §3.4). */
#include "../support/tt.h"
#include "stack/seq.h"

static void test_lt_is_modular_across_wraparound(void **state)
{
    (void)state;
    assert_true(tr_seq_lt(0xfffffff0u, 0x00000010u));  /* 32 apart, across 2^32 */
    assert_false(tr_seq_lt(0x00000010u, 0xfffffff0u));
    assert_true(tr_seq_gt(5, 0xffffffffu));
}

static void test_equal_numbers_compare_le_and_ge_not_lt(void **state)
{
    (void)state;
    assert_true(tr_seq_le(7, 7));
    assert_true(tr_seq_ge(7, 7));
    assert_false(tr_seq_lt(7, 7));
    assert_false(tr_seq_gt(7, 7));
}

static void test_diff_is_signed_distance(void **state)
{
    (void)state;
    assert_int_equal(tr_seq_diff(0x00000005u, 0xfffffffbu), 10);
    assert_int_equal(tr_seq_diff(0xfffffffbu, 0x00000005u), -10);
}

static void test_in_is_half_open_and_wraps(void **state)
{
    (void)state;
    assert_true(tr_seq_in(0xfffffffeu, 0xfffffff0u, 0x10u));
    assert_true(tr_seq_in(0x5u, 0xfffffff0u, 0x10u));
    assert_false(tr_seq_in(0x10u, 0xfffffff0u, 0x10u));
    assert_true(tr_seq_in(0xfffffff0u, 0xfffffff0u, 0x10u));
    assert_false(tr_seq_in(3, 3, 3)); /* empty range */
}

static void test_in_closed_includes_both_ends(void **state)
{
    (void)state;
    assert_true(tr_seq_in_closed(0x10u, 0xfffffff0u, 0x10u));
    assert_true(tr_seq_in_closed(3, 3, 3));
    assert_false(tr_seq_in_closed(0x11u, 0xfffffff0u, 0x10u));
}

static void test_max_min_follow_modular_order(void **state)
{
    (void)state;
    assert_int_equal(tr_seq_max(0xffffff00u, 0x100u), 0x100u);
    assert_int_equal(tr_seq_min(0xffffff00u, 0x100u), 0xffffff00u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lt_is_modular_across_wraparound),
        cmocka_unit_test(test_equal_numbers_compare_le_and_ge_not_lt),
        cmocka_unit_test(test_diff_is_signed_distance),
        cmocka_unit_test(test_in_is_half_open_and_wraps),
        cmocka_unit_test(test_in_closed_includes_both_ends),
        cmocka_unit_test(test_max_min_follow_modular_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
