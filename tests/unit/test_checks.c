/* The observer's checks, each from crafted segments: one behaviour per test.
 * Handshake used throughout (tt_handshake): client ISN 1000, server ISN 5000,
 * MSS 1460 both ways, window scale 7 both ways, SACK permitted, frames 1-3. */
#include <string.h>

#include "../support/tt.h"
#include "analyzer/format.h"
#include "analyzer/rules.h"
#include "stack/state.h"

#define C2S TT_C2S
#define S2C TT_S2C
#define A TR_ACK
#define PA (TR_ACK | TR_PSH)

static const struct tr_conn *tt_conn(struct tr_obs *o, uint32_t i)
{
    tr_obs_finish(o);
    const struct tr_conn *c = tr_obs_conn(o, i);
    assert_non_null(c);
    return c;
}

/* ---- handshake and close ---- */

static void test_clean_connection_has_no_findings_and_the_rfc_states(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, PA, 5001, 1101, 1000, 509));
    tt_feed(o, tt_seg(6, 0.05, C2S, A | TR_FIN, 1101, 6001, 0, 502));
    tt_feed(o, tt_seg(7, 0.06, S2C, A | TR_FIN, 6001, 1102, 0, 509));
    tt_feed(o, tt_seg(8, 0.07, C2S, A, 1102, 6002, 0, 502));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->nfindings, 0);
    assert_int_equal(c->roles, TR_ROLES_KNOWN);
    assert_int_equal(c->end, TR_END_FIN);
    /* client: CLOSED, SYN-SENT #1, ESTABLISHED #2, FIN-WAIT-1 #6, FIN-WAIT-2 #7,
     * TIME-WAIT (the server's FIN of #7, shown received by #8's ACK);
     * server: LISTEN, SYN-RECEIVED (the SYN, #1), ESTABLISHED #3, CLOSE-WAIT
     * (the client's FIN, #6), LAST-ACK #7, CLOSED #8 */
    assert_int_equal(c->ep[0].tcb.state, TR_TIME_WAIT);
    assert_int_equal(c->ep[1].tcb.state, TR_CLOSED);
    const uint8_t want[2][6][2] = {
        {{TR_CLOSED, 0}, {TR_SYN_SENT, 1}, {TR_ESTABLISHED, 2}, {TR_FIN_WAIT_1, 6},
         {TR_FIN_WAIT_2, 7}, {TR_TIME_WAIT, 7}},
        {{TR_LISTEN, 0}, {TR_SYN_RECEIVED, 1}, {TR_ESTABLISHED, 3}, {TR_CLOSE_WAIT, 6},
         {TR_LAST_ACK, 7}, {TR_CLOSED, 8}}};
    unsigned k[2] = {0, 0};
    for (unsigned i = 0; i < c->ntrans; i++) {
        unsigned ep = c->trans[i].ep;
        assert_true(k[ep] < 6);
        uint64_t frame = c->trans[i].frame_off == UINT32_MAX ? 0 : tr_conn_frame(c, c->trans[i].frame_off);
        assert_int_equal(c->trans[i].state, want[ep][k[ep]][0]);
        assert_int_equal(frame, want[ep][k[ep]][1]);
        k[ep]++;
    }
    assert_int_equal(k[0], 6);
    assert_int_equal(k[1], 6);
    tr_obs_free(o);
}

static void test_synack_with_wrong_ack_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1002, 0, 65160)); /* should be 1001 */
    assert_int_equal(tt_frame(o, TR_RULE_HS_SYNACK_ACK), 2);
    const struct tr_finding *f = tt_finding(o, TR_RULE_HS_SYNACK_ACK);
    assert_int_equal(f->arg[0], 1); /* expected relative ack 1 */
    assert_int_equal(f->arg[1], 2);
    tr_obs_free(o);
}

static void test_third_segment_with_wrong_seq_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(3, 0.02, C2S, A, 1000, 5001, 0, 502)); /* SEQ should be ISN + 1 */
    assert_int_equal(tt_frame(o, TR_RULE_HS_ACK), 3);
    tr_obs_free(o);
}

static void test_third_segment_with_wrong_ack_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(3, 0.02, C2S, A, 1001, 5000, 0, 502)); /* ACK should be 5001 */
    assert_int_equal(tt_frame(o, TR_RULE_HS_ACK), 3);
    tr_obs_free(o);
}

static void test_syn_retransmitted_with_another_isn_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 1.0, C2S, TR_SYN, 7777, 0, 0, 64240));
    tt_feed(o, tt_seg(3, 1.01, S2C, TR_SYN | A, 5000, 7778, 0, 65160));
    assert_int_equal(tt_frame(o, TR_RULE_HS_SYN_ISN_CHANGED), 2);
    assert_int_equal(tr_obs_conn_count(o), 1);
    assert_int_equal(tt_count(o, TR_RULE_HS_SYNACK_ACK), 0); /* the new ISN is the one answered */
    tr_obs_free(o);
}

