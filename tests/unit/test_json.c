/* The JSON writer's tokens (analyzer/jbuf.h) against independent oracles:
 * numbers against printf and jansson's own dump, the names written without
 * escaping against jbuf's escaping writer, and the bounds the cursor
 * writing relies on (TR_JW_NUM_MAX, TR_JW_NAME_MAX). */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../support/tt.h"
#include "analyzer/format.h"
#include "analyzer/jbuf.h"
#include "analyzer/report.h"
#include "stack/state.h"

static void tt_number(char *(*fn)(char *, int64_t), int64_t v, const char *want)
{
    char buf[TR_JW_NUM_MAX + 16];
    memset(buf, 'x', sizeof buf);
    char *e = fn(buf, v);
    assert_true(e - buf <= TR_JW_NUM_MAX);
    assert_int_equal(buf[e - buf], 'x'); /* nothing written past the end it returns */
    *e = '\0';
    assert_string_equal(buf, want);
}

static char *tt_u64(char *w, int64_t v) { return tr_jw_u64(w, (uint64_t)v); }

static void test_integers_are_printfs(void **state)
{
    (void)state;
    char want[32];
    uint64_t p = 1;
    for (int k = 0; k < 20; k++, p *= 10) {
        const uint64_t vs[3] = {p - 1, p, p + 1};
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "%" PRIu64, vs[i]);
            tt_number(tt_u64, (int64_t)vs[i], want);
            snprintf(want, sizeof want, "%" PRId64, -(int64_t)(vs[i] / 2));
            tt_number(tr_jw_i64, -(int64_t)(vs[i] / 2), want);
        }
    }
    tt_number(tt_u64, (int64_t)UINT64_MAX, "18446744073709551615");
    tt_number(tr_jw_i64, INT64_MIN, "-9223372036854775808");
    tt_number(tr_jw_i64, INT64_MAX, "9223372036854775807");
}

/* jansson's dump of json_real(ns / 1e9), the report's definition of a time. */
static void tt_seconds(int64_t ns)
{
    json_t *r = json_real((double)ns / 1e9);
    char *want = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(10));
    tt_number(tr_jw_seconds, ns, want);
    free(want);
    json_decref(r);
}

static void test_times_are_janssons_and_within_the_bound(void **state)
{
    (void)state;
    for (int k = 0; k < 19; k++) {
        int64_t p = 1;
        for (int i = 0; i < k; i++)
            p *= 10;
        const int64_t vs[] = {p - 1, p, p + 1, p / 2, p + p / 3, p / 7 * 9};
        for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
            tt_seconds(vs[i]);
            tt_seconds(-vs[i]);
        }
    }
    tt_seconds(INT64_MAX);
    tt_seconds(INT64_MIN + 1);
    tt_seconds(1234567890500); /* a tie at the tenth digit: printf decides */
    uint64_t x = 88172645463325252ull; /* xorshift64: spread over every magnitude */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        tt_seconds((int64_t)(x >> (x & 63)) * ((x & 64) ? -1 : 1));
    }
}

/* A name written as is (tr_jw_name) must be what the escaping writer
 * writes, and fit the bound. */
static void tt_name(const char *s)
{
    assert_true(strlen(s) <= TR_JW_NAME_MAX);
    char buf[TR_JW_NAME_MAX + 3];
    char *e = tr_jw_name(buf, s);
    struct tr_jbuf b = {0};
    assert_true(tr_jbuf_str(&b, s));
    assert_int_equal((size_t)(e - buf), b.len);
    assert_memory_equal(buf, b.p, b.len);
    tr_jbuf_free(&b);
}

