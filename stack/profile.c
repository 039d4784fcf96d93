#include "stack/profile.h"

#include <string.h>

#define MS(x) ((int64_t)(x) * 1000000)
#define SEC(x) ((int64_t)(x) * 1000000000)

/* RFC 6298 as written. G is taken as 1 ms: §4 leaves it to the implementation
 * ("finer clock granularities (<= 100 msec) perform somewhat better"). */
static const struct tr_profile tr__rfc = {
    .name = "rfc",
    .rto = {.initial_ns = SEC(1), .min_ns = SEC(1), .max_ns = SEC(60), .g_ns = MS(1),
            .fallback_ns = SEC(3), .alpha_shift = 3, .beta_shift = 2, .k = 4,
            .formula = TR_RTO_FORMULA_RFC6298},
    .syn_fallback = true,
    .tlp = false,
    .tlp_min_ns = MS(10),
    .tol_abs_ns = MS(5),
    .tol_pct = 10,
    .delack_max_ns = MS(500),
    .persist_min_ns = SEC(1),
    .persist_max_ns = SEC(60),
    .default_mss4 = 536,
    .default_mss6 = 1220,
    .msl_ns = SEC(120),
    .stall_ns = SEC(1),
    .syn_linear = 0,
    .ack_every_second = true,
    .shrink_to_zero_ok = false,
    .syn_ts_sample = false, /* §5.7 re-initializes the RTO to 3 s after a SYN timeout anyway */
    .rto_seed_cached = false,
};

/* Linux (net/ipv4/tcp_timer.c, tcp_input.c, include/net/tcp.h): TCP_RTO_MIN
 * 200 ms, TCP_RTO_MAX 120 s, TCP_TIMEOUT_INIT 1 s, TCP_TIMEOUT_FALLBACK 3 s,
 * its own RTT estimator (rto.h), tail loss probes on by default
 * (net.ipv4.tcp_early_retrans = 3, SACK needed), SYN retransmissions at a
 * constant 1 s for the first five (tcp_syn_linear_timeouts = 4 since 6.5;
 * older kernels double from the start, which passes too), stretch ACKs under
 * GRO, and a window closed at once under memory pressure. */
static const struct tr_profile tr__linux = {
    .name = "linux",
    .rto = {.initial_ns = SEC(1), .min_ns = MS(200), .max_ns = SEC(120), .g_ns = MS(1),
            .fallback_ns = SEC(3), .alpha_shift = 3, .beta_shift = 2, .k = 4,
            .formula = TR_RTO_FORMULA_LINUX},
    .syn_fallback = true,
    .tlp = true,
    .tlp_min_ns = MS(2),
    .tol_abs_ns = MS(5),
    .tol_pct = 10,
    .delack_max_ns = MS(500),
    .persist_min_ns = MS(200),
    .persist_max_ns = SEC(120),
    .default_mss4 = 536,
    .default_mss6 = 1220,
    .msl_ns = SEC(30),
    .stall_ns = SEC(1),
    .syn_linear = 5,
    .ack_every_second = false,
    .shrink_to_zero_ok = true,
    .syn_ts_sample = true,
    .rto_seed_cached = true,
};

static const struct tr_profile *const tr__builtin[] = {&tr__rfc, &tr__linux};
static const char *const tr__names[] = {"rfc", "linux", NULL};

const struct tr_profile *tr_profile_builtin(const char *name)
{
    for (unsigned i = 0; i < sizeof tr__builtin / sizeof tr__builtin[0]; i++)
        if (strcmp(tr__builtin[i]->name, name) == 0)
            return tr__builtin[i];
    return NULL;
}

const char *const *tr_profile_names(void) { return tr__names; }