static void test_synack_without_syn_is_a_capture_finding(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(2, 0.01, C2S, A, 1001, 5001, 0, 502));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(tt_frame(o, TR_RULE_HS_SYNACK_WITHOUT_SYN), 1);
    assert_int_equal(tr_rule_info(TR_RULE_HS_SYNACK_WITHOUT_SYN)->cls, TR_CLASS_CAPTURE);
    assert_int_equal(c->roles, TR_ROLES_KNOWN);
    assert_int_equal(c->port[0], 40000); /* the client is the SYN-ACK's receiver */
    assert_int_equal(c->ep[0].tcb.iss, 1000); /* inferred from the ACK */
    tr_obs_free(o);
}

static void test_syn_captured_after_its_synack_is_a_reordered_capture(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, S2C, TR_SYN | A, 5000, 1001, 0, 65160));
    tt_feed(o, tt_seg(2, 0.0001, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(3, 0.0002, C2S, A, 1001, 5001, 0, 502));
    assert_int_equal(tr_obs_conn_count(o), 1);
    assert_int_equal(tt_frame(o, TR_RULE_HS_OUT_OF_ORDER), 2);
    assert_int_equal(tt_count(o, TR_RULE_HS_SYNACK_WITHOUT_SYN), 0);
    tr_obs_free(o);
}

static void test_data_on_syn_without_fast_open_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 100, 64240));
    assert_int_equal(tt_frame(o, TR_RULE_HS_SYN_DATA), 1);
    tr_obs_free(o);
}

static void test_data_on_syn_with_fast_open_is_not_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 100, 64240);
    syn.opt.fastopen = true;
    syn.opt.fastopen_cookie_len = 8;
    tt_feed(o, syn);
    tt_feed(o, tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1101, 0, 65160));
    tt_feed(o, tt_seg(3, 0.02, C2S, A, 1101, 5001, 0, 502));
    assert_int_equal(tt_count(o, TR_RULE_HS_SYN_DATA), 0);
    assert_int_equal(tt_count(o, TR_RULE_HS_SYNACK_ACK), 0);
    assert_int_equal(tt_count(o, TR_RULE_HS_ACK), 0);
    tr_obs_free(o);
}

static void test_window_scale_above_14_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 15, 1, 0);
    tt_feed(o, syn);
    assert_int_equal(tt_frame(o, TR_RULE_HS_WSCALE_TOO_LARGE), 1);
    tr_obs_free(o);
}

static void test_synack_offering_scaling_the_syn_did_not_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, -1, 1, 0);
    struct tr_seg sa = tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 0);
    tt_feed(o, syn);
    tt_feed(o, sa);
    assert_int_equal(tt_frame(o, TR_RULE_HS_WSCALE_UNSOLICITED), 2);
    const struct tr_conn *c = tt_conn(o, 0);
    assert_false(tr_tcb_has(&c->ep[0].tcb, TR_TCB_WS_OK)); /* RFC 7323 §2.2: not in effect */
    tr_obs_free(o);
}

static void test_synack_with_timestamps_the_syn_lacked_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 0);
    struct tr_seg sa = tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 1);
    tt_feed(o, syn);
    tt_feed(o, sa);
    assert_int_equal(tt_frame(o, TR_RULE_HS_TS_UNSOLICITED), 2);
    tr_obs_free(o);
}

static void test_data_before_the_handshake_completes_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.001, C2S, PA, 1001, 0, 100, 502)); /* before any SYN-ACK */
    assert_int_equal(tt_frame(o, TR_RULE_HS_DATA_BEFORE_ESTABLISHED), 2);
    tr_obs_free(o);
}

/* ---- options ---- */

static struct tr_obs *tt_ts_conn(void)
{
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 1);
    struct tr_seg sa = tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 1, 1);
    tt_feed(o, syn);
    tt_feed(o, sa);
    struct tr_seg ack = tt_seg(3, 0.02, C2S, A, 1001, 5001, 0, 502);
    tt_ts(&ack, 10, 20);
    tt_feed(o, ack);
    return o;
}

static void test_segment_without_negotiated_timestamps_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_ts_conn();
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 10, 502)); /* no TSopt */
    assert_int_equal(tt_frame(o, TR_RULE_OPT_TS_MISSING), 4);
    tr_obs_free(o);
}

static void test_rst_without_timestamps_is_allowed(void **state)
{
    (void)state;
    struct tr_obs *o = tt_ts_conn();
    tt_feed(o, tt_seg(4, 0.03, C2S, TR_RST, 1001, 0, 0, 0)); /* RFC 7323 §3.2: non-<RST> */
    assert_int_equal(tt_count(o, TR_RULE_OPT_TS_MISSING), 0);
    tr_obs_free(o);
}