static void test_names_need_no_escaping(void **state)
{
    (void)state;
    for (int st = 0; st <= TR_STATE_COUNT; st++)
        tt_name(tr_state_name((enum tr_state)st));
    for (int ev = 0; ev <= TR_EVENT_COUNT; ev++)
        tt_name(tr_event_name((enum tr_event)ev));
    for (int e = 0; e <= TR_END_SUPERSEDED + 1; e++)
        tt_name(tr_end_name((enum tr_end)e));
    tt_name("assumed");
    tt_name("initial");
    struct tr_conn c;
    memset(&c, 0, sizeof c);
    for (int roles = 0; roles < 2; roles++) {
        c.roles = roles ? TR_ROLES_KNOWN : TR_ROLES_UNKNOWN;
        tt_name(tr_role_name(&c, 0));
        tt_name(tr_role_name(&c, 1));
    }
    tt_name(tr_vantage_name(&c));
    /* addresses as the report writes them, the longest of each family */
    const uint8_t v4[4] = {255, 255, 255, 255};
    const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255};
    const uint8_t v6b[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char addr[64];
    tr_format_addr(4, v4, addr, sizeof addr);
    tt_name(addr);
    tr_format_addr(6, v6, addr, sizeof addr);
    tt_name(addr);
    tr_format_addr(6, v6b, addr, sizeof addr);
    assert_int_equal(strlen(addr), 39);
    tt_name(addr);
    c.side_known = true;
    const int64_t rtts[3][2] = {{1, 100}, {100, 1}, {10, 10}};
    for (int i = 0; i < 3; i++) {
        c.side_rtt[0] = rtts[i][0];
        c.side_rtt[1] = rtts[i][1];
        tt_name(tr_vantage_name(&c));
    }
}

/* A connection with every number at its widest (negative where signed,
 * the largest magnitude where not) and the longest timeline: the cursor
 * runs must hold it (tr_jbuf_commit stops the program otherwise), and the
 * text must be the JSON jansson dumps from the same connection. */
static void test_the_widest_connection_fits_the_bounds(void **state)
{
    (void)state;
    struct tr_obs *o = tt_obs("linux");
    struct tr_conn c;
    memset(&c, 0xff, sizeof c);
    c.ipver = 6;
    c.roles = TR_ROLES_KNOWN;
    c.end = TR_END_RST;
    c.end_by = 1;
    c.end_state = TR_TIME_WAIT;
    c.f_head = c.f_tail = TR_NIL;
    c.ntrans = TR_MAX_TRANS;
    c.first_frame = 1;
    /* frame numbers count from 1: within int64, as the tree writer's
     * json_integer takes them */
    const uint64_t frame = 999999999999999999ull;
    c.last_frame = c.hs_ack_frame = c.end_frame = frame;
    c.ep[0].first_syn_frame = c.ep[1].first_syn_frame = frame;
    c.first_ts = INT64_MIN / 4;
    c.last_ts = INT64_MAX / 4;
    c.side_known = true;
    for (unsigned d = 0; d < 2; d++) {
        c.ep[d].tcb.state = TR_SYN_RECEIVED;
        c.ep[d].rtt_n = 1; /* an average that cannot overflow */
        c.ep[d].rtt_sum = INT64_MIN / 4;
    }
    for (unsigned i = 0; i < TR_MAX_TRANS; i++)
        c.trans[i] = (struct tr_trans){.ts = INT64_MIN / 4, .frame_off = UINT32_MAX - 1, .ep = 0,
                                       .state = TR_SYN_RECEIVED, .cause = TR_EV_RCV_FIN_ACKED};
    struct tr_jbuf b = {0};
    tr_json_conn_write(&b, o, &c, UINT32_MAX, INT64_MAX / 4);
    assert_false(b.oom);
    assert_true(b.len > 4000);
    json_error_t err;
    json_t *mine = json_loadb(b.p, b.len, 0, &err);
    assert_non_null(mine);
    json_t *tree = tr_json_conn(o, &c, UINT32_MAX, INT64_MAX / 4);
    char *want = json_dumps(tree, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    assert_int_equal(strlen(want), b.len);
    assert_memory_equal(want, b.p, b.len);
    free(want);
    json_decref(tree);
    json_decref(mine);
    tr_jbuf_free(&b);
    tr_obs_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_are_printfs),
        cmocka_unit_test(test_times_are_janssons_and_within_the_bound),
        cmocka_unit_test(test_names_need_no_escaping),
        cmocka_unit_test(test_the_widest_connection_fits_the_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
