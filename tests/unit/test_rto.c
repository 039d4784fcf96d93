/* The RFC 6298 estimator against hand-computed values. */
#include "../support/tt.h"
#include "stack/profile.h"
#include "stack/rto.h"

#define MS(x) ((int64_t)(x) * 1000000)

/* RFC 6298 constants with no floor, so the formula shows. */
static const struct tr_rto_params tt_plain = {
    .initial_ns = MS(1000), .min_ns = 0, .max_ns = MS(60000), .g_ns = MS(1),
    .fallback_ns = MS(3000), .alpha_shift = 3, .beta_shift = 2, .k = 4,
    .formula = TR_RTO_FORMULA_RFC6298};

static void test_initial_rto_is_one_second(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tr_profile_builtin("rfc")->rto);
    assert_int_equal(e.rto_ns, MS(1000)); /* §2.1 */
}

static void test_first_sample_sets_srtt_r_and_rttvar_half_r(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tt_plain);
    tr_rto_sample(&e, &tt_plain, MS(100), 0, 0);
    /* §2.2: SRTT = 100, RTTVAR = 50, RTO = 100 + max(1, 4*50) = 300 ms */
    assert_int_equal(e.srtt_ns, MS(100));
    assert_int_equal(e.rttvar_ns, MS(50));
    assert_int_equal(e.rto_ns, MS(300));
}

static void test_second_sample_uses_alpha_eighth_beta_quarter(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tt_plain);
    tr_rto_sample(&e, &tt_plain, MS(100), 0, 0);
    tr_rto_sample(&e, &tt_plain, MS(200), 0, 0);
    /* §2.3: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200
     * = 112.5; RTO = 112.5 + 4*62.5 = 362.5 ms */
    assert_int_equal(e.rttvar_ns, 62500000);
    assert_int_equal(e.srtt_ns, 112500000);
    assert_int_equal(e.rto_ns, 362500000);
}

static void test_clock_granularity_bounds_the_variance_term(void **state)
{
    (void)state;
    struct tr_rto_params p = tt_plain;
    p.g_ns = MS(500);
    struct tr_rtt_est e;
    tr_rto_init(&e, &p);
    tr_rto_sample(&e, &p, MS(100), 0, 0); /* max(G=500, 4*50=200) = 500 */
    assert_int_equal(e.rto_ns, MS(600));
}

static void test_rfc_profile_rounds_rto_up_to_one_second(void **state)
{
    (void)state;
    const struct tr_rto_params *p = &tr_profile_builtin("rfc")->rto;
    struct tr_rtt_est e;
    tr_rto_init(&e, p);
    tr_rto_sample(&e, p, MS(100), 0, 0);
    assert_int_equal(e.rto_ns, MS(1000)); /* §2.4 */
}

static void test_linux_profile_floors_the_variance_term_at_200ms(void **state)
{
    (void)state;
    const struct tr_rto_params *p = &tr_profile_builtin("linux")->rto;
    struct tr_rtt_est e;
    tr_rto_init(&e, p);
    tr_rto_sample(&e, p, MS(10), 0, 0); /* 10 + max(4*5, 200) */
    assert_int_equal(e.rto_ns, MS(210));
}

/* Linux's tcp_rtt_estimator: MDEV = 4 x mean deviation, RTTVAR = the largest
 * MDEV of the round, never below the minimum RTO; RTO = SRTT + RTTVAR. */
static void test_linux_estimator_follows_tcp_rtt_estimator(void **state)
{
    (void)state;
    const struct tr_rto_params *p = &tr_profile_builtin("linux")->rto;
    struct tr_rtt_est e;
    tr_rto_init(&e, p);
    tr_rto_sample(&e, p, MS(10), 0, 1000);   /* srtt 10, mdev 20, rttvar max(20,200) */
    assert_int_equal(e.rto_ns, MS(210));
    tr_rto_sample(&e, p, MS(50), 1001, 2000); /* err 40: srtt 15, mdev 20+(40-5)=55; new round */
    assert_int_equal(e.srtt_ns, MS(15));
    assert_int_equal(e.mdev_ns, MS(55));
    assert_int_equal(e.rttvar_ns, MS(200));
    assert_int_equal(e.rto_ns, MS(215));
    tr_rto_sample(&e, p, MS(400), 1500, 2000); /* err 385: srtt 63.125, mdev 55+385-13.75 */
    assert_int_equal(e.srtt_ns, 63125000);
    assert_int_equal(e.mdev_ns, 426250000);
    assert_int_equal(e.rttvar_ns, 426250000); /* the round's largest MDEV */
    assert_int_equal(e.rto_ns, 489375000);
}