static void test_timestamps_on_a_connection_without_them_are_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    struct tr_seg d = tt_seg(4, 0.03, C2S, PA, 1001, 5001, 10, 502);
    tt_ts(&d, 5, 6);
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_OPT_TS_UNNEGOTIATED), 4);
    tr_obs_free(o);
}

static void test_mss_option_on_a_non_syn_segment_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    struct tr_seg d = tt_seg(4, 0.03, C2S, A, 1001, 5001, 0, 502);
    d.opt.has_mss = true;
    d.opt.mss = 1400;
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_OPT_MSS_NON_SYN), 4);
    tr_obs_free(o);
}

static void test_sack_permitted_on_a_non_syn_segment_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    struct tr_seg d = tt_seg(4, 0.03, S2C, A, 5001, 1001, 0, 509);
    d.opt.sack_perm = true;
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_OPT_SACK_PERM_NON_SYN), 4);
    tr_obs_free(o);
}

static void test_sack_blocks_to_a_peer_without_sack_permitted_are_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 0);
    struct tr_seg sa = tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1460, 7, 0, 0); /* the server does not permit SACK */
    tt_feed(o, syn);
    tt_feed(o, sa);
    tt_feed(o, tt_seg(3, 0.02, C2S, A, 1001, 5001, 0, 502));
    struct tr_seg d = tt_seg(4, 0.03, C2S, A, 1001, 5001, 0, 502);
    d.opt.nsack = 1;
    d.opt.sack[0] = (struct tr_sack_block){6001, 7001};
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_OPT_SACK_UNNEGOTIATED), 4);
    tr_obs_free(o);
}

static void test_malformed_option_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    struct tr_seg d = tt_seg(4, 0.03, C2S, A, 1001, 5001, 0, 502);
    d.opt.error = TR_OPTERR_LEN_ZERO_ONE;
    d.opt.error_offset = 22;
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_OPT_MALFORMED), 4);
    /* the message says what is wrong in words, not as an error code */
    const struct tr_finding *f = tt_finding(o, TR_RULE_OPT_MALFORMED);
    char msg[128];
    tr_format_template(tr_rule_info(TR_RULE_OPT_MALFORMED)->message, f->arg, msg, sizeof msg);
    assert_string_equal(msg, "malformed TCP option: option length 0 or 1");
    tr_format_template(tr_rule_info(TR_RULE_OPT_MALFORMED)->observed, f->arg, msg, sizeof msg);
    assert_string_equal(msg, "option length 0 or 1 at header offset 22");
    tr_obs_free(o);
}

/* ---- acknowledgments ---- */

static void test_ack_of_data_sent_only_later_is_a_protocol_finding(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, A, 5001, 1201, 0, 509)); /* acks 100 bytes never sent */
    tt_feed(o, tt_seg(6, 0.05, C2S, PA, 1101, 5001, 100, 502)); /* ...sent now */
    assert_int_equal(tt_frame(o, TR_RULE_ACK_UNSEEN_DATA), 5);
    assert_int_equal(tt_count(o, TR_RULE_ACK_UNSEEN_CAPTURE), 0);
    tr_obs_free(o);
}

static void test_ack_of_data_missing_from_the_capture_is_a_capture_finding(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, A, 5001, 1201, 0, 509)); /* [1101,1201) not captured */
    tt_feed(o, tt_seg(6, 0.05, C2S, PA, 1201, 5001, 100, 502));
    assert_int_equal(tt_frame(o, TR_RULE_ACK_UNSEEN_CAPTURE), 5);
    assert_int_equal(tt_count(o, TR_RULE_ACK_UNSEEN_DATA), 0);
    tr_obs_free(o);
}

static void test_ack_inside_a_segment_is_a_partial_ack(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 1000, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, A, 5001, 1501, 0, 509));
    assert_int_equal(tt_frame(o, TR_RULE_ACK_PARTIAL), 5);
    tr_obs_free(o);
}

static void test_ack_moving_backwards_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, A, 5001, 1101, 0, 509));
    tt_feed(o, tt_seg(6, 0.05, S2C, A, 5001, 1051, 0, 509));
    assert_int_equal(tt_frame(o, TR_RULE_ACK_BACKWARDS), 6);
    tr_obs_free(o);
}

static void test_ack_backwards_in_an_earlier_sent_segment_is_capture_reordering(void **state)
{
    (void)state;
    struct tr_obs *o = tt_ts_conn();
    struct tr_seg d = tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502);
    tt_ts(&d, 11, 20);
    tt_feed(o, d);
    struct tr_seg a1 = tt_seg(5, 0.04, S2C, A, 5001, 1101, 0, 509);
    tt_ts(&a1, 31, 11);
    struct tr_seg a0 = tt_seg(6, 0.041, S2C, A, 5001, 1001, 0, 509);
    tt_ts(&a0, 30, 10); /* sent before frame 5 */
    tt_feed(o, a1);
    tt_feed(o, a0);
    assert_int_equal(tt_count(o, TR_RULE_ACK_BACKWARDS), 0);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_REORDERED), 6);
    tr_obs_free(o);
}

