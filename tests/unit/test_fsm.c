/* The state machine: every transition of RFC 9293 Figure 5, the §3.10.7.4
 * additions, and events that must not move a state. */
#include "../support/tt.h"
#include "stack/rto.h"
#include "stack/state.h"
#include "stack/tcb.h"

struct tt_trans {
    enum tr_state from;
    enum tr_event ev;
    enum tr_state to;
};

/* Figure 5, edge by edge. */
static const struct tt_trans tt_figure5[] = {
    {TR_CLOSED, TR_EV_PASSIVE_OPEN, TR_LISTEN},
    {TR_CLOSED, TR_EV_SND_SYN, TR_SYN_SENT},
    {TR_LISTEN, TR_EV_RCV_SYN, TR_SYN_RECEIVED},
    {TR_LISTEN, TR_EV_SND_SYN, TR_SYN_SENT},
    {TR_LISTEN, TR_EV_CLOSE, TR_CLOSED},
    {TR_SYN_SENT, TR_EV_RCV_SYN, TR_SYN_RECEIVED},
    {TR_SYN_SENT, TR_EV_RCV_SYNACK, TR_ESTABLISHED},
    {TR_SYN_SENT, TR_EV_CLOSE, TR_CLOSED},
    {TR_SYN_RECEIVED, TR_EV_RCV_ACK_OF_SYN, TR_ESTABLISHED},
    {TR_SYN_RECEIVED, TR_EV_CLOSE, TR_FIN_WAIT_1},
    {TR_SYN_RECEIVED, TR_EV_RCV_RST, TR_LISTEN},
    {TR_ESTABLISHED, TR_EV_CLOSE, TR_FIN_WAIT_1},
    {TR_ESTABLISHED, TR_EV_RCV_FIN, TR_CLOSE_WAIT},
    {TR_FIN_WAIT_1, TR_EV_RCV_ACK_OF_FIN, TR_FIN_WAIT_2},
    {TR_FIN_WAIT_1, TR_EV_RCV_FIN, TR_CLOSING},
    {TR_FIN_WAIT_2, TR_EV_RCV_FIN, TR_TIME_WAIT},
    {TR_CLOSE_WAIT, TR_EV_CLOSE, TR_LAST_ACK},
    {TR_CLOSING, TR_EV_RCV_ACK_OF_FIN, TR_TIME_WAIT},
    {TR_LAST_ACK, TR_EV_RCV_ACK_OF_FIN, TR_CLOSED},
    {TR_TIME_WAIT, TR_EV_TIMEOUT, TR_CLOSED},
};

static void test_every_figure5_transition(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof tt_figure5 / sizeof tt_figure5[0]; i++) {
        const struct tt_trans *t = &tt_figure5[i];
        assert_int_equal(tr_fsm_next(t->from, t->ev), t->to);
    }
}

static void test_fin_acking_our_fin_takes_fin_wait_1_to_time_wait(void **state)
{
    (void)state;
    /* §3.10.7.4 eighth: "If our FIN has been ACKed (perhaps in this segment),
     * then enter TIME-WAIT". */
    assert_int_equal(tr_fsm_next(TR_FIN_WAIT_1, TR_EV_RCV_FIN_ACKED), TR_TIME_WAIT);
}

static void test_fin_in_syn_received_enters_close_wait(void **state)
{
    (void)state;
    assert_int_equal(tr_fsm_next(TR_SYN_RECEIVED, TR_EV_RCV_FIN), TR_CLOSE_WAIT);
}

static void test_valid_rst_closes_every_synchronized_state(void **state)
{
    (void)state;
    const enum tr_state sync[] = {TR_ESTABLISHED, TR_FIN_WAIT_1, TR_FIN_WAIT_2, TR_CLOSE_WAIT,
                                  TR_CLOSING, TR_LAST_ACK, TR_TIME_WAIT};
    for (unsigned i = 0; i < sizeof sync / sizeof sync[0]; i++) {
        assert_int_equal(tr_fsm_next(sync[i], TR_EV_RCV_RST), TR_CLOSED);
        assert_int_equal(tr_fsm_next(sync[i], TR_EV_ABORT), TR_CLOSED);
    }
}

static void test_events_that_do_not_apply_leave_no_transition(void **state)
{
    (void)state;
    assert_int_equal(tr_fsm_next(TR_ESTABLISHED, TR_EV_RCV_SYN), TR_STATE_NONE);
    assert_int_equal(tr_fsm_next(TR_ESTABLISHED, TR_EV_RCV_SYNACK), TR_STATE_NONE);
    assert_int_equal(tr_fsm_next(TR_CLOSED, TR_EV_RCV_FIN), TR_STATE_NONE);
    assert_int_equal(tr_fsm_next(TR_TIME_WAIT, TR_EV_CLOSE), TR_STATE_NONE);
    assert_int_equal(tr_fsm_next(TR_STATE_COUNT, TR_EV_CLOSE), TR_STATE_NONE);
}

static void test_rst_in_syn_received_returns_active_open_to_closed(void **state)
{
    (void)state;
    struct tr_rto_params p = {.initial_ns = 1000000000};
    struct tr_tcb t;
    tr_tcb_init(&t, &p);
    assert_true(tr_tcb_event(&t, TR_EV_SND_SYN));
    assert_true(tr_tcb_event(&t, TR_EV_RCV_SYN)); /* simultaneous open */
    assert_int_equal(t.state, TR_SYN_RECEIVED);
    assert_true(tr_tcb_event(&t, TR_EV_RCV_RST));
    assert_int_equal(t.state, TR_CLOSED);
}

static void test_rst_in_syn_received_returns_passive_open_to_listen(void **state)
{
    (void)state;
    struct tr_rto_params p = {.initial_ns = 1000000000};
    struct tr_tcb t;
    tr_tcb_init(&t, &p);
    assert_true(tr_tcb_event(&t, TR_EV_PASSIVE_OPEN));
    assert_true(tr_tcb_event(&t, TR_EV_RCV_SYN));
    assert_true(tr_tcb_event(&t, TR_EV_RCV_RST));
    assert_int_equal(t.state, TR_LISTEN);
}

static void test_state_names_are_the_rfc_spellings(void **state)
{
    (void)state;
    assert_string_equal(tr_state_name(TR_SYN_RECEIVED), "SYN-RECEIVED");
    assert_string_equal(tr_state_name(TR_FIN_WAIT_2), "FIN-WAIT-2");
    assert_string_equal(tr_state_name(TR_TIME_WAIT), "TIME-WAIT");
    assert_string_equal(tr_state_name((enum tr_state)99), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_figure5_transition),
        cmocka_unit_test(test_fin_acking_our_fin_takes_fin_wait_1_to_time_wait),
        cmocka_unit_test(test_fin_in_syn_received_enters_close_wait),
        cmocka_unit_test(test_valid_rst_closes_every_synchronized_state),
        cmocka_unit_test(test_events_that_do_not_apply_leave_no_transition),
        cmocka_unit_test(test_rst_in_syn_received_returns_active_open_to_closed),
        cmocka_unit_test(test_rst_in_syn_received_returns_passive_open_to_listen),
        cmocka_unit_test(test_state_names_are_the_rfc_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
