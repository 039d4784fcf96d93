/* The TCB's shared decisions: acceptance test (RFC 9293 §3.10.7.4), ACK
 * classification, window update, RST validity (RFC 5961 §3.2), negotiation. */
#include <string.h>

#include "../support/tt.h"
#include "stack/profile.h"
#include "stack/tcb.h"

static void test_acceptance_zero_length_zero_window_needs_exact_seq(void **state)
{
    (void)state;
    assert_true(tr_seg_acceptable(100, 0, 100, 0));
    assert_false(tr_seg_acceptable(100, 0, 101, 0));
}

static void test_acceptance_zero_length_open_window(void **state)
{
    (void)state;
    assert_true(tr_seg_acceptable(100, 10, 109, 0));
    assert_false(tr_seg_acceptable(100, 10, 110, 0));
    assert_false(tr_seg_acceptable(100, 10, 99, 0));
}

static void test_acceptance_data_into_zero_window_is_not_acceptable(void **state)
{
    (void)state;
    assert_false(tr_seg_acceptable(100, 0, 100, 1));
}

static void test_acceptance_data_overlapping_either_edge(void **state)
{
    (void)state;
    assert_true(tr_seg_acceptable(100, 10, 95, 10));   /* ends at 104: last octet inside */
    assert_true(tr_seg_acceptable(100, 10, 109, 50));  /* starts inside */
    assert_false(tr_seg_acceptable(100, 10, 90, 10));  /* 90..99: all old */
    assert_false(tr_seg_acceptable(100, 10, 110, 5));  /* all beyond */
}

static void test_acceptance_wraps_around_2_32(void **state)
{
    (void)state;
    assert_true(tr_seg_acceptable(0xfffffff0u, 0x100, 0x20, 10));
}

static struct tr_tcb tt_sender(uint32_t una, uint32_t nxt, uint32_t maxwnd)
{
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    t.snd_una = una;
    t.snd_nxt = nxt;
    t.max_snd_wnd = maxwnd;
    return t;
}

static void test_ack_classes(void **state)
{
    (void)state;
    struct tr_tcb t = tt_sender(1000, 2000, 500);
    assert_int_equal(tr_tcb_classify_ack(&t, 1500), TR_ACK_NEW);
    assert_int_equal(tr_tcb_classify_ack(&t, 2000), TR_ACK_NEW);
    assert_int_equal(tr_tcb_classify_ack(&t, 1000), TR_ACK_DUP);
    assert_int_equal(tr_tcb_classify_ack(&t, 600), TR_ACK_OLD);
    assert_int_equal(tr_tcb_classify_ack(&t, 499), TR_ACK_TOO_OLD); /* RFC 5961 §5.2 */
    assert_int_equal(tr_tcb_classify_ack(&t, 2001), TR_ACK_UNSENT);
}

static void test_window_update_follows_wl1_wl2(void **state)
{
    (void)state;
    struct tr_tcb t = tt_sender(1000, 2000, 0);
    t.snd_wl1 = 50;
    t.snd_wl2 = 1000;
    assert_true(tr_tcb_window_update(&t, 60, 1200, 8000));
    assert_int_equal(t.snd_wnd, 8000);
    assert_int_equal(t.max_snd_wnd, 8000);
    /* an older segment (SEG.SEQ < SND.WL1) must not move the window */
    assert_false(tr_tcb_window_update(&t, 55, 1300, 100));
    assert_int_equal(t.snd_wnd, 8000);
    /* same SEQ, ACK not below WL2: taken */
    assert_true(tr_tcb_window_update(&t, 60, 1200, 9000));
    /* an ACK beyond SND.NXT never updates */
    assert_false(tr_tcb_window_update(&t, 70, 2001, 1));
}

static struct tr_tcb tt_receiver(uint32_t rcv_nxt, uint32_t wnd)
{
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    t.state = TR_ESTABLISHED;
    t.rcv_nxt = rcv_nxt;
    t.rcv_wnd = wnd;
    return t;
}

static void test_rst_exactly_at_rcv_nxt_is_valid(void **state)
{
    (void)state;
    struct tr_tcb t = tt_receiver(5000, 1000);
    struct tr_seg s = tt_seg(1, 0, 0, TR_RST, 5000, 0, 0, 0);
    assert_int_equal(tr_tcb_check_rst(&t, &s), TR_RST_VALID);
}