static void test_nonzero_ack_field_without_ack_flag_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 12345, 0, 64240));
    assert_int_equal(tt_frame(o, TR_RULE_ACK_NONZERO_NO_FLAG), 1);
    tr_obs_free(o);
}

static void test_duplicate_acks_are_counted(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 0.031, S2C, PA, 6001, 1001, 1000, 509));
    tt_feed(o, tt_seg(6, 0.04, C2S, A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(7, 0.041, C2S, A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(8, 0.042, C2S, A, 1001, 5001, 0, 502));
    const struct tr_conn *c = tt_conn(o, 0);
    /* RFC 5681 §2: frames 6, 7 and 8 repeat frame 3's ACK and window while
     * data is outstanding */
    assert_int_equal(c->ep[0].st.dup_acks, 3);
    assert_int_equal(c->ep[0].st.pure_acks, 4); /* the handshake's ACK too */
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

/* ---- sequence space ---- */

static void test_data_beyond_the_advertised_window_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake_with(o, 0, 1460, 10); /* window 10 << 7 = 1280 */
    tt_feed(o, tt_seg(5, 0.04, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(6, 0.041, S2C, PA, 6001, 1001, 1000, 509)); /* ends 720 bytes past */
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_OUTSIDE_WINDOW), 6);
    assert_int_equal(tt_finding(o, TR_RULE_SEQ_OUTSIDE_WINDOW)->arg[2], 720);
    tr_obs_free(o);
}

static void test_one_byte_zero_window_probe_is_allowed(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 0.04, C2S, A, 1001, 6001, 0, 0)); /* zero window */
    tt_feed(o, tt_seg(6, 0.5, S2C, A, 6001, 1001, 1, 509)); /* probe */
    assert_int_equal(tt_count(o, TR_RULE_SEQ_OUTSIDE_WINDOW), 0);
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->ep[1].st.window_probes, 1);
    tr_obs_free(o);
}

static void test_data_after_fin_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, A | TR_FIN, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(5, 0.04, C2S, PA, 1002, 5001, 10, 502));
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_DATA_AFTER_FIN), 5);
    tr_obs_free(o);
}

static void test_fin_moved_to_another_sequence_number_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 0.04, C2S, A | TR_FIN, 1051, 5001, 0, 502)); /* FIN inside sent data */
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_FIN_MOVED), 5);
    tr_obs_free(o);
}

static void test_retransmission_with_other_bytes_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    static const uint8_t a[8] = "abcdefgh", b[8] = "abcdefgX";
    struct tr_seg d = tt_seg(4, 0.03, C2S, PA, 1001, 5001, 8, 502);
    d.payload = a;
    d.caplen = 8;
    tt_feed(o, d);
    d.frame = 5;
    d.ts_ns += 300000000;
    d.payload = b;
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_RETRANS_DIFFERS), 5);
    assert_int_equal(tt_finding(o, TR_RULE_SEQ_RETRANS_DIFFERS)->arg[0], 4);
    tr_obs_free(o);
}

static void test_retransmission_with_the_same_bytes_is_counted_not_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    static const uint8_t a[8] = "abcdefgh";
    struct tr_seg d = tt_seg(4, 0.03, C2S, PA, 1001, 5001, 8, 502);
    d.payload = a;
    d.caplen = 8;
    tt_feed(o, d);
    d.frame = 5;
    d.ts_ns += 300000000;
    tt_feed(o, d);
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->ep[0].st.retx_segs, 1);
    assert_int_equal(c->ep[0].st.retx_bytes, 8);
    assert_int_equal(c->nfindings, 0);
    tr_obs_free(o);
}

/* A handshake where the server announces MSS 1400. */
static struct tr_obs *tt_mss1400(void)
{
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, 1460, 7, 1, 0);
    struct tr_seg sa = tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160);
    tt_syn_opts(&sa, 1400, 7, 1, 0);
    tt_feed(o, syn);
    tt_feed(o, sa);
    tt_feed(o, tt_seg(3, 0.02, C2S, A, 1001, 5001, 0, 502));
    return o;
}

static void test_segment_above_the_mss_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_mss1400();
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 1460, 502)); /* a 1500-byte IP packet */
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_EXCEEDS_MSS), 4);
    const struct tr_finding *f = tt_finding(o, TR_RULE_SEQ_EXCEEDS_MSS);
    assert_int_equal(f->arg[0], 1400);
    assert_int_equal(f->arg[1], 1460);
    tr_obs_free(o);
}