static void test_linux_estimator_damps_a_falling_rtt(void **state)
{
    (void)state;
    const struct tr_rto_params *p = &tr_profile_builtin("linux")->rto;
    struct tr_rtt_est e;
    tr_rto_init(&e, p);
    tr_rto_sample(&e, p, MS(100), 0, 1000);  /* srtt 100, mdev 200 */
    tr_rto_sample(&e, p, MS(20), 500, 1000); /* err -80: |err| - mdev/4 = 30 > 0, /8 */
    assert_int_equal(e.srtt_ns, MS(90));
    assert_int_equal(e.mdev_ns, MS(200) + 3750000);
}

static void test_backoff_doubles_and_stops_at_the_maximum(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tt_plain);
    tr_rto_sample(&e, &tt_plain, MS(100), 0, 0);
    tr_rto_backoff(&e, &tt_plain);
    assert_int_equal(e.rto_ns, MS(600));
    tr_rto_backoff(&e, &tt_plain);
    assert_int_equal(e.rto_ns, MS(1200));
    for (int i = 0; i < 20; i++)
        tr_rto_backoff(&e, &tt_plain);
    assert_int_equal(e.rto_ns, MS(60000)); /* §2.5 maximum */
    assert_int_equal(e.backoff, 22);
}

static void test_a_new_sample_clears_the_backoff(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tt_plain);
    tr_rto_sample(&e, &tt_plain, MS(100), 0, 0);
    tr_rto_backoff(&e, &tt_plain);
    tr_rto_sample(&e, &tt_plain, MS(100), 0, 0);
    assert_int_equal(e.backoff, 0);
    /* RTTVAR = 3/4*50 + 0 = 37.5, SRTT 100: RTO = 250 ms */
    assert_int_equal(e.rto_ns, MS(250));
}

static void test_unfloored_rto_leaves_out_the_one_second_floor(void **state)
{
    (void)state;
    const struct tr_rto_params *p = &tr_profile_builtin("rfc")->rto;
    struct tr_rtt_est e;
    tr_rto_init(&e, p);
    tr_rto_sample(&e, p, MS(100), 0, 0);  /* SRTT 100, RTTVAR 50: 300 ms, floored to 1 s */
    assert_int_equal(e.rto_ns, MS(1000));
    assert_int_equal(tr_rto_unfloored(&e, p), MS(300));
    tr_rto_backoff(&e, p);
    assert_int_equal(tr_rto_unfloored(&e, p), MS(600));
}

static void test_syn_timeout_falls_back_to_three_seconds(void **state)
{
    (void)state;
    struct tr_rtt_est e;
    tr_rto_init(&e, &tt_plain);
    tr_rto_syn_fallback(&e, &tt_plain); /* §5.7 */
    assert_int_equal(e.rto_ns, MS(3000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_rto_is_one_second),
        cmocka_unit_test(test_first_sample_sets_srtt_r_and_rttvar_half_r),
        cmocka_unit_test(test_second_sample_uses_alpha_eighth_beta_quarter),
        cmocka_unit_test(test_clock_granularity_bounds_the_variance_term),
        cmocka_unit_test(test_rfc_profile_rounds_rto_up_to_one_second),
        cmocka_unit_test(test_linux_profile_floors_the_variance_term_at_200ms),
        cmocka_unit_test(test_linux_estimator_follows_tcp_rtt_estimator),
        cmocka_unit_test(test_linux_estimator_damps_a_falling_rtt),
        cmocka_unit_test(test_backoff_doubles_and_stops_at_the_maximum),
        cmocka_unit_test(test_a_new_sample_clears_the_backoff),
        cmocka_unit_test(test_unfloored_rto_leaves_out_the_one_second_floor),
        cmocka_unit_test(test_syn_timeout_falls_back_to_three_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
