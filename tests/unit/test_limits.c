/* Bounded memory on long runs: connections closed out past the tracking
 * limit or when idle, and released (totals kept) past the record limit. */
#include <string.h>

#include "../support/tt.h"
#include "stack/profile.h"

static struct tr_obs *tt_limited(uint32_t max_conns, uint32_t max_records, bool release)
{
    struct tr_obs_config cfg = {.profile = tr_profile_builtin("linux"), .vlan_in_key = true,
                                .max_conns = max_conns, .max_records = max_records,
                                .release_closed = release};
    struct tr_obs *o = NULL;
    assert_int_equal(tr_obs_new(&o, &cfg, 0), 0);
    return o;
}

/* A SYN from client port p at time t. */
static void tt_syn_from(struct tr_obs *o, uint64_t frame, double t, uint16_t port)
{
    struct tr_seg s = tt_seg(frame, t, TT_C2S, TR_SYN, 1000 + port, 0, 0, 64240);
    s.sport = port;
    tt_feed(o, s);
}

static void test_past_the_limit_the_least_recently_active_is_evicted(void **state)
{
    (void)state;
    struct tr_obs *o = tt_limited(2, 0, false);
    tt_syn_from(o, 1, 0.0, 1001);
    tt_syn_from(o, 2, 1.0, 1002);
    tt_syn_from(o, 3, 2.0, 1001); /* the same SYN again: 1001 is now the most recent */
    tt_syn_from(o, 4, 3.0, 1003); /* evicts 1002 */
    assert_int_equal(tr_obs_active(o), 2);
    assert_int_equal(tr_obs_input(o)->conns_evicted, 1);
    const struct tr_conn *c = tr_obs_conn(o, 1);
    assert_int_equal(c->port[0], 1002);
    assert_true(c->flags & TR_CONN_EVICTED);
    assert_false(c->flags & TR_CONN_RELEASED); /* still in the report */
    tr_obs_free(o);
}

static void test_idle_connections_expire(void **state)
{
    (void)state;
    struct tr_obs *o = tt_limited(0, 0, false);
    tt_syn_from(o, 1, 0.0, 1001);
    tt_syn_from(o, 2, 5.0, 1002);
    assert_int_equal(tr_obs_expire(o, (int64_t)(10.5e9), (int64_t)6e9), 1);
    assert_int_equal(tr_obs_active(o), 1);
    assert_int_equal(tr_obs_input(o)->conns_expired, 1);
    assert_int_equal(tr_obs_expire(o, (int64_t)(10.5e9), (int64_t)6e9), 0);
    tr_obs_free(o);
}

static void test_released_connections_keep_their_totals(void **state)
{
    (void)state;
    struct tr_obs *o = tt_limited(1, 0, true);
    struct tr_seg syn = tt_seg(1, 0, TT_C2S, TR_SYN, 1000, 12345, 0, 64240); /* ack field set */
    tt_feed(o, syn);
    tt_syn_from(o, 2, 1.0, 1002); /* evicts and releases the first */
    assert_int_equal(tr_obs_input(o)->conns_released, 1);
    assert_int_equal(tr_obs_input(o)->released_by_rule[TR_RULE_ACK_NONZERO_NO_FLAG], 1);
    uint32_t n;
    tr_obs_sorted(o, &n);
    assert_int_equal(n, 1);
    tt_syn_from(o, 3, 2.0, 1003); /* evicts, releases; the slot is reused each time */
    assert_int_equal(tr_obs_conn_count(o), 1);
    assert_int_equal(tr_obs_input(o)->conns_released, 2);
    tr_obs_free(o);
}

static void test_past_the_record_limit_ended_connections_are_released(void **state)
{
    (void)state;
    struct tr_obs *o = tt_limited(1, 1, false);
    tt_syn_from(o, 1, 0.0, 1001);
    tt_syn_from(o, 2, 1.0, 1002); /* 1001 ends: the one ended connection kept */
    tt_syn_from(o, 3, 2.0, 1003); /* 1002 ends: a second one, summarized */
    assert_int_equal(tr_obs_input(o)->conns_released, 1);
    uint32_t n;
    const struct tr_conn *const *v = tr_obs_sorted(o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[0]->port[0], 1001);
    assert_int_equal(v[1]->port[0], 1003);
    tr_obs_free(o);
}

static void test_sorted_view_follows_the_first_frame(void **state)
{
    (void)state;
    struct tr_obs *o = tt_limited(0, 0, false);
    tt_syn_from(o, 7, 0.0, 1001);
    tt_syn_from(o, 3, 0.1, 1002); /* frames need not come in order of slots */
    uint32_t n;
    const struct tr_conn *const *v = tr_obs_sorted(o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[0]->first_frame, 3);
    assert_int_equal(v[1]->first_frame, 7);
    tr_obs_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_past_the_limit_the_least_recently_active_is_evicted),
        cmocka_unit_test(test_idle_connections_expire),
        cmocka_unit_test(test_released_connections_keep_their_totals),
        cmocka_unit_test(test_past_the_record_limit_ended_connections_are_released),
        cmocka_unit_test(test_sorted_view_follows_the_first_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