static void test_segment_of_exactly_the_mss_is_fine(void **state)
{
    (void)state;
    struct tr_obs *o = tt_mss1400();
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 1400, 502));
    assert_int_equal(tt_count(o, TR_RULE_SEQ_EXCEEDS_MSS), 0);
    tr_obs_free(o);
}

static void test_mss_counts_tcp_options(void **state)
{
    (void)state;
    struct tr_obs *o = tt_mss1400();
    struct tr_seg d = tt_seg(4, 0.03, C2S, PA, 1001, 5001, 1390, 502);
    d.tcp_hlen = 32; /* 1390 + 12 option bytes = 1402 > 1400 (RFC 9293 §3.7.1) */
    d.wire_len = 20 + 32 + 1390;
    tt_feed(o, d);
    assert_int_equal(tt_frame(o, TR_RULE_SEQ_EXCEEDS_MSS), 4);
    tr_obs_free(o);
}

static void test_super_segment_is_a_capture_finding(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, PA, 1001, 5001, 2920, 502)); /* 2960-byte IP packet */
    assert_int_equal(tt_count(o, TR_RULE_SEQ_EXCEEDS_MSS), 0);
    assert_int_equal(tt_frame(o, TR_RULE_CAP_TSO_GRO), 4);
    tr_obs_free(o);
}

static void test_hole_in_the_stream_is_a_capture_finding(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(5, 0.031, S2C, PA, 7001, 1001, 1000, 509)); /* [6001,7001) missing */
    assert_int_equal(tt_frame(o, TR_RULE_CAP_NOT_CAPTURED), 5);
    assert_int_equal(tt_finding(o, TR_RULE_CAP_NOT_CAPTURED)->arg[2], 1000);
    tr_obs_free(o);
}

static void test_late_filler_sent_earlier_is_out_of_order(void **state)
{
    (void)state;
    struct tr_obs *o = tt_ts_conn();
    struct tr_seg a = tt_seg(4, 0.03, S2C, PA, 5001, 1001, 1000, 509);
    tt_ts(&a, 100, 10);
    struct tr_seg c = tt_seg(5, 0.031, S2C, PA, 7001, 1001, 1000, 509);
    tt_ts(&c, 102, 10);
    struct tr_seg b = tt_seg(6, 0.2, S2C, PA, 6001, 1001, 1000, 509);
    tt_ts(&b, 101, 10); /* older TSval: sent before frame 5, though captured 170 ms later */
    tt_feed(o, a);
    tt_feed(o, c);
    tt_feed(o, b);
    const struct tr_conn *cn = tt_conn(o, 0);
    assert_int_equal(cn->ep[1].st.ooo_segs, 1);
    assert_int_equal(cn->ep[1].st.retx_segs, 0);
    tr_obs_free(o);
}

static void test_late_filler_sent_later_is_a_retransmission(void **state)
{
    (void)state;
    struct tr_obs *o = tt_ts_conn();
    struct tr_seg a = tt_seg(4, 0.03, S2C, PA, 5001, 1001, 1000, 509);
    tt_ts(&a, 100, 10);
    struct tr_seg c = tt_seg(5, 0.031, S2C, PA, 7001, 1001, 1000, 509);
    tt_ts(&c, 101, 10);
    struct tr_seg b = tt_seg(6, 0.032, S2C, PA, 6001, 1001, 1000, 509);
    tt_ts(&b, 102, 10); /* newer TSval: re-sent, though only 1 ms later */
    tt_feed(o, a);
    tt_feed(o, c);
    tt_feed(o, b);
    const struct tr_conn *cn = tt_conn(o, 0);
    assert_int_equal(cn->ep[1].st.ooo_segs, 0);
    assert_int_equal(cn->ep[1].st.retx_segs, 1);
    tr_obs_free(o);
}

static void test_keepalive_is_not_a_retransmission(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 75, C2S, A, 1000, 5001, 0, 502)); /* SEG.SEQ = SND.NXT - 1 */
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->ep[0].st.keepalives, 1);
    assert_int_equal(c->ep[0].st.retx_segs, 0);
    assert_int_equal(c->nfindings, 0);
    tr_obs_free(o);
}

/* ---- RST ---- */

static void test_rst_at_rcv_nxt_resets_the_connection(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, S2C, TR_RST | A, 5001, 1001, 0, 0));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->end, TR_END_RST);
    assert_int_equal(c->end_by, 1);
    assert_int_equal(c->end_state, TR_ESTABLISHED);
    assert_int_equal(c->ep[0].tcb.state, TR_CLOSED);
    assert_int_equal(c->nfindings, 0);
    tr_obs_free(o);
}