static void test_rst_inside_window_asks_for_challenge_ack(void **state)
{
    (void)state;
    struct tr_tcb t = tt_receiver(5000, 1000);
    struct tr_seg s = tt_seg(1, 0, 0, TR_RST, 5500, 0, 0, 0);
    assert_int_equal(tr_tcb_check_rst(&t, &s), TR_RST_CHALLENGE);
}

static void test_rst_outside_window_is_dropped(void **state)
{
    (void)state;
    struct tr_tcb t = tt_receiver(5000, 1000);
    struct tr_seg s = tt_seg(1, 0, 0, TR_RST, 6000, 0, 0, 0);
    assert_int_equal(tr_tcb_check_rst(&t, &s), TR_RST_OUTSIDE);
}

static void test_rst_in_syn_sent_must_ack_the_syn(void **state)
{
    (void)state;
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    t.state = TR_SYN_SENT;
    t.iss = 100;
    t.snd_una = 100;
    t.snd_nxt = 101;
    struct tr_seg good = tt_seg(1, 0, 1, TR_RST | TR_ACK, 0, 101, 0, 0);
    struct tr_seg bad = tt_seg(1, 0, 1, TR_RST | TR_ACK, 0, 100, 0, 0);
    assert_int_equal(tr_tcb_check_rst(&t, &good), TR_RST_VALID);
    assert_int_equal(tr_tcb_check_rst(&t, &bad), TR_RST_BAD_ACK);
}

static void test_window_scale_needs_both_syns(void **state)
{
    (void)state;
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    struct tr_opts mine = {.has_wscale = true, .wscale = 7, .has_mss = true, .mss = 1460};
    struct tr_opts theirs = {.has_mss = true, .mss = 1400};
    tr_tcb_negotiate(&t, &mine, &theirs, 4, 536, 1220);
    assert_false(tr_tcb_has(&t, TR_TCB_WS_OK));
    assert_int_equal(t.snd_mss, 1400);
    theirs.has_wscale = true;
    theirs.wscale = 20; /* RFC 7323 §2.3: used as 14 */
    tr_tcb_negotiate(&t, &mine, &theirs, 4, 536, 1220);
    assert_true(tr_tcb_has(&t, TR_TCB_WS_OK));
    assert_int_equal(t.snd_wscale, 14);
    assert_int_equal(t.rcv_wscale, 7);
}

static void test_missing_mss_defaults_per_ip_version(void **state)
{
    (void)state;
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    struct tr_opts none = {0};
    tr_tcb_negotiate(&t, &none, &none, 4, 536, 1220);
    assert_int_equal(t.snd_mss, 536);  /* RFC 9293 MUST-15 */
    tr_tcb_negotiate(&t, &none, &none, 6, 536, 1220);
    assert_int_equal(t.snd_mss, 1220);
}

static void test_syn_window_is_never_scaled(void **state)
{
    (void)state;
    struct tr_tcb t;
    tr_tcb_init(&t, &tr_profile_builtin("rfc")->rto);
    t.flags |= TR_TCB_WS_OK;
    t.snd_wscale = 7;
    struct tr_seg syn = tt_seg(1, 0, 1, TR_SYN | TR_ACK, 0, 0, 0, 1000);
    struct tr_seg data = tt_seg(1, 0, 1, TR_ACK, 0, 0, 0, 1000);
    assert_int_equal(tr_tcb_peer_window(&t, &syn), 1000);
    assert_int_equal(tr_tcb_peer_window(&t, &data), 128000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance_zero_length_zero_window_needs_exact_seq),
        cmocka_unit_test(test_acceptance_zero_length_open_window),
        cmocka_unit_test(test_acceptance_data_into_zero_window_is_not_acceptable),
        cmocka_unit_test(test_acceptance_data_overlapping_either_edge),
        cmocka_unit_test(test_acceptance_wraps_around_2_32),
        cmocka_unit_test(test_ack_classes),
        cmocka_unit_test(test_window_update_follows_wl1_wl2),
        cmocka_unit_test(test_rst_exactly_at_rcv_nxt_is_valid),
        cmocka_unit_test(test_rst_inside_window_asks_for_challenge_ack),
        cmocka_unit_test(test_rst_outside_window_is_dropped),
        cmocka_unit_test(test_rst_in_syn_sent_must_ack_the_syn),
        cmocka_unit_test(test_window_scale_needs_both_syns),
        cmocka_unit_test(test_missing_mss_defaults_per_ip_version),
        cmocka_unit_test(test_syn_window_is_never_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