static void test_rst_outside_the_window_is_invalid_and_does_not_reset(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    /* the client advertised 502 << 7 = 64256 bytes from 5001 */
    tt_feed(o, tt_seg(4, 0.03, S2C, TR_RST, 5001 + 100000, 0, 0, 0));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(tt_frame(o, TR_RULE_RST_OUTSIDE_WINDOW), 4);
    assert_int_equal(c->ep[0].tcb.state, TR_ESTABLISHED);
    assert_int_not_equal(c->end, TR_END_RST);
    tr_obs_free(o);
}

static void test_rst_in_the_window_but_not_exact_asks_for_a_challenge_ack(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, S2C, TR_RST, 5001 + 1000, 0, 0, 0));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(tt_frame(o, TR_RULE_RST_NOT_EXACT), 4);
    assert_int_equal(c->ep[0].tcb.state, TR_ESTABLISHED);
    tr_obs_free(o);
}

/* RFC 9293 §3.10.7.1: the server, CLOSED once the client acknowledged its
 * FIN (frame 7), answers the client's retransmitted FIN (frame 6, which
 * reached it after frame 7) with <SEQ=SEG.ACK><CTL=RST>: seq 5001, one below
 * the client's RCV.NXT 5002. Not a reset of the connection, not a fault. */
static void tt_fin_then_old_fin(struct tr_obs *o, uint8_t rst_flags)
{
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, TR_FIN | A, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(5, 0.04, S2C, TR_FIN | A, 5001, 1002, 0, 509));
    tt_feed(o, tt_seg(6, 0.25, C2S, TR_FIN | A, 1001, 5001, 0, 502)); /* its timer, before 5 came */
    tt_feed(o, tt_seg(7, 0.2501, C2S, A, 1002, 5002, 0, 502));
    tt_feed(o, tt_seg(8, 0.2702, S2C, rst_flags, 5001, 0, 0, 0));
}

static void test_rst_from_a_closed_endpoint_answering_an_old_segment(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_fin_then_old_fin(o, TR_RST);
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(tt_frame(o, TR_RULE_RST_CLOSED_ANSWER), 8);
    assert_int_equal(tt_finding(o, TR_RULE_RST_CLOSED_ANSWER)->arg[2], 1); /* seq, relative */
    assert_int_equal(tt_count(o, TR_RULE_RST_OUTSIDE_WINDOW), 0);
    assert_int_equal(c->end, TR_END_FIN);
    tr_obs_free(o);
}

/* The same RST with ACK is no such answer (a CLOSED TCP answers with ACK only
 * a segment without one, and then with SEQ=0): outside the window. */
static void test_rst_ack_below_the_window_after_close_is_outside_it(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_fin_then_old_fin(o, TR_RST | A);
    assert_int_equal(tt_frame(o, TR_RULE_RST_OUTSIDE_WINDOW), 8);
    assert_int_equal(tt_count(o, TR_RULE_RST_CLOSED_ANSWER), 0);
    tr_obs_free(o);
}

static void test_data_after_own_rst_is_reported(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, TR_RST | A, 1001, 5001, 0, 0));
    tt_feed(o, tt_seg(5, 0.04, C2S, PA, 1001, 5001, 50, 502));
    assert_int_equal(tt_frame(o, TR_RULE_RST_DATA_AFTER), 5);
    tr_obs_free(o);
}

static void test_rst_answering_a_syn_is_a_refused_connection(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.001, S2C, TR_RST | A, 0, 1001, 0, 0));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->end, TR_END_REFUSED);
    assert_int_equal(c->ep[0].tcb.state, TR_CLOSED);
    assert_int_equal(c->ep[1].tcb.state, TR_CLOSED); /* nothing was listening */
    assert_int_equal(c->nfindings, 0);
    tr_obs_free(o);
}

static void test_rst_not_acking_the_syn_is_invalid(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.001, S2C, TR_RST | A, 0, 1000, 0, 0)); /* ACK = ISN, not ISN + 1 */
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(tt_frame(o, TR_RULE_RST_BAD_ACK), 2);
    assert_int_equal(c->ep[0].tcb.state, TR_SYN_SENT);
    tr_obs_free(o);
}

/* ---- connections ---- */

static void test_new_syn_after_close_starts_a_new_connection(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, TR_RST | A, 1001, 5001, 0, 0));
    tt_feed(o, tt_seg(5, 1.0, C2S, TR_SYN, 90000, 0, 0, 64240));
    tt_feed(o, tt_seg(6, 1.01, S2C, TR_SYN | A, 70000, 90001, 0, 65160));
    tr_obs_finish(o);
    assert_int_equal(tr_obs_conn_count(o), 2);
    const struct tr_conn *c = tr_obs_conn(o, 1);
    assert_true(c->flags & TR_CONN_REUSED);
    assert_int_equal(c->first_frame, 5);
    assert_int_equal(c->ep[0].tcb.iss, 90000);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_mid_stream_pickup_has_unknown_roles_and_says_so(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, S2C, PA, 5001, 1001, 1000, 509));
    tt_feed(o, tt_seg(2, 0.01, C2S, A, 1001, 6001, 0, 502));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->roles, TR_ROLES_UNKNOWN);
    assert_int_equal(c->port[0], 80); /* endpoint 0 sent the first segment */
    assert_int_equal(tt_frame(o, TR_RULE_CAP_NO_HANDSHAKE), 1);
    assert_int_equal(tt_serious(o), 0);
    /* no window checks without the window scale */
    assert_false(c->ep[1].flags & TR_EP_RIGHT_KNOWN);
    tr_obs_free(o);
}

static void test_simultaneous_open_goes_through_syn_received(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_feed(o, tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240));
    tt_feed(o, tt_seg(2, 0.001, S2C, TR_SYN, 5000, 0, 0, 64240));
    tt_feed(o, tt_seg(3, 0.002, C2S, TR_SYN | A, 1000, 5001, 0, 64240));
    tt_feed(o, tt_seg(4, 0.003, S2C, TR_SYN | A, 5000, 1001, 0, 64240));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_true(c->flags & TR_CONN_SIMOPEN);
    assert_int_equal(c->ep[0].tcb.state, TR_ESTABLISHED);
    assert_int_equal(c->ep[1].tcb.state, TR_ESTABLISHED);
    bool saw_synrcvd = false;
    for (uint16_t i = 0; i < c->ntrans; i++)
        saw_synrcvd |= c->trans[i].ep == 0 && c->trans[i].state == TR_SYN_RECEIVED;
    assert_true(saw_synrcvd);
    assert_int_equal(tt_serious(o), 0);
    tr_obs_free(o);
}

static void test_simultaneous_close_goes_through_closing(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 0.03, C2S, A | TR_FIN, 1001, 5001, 0, 502));
    tt_feed(o, tt_seg(5, 0.0301, S2C, A | TR_FIN, 5001, 1001, 0, 509)); /* crosses ours */
    tt_feed(o, tt_seg(6, 0.04, C2S, A, 1002, 5002, 0, 502));
    tt_feed(o, tt_seg(7, 0.04, S2C, A, 5002, 1002, 0, 509));
    const struct tr_conn *c = tt_conn(o, 0);
    assert_int_equal(c->ep[0].tcb.state, TR_TIME_WAIT);
    assert_int_equal(c->ep[1].tcb.state, TR_TIME_WAIT);
    bool closing = false;
    for (uint16_t i = 0; i < c->ntrans; i++)
        closing |= c->trans[i].state == TR_CLOSING;
    assert_true(closing);
    tr_obs_free(o);
}

static void test_untagged_reply_matches_a_tagged_connection(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_seg syn = tt_seg(1, 0, C2S, TR_SYN, 1000, 0, 0, 64240);
    syn.vlan = 3136;
    tt_feed(o, syn);
    tt_feed(o, tt_seg(2, 0.01, S2C, TR_SYN | A, 5000, 1001, 0, 65160)); /* untagged */
    struct tr_seg other = tt_seg(3, 0.02, C2S, TR_SYN, 4444, 0, 0, 64240);
    other.vlan = 7; /* same addresses on another VLAN: another connection */
    tt_feed(o, other);
    tr_obs_finish(o);
    assert_int_equal(tr_obs_conn_count(o), 2);
    assert_int_equal(tt_count(o, TR_RULE_HS_SYNACK_WITHOUT_SYN), 0);
    tr_obs_free(o);
}

static void test_karn_no_rtt_sample_from_a_retransmitted_segment(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.3, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(6, 1.35, S2C, A, 5001, 1101, 0, 509));
    const struct tr_conn *c = tt_conn(o, 0);
    /* one sample: the handshake's SYN to ACK (20 ms, the full round trip),
     * none from the retransmitted data */
    assert_int_equal(c->ep[0].rtt_n, 1);
    assert_int_equal(c->ep[0].rtt_min, 20000000);
    tr_obs_free(o);
}

static void test_rtt_sample_from_the_oldest_newly_acked_segment(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    tt_handshake(o, 0);
    tt_feed(o, tt_seg(4, 1.0, C2S, PA, 1001, 5001, 100, 502));
    tt_feed(o, tt_seg(5, 1.02, C2S, PA, 1101, 5001, 100, 502));
    tt_feed(o, tt_seg(6, 1.05, S2C, A, 5001, 1201, 0, 509));
    const struct tr_conn *c = tt_conn(o, 0);
    /* 1.05 - 1.00 at the capture point, plus the 10 ms between the capture
     * and the client (SYN-ACK at 0.01 to ACK at 0.02) */
    assert_int_equal(c->ep[0].rtt_n, 2);
    assert_int_equal(c->ep[0].rtt_max, 60000000);
    tr_obs_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_connection_has_no_findings_and_the_rfc_states),
        cmocka_unit_test(test_synack_with_wrong_ack_is_reported),
        cmocka_unit_test(test_third_segment_with_wrong_seq_is_reported),
        cmocka_unit_test(test_third_segment_with_wrong_ack_is_reported),
        cmocka_unit_test(test_syn_retransmitted_with_another_isn_is_reported),
        cmocka_unit_test(test_synack_without_syn_is_a_capture_finding),
        cmocka_unit_test(test_syn_captured_after_its_synack_is_a_reordered_capture),
        cmocka_unit_test(test_data_on_syn_without_fast_open_is_reported),
        cmocka_unit_test(test_data_on_syn_with_fast_open_is_not_reported),
        cmocka_unit_test(test_window_scale_above_14_is_reported),
        cmocka_unit_test(test_synack_offering_scaling_the_syn_did_not_is_reported),
        cmocka_unit_test(test_synack_with_timestamps_the_syn_lacked_is_reported),
        cmocka_unit_test(test_data_before_the_handshake_completes_is_reported),
        cmocka_unit_test(test_segment_without_negotiated_timestamps_is_reported),
        cmocka_unit_test(test_rst_without_timestamps_is_allowed),
        cmocka_unit_test(test_timestamps_on_a_connection_without_them_are_reported),
        cmocka_unit_test(test_mss_option_on_a_non_syn_segment_is_reported),
        cmocka_unit_test(test_sack_permitted_on_a_non_syn_segment_is_reported),
        cmocka_unit_test(test_sack_blocks_to_a_peer_without_sack_permitted_are_reported),
        cmocka_unit_test(test_malformed_option_is_reported),
        cmocka_unit_test(test_ack_of_data_sent_only_later_is_a_protocol_finding),
        cmocka_unit_test(test_ack_of_data_missing_from_the_capture_is_a_capture_finding),
        cmocka_unit_test(test_ack_inside_a_segment_is_a_partial_ack),
        cmocka_unit_test(test_ack_moving_backwards_is_reported),
        cmocka_unit_test(test_ack_backwards_in_an_earlier_sent_segment_is_capture_reordering),
        cmocka_unit_test(test_nonzero_ack_field_without_ack_flag_is_reported),
        cmocka_unit_test(test_duplicate_acks_are_counted),
        cmocka_unit_test(test_data_beyond_the_advertised_window_is_reported),
        cmocka_unit_test(test_one_byte_zero_window_probe_is_allowed),
        cmocka_unit_test(test_data_after_fin_is_reported),
        cmocka_unit_test(test_fin_moved_to_another_sequence_number_is_reported),
        cmocka_unit_test(test_retransmission_with_other_bytes_is_reported),
        cmocka_unit_test(test_retransmission_with_the_same_bytes_is_counted_not_reported),
        cmocka_unit_test(test_segment_above_the_mss_is_reported),
        cmocka_unit_test(test_segment_of_exactly_the_mss_is_fine),
        cmocka_unit_test(test_mss_counts_tcp_options),
        cmocka_unit_test(test_super_segment_is_a_capture_finding),
        cmocka_unit_test(test_hole_in_the_stream_is_a_capture_finding),
        cmocka_unit_test(test_late_filler_sent_earlier_is_out_of_order),
        cmocka_unit_test(test_late_filler_sent_later_is_a_retransmission),
        cmocka_unit_test(test_keepalive_is_not_a_retransmission),
        cmocka_unit_test(test_rst_at_rcv_nxt_resets_the_connection),
        cmocka_unit_test(test_rst_outside_the_window_is_invalid_and_does_not_reset),
        cmocka_unit_test(test_rst_in_the_window_but_not_exact_asks_for_a_challenge_ack),
        cmocka_unit_test(test_rst_from_a_closed_endpoint_answering_an_old_segment),
    cmocka_unit_test(test_rst_ack_below_the_window_after_close_is_outside_it),
    cmocka_unit_test(test_data_after_own_rst_is_reported),
        cmocka_unit_test(test_rst_answering_a_syn_is_a_refused_connection),
        cmocka_unit_test(test_rst_not_acking_the_syn_is_invalid),
        cmocka_unit_test(test_new_syn_after_close_starts_a_new_connection),
        cmocka_unit_test(test_mid_stream_pickup_has_unknown_roles_and_says_so),
        cmocka_unit_test(test_simultaneous_open_goes_through_syn_received),
        cmocka_unit_test(test_simultaneous_close_goes_through_closing),
        cmocka_unit_test(test_untagged_reply_matches_a_tagged_connection),
        cmocka_unit_test(test_karn_no_rtt_sample_from_a_retransmitted_segment),
        cmocka_unit_test(test_rtt_sample_from_the_oldest_newly_acked_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
